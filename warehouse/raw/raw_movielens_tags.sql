create or replace table raw_tags as
select userId as user_id, movieId as movie_id, tag, "timestamp" as tagged_at_epoch_s
from read_csv({tags}, header = true, delim = ',', quote = '"', escape = '"',
    columns = {'userId': 'BIGINT', 'movieId': 'BIGINT', 'tag': 'VARCHAR', 'timestamp': 'BIGINT'},
    auto_detect = false, store_rejects = true, rejects_table = 'rejects_tags', rejects_scan = 'rejects_scan_tags');

-- New ratings for the inbox: CSV with a header user_id,movie_id,rating,timestamp (or MovieLens'
-- userId,movieId,...), or ml-100k u.data lines (tab-separated, no header).
create or replace table raw_ratings as
select user_id, movie_id, rating, rated_at_epoch_s
from read_csv({path}, header = {header}, delim = {delim}, quote = '"', escape = '"',
    columns = {'user_id': 'BIGINT', 'movie_id': 'BIGINT', 'rating': 'DOUBLE', 'rated_at_epoch_s': 'BIGINT'},
    store_rejects = true, rejects_table = 'rejects_ratings', rejects_scan = 'rejects_scan_ratings');

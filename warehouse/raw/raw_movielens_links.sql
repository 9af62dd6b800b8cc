create or replace table raw_links as
select movieId as movie_id, imdbId as imdb_num, tmdbId as tmdb_id
from read_csv({links}, header = true, delim = ',', quote = '"', escape = '"',
    columns = {'movieId': 'BIGINT', 'imdbId': 'VARCHAR', 'tmdbId': 'BIGINT'},
    auto_detect = false, store_rejects = true, rejects_table = 'rejects_links', rejects_scan = 'rejects_scan_links');

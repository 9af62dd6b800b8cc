-- ml-latest-small / ml-latest / ml-20m / ml-25m: UTF-8 CSV with a header, quoted titles.
-- Typed at read time; lines that do not parse land in the rejects tables with DuckDB's message.
-- The dialect is given in full (and the header checked by source.py), so no sniffing pass runs.
create or replace table raw_ratings as
select userId as user_id, movieId as movie_id, rating, "timestamp" as rated_at_epoch_s
from read_csv({ratings}, header = true, delim = ',', quote = '"', escape = '"',
    columns = {'userId': 'BIGINT', 'movieId': 'BIGINT', 'rating': 'DOUBLE', 'timestamp': 'BIGINT'},
    auto_detect = false, store_rejects = true, rejects_table = 'rejects_ratings', rejects_scan = 'rejects_scan_ratings');

create or replace table raw_movies as
select movieId as movie_id, title as title_raw, genres as genres_raw
from read_csv({movies}, header = true, delim = ',', quote = '"', escape = '"',
    columns = {'movieId': 'BIGINT', 'title': 'VARCHAR', 'genres': 'VARCHAR'},
    auto_detect = false, store_rejects = true, rejects_table = 'rejects_movies', rejects_scan = 'rejects_scan_movies');

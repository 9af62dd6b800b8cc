-- ml-100k: u.data is tab-separated "user item rating timestamp" without a header;
-- u.item is pipe-separated latin-1: id|title (year)|release date|video date|IMDb URL|19 genre flags.
create or replace table raw_ratings as
select user_id, movie_id, rating, rated_at_epoch_s
from read_csv({ratings}, header = false, delim = '\t', quote = '',
    columns = {'user_id': 'BIGINT', 'movie_id': 'BIGINT', 'rating': 'DOUBLE', 'rated_at_epoch_s': 'BIGINT'},
    auto_detect = false, store_rejects = true, rejects_table = 'rejects_ratings', rejects_scan = 'rejects_scan_ratings');

create or replace table raw_movies as
select movie_id, title as title_raw, imdb_url,
    list_filter({genre_names}, lambda g, i: [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12,
        f13, f14, f15, f16, f17, f18][i] = 1) as genre_list
from read_csv({movies}, header = false, delim = '|', quote = '', encoding = 'latin-1',
    columns = {'movie_id': 'BIGINT', 'title': 'VARCHAR', 'release_date': 'VARCHAR',
        'video_release_date': 'VARCHAR', 'imdb_url': 'VARCHAR',
        'f0': 'TINYINT', 'f1': 'TINYINT', 'f2': 'TINYINT', 'f3': 'TINYINT', 'f4': 'TINYINT',
        'f5': 'TINYINT', 'f6': 'TINYINT', 'f7': 'TINYINT', 'f8': 'TINYINT', 'f9': 'TINYINT',
        'f10': 'TINYINT', 'f11': 'TINYINT', 'f12': 'TINYINT', 'f13': 'TINYINT', 'f14': 'TINYINT',
        'f15': 'TINYINT', 'f16': 'TINYINT', 'f17': 'TINYINT', 'f18': 'TINYINT'},
    auto_detect = false, store_rejects = true, rejects_table = 'rejects_movies', rejects_scan = 'rejects_scan_movies');

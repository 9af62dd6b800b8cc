-- Replace one dataset's release rows with the staged release (attached under the alias that replaces `{stg}`), in the
-- caller's transaction. Ratings added through the inbox (origin 'inbox:...'; release rows have origin NULL) survive a reload:
-- for each (user, movie) the latest rating by timestamp wins, whichever origin it has.
delete from movielens_ratings where dataset = $dataset and origin is null;

create or replace temp table kept_inbox as
select user_id, movie_id, rated_at from movielens_ratings where dataset = $dataset;

delete from movielens_ratings as r
using {stg}.final_ratings as f
where r.dataset = $dataset and r.user_id = f.user_id and r.movie_id = f.movie_id
    and r.rated_at < to_timestamp(f.rated_at_epoch_s)
    and exists (select 1 from kept_inbox);

insert into movielens_ratings (dataset, user_id, movie_id, rating, rated_at)
select $dataset, f.user_id, f.movie_id, f.rating, to_timestamp(f.rated_at_epoch_s)
from {stg}.final_ratings as f
where not exists (select 1 from kept_inbox)
    or (f.user_id, f.movie_id) not in (
        select (user_id, movie_id) from movielens_ratings where dataset = $dataset);

delete from movielens_movies where dataset = $dataset;

insert into movielens_movies (dataset, movie_id, title, year, genres, imdb_id, tmdb_id, title_repaired, load_run_id)
select $dataset, m.movie_id, m.title, m.year, m.genres,
    case when l.imdb_num is not null and l.imdb_num <> '' then 'tt' || lpad(l.imdb_num, 7, '0') end,
    l.tmdb_id, m.title_repaired, $run_id
from {stg}.valid_movies as m
left join (select * from {stg}.raw_links qualify row_number() over (partition by movie_id) = 1) as l
    on m.movie_id = l.movie_id;

delete from movielens_tags where dataset = $dataset;

insert into movielens_tags (dataset, user_id, movie_id, tag, tagged_at, load_run_id)
select $dataset, user_id, movie_id, tag, to_timestamp(tagged_at_epoch_s), $run_id
from {stg}.final_tags;

insert into quarantine (source, table_name, raw, reason, run_id, quarantined_at)
select $source, table_name, raw, reason, $run_id, now()
from {stg}.rejects;

-- grain: one row per (user_id, movie_id): the latest rating by timestamp (ties: higher rating;
-- exact duplicate rows are ties of themselves), then the optional activity filters.
create or replace table stg_ratings_dedup as
with latest as (
    select * from valid_ratings
    qualify row_number() over (
        partition by user_id, movie_id order by rated_at_epoch_s desc, rating desc
    ) = 1
),
active_users as (
    select user_id from latest group by user_id having count(*) >= {min_per_user}
),
by_user as (
    select l.* from latest as l semi join active_users as u on l.user_id = u.user_id
),
popular_movies as (
    select movie_id from by_user group by movie_id having count(*) >= {min_per_movie}
)
select b.user_id, b.movie_id, b.rating, b.rated_at_epoch_s
from by_user as b semi join popular_movies as m on b.movie_id = m.movie_id;

-- Apply one inbox file (read as `inbox_rows`) to movielens_ratings, in the caller's transaction.
-- Exactly once: a rating goes in only when it is newer than what the warehouse holds for the same
-- (dataset, user, movie), so a retried or repeated apply changes nothing.
create or replace temp table new_ratings as
select $dataset as dataset, user_id, movie_id, rating, to_timestamp(rated_at_epoch_s) as rated_at,
    'inbox:' || $sha as origin
from inbox_rows
where rated_at_epoch_s < $until_epoch_s
qualify row_number() over (partition by user_id, movie_id order by rated_at_epoch_s desc, rating desc) = 1;

delete from new_ratings as n
using movielens_ratings as r
where r.dataset = n.dataset and r.user_id = n.user_id and r.movie_id = n.movie_id and r.rated_at >= n.rated_at;

delete from movielens_ratings as r
using new_ratings as n
where r.dataset = n.dataset and r.user_id = n.user_id and r.movie_id = n.movie_id;

insert into movielens_ratings (dataset, user_id, movie_id, rating, rated_at, origin, load_run_id)
select dataset, user_id, movie_id, rating, rated_at, origin, $run_id from new_ratings;

-- Typed movies: "Title (1995)" split into title and year; genres lowercased, hyphenated, sorted;
-- title_repaired flags a title decoded with replacement marks.
create or replace table stg_movies as
with source as (
    select movie_id, trim(title_raw) as title_raw, {genres_expr} as genre_list
    from raw_movies
),
-- a release has a few hundred distinct genre lists (ml-latest-small: 951 for 9,742 movies):
-- each is normalised once and joined back
genre_sets as (
    select
        genre_list,
        list_sort(list_distinct(list_filter(
            list_transform(genre_list, lambda g: regexp_replace(replace(lower(trim(g)), 'children''s', 'children'), '\s+', '-', 'g')),
            lambda g: g not in ('', '(no-genres-listed)', 'unknown')
        ))) as genres
    from (select distinct genre_list from source)
)
select
    s.movie_id,
    -- the year is the last "(yyyy)" or "(yyyy-yyyy)" group; some titles have none. Searching for
    -- that tail alone is 4x faster than matching the whole title around it
    coalesce(nullif(trim(regexp_replace(s.title_raw, '\s*\((\d{4})(?:[-–]\d{0,4})?\)\s*$', '')), ''),
        nullif(s.title_raw, '')) as title,
    try_cast(regexp_extract(s.title_raw, '\s*\((\d{4})(?:[-–]\d{0,4})?\)\s*$', 1) as integer) as year,
    g.genres,
    -- kept with U+FFFD where the file had bytes that are not UTF-8 (repaired_movies says which line)
    s.movie_id in (select movie_id from repaired_movies) as title_repaired
from source as s
left join genre_sets as g on s.genre_list is not distinct from g.genre_list;

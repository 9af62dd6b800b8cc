-- Typed movies: "Title (1995)" split into title and year; genres lowercased, hyphenated, sorted.
create or replace table stg_movies as
with source as (
    select movie_id, trim(title_raw) as title_raw, {genres_expr} as genre_list
    from raw_movies
),
split as (
    select
        movie_id,
        -- the year is the last "(yyyy)" or "(yyyy-yyyy)" group; some titles have none
        nullif(trim(regexp_extract(title_raw, '^(.*?)\s*\((\d{4})(?:[-–]\d{0,4})?\)\s*$', 1)), '') as title_split,
        try_cast(regexp_extract(title_raw, '^(.*?)\s*\((\d{4})(?:[-–]\d{0,4})?\)\s*$', 2) as integer) as year,
        title_raw,
        genre_list
    from source
)
select
    movie_id,
    coalesce(title_split, nullif(title_raw, '')) as title,
    year,
    list_sort(list_distinct(list_filter(
        list_transform(genre_list, lambda g: regexp_replace(replace(lower(trim(g)), 'children''s', 'children'), '\s+', '-', 'g')),
        lambda g: g not in ('', '(no-genres-listed)', 'unknown')
    ))) as genres
from split;

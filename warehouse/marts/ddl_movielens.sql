-- grain: one row per (dataset, user_id, movie_id): the latest rating by timestamp
create table if not exists movielens_ratings (
    dataset varchar not null,
    user_id bigint not null,
    movie_id bigint not null,
    rating double not null,           -- stars, 0.5-5.0 (ml-100k: whole stars 1-5)
    rated_at timestamptz not null,    -- UTC
    -- NULL for the release's own rows (a constant string on every row of a 25M-row release costs
    -- a write; NULLs are free); 'inbox:<sha256>' for ratings added through the inbox
    origin varchar,
    load_run_id varchar               -- the run that applied an inbox rating; a release's run is in load_log
);

-- grain: one row per (dataset, movie_id)
create table if not exists movielens_movies (
    dataset varchar not null,
    movie_id bigint not null,
    title varchar not null,           -- without the "(year)" suffix
    year integer,
    genres varchar[],                 -- normalised: lowercase, hyphenated, sorted
    imdb_id varchar,                  -- tt-prefixed, where links.csv has it
    tmdb_id bigint,
    load_run_id varchar,
    title_repaired boolean            -- the release's title had bytes that are not UTF-8, shown as U+FFFD
);

-- grain: one row per (dataset, user_id, movie_id, tag, tagged_at)
create table if not exists movielens_tags (
    dataset varchar not null,
    user_id bigint not null,
    movie_id bigint not null,
    tag varchar not null,
    tagged_at timestamptz not null,
    load_run_id varchar
);

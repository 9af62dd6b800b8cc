-- grain: one row per (dataset, user_id, rank) of the latest export; rank 1 first
create table if not exists recommendations (
    run_id varchar not null,
    dataset varchar not null,
    user_id bigint not null,
    rank integer not null,
    movie_id bigint not null,
    title varchar,
    score double not null,
    created_at timestamptz not null default now(),
    model varchar,                    -- which model scored the list
    cold_start boolean not null default false  -- true: a popularity list for a user with few ratings
);

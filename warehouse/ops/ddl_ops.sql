-- grain: one row per rejected input row
create table if not exists quarantine (
    source varchar not null,          -- e.g. movielens:ml-latest-small
    table_name varchar not null,      -- target table the row was meant for
    raw varchar,                      -- the row as read, text
    reason varchar not null,          -- which check failed
    run_id varchar not null,
    quarantined_at timestamptz not null default now()
);

-- grain: one row per successful load of one table partition
create table if not exists load_log (
    run_id varchar not null,
    table_name varchar not null,
    partition_key varchar not null,   -- e.g. the dataset name
    content_key varchar not null,     -- hash of what was loaded
    rows_loaded bigint not null,
    rows_quarantined bigint not null default 0,
    loaded_at timestamptz not null default now()
);

-- grain: one row per pipeline run (flow run) that touched the warehouse
create table if not exists pipeline_runs (
    run_id varchar primary key,
    flow_name varchar not null,
    run_name varchar,
    partition_day date,               -- for backfill: the day this run covers
    state varchar not null,           -- running, completed, failed
    started_at timestamptz not null,
    ended_at timestamptz,
    summary varchar                   -- JSON
);

-- grain: one row per file accepted into the ratings inbox
create table if not exists inbox_files (
    content_sha256 varchar primary key,
    dataset varchar not null,
    path varchar not null,
    rows bigint not null,
    added_at timestamptz not null default now(),
    processed_run_id varchar,
    processed_at timestamptz
);

-- grain: one row per completed branch of a nightly run, with the fingerprint of what it read
create table if not exists branch_runs (
    branch varchar not null,          -- movielens, imdb, mnist, fashion-mnist
    fingerprint varchar not null,     -- source content, code, settings, parameters, load history
    run_id varchar not null,
    finished_at timestamptz not null,
    summary varchar                   -- JSON: the branch's result, shown again when it is skipped
);

-- grain: one row per (dataset, user) whose new ratings are applied but whose list is not yet
-- re-exported; written in the transaction that applies the ratings, cleared once the list is out,
-- so an update killed in between refreshes those lists on its next run
create table if not exists list_refresh_pending (
    dataset varchar not null,
    user_id bigint not null,
    run_id varchar not null,
    added_at timestamptz not null default now()
);

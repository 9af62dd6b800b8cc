-- grain: one row per matched movie of the personal list (naver_code, or imdb_id where source = 'imdb')
create table if not exists naver_scores (
    -- ids
    naver_code bigint,                -- Naver movie code; null for IMDb fallback rows
    imdb_id varchar,                  -- tt-prefixed, IMDb fallback rows only
    -- the movie
    title varchar not null,           -- as Naver (or IMDb) names it
    english_title varchar,
    year integer,
    -- scores: a missing score is null, never 0
    my_score double not null,         -- the person's, 0.5-5 in half steps
    netizen_score double,             -- Naver netizens 0-10 (IMDb averageRating 1-10 for source imdb)
    critic_score double,              -- Naver critics 0-10; always null for source imdb
    audience_score double,            -- Naver ticket holders 0-10
    netizen_votes bigint,
    -- how it was matched
    match_confidence double not null, -- 0-1
    match_method varchar not null,    -- auto, manual, imdb-title-year, imdb-title
    source varchar not null,          -- naver or imdb
    list_title varchar not null,      -- the title as the person wrote it
    input_row bigint not null,        -- its line in the list
    crawl_status varchar,             -- ok (naver rows; a page not read sends its row to naver_match_review)
    genres varchar,
    nation varchar,
    director varchar,
    load_run_id varchar
);

-- grain: one row per list title (query_key) a person must settle or settled
create table if not exists naver_match_review (
    input_row bigint not null,        -- its line in the list when last seen
    title varchar not null,
    year integer,
    english_title varchar,
    query_key varchar not null,       -- normalised title|year|english title: the decision's key
    candidates varchar not null,      -- JSON: best first, with code, title, year, evidence
    chosen_code bigint,               -- the person's choice; null while waiting or for "none"
    decision varchar,                 -- null (waiting), chosen, none
    decided_at timestamptz,           -- null while waiting
    reason varchar                    -- why it waits: no certain candidate, or "page <code>: <problem>"
);
alter table naver_match_review add column if not exists reason varchar;  -- warehouses made before it

-- grain: one row per (source, split, review_id): a review after checks and dedup
create table if not exists imdb_reviews (
    review_id varchar not null,       -- aclImdb: <pos|neg>_<id> from the file name; Keras: array position
    split varchar not null,           -- train, test: the dataset's official split
    label tinyint not null,           -- 1 positive, 0 negative
    rating tinyint,                   -- stars 1-4 (neg) or 7-10 (pos) from the file name; NULL for Keras
    text varchar not null,
    source varchar not null,          -- aclImdb, keras-imdb
    member varchar,                   -- archive member or array entry the review came from
    source_uri varchar,               -- the --source given (URL or path)
    source_sha256 varchar,            -- checksum of the archive (or directory fingerprint)
    load_run_id varchar,
    copies integer not null default 1  -- reviews of the split with this text and label (duplicates dropped)
);
alter table imdb_reviews add column if not exists copies integer default 1;  -- warehouses made before it

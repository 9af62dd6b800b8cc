-- grain: one row per promotion decision (run_id, target, dataset); the latest 'promoted' row of a
-- (target, dataset) names the model in service
create table if not exists model_promotions (
    run_id varchar not null,
    target varchar not null,          -- movielens, imdb, mnist, naver
    dataset varchar not null,
    model varchar not null,           -- the run's best candidate (the baseline when a first run has none better)
    protocol varchar not null,        -- the held-out protocol judged on: stratified-75-25, official-test, kfold-5
    metric varchar not null,          -- ndcg_at_10, accuracy, rmse
    value double not null,
    baseline_model varchar not null,  -- popularity, majority_class, mean
    baseline_value double not null,
    serving_model varchar,            -- in service before this decision; NULL on a dataset's first run
    serving_value double,             -- the figure it was promoted with
    decision varchar not null,        -- promoted, kept
    reason varchar not null,
    created_at timestamptz not null default now(),
    model_dir varchar                 -- where the promoted model's files are, where one is saved
);

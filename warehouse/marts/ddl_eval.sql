-- grain: one row per (run_id, target, dataset, model, protocol, metric)
create table if not exists eval_metrics (
    run_id varchar not null,
    target varchar not null,          -- movielens, imdb, mnist, naver
    dataset varchar not null,
    model varchar not null,
    protocol varchar not null,        -- random-70-30, ml100k-u1, stratified-75-25, official-test, kfold-5
    metric varchar not null,          -- rmse, mae, accuracy, precision_at_10, ...
    value double not null,
    n_train bigint,
    n_test bigint,
    created_at timestamptz not null default now()
);

-- one data set's images from its staged Parquet file ($parquet), replacing nothing by itself:
-- the caller deletes that dataset's rows in the same transaction
insert into mnist_images (dataset, split, idx, label, pixels, pixels_sha1, load_run_id)
select
    staged.dataset,
    staged.split,
    staged.idx,
    staged.label,
    staged.pixels,
    staged.pixels_sha1,
    $run_id as load_run_id
from read_parquet($parquet) as staged

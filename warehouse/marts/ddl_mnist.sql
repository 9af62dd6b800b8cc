-- grain: one row per (dataset, split, idx): one image of an MNIST-style IDX release
create table if not exists mnist_images (
    dataset varchar not null,         -- mnist, fashion-mnist (or the sample's name)
    split varchar not null,           -- train (train-*-ubyte), test (t10k-*-ubyte)
    idx integer not null,             -- position in the source IDX file, from 0
    label utinyint not null,          -- class 0-9
    pixels blob not null,             -- 784 bytes, row-major 28x28, ink 0-255
    pixels_sha1 varchar not null,     -- hash of pixels: duplicate images share it
    load_run_id varchar
);

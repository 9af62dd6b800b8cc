"""The Parquet lake: local directory and an S3-compatible server on 127.0.0.1 (moto)."""

from __future__ import annotations

import pytest

from cinepipe.settings import get_settings, reset_settings
from cinepipe.storage import lake, warehouse


def _warehouse_rows(settings):
    with warehouse.connect(settings, read_only=True) as con:
        return con.execute("select user_id, movie_id, rating from movielens_ratings order by 1, 2").fetchall()


def test_local_lake_round_trip_is_partitioned_by_dataset(home, small_csv_dir, ingest_release):
    ingest_release(home, small_csv_dir)
    path = warehouse.export_to_lake(home, "movielens_ratings", partition_col="dataset")
    assert (home.lake_dir / "movielens_ratings" / "dataset=ml-latest-small").is_dir()
    table = lake.read_table(home, "movielens_ratings").to_pandas()
    rows = sorted(zip(table.user_id, table.movie_id, table.rating))
    assert rows == _warehouse_rows(home) and path.endswith("movielens_ratings")


@pytest.fixture
def s3_server(monkeypatch):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    yield f"http://{host}:{port}"
    server.stop()


def test_s3_lake_round_trip(home, small_csv_dir, s3_server, monkeypatch, ingest_release):
    import boto3

    boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1").create_bucket(Bucket="cinepipe-lake")
    monkeypatch.setenv("CINEPIPE_LAKE_URL", "s3://cinepipe-lake/prod")
    monkeypatch.setenv("CINEPIPE_S3_ENDPOINT_URL", s3_server)
    reset_settings()
    settings = get_settings()
    ingest_release(settings, small_csv_dir)
    assert warehouse.export_to_lake(settings, "movielens_ratings", partition_col="dataset") == "s3://cinepipe-lake/prod/movielens_ratings"
    keys = [o["Key"] for o in boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
            .list_objects_v2(Bucket="cinepipe-lake")["Contents"]]
    assert any(k.startswith("prod/movielens_ratings/dataset=ml-latest-small/") for k in keys)
    table = lake.read_table(settings, "movielens_ratings").to_pandas()
    assert sorted(zip(table.user_id, table.movie_id, table.rating)) == _warehouse_rows(settings)
    # a second export replaces the objects rather than adding to them
    warehouse.export_to_lake(settings, "movielens_ratings", partition_col="dataset")
    assert len(lake.read_table(settings, "movielens_ratings")) == len(table)

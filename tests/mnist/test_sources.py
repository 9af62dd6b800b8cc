from pathlib import Path

import pytest

from cinepipe.errors import DownloadError, LayoutError
from cinepipe.mnist import sample, sources
from cinepipe.mnist.sources import FILES
from cinepipe.tasks.ingest.mnist import fetch_mnist

CAPS = (2 << 30, 8 << 30, 100.0)  # the archive caps the flow passes (the defaults)

FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory):
    return sample.write_sample(tmp_path_factory.mktemp("mnist-sample"))


def _serve(httpserver, directory: Path, gz: bool = True) -> str:
    import gzip

    for stem in FILES.values():
        blob = (directory / f"{stem}.gz").read_bytes()
        if gz:
            httpserver.expect_request(f"/mnist/{stem}.gz").respond_with_data(blob)
        else:
            httpserver.expect_request(f"/mnist/{stem}.gz").respond_with_data("not here", status=404)
            httpserver.expect_request(f"/mnist/{stem}").respond_with_data(gzip.decompress(blob))
    return httpserver.url_for("/mnist/")


def test_missing_file_is_named(tmp_path, sample_dir):
    for stem in list(FILES.values())[:3]:
        (tmp_path / f"{stem}.gz").write_bytes((sample_dir / f"{stem}.gz").read_bytes())
    with pytest.raises(LayoutError, match="missing t10k-labels-idx1-ubyte"):
        sources.find_local(tmp_path)


def test_download_with_a_bad_md5_is_rejected(home, httpserver, sample_dir):
    base = _serve(httpserver, sample_dir)
    with pytest.raises(DownloadError, match="does not match the published md5 of fashion-mnist"):
        fetch_mnist.fn(base, "fashion-mnist", *CAPS)
    cached = list((home.downloads_dir / "mnist" / "fashion-mnist").rglob("*-ubyte*"))
    assert not [p for p in cached if not p.name.endswith(".meta.json")]  # the bad file is not kept


def test_download_from_a_plain_mirror(home, httpserver, sample_dir):
    base = _serve(httpserver, sample_dir, gz=False)  # .gz requests get 404, plain files exist
    fetched = fetch_mnist.fn(base, "digits-sample", *CAPS)
    assert set(fetched["checksums"].values()) == {sources.UNKNOWN}
    assert all(not p.endswith(".gz") for p in fetched["files"].values())


def test_local_directory_and_file_url_agree(home, sample_dir):
    by_path = fetch_mnist.fn(str(sample_dir), "mnist", *CAPS)
    by_url = fetch_mnist.fn(sample_dir.as_uri(), "mnist", *CAPS)
    assert by_path["key"] == by_url["key"]
    assert set(by_path["checksums"].values()) == {sources.MISMATCH}  # reported, not enforced locally


def test_checksum_status_of_gz_and_plain_published_bytes():
    import gzip

    blob = b"not the release"
    assert sources.checksum_status("mnist", "train-labels-idx1-ubyte", gzip.compress(blob)) == sources.MISMATCH
    assert sources.checksum_status("mnist", "train-labels-idx1-ubyte", blob) == sources.UNKNOWN
    assert sources.checksum_status("kmnist", "train-labels-idx1-ubyte", blob) == sources.UNKNOWN


@pytest.mark.skipif(not FASHION.is_dir(), reason="dataset-fashion-mnist is not installed (apt)")
def test_debian_fashion_mnist_verifies_and_downloads(home, httpserver):
    for stem in FILES.values():
        blob = (FASHION / f"{stem}.gz").read_bytes()
        assert sources.checksum_status("fashion-mnist", stem, blob) == sources.VERIFIED
        if "labels" in stem:
            httpserver.expect_request(f"/f/{stem}.gz").respond_with_data(blob)
    for stem in FILES.values():  # images are large: serve the labels only, check the parts we can
        if "labels" in stem:
            base = httpserver.url_for("/f/")
            dest = home.downloads_dir / "x"
            path = sources.download(base, stem, dest, home)
            assert sources.require_published("fashion-mnist", stem, path, base) == sources.VERIFIED

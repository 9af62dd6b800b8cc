"""Where an IMDB source is: downloaded (conditionally, under downloads/) or found on disk, with its checksum."""

from __future__ import annotations

from typing import TypedDict

from cinepipe.errors import LayoutError
from cinepipe.io.download import fetch, is_remote, local_path, sha256_file
from cinepipe.io.hashing import content_key, fingerprint_path
from cinepipe.reporting.progress import download_bar
from cinepipe.settings import Settings

WORD_INDEX = "imdb_word_index.json"


class Fetched(TypedDict):
    """A located source: what was given, where it is, its checksum and its content key."""

    source: str
    path: str
    sha256: str
    key: str


def fetch_source(source: str, settings: Settings) -> Fetched:
    """Download (a URL) or locate (a path) the source; Keras' ``imdb.npz`` comes with its word index.

    Raises:
        LayoutError: a local path that does not exist.
    """
    if is_remote(source):
        name = source.rstrip("/").rsplit("/", 1)[-1]
        with download_bar(f"download {source}") as progress:
            got = fetch(source, settings.downloads_dir / "imdb" / name, timeout_s=settings.http_timeout_s,
                        retries=settings.http_retries, progress=progress)
        digests = [got.sha256]
        if name.endswith(".npz"):  # Keras publishes the word index beside the arrays
            index_url = source.rstrip("/").rsplit("/", 1)[0] + "/" + WORD_INDEX
            digests.append(fetch(index_url, got.path.with_name(WORD_INDEX), timeout_s=settings.http_timeout_s,
                                 retries=settings.http_retries).sha256)
        path = got.path
    else:
        path = local_path(source).resolve()
        if not path.exists():
            raise LayoutError(source, "no such file or directory", "Check the path given as --source.")
        digests = [sha256_file(path) if path.is_file() else fingerprint_path(path)]
        if path.suffix == ".npz" and path.with_name(WORD_INDEX).is_file():
            digests.append(sha256_file(path.with_name(WORD_INDEX)))
    return Fetched(source=source, path=str(path), sha256=digests[0], key=content_key(*digests))

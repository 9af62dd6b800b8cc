"""The GroupLens releases we know: their published checksums and how they are laid out."""

from __future__ import annotations

from dataclasses import dataclass

# md5 of the release zips as GroupLens publishes them (`<name>.zip.md5` beside each zip). The
# "latest" releases are rebuilt from time to time, so for them the published .md5 file is fetched
# next to the zip instead of being pinned here.
PINNED_MD5 = {
    "ml-100k": "0e33842e24a9c977be4e0107933c0723",
    "ml-20m": "cd245b17a1ae2cc31bb14903e1204af3",
    "ml-25m": "6b51fb2759a8657d3bfcbfc42b592ada",
}

KNOWN_RELEASES = ("ml-100k", "ml-latest-small", "ml-latest", "ml-20m", "ml-25m", "ml-32m")

CSV_RATINGS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0)
WHOLE_STARS = (1.0, 2.0, 3.0, 4.0, 5.0)

# u.item's 19 genre flags, in file order, with the names used by the CSV releases
ML100K_GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
    "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi",
    "Thriller", "War", "Western",
)


@dataclass(frozen=True)
class Layout:
    """How one release is laid out on disk."""

    kind: str  # "ml-100k" (u.data / u.item) or "csv" (ratings.csv / movies.csv ...)
    rating_values: tuple[float, ...]

    @property
    def is_100k(self) -> bool:
        return self.kind == "ml-100k"


ML100K_LAYOUT = Layout("ml-100k", WHOLE_STARS)
CSV_LAYOUT = Layout("csv", CSV_RATINGS)


def layout_of(kind: str) -> Layout:
    """The layout named by its ``kind`` (what a fetched release records)."""
    return ML100K_LAYOUT if kind == "ml-100k" else CSV_LAYOUT

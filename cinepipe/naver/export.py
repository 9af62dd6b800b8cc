"""What a person takes away from the Naver branch: the score lines and the review CSV to fill in."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

import pandas as pd

from cinepipe.io.files import write_atomic
from cinepipe.naver.assemble import review_csv_frame
from cinepipe.naver.columns import CRITIC, MY_SCORE, NETIZEN, REVIEW_CSV, TITLE
from cinepipe.naver.scores_io import format_score_lines

if TYPE_CHECKING:
    from cinepipe.naver.combine import Assembled

SCORES_EXPORT = "naver_scores.txt"


class Exported(TypedDict):
    scores_lines: str
    review_csv: str
    review_rows: int


def write_exports(assembled: Assembled, exports_dir: Path) -> Exported:
    """``naver_scores.txt`` (title::my::netizen::critic::) and the review CSV in ``exports_dir``."""
    exports_dir.mkdir(parents=True, exist_ok=True)
    scores = pd.read_parquet(assembled["scores"]).sort_values("input_row")
    lines = exports_dir / SCORES_EXPORT
    write_atomic(lines, format_score_lines(scores[[TITLE, MY_SCORE, NETIZEN, CRITIC]]))
    review = review_csv_frame(pd.read_parquet(assembled["review"]))
    csv_path = exports_dir / REVIEW_CSV
    write_atomic(csv_path, review.to_csv(index=False))
    return Exported(scores_lines=str(lines), review_csv=str(csv_path), review_rows=len(review))

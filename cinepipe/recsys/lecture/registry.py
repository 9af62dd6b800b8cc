"""The lecture's methods under their former names, while their callers move to ``lecture.compare``.

The models themselves are in ``cinepipe.recsys.registry`` (one registry); ``lecture.compare.LECTURE``
names each method's model and ``lecture.compare.lecture_models`` checks a ``--models`` selection.
"""

from cinepipe.recsys.lecture.compare import LECTURE as LECTURE_MODELS
from cinepipe.recsys.lecture.compare import lecture_models as lecture_factories

__all__ = ["LECTURE_MODELS", "lecture_factories"]

import pytest

from cinepipe.errors import ModelError
from cinepipe.recsys.lecture.compare import LECTURE
from cinepipe.recsys.lecture.registry import LECTURE_MODELS, lecture_factories


def test_every_lecture_method_has_a_factory_in_table_order():
    assert list(LECTURE_MODELS) == list(LECTURE)
    names = {method: factory().name for method, factory in LECTURE_MODELS.items()}
    assert names["i-autorec"] == "i_autorec" and names["user-knn-centred"] == "user_knn_centred"
    assert len(set(names.values())) == len(names)


def test_selection_keeps_order_and_rejects_unknown_names():
    assert list(lecture_factories(["mf", "user-knn"])) == ["mf", "user-knn"]
    with pytest.raises(ModelError, match="unknown lecture methods"):
        lecture_factories(["svd"])

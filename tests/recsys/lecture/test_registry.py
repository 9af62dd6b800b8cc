"""The lecture's methods are models of the one registry."""

import pytest

from cinepipe.errors import ModelError
from cinepipe.recsys.lecture.compare import LECTURE, REFERENCE_METHOD, lecture_models
from cinepipe.recsys.registry import LECTURE_MODELS, MODELS, build


def test_every_lecture_method_is_a_registry_model_in_table_order():
    assert tuple(spec.model for spec in LECTURE.values()) == LECTURE_MODELS
    assert set(LECTURE_MODELS) <= set(MODELS)
    assert lecture_models()["i-autorec"] == "i_autorec"
    assert build(lecture_models()["user-knn-centred"]).name == "user_knn_centred"
    assert len(set(LECTURE_MODELS)) == len(LECTURE)


def test_selection_keeps_order_takes_the_reference_and_rejects_unknown_names():
    assert lecture_models(["mf", "user-knn"]) == {"mf": "mf_als", "user-knn": "user_knn_raw"}
    assert lecture_models([REFERENCE_METHOD]) == {"global-mean": "global_mean"}
    with pytest.raises(ModelError, match="unknown lecture methods"):
        lecture_models(["svd"])

"""Ranking models beyond EASE: RP3beta and the learned rank blend, and the train-only tuning they use."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cinepipe.recsys import rank_blend, tuning
from cinepipe.recsys.evaluate import ranking_metrics
from cinepipe.recsys.metrics import ndcg_at_k
from cinepipe.recsys.persist import load_model
from cinepipe.recsys.registry import RANKING_MODELS, build
from cinepipe.recsys.splits import stratified_split
from cinepipe.recsys.synthetic import planted_ratings
from cinepipe.recsys.topn import top_n


@pytest.fixture(scope="module")
def liked_split():
    ratings = planted_ratings(n_users=300, n_items=120, n_ratings=12_000, seed=2)
    return stratified_split(ratings[ratings.rating >= 4], 0.25, seed=42)


@pytest.fixture(scope="module")
def fitted(liked_split):
    train, _ = liked_split
    return {name: build(name, quick=True).fit(train) for name in ("popularity", "rp3beta", "rank_blend")}


def _pairs(frame: pd.DataFrame) -> set[tuple[int, int]]:
    return set(zip(frame.user_id, frame.movie_id, strict=True))


def test_new_ranking_models_are_evaluated_each_run():
    assert {"rp3beta", "rank_blend"} <= set(RANKING_MODELS)


@pytest.mark.parametrize("name", ["rp3beta", "rank_blend"])
def test_ranks_better_than_popularity(liked_split, fitted, name):
    train, test = liked_split
    ndcg = {m: ranking_metrics(fitted[m], train, test, ["ndcg_at_10"])["ndcg_at_10"] for m in ("popularity", name)}
    assert ndcg[name] > ndcg["popularity"] + 0.02


@pytest.mark.parametrize("name", ["rp3beta", "rank_blend"])
def test_top_n_shapes_and_no_seen_items(liked_split, fitted, name):
    train, _ = liked_split
    lists = top_n(fitted[name], train, n=10, cold_start_min_ratings=0)
    assert lists.groupby("user_id").size().eq(10).all()
    assert lists.user_id.nunique() == train.user_id.nunique()
    assert not _pairs(lists) & _pairs(train)
    scores = fitted[name].score_users(np.arange(5))
    assert scores.shape == (5, fitted[name].index.n_items) and np.isfinite(scores).all()


@pytest.mark.parametrize("name", ["rp3beta", "rank_blend"])
def test_saved_model_gives_the_same_lists(liked_split, fitted, tmp_path, name):
    train, _ = liked_split
    fitted[name].save(tmp_path / name)
    loaded = load_model(tmp_path / name)
    pd.testing.assert_frame_equal(top_n(loaded, train, n=10), top_n(fitted[name], train, n=10))


def test_rank_blend_saves_only_the_members_it_weights(fitted, tmp_path):
    model = fitted["rank_blend"]
    model.save(tmp_path / "blend")
    saved = {p.name for p in (tmp_path / "blend" / "members").iterdir()}
    assert saved == {n for n in model._used() if n != rank_blend.POPULARITY}
    assert model.weights.max() > 0


def test_rank_blend_tunes_on_train_only(liked_split, monkeypatch):
    """Every member the blend fits, while tuning and after, sees only rows of the train split."""
    train, test = liked_split
    seen_by_members = []
    real_factory = rank_blend._factory

    def recording_factory(params):
        member = real_factory(params)
        real_fit = member.fit
        member.fit = lambda frame: (seen_by_members.append(frame), real_fit(frame))[1]
        return member

    monkeypatch.setattr(rank_blend, "_factory", recording_factory)
    build("rank_blend", quick=True).fit(train)
    assert seen_by_members
    train_pairs, test_pairs = _pairs(train), _pairs(test)
    for frame in seen_by_members:
        assert _pairs(frame) <= train_pairs and not _pairs(frame) & test_pairs
    assert any(len(f) < len(train) for f in seen_by_members)  # candidates fitted on the inner slice
    assert any(len(f) == len(train) for f in seen_by_members)  # the chosen ones refitted on all of it


def test_validation_ndcg_matches_the_metric(liked_split):
    train, _ = liked_split
    fit_part, val_part = tuning.inner_split(train, 0.2, seed=42)
    model = build("ease", quick=True).fit(fit_part)
    expected = ndcg_at_k(val_part, top_n(model, fit_part, 10, users=val_part.user_id.unique(),
                                         cold_start_min_ratings=0))
    assert tuning.ndcg_of_scores(fit_part, val_part, model) == pytest.approx(expected, abs=1e-9)


def test_inner_split_holds_out_part_of_every_user(liked_split):
    train, _ = liked_split
    fit_part, val_part = tuning.inner_split(train, 0.2, seed=42)
    assert len(fit_part) + len(val_part) == len(train)
    assert not _pairs(fit_part) & _pairs(val_part)
    assert set(val_part.user_id) <= set(fit_part.user_id)


def test_standardised_rows_ignore_seen_items():
    from scipy import sparse

    scores = np.array([[1.0, 2.0, 3.0, 100.0], [4.0, 4.0, 5.0, 5.0]])
    seen = sparse.csr_matrix(np.array([[0, 0, 0, 1], [0, 0, 0, 0]], dtype=np.float32))
    z = tuning.standardise_rows(scores, seen)
    np.testing.assert_allclose(z[0, :3], [-1.2247449, 0.0, 1.2247449], rtol=1e-5)
    np.testing.assert_allclose(z[1], [-1, -1, 1, 1], rtol=1e-5)


@pytest.mark.parametrize("name", ["rp3beta", "rank_blend"])
def test_fold_in_refreshes_touched_users_and_keeps_the_rest(liked_split, name):
    train, _ = liked_split
    newcomer, touched = 9_999, 5
    model = build(name, quick=True).fit(train)
    before = top_n(model, train, n=10, cold_start_min_ratings=0)
    extra = train[(train.user_id == 6) & ~train.movie_id.isin(train[train.user_id == touched].movie_id)].head(3)
    history = pd.concat([
        train[train.user_id == touched], extra.assign(user_id=touched),  # touched rated three more movies
        train[train.user_id == 7].assign(user_id=newcomer),  # a new user with user 7's history
        pd.DataFrame({"user_id": [newcomer], "movie_id": [77_777], "rating": [5.0]}),  # an unknown movie
    ])
    refreshed = pd.concat([train, history[history.user_id != touched], extra.assign(user_id=touched)])
    model.fold_in(history)
    assert newcomer in model.index.users and 77_777 not in model.index.items
    after = top_n(model, refreshed, n=10, cold_start_min_ratings=0)
    assert not _pairs(after) & _pairs(refreshed)
    untouched = ~before.user_id.isin([touched])
    pd.testing.assert_frame_equal(
        after[after.user_id.isin(before.user_id[untouched])].reset_index(drop=True),
        before[untouched].reset_index(drop=True),
    )
    lists = after.set_index("user_id")
    # user 7's history: the same list (ALS re-solves the row, so the tail may differ by a movie or two)
    assert len(set(lists.loc[newcomer, "movie_id"]) & set(lists.loc[7, "movie_id"])) >= 8


def test_rp3_weights_keep_the_strongest_links_and_no_self_links():
    from scipy import sparse

    from cinepipe.recsys.rp3beta import RP3Params, rp3_weights

    rng = np.random.default_rng(0)
    seen = sparse.csr_matrix((rng.random((50, 30)) < 0.3).astype(np.float32))
    weights = rp3_weights(seen, RP3Params(neighbours=5))
    assert weights.shape == (30, 30) and (np.diff(weights.indptr) <= 5).all()
    assert weights.diagonal().sum() == 0 and (weights.data > 0).all()
    full = rp3_weights(seen, RP3Params(neighbours=30)).toarray()
    for row in range(30):  # the kept links are the row's largest
        kept = weights[row].toarray().ravel()
        assert kept[kept > 0].min() >= np.sort(full[row])[-5] - 1e-7

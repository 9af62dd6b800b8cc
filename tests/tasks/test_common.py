

def test_step_key_finds_the_source_of_a_task_that_arrived_pickled():
    # a Dask worker rebuilds a pickled function whose source inspect cannot find
    from cinepipe.tasks._common import step_key
    from cinepipe.tasks.export.movielens import score_recommendations

    namespace: dict = {}
    exec("def score_recommendations(*args, **kwargs):\n    pass\n", namespace)
    clone = namespace["score_recommendations"]
    clone.__module__ = "cinepipe.tasks.export.movielens"
    assert step_key(clone, 1) == step_key(score_recommendations, 1) == step_key(score_recommendations.fn, 1)


def test_cache_keys_change_when_the_directory_a_step_writes_into_is_cleared(home):
    import shutil

    from cinepipe.tasks._common import HomePolicy, epoch

    plain, staged, trained = HomePolicy(), HomePolicy(outputs=("staging_dir",)), HomePolicy(outputs=("artifacts_dir",))

    def keys():
        return [p.compute_key(None, {}, {}) for p in (plain, staged, trained)]

    first = keys()
    assert keys() == first and len(set(first)) == 3  # stable while nothing is cleared
    assert epoch(home.staging_dir) == epoch(home.staging_dir)
    shutil.rmtree(home.artifacts_dir)
    after_artifacts = keys()
    assert after_artifacts[:2] == first[:2] and after_artifacts[2] != first[2]
    shutil.rmtree(home.staging_dir)
    after_staging = keys()
    assert after_staging[0] == first[0] and after_staging[1] != first[1] and after_staging[2] == after_artifacts[2]


def test_epoch_without_hard_links(tmp_path, monkeypatch):
    import os

    from cinepipe.tasks._common import EPOCH_FILE, epoch

    def no_links(src, dst):
        raise PermissionError("operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    first = epoch(tmp_path / "d")
    assert first and epoch(tmp_path / "d") == first
    assert [p.name for p in (tmp_path / "d").iterdir()] == [EPOCH_FILE]  # no temporary left behind

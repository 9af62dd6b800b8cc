

def test_step_key_finds_the_source_of_a_task_that_arrived_pickled():
    # a Dask worker rebuilds a pickled function whose source inspect cannot find
    from cinepipe.tasks._common import step_key
    from cinepipe.tasks.export.movielens import score_recommendations

    namespace: dict = {}
    exec("def score_recommendations(*args, **kwargs):\n    pass\n", namespace)
    clone = namespace["score_recommendations"]
    clone.__module__ = "cinepipe.tasks.export.movielens"
    assert step_key(clone, 1) == step_key(score_recommendations, 1) == step_key(score_recommendations.fn, 1)


def test_cache_keys_change_when_a_directory_results_point_into_is_cleared(home):
    import shutil

    from cinepipe.tasks._common import HomePolicy, epoch

    policy = HomePolicy()
    first = policy.compute_key(None, {}, {})
    assert policy.compute_key(None, {}, {}) == first  # stable while nothing is cleared
    assert epoch(home.staging_dir) == epoch(home.staging_dir)
    shutil.rmtree(home.artifacts_dir)
    after_artifacts = policy.compute_key(None, {}, {})
    assert after_artifacts != first
    shutil.rmtree(home.staging_dir)
    assert policy.compute_key(None, {}, {}) not in (first, after_artifacts)

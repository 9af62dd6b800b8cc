

def test_step_key_finds_the_source_of_a_task_that_arrived_pickled():
    # a Dask worker rebuilds a pickled function whose source inspect cannot find
    from cinepipe.tasks._common import step_key
    from cinepipe.tasks.export.movielens import score_recommendations

    namespace: dict = {}
    exec("def score_recommendations(*args, **kwargs):\n    pass\n", namespace)
    clone = namespace["score_recommendations"]
    clone.__module__ = "cinepipe.tasks.export.movielens"
    assert step_key(clone, 1) == step_key(score_recommendations, 1) == step_key(score_recommendations.fn, 1)

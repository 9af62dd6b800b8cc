

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


def _tree(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _fresh_code_keys(monkeypatch, package):
    from cinepipe.runtime import code

    monkeypatch.setattr(code, "PACKAGE", package)
    for cached in (code._imports, code._module_hash, code.module_key, code.package_key):
        cached.cache_clear()
    return code


def test_a_thin_task_s_code_key_follows_the_domain_code_it_calls(tmp_path, monkeypatch):
    """The key of a task's code covers the modules it imports (lazily too), and nothing else."""
    package = tmp_path / "cinepipe"
    _tree(package, {
        "__init__.py": "",
        "tasks/__init__.py": "",
        "tasks/step.py": "def run():\n    from cinepipe.domain import work\n    return work.go()\n",
        "domain/__init__.py": "",
        "domain/work.py": "from cinepipe.domain.helpers import twice\n\ndef go():\n    return twice(1)\n",
        "domain/helpers.py": "def twice(x):\n    return 2 * x\n",
        "domain/other.py": "def unrelated():\n    return 0\n",
    })
    code = _fresh_code_keys(monkeypatch, package)
    assert code.closure("cinepipe.tasks.step") == [
        "cinepipe.domain", "cinepipe.domain.helpers", "cinepipe.domain.work", "cinepipe.tasks.step"]
    assert code.closure("elsewhere.tasks.step") == []  # a module outside the package is not ours to key
    before = code.module_key("cinepipe.tasks.step")

    (package / "domain/other.py").write_text("def unrelated():\n    return 1\n")
    code = _fresh_code_keys(monkeypatch, package)
    assert code.module_key("cinepipe.tasks.step") == before  # not imported: no rerun

    (package / "domain/helpers.py").write_text("def twice(x):\n    return x + x\n")
    code = _fresh_code_keys(monkeypatch, package)
    assert code.module_key("cinepipe.tasks.step") != before  # two imports away: reruns


def test_step_key_changes_with_the_domain_code_behind_the_task(monkeypatch):
    from cinepipe.runtime import code
    from cinepipe.tasks._common import step_key
    from cinepipe.tasks.export.movielens import score_recommendations

    assert "cinepipe.recsys.topn" in code.closure(score_recommendations.fn.__module__)
    before = step_key(score_recommendations, 1)
    monkeypatch.setattr(code, "module_key", lambda module: "another version of the code")
    monkeypatch.setattr("cinepipe.tasks._common.module_key", code.module_key)
    assert step_key(score_recommendations, 1) != before

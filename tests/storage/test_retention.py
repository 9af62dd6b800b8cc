"""Pruning old snapshots and models: newest kept, the protected and the recently used never go."""

from __future__ import annotations

import os
import time

from cinepipe.storage.retention import prune_dirs


def _dirs(root, ages_h):
    out = []
    for i, hours in enumerate(ages_h):
        d = root / f"d{i}"
        d.mkdir(parents=True)
        (d / "f").write_text("x")
        then = time.time() - hours * 3600
        os.utime(d, (then, then))
        out.append(d)
    return out


def test_prunes_beyond_the_newest_except_protected_and_recent(tmp_path):
    d = _dirs(tmp_path, [0.1, 5, 0.5, 0.2, 9, 7])  # newest first: d0, d3, d2, d1, d5, d4
    (tmp_path / "latest.json").write_text("{}")  # files beside the directories are left alone
    removed = prune_dirs(tmp_path, keep=2, protect=[d[5]])
    assert sorted(removed) == [d[1], d[4]]  # d2: beyond two but used within the hour; d5: protected
    assert all(p.exists() for p in (d[0], d[2], d[3], d[5], tmp_path / "latest.json"))
    assert prune_dirs(tmp_path, keep=2, protect=[d[5]]) == []
    assert prune_dirs(tmp_path / "missing", keep=1) == []

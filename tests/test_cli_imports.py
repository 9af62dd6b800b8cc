"""Commands that run no flow stay quick: they load neither Prefect nor the data libraries."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("prefect", "pandas", "numpy", "pyarrow", "sklearn", "torch", "requests")
RUN = """
import json, sys
from cinepipe.cli import main
sys.argv = ["cinepipe", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy} if m in sys.modules)), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--help"], ["status"], ["recommend", "--user", "1"], ["server", "status"]])
def test_commands_without_a_flow_load_no_heavy_module_and_start_no_server(args, tmp_path):
    env = {**os.environ, "CINEPIPE_HOME": str(tmp_path / "home")}
    env.pop("PREFECT_API_URL", None)
    done = subprocess.run([sys.executable, "-c", RUN.format(heavy=HEAVY), *args], env=env, capture_output=True,
                          text=True, timeout=120)
    assert json.loads(done.stderr.strip().splitlines()[-1]) == [], done.stderr
    assert not (tmp_path / "home" / "prefect" / "server.json").exists()

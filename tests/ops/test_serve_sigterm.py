"""`cinepipe serve` stops on SIGTERM as on Ctrl-C: its worker goes with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# serve with the server and `prefect deploy` stubbed out and a stand-in worker process
SERVE = """
import subprocess, sys
from cinepipe.ops import serve
from cinepipe.settings import get_settings

serve.server.find_server = lambda settings: {"port": 4999}
serve.server.ensure_server = lambda settings, port=None: {"port": 4999}
serve.deploy = lambda settings, port: None

def worker(settings, port):
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    open(sys.argv[1], "w").write(str(proc.pid))
    return proc

serve.start_worker = worker
serve.serve_all(get_settings(), port=4999)
print("serve ended", flush=True)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_sigterm_stops_serve_and_its_worker(home, tmp_path):
    pid_file = tmp_path / "worker.pid"
    env = {**os.environ, "CINEPIPE_HOME": str(home.home_dir)}
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(pid_file)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    worker_pid = int(pid_file.read_text())
    assert _alive(worker_pid)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "serve ended" in out and "Traceback" not in err
    deadline = time.monotonic() + 10
    while _alive(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(worker_pid), "the worker outlived serve"

"""The Prefect UI in a real browser: `cinepipe serve`, the sample nightly against it, then every
artifact of the run opened in headless Chromium: every image loaded, every link answers 200.

Needs Debian's ``chromium`` and the ``playwright`` package (the test extras); skips without them.
With ``SCREENSHOTS_DIR=DIR`` (not CINEPIPE_: the home fixture clears those) it leaves screenshots of the run page and each branch's artifacts
there (docs/screenshots is made this way).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cinepipe(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("cinepipe")), *args]


@pytest.fixture
def browser():
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .[test])")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium")
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def served(home, tmp_path):
    """`cinepipe serve` on a free port for this home; stopped (SIGTERM) afterwards."""
    port = _free_port()
    # the home's own Prefect home and server: not the test session's (conftest sets PREFECT_HOME)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["CINEPIPE_HOME"] = str(home.home_dir)
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen(_cinepipe("serve", "--port", str(port)), env=env, stdout=log, stderr=subprocess.STDOUT)
    api = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert proc.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
        if "Prefect UI:" in (tmp_path / "serve.log").read_text():
            break
        time.sleep(1)
    else:
        pytest.fail("serve did not come up: " + (tmp_path / "serve.log").read_text()[-3000:])
    yield api, env
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    subprocess.run(_cinepipe("server", "stop"), env=env, capture_output=True, timeout=120)


def _api(api: str, path: str, body: dict) -> list[dict]:
    answer = requests.post(f"{api}/api/{path}", json=body, timeout=30)
    answer.raise_for_status()
    return answer.json()


def test_every_artifact_of_the_sample_nightly_opens_in_a_browser(served, browser, tmp_path):
    api, env = served
    night = subprocess.run(_cinepipe("nightly", "--sample", "--json"), env=env, capture_output=True, text=True,
                           timeout=1800)
    assert night.returncode == 0, night.stderr[-3000:]
    shots = Path(os.environ.get("SCREENSHOTS_DIR", tmp_path / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)

    runs = _api(api, "flow_runs/filter", {"limit": 100})
    ours = [r for r in runs if r["name"].startswith("nightly-") and "trigger:cli" in r["tags"]]
    assert len(ours) == 1, [(r["name"], r["tags"], r["state_type"]) for r in runs]
    nightly = ours[0]
    run_ids = [nightly["id"], *(r["id"] for r in runs if r.get("parent_task_run_id"))]
    artifacts = [a for a in _api(api, "artifacts/filter", {"limit": 200, "flow_runs": {"id": {"any_": run_ids}}})
                 if a.get("type")]
    kinds = {a["type"] for a in artifacts}
    assert {"image", "markdown", "table"} <= kinds
    keys = {a["key"] for a in artifacts}
    for branch in ("movielens", "imdb", "mnist", "naver"):
        assert any(k.startswith(f"validation-{branch}") for k in keys), f"no validation report for {branch}"
    assert any(k.startswith("movielens-") and "metrics-vs-baselines" in k for k in keys)

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    broken: list[str] = []
    for artifact in artifacts:
        page.goto(f"{api}/artifacts/artifact/{artifact['id']}", wait_until="networkidle")
        page.wait_for_selector(".artifact-data-view", timeout=30_000)
        page.wait_for_function("() => Array.from(document.images).every(i => i.complete)", timeout=30_000)
        images = page.evaluate("() => Array.from(document.images).map(i => [i.src.slice(0, 60), i.naturalWidth])")
        broken += [f"{artifact['key']}: image {src} did not load" for src, width in images if width == 0]
        if artifact["type"] == "image":
            assert images, f"{artifact['key']}: no image shown"
        everywhere = page.evaluate("() => Array.from(document.querySelectorAll('a[href], img')).map(e => e.href || e.src)")
        broken += [f"{artifact['key']}: {link[:80]} cannot open from the UI" for link in everywhere
                   if link.startswith("file:")]
        # the artifact's own links (the UI's navigation is Prefect's): each must answer 200
        links = page.evaluate("() => Array.from(document.querySelectorAll('.artifact-data-view a[href]')).map(a => a.href)")
        for link in set(links):
            if link.startswith("data:"):
                continue  # the image itself, checked above
            if not link.startswith("http"):
                broken.append(f"{artifact['key']}: link {link[:80]} cannot open from the UI")
            elif requests.get(link, timeout=30).status_code != 200:
                broken.append(f"{artifact['key']}: link {link} does not answer 200")
    assert not broken, "\n".join(broken)

    page.goto(f"{api}/runs/flow-run/{nightly['id']}", wait_until="networkidle")
    page.wait_for_timeout(2000)
    page.screenshot(path=str(shots / "nightly-run.png"))
    for child in [r for r in runs if r.get("parent_task_run_id") and r["name"].split("-")[0] in
                  ("movielens", "imdb", "mnist[mnist]", "naver")]:
        page.goto(f"{api}/runs/flow-run/{child['id']}", wait_until="networkidle")
        page.get_by_text("Artifacts", exact=True).first.click()
        page.wait_for_timeout(2000)
        page.screenshot(path=str(shots / f"artifacts-{child['name'].split('-')[0].split('[')[0]}.png"), full_page=True)
    summary = next(a for a in artifacts if a["key"] == "nightly-summary")
    page.goto(f"{api}/artifacts/artifact/{summary['id']}", wait_until="networkidle")
    page.wait_for_timeout(1000)
    page.screenshot(path=str(shots / "nightly-summary.png"))
    assert (shots / "nightly-run.png").exists()

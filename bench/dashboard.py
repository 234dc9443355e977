"""Dashboard speed with 100,000 models: leaderboard re-render after a filter change (AppTest, p50 <= 300 ms)
and the first render in a real browser (<= 3 s). Run: `.venv/bin/python bench/dashboard.py [N_MODELS]`.

"First render" is measured inside Chromium: from navigation start (`performance.timeOrigin`) to the first
animation frame at which the leaderboard's data grid (its canvas), the "N entries" caption and the top-N
chart's bar labels are all on screen. Three cases: cold (a fresh server, nothing cached, and a fresh browser
profile), warm server (the server's per-version cache filled, a fresh browser profile: a first-time visitor)
and warm (both filled: a returning visitor). Also reported: bytes received over the websocket, the browser's
main-thread script and task time, and the time to download the whole view as CSV.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fixture_warehouse import build_fixture_warehouse  # noqa: E402

RENDERED = """() => {
  const shown = el => !!el && el.getBoundingClientRect().height > 0;
  const grid = document.querySelector('[data-testid="stDataFrame"] canvas');
  const bar = document.querySelector('[data-testid="stVegaLiteChart"] svg text');
  const caption = [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
    .find(e => / entries/.test(e.textContent));
  return shown(grid) && shown(bar) && shown(caption) ? performance.now() : false;
}"""
WARM_RUNS = 5


def rerender_times(n_runs: int = 12) -> tuple[float, list[float]]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=120)
    t = time.perf_counter()
    at.run()
    first = (time.perf_counter() - t) * 1000
    times = []
    for i in range(n_runs):
        category = next(s for s in at.selectbox if s.label == "Category")
        category.set_value(["chat", "merge", "pretrained", "fine-tuned"][i % 4])
        t = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - t) * 1000)
    assert not at.exception, at.exception
    return first, times


def serve() -> tuple[subprocess.Popen, str]:
    from llmboard.up import dashboard_command
    from tests.test_browser import free_port, wait_until_healthy

    port = free_port()  # served as `llmboard up` serves it (dashboard.serve warms up before it answers)
    proc = subprocess.Popen(dashboard_command("127.0.0.1", port), cwd=REPO,
                            env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_healthy(proc, f"http://127.0.0.1:{port}/_stcore/health")
    return proc, f"http://127.0.0.1:{port}/"


def first_render(context, url: str) -> dict:
    """One visit in `context`: the render time (s), websocket bytes received, main-thread script/task time (s)."""
    page = context.new_page()
    received = [0]
    page.on("websocket", lambda ws: ws.on("framereceived", lambda p: received.__setitem__(0, received[0] + len(p))))
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    page.goto(url, wait_until="commit")
    rendered_ms = page.wait_for_function(RENDERED, polling="raf", timeout=120_000).json_value()
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    page.close()
    return {"s": rendered_ms / 1000, "ws_mb": received[0] / 1e6, "script_s": metrics.get("ScriptDuration", 0),
            "task_s": metrics.get("TaskDuration", 0)}


def show(label: str, runs: list[dict]) -> None:
    s = [r["s"] for r in runs]
    print(f"browser first render, {label}: p50 {statistics.median(s):.2f} s (min {min(s):.2f}, max {max(s):.2f}, "
          f"n={len(s)}); websocket {statistics.median(r['ws_mb'] for r in runs):.2f} MB; main thread: script "
          f"{statistics.median(r['script_s'] for r in runs):.2f} s, tasks {statistics.median(r['task_s'] for r in runs):.2f} s")


def download_csv(context, url: str, n_expected: int) -> float:
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(RENDERED, polling="raf", timeout=120_000)
    t = time.perf_counter()
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Download CSV").click()
    rows = sum(1 for _ in open(info.value.path())) - 1
    took = time.perf_counter() - t
    page.close()
    assert rows == n_expected, (rows, n_expected)
    return took


def main(n: int = 100_000) -> None:
    print(f"load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="llmboard-bench-") as tmp:
        run(n, Path(tmp) / "home")
    print(f"load average after: {os.getloadavg()}")


def run(n: int, home: Path) -> None:
    t = time.perf_counter()
    build_fixture_warehouse(home, real=False, extra_models=n)
    print(f"fixture with {n} extra models: {time.perf_counter() - t:.1f}s")
    os.environ["LLMBOARD_HOME"] = str(home)
    from warehouse import queries

    entries = queries.rankings_count(home, suite="offline")
    first, times = rerender_times()
    print(f"AppTest first render: {first:.0f} ms")
    print(f"AppTest re-render after a category change: p50 {statistics.median(times):.0f} ms "
          f"(min {min(times):.0f}, max {max(times):.0f}, n={len(times)}; first runs fill the per-version cache)")

    from playwright.sync_api import sync_playwright

    from tests.test_browser import ARGS, CHROMIUM

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        cold, warm_server, warm = [], [], []
        for _ in range(3):  # a fresh server each time: its caches and the snapshot connection start empty
            proc, url = serve()
            try:
                ctx = browser.new_context(viewport={"width": 1500, "height": 1100})
                cold.append(first_render(ctx, url))
                ctx.close()
            finally:
                proc.terminate()
                proc.wait(timeout=10)
        proc, url = serve()
        try:
            first_render(browser.new_context(), url)  # fills the server's cache
            for _ in range(WARM_RUNS):
                ctx = browser.new_context(viewport={"width": 1500, "height": 1100})
                warm_server.append(first_render(ctx, url))
                warm.append(first_render(ctx, url))  # the same profile again: HTTP cache filled
                ctx.close()
            ctx = browser.new_context(accept_downloads=True)
            took = download_csv(ctx, url, entries)
            ctx.close()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        browser.close()
    show("cold (fresh server, fresh browser profile)", cold)
    show("warm server, fresh browser profile", warm_server)
    show("warm server, returning browser profile", warm)
    print(f"CSV download of the whole view ({entries} rows), click to file: {took:.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)

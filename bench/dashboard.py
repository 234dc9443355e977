"""Dashboard speed with 100,000 models: leaderboard re-render after a filter change (AppTest, p50 <= 300 ms)
and the first render in a real browser (<= 3 s). Run: `.venv/bin/python bench/dashboard.py [N_MODELS]`."""

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


def main(n: int = 100_000) -> None:
    home = Path(tempfile.mkdtemp()) / "home"
    t = time.perf_counter()
    build_fixture_warehouse(home, real=False, extra_models=n)
    print(f"fixture with {n} extra models: {time.perf_counter() - t:.1f}s")
    os.environ["LLMBOARD_HOME"] = str(home)
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=120)
    t = time.perf_counter()
    at.run()
    print(f"AppTest first render: {(time.perf_counter() - t) * 1000:.0f} ms")
    category = next(s for s in at.selectbox if s.label == "Category")
    times = []
    for i in range(12):
        category.set_value(["chat", "merge", "pretrained", "fine-tuned"][i % 4])
        t = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - t) * 1000)
        category = next(s for s in at.selectbox if s.label == "Category")
    assert not at.exception, at.exception
    print(f"AppTest re-render after a filter change: p50 {statistics.median(times):.0f} ms "
          f"(min {min(times):.0f}, max {max(times):.0f}; first runs fill the per-version cache)")

    from tests.test_browser import ARGS, CHROMIUM, free_port, wait_until_healthy

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.headless", "true",
                             "--server.port", str(port), "--browser.gatherUsageStats", "false"], cwd=REPO,
                            env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_healthy(proc, f"http://127.0.0.1:{port}/_stcore/health")
        from playwright.sync_api import expect, sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            for label in ("cold", "warm"):
                page = browser.new_page()
                t = time.perf_counter()
                page.goto(f"http://127.0.0.1:{port}/")
                expect(page.locator(".js-plotly-plot .ytick text").first).to_be_visible(timeout=60_000)
                print(f"browser first render ({label} server cache): {time.perf_counter() - t:.2f} s")
                page.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)

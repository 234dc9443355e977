"""The main journey in a real browser: Chromium (Debian's) driven by Playwright, against `streamlit run`."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import polars as pl
import pytest

from dashboard.views import REAL_CHANGE
from llmboard.up import dashboard_command
from tests.conftest import REPO
from tests.fixture_warehouse import QUANTIZED_MODEL, build_fixture_warehouse
from warehouse import queries

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SHOTS = REPO / "test-output"

BOUND_MS = 120_000  # how long a page may take to show something, at most (a bound, not a wait): loaded machines are slow

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent (`make browser` installs it)"),
]


HOSTILE = "<img src=x onerror=\"window.__pwned=1\"> *not bold* <script>window.__pwned=2</script>"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_healthy(proc: subprocess.Popen, health: str, timeout_s: float = 300.0) -> None:
    """Until Streamlit's health endpoint answers; fails at once if the server exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(health, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        try:
            code = proc.wait(timeout=0.25)  # doubles as the pause between probes
        except subprocess.TimeoutExpired:
            continue
        raise RuntimeError(f"streamlit exited with {code} before serving")
    raise TimeoutError(f"streamlit did not answer {health} within {timeout_s}s")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("browser") / "home"
    build_fixture_warehouse(home)
    from warehouse import flags  # a visitor's flag and comment that try to be a tag, an image and a link

    flag_id = flags.flag_model(home, QUANTIZED_MODEL, "other", HOSTILE, author="<b>mallory</b>")
    flags.comment(home, flag_id, HOSTILE, author="[eve](javascript:alert(1))")
    port = free_port()
    env = {**os.environ, "LLMBOARD_HOME": str(home), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    log = open(tmp_path_factory.mktemp("logs") / "streamlit.log", "w")
    proc = subprocess.Popen(
        dashboard_command("127.0.0.1", port),  # as `llmboard up` serves it
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_healthy(proc, f"http://127.0.0.1:{port}/_stcore/health")
        yield f"http://127.0.0.1:{port}", home
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


def test_leaderboard_search_model_and_quantization(server, browser):
    from playwright.sync_api import expect

    expect.set_options(timeout=BOUND_MS)
    url, home = server
    SHOTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
    page.set_default_timeout(BOUND_MS)
    board = queries.rankings(home, suite="offline")
    leader = board.row(0, named=True)

    # the leaderboard: the leader's model name and its average, as shown (two decimals), on screen
    page.goto(url)  # the default page lives at the root
    expect(page.get_by_role("heading", name="llmboard")).to_be_visible()
    expect(page.get_by_text(f"{board.height} entries")).to_be_visible()
    expect(page.get_by_role("button", name="Deploy")).to_have_count(0)  # visitors see no developer tools
    grid = page.locator(".stDataFrame, [data-testid=\"stDataFrame\"], [data-testid=\"stDataFrameResizable\"]").first
    expect(grid).to_be_visible()
    bar_label = page.locator('[data-testid="stVegaLiteChart"] svg text', has_text=leader["model_id"])
    expect(bar_label.first).to_be_visible()
    page.screenshot(path=str(SHOTS / "leaderboard.png"), full_page=True)
    page.locator('[data-testid="stVegaLiteChart"]').first.screenshot(path=str(SHOTS / "leaderboard-chart.png"))

    # the CSV download, built on click, holds the view
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    csv = download.value.path().read_text().splitlines()
    assert len(csv) == board.height + 1 and "Details" not in csv[0] and csv[1].startswith(f"1,false,{leader['model_id']},")

    # search with the FAQ syntax: only the matching models remain
    box = page.get_by_role("textbox", name="Search")
    box.fill("qwen; Hub License: apache-2.0")
    box.press("Enter")
    expected = queries.rankings(home, suite="offline", search="qwen; Hub License: apache-2.0")
    expect(page.get_by_text(f"{expected.height} entries")).to_be_visible()
    bars = page.locator('[data-testid="stVegaLiteChart"] svg text')
    expect(bars.filter(has_text="demo/ft-qwen").first).to_be_visible()
    expect(bars.filter(has_text="demo/chat-mistral")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "leaderboard-search.png"), full_page=True)

    # a model's page: its runs and per-task scores
    page.goto(f"{url}/model?model={QUANTIZED_MODEL}")
    expect(page.get_by_role("heading", name=QUANTIZED_MODEL)).to_be_visible()
    expect(page.get_by_text("Runs (9)")).to_be_visible()
    expect(page.get_by_text("Per-task scores")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Requests \(\d+\)"))).to_be_visible()
    expect(page.get_by_text("sample_len")).to_have_count(0)  # only score metrics among the scores
    page.screenshot(path=str(SHOTS / "model.png"), full_page=True)

    # the quantization page: one bar group per precision, with the averages' deltas
    suite = queries.default_suite(home)
    latest = queries.latest_runs(home, QUANTIZED_MODEL, suite=suite)  # the page's default model (most precisions)
    verdicts = {r.precision: queries.compare_runs(home, latest[0].run_id, r.run_id)["average"] for r in latest[1:]}
    real = [p for p, v in verdicts.items() if v["ci_low"] > 0 or v["ci_high"] < 0]
    noise = [p for p, v in verdicts.items() if v["ci_low"] <= 0 <= v["ci_high"]]
    assert real and noise, f"the fixture holds precisions on both sides of the line: {verdicts}"
    page.goto(f"{url}/quantization")
    expect(page.get_by_text("Difference from float32 (points)")).to_be_visible()
    legend = page.locator(".js-plotly-plot .legendtext")
    for precision in ("float32", "bfloat16", "4bit", "gguf"):
        expect(legend.filter(has_text=re.compile(f"^{precision}$")).first).to_be_visible()
    expect(page.get_by_text("Average against weight memory, every model")).to_be_visible()
    expect(page.get_by_text("Against float32, item by item")).to_be_visible()  # paired intervals, flips, KL
    # each precision's verdict in words: a real loss marked with its size, noise said to be noise
    lost = verdicts[real[0]]
    expect(page.get_by_text(f"{'▲' if lost['diff'] > 0 else '▼'} {real[0]}: {lost['verdict']}")).to_be_visible()
    expect(page.get_by_text(f"≈ {noise[0]}: no detectable difference (Δ")).to_be_visible()
    expect(page.locator(".js-plotly-plot .legendtext", has_text="front: best for its memory").first).to_be_visible()
    page.screenshot(path=str(SHOTS / "quantization.png"), full_page=True)

    # the history page: the average's 95% interval as a band, steps between commits judged item by item
    # and a mark on each real change between consecutive commits, in the chart and in words
    precision = queries.model_choices(home, suite).row(by_predicate=pl.col("model_id") == QUANTIZED_MODEL,
                                                       named=True)["most_commits"]  # the page's default
    steps = queries.commit_steps(home, QUANTIZED_MODEL, precision, suite=suite)
    changed, unchanged = steps.filter(pl.col("significant")), steps.filter(~pl.col("significant"))
    assert changed.height and unchanged.height, f"the fixture holds steps on both sides of the line: {steps}"
    page.goto(f"{url}/history?model={QUANTIZED_MODEL}")
    expect(page.locator(".js-plotly-plot .legendtext", has_text="Average: 95% interval").first).to_be_visible()
    expect(page.locator(".js-plotly-plot .legendtext", has_text=REAL_CHANGE).first).to_be_visible()
    expect(page.get_by_text("Steps between consecutive commits, item by item")).to_be_visible()
    for step in (*changed.iter_rows(named=True), *unchanged.iter_rows(named=True)):
        mark = ("▲" if step["diff"] > 0 else "▼") if step["significant"] else "≈"
        expect(page.get_by_text(f"{mark} {step['from_sha'][:7]} → {step['to_sha'][:7]}: {step['verdict']}")
               ).to_be_visible()
    page.screenshot(path=str(SHOTS / "history.png"), full_page=True)

    # names, reasons and comments someone typed are shown as typed: no tag, image, link or script
    page.goto(f"{url}/flags?flag=")
    expect(page.get_by_text(HOSTILE).first).to_be_visible()
    expect(page.get_by_text("<b>mallory</b>").first).to_be_visible()
    assert page.evaluate("() => window.__pwned === undefined"), "a visitor's text ran as script"
    assert page.locator('a[href^="javascript:"]').count() == 0 and page.locator("img[src='x']").count() == 0
    page.screenshot(path=str(SHOTS / "flags.png"), full_page=True)
    page.close()

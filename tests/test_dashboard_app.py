"""The dashboard as a whole under AppTest: the About page, every page on an empty warehouse, and no page
importing torch or lm_eval."""

from __future__ import annotations

import subprocess
import sys

import streamlit as st

from tests.conftest import REPO
from tests.dashboard_app import APP, PAGES, RUN_LIMIT_S, page

pytest_plugins = ["tests.dashboard_fixtures"]


def test_about_explains_scores(home):
    at = page("about")
    text = at.markdown[0].value
    assert "baseline" in text and "merges" in text and "infrastructure" in text


def test_empty_warehouse_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("LLMBOARD_HOME", str(tmp_path / "empty"))
    st.cache_resource.clear()
    st.cache_data.clear()
    for name in PAGES:
        at = page(name)
        assert not at.exception
        if name in ("leaderboard", "history", "quantization", "model", "flags", "queue"):
            assert at.info and ("Submit" in at.info[0].value or "submit" in at.info[0].value), name


def test_pages_never_import_torch_or_lm_eval(fixture):
    code = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"for name in {PAGES!r}:\n"
        f"    at = AppTest.from_file({APP!r}, default_timeout={RUN_LIMIT_S}); at.run()\n"
        "    at.switch_page(f'screens/{name}.py'); at.run()\n"
        "    assert not at.exception, (name, at.exception)\n"
        "print(sorted(m for m in ('torch', 'lm_eval', 'transformers') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         timeout=len(PAGES) * RUN_LIMIT_S,
                         env={"LLMBOARD_HOME": str(fixture.home), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"



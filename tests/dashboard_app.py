"""The dashboard under Streamlit's AppTest: helpers to open a page and read its widgets, tables and charts
(the fixtures the tests/test_dashboard_*.py modules share are in tests/dashboard_fixtures.py)."""

from __future__ import annotations

import base64
import json

import numpy as np
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO
from warehouse import queries

APP = str(REPO / "dashboard" / "app.py")
PAGES = ("leaderboard", "queue", "submit", "history", "quantization", "model", "flags", "maintainers", "about")
RUN_LIMIT_S = 300  # a bound on one page run, not a wait: on a loaded machine a first run (imports) took > 60 s


def page(name: str, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=RUN_LIMIT_S)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if name != "leaderboard":
        at.switch_page(f"screens/{name}.py")
        at.run()
    assert not at.exception, at.exception
    return at


def widget(elements, label: str):
    found = [e for e in elements if e.label == label]
    assert found, f"no widget {label!r} among {[e.label for e in elements]}"
    return found[0]


def table(at: AppTest, i: int = 0):
    return at.dataframe[i].value


def chart(at: AppTest, i: int = 0) -> list[dict]:
    """The chart's traces, with plotly's base64-packed arrays ({"dtype", "bdata"}) decoded to lists."""
    return _decode(json.loads(at.get("plotly_chart")[i].proto.spec)["data"])


def bar_chart(at: AppTest) -> tuple[dict, list[dict]]:
    """The leaderboard's Vega-Lite chart: its spec and its rows."""
    import pyarrow as pa

    proto = at.get("vega_lite_chart")[0].proto
    return json.loads(proto.spec), pa.ipc.open_stream(proto.data.data).read_all().to_pylist()


def _decode(obj):
    if isinstance(obj, dict) and "bdata" in obj and "dtype" in obj:
        arr = np.frombuffer(base64.b64decode(obj["bdata"]), dtype=obj["dtype"])
        shape = obj.get("shape")
        if shape:
            arr = arr.reshape([int(x) for x in str(shape).split(",")])
        return arr.tolist()
    if isinstance(obj, dict):
        return {k: _decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    return obj


def offline_board(home, **filters):
    return queries.rankings(home, suite="offline", **filters)

"""Read snapshots as a base and a delta (warehouse.snapshots): a publish after a new result writes only
what changed, readers see exactly the writer's tables, pages and ranks across both parts are those of the
whole table, and old files go."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from tests.conftest import FIXTURES
from tests.warehouse_files import needs_fixtures, official_results, results_variant, table, write_results
from warehouse import queries, snapshots
from warehouse.ingest import Writer
from warehouse.read import reader

CONTENTS = FIXTURES / "contents" / "v2_contents_sample.csv"


def snapshot_files(home):
    return sorted(p.name for p in (home / "snapshots").glob("*.duckdb"))


def add_result(home, tmp_path, model: str, i: int, *, ifeval: float, precision: str = "bfloat16") -> None:
    path = write_results(tmp_path / f"r{i}", "r", results_variant(official_results(), model, date=1.8e9 + i,
                                                                  ifeval=ifeval, precision=precision))
    with Writer(home, wait_message=None) as w:
        assert len(w.import_results([path]).loaded) == 1


def writer_tables(home) -> list[str]:
    names = table(home, "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()")
    return sorted(n for (n,) in names if n not in snapshots.UNPUBLISHED)


def assert_readers_see_the_writers_tables(home) -> None:
    with reader(home).pinned() as cur:
        for name in writer_tables(home):
            assert cur.sql(f"SELECT * FROM {name} ORDER BY ALL").fetchall() == table(
                home, f"SELECT * FROM {name} ORDER BY ALL"), name


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    with Writer(home, wait_message=None) as w:
        w.import_contents(CONTENTS)
    return home


@needs_fixtures
def test_a_new_result_publishes_a_delta_and_leaves_the_base_alone(home, tmp_path):
    (base,) = snapshot_files(home)
    before = (home / "snapshots" / base).stat()
    known = table(home, "SELECT model_id FROM leaderboard WHERE precision = 'bfloat16' ORDER BY average DESC")
    add_result(home, tmp_path, "org/new-top", 1, ifeval=0.99)  # lands high: every entry below moves down
    add_result(home, tmp_path, known[len(known) // 2][0], 2, ifeval=0.05)  # a ranked entry replaced
    snap = snapshots.current(home / "snapshots")
    assert snap.has_delta and base == f"warehouse-{snap.base}.duckdb"
    after = (home / "snapshots" / base).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns), "the base is not rewritten"
    delta = snapshots.delta_path(home / "snapshots", snap)
    assert delta.stat().st_size < after.st_size
    with duckdb.connect(str(delta), read_only=True) as con:  # only the touched models' entries
        assert con.sql("SELECT count(DISTINCT model_id) FROM leaderboard").fetchall() == [(2,)]
    assert_readers_see_the_writers_tables(home)


@needs_fixtures
def test_pages_and_ranks_across_base_and_delta_match_the_whole_table(home, tmp_path):
    known = table(home, "SELECT model_id, precision FROM leaderboard ORDER BY average DESC")
    add_result(home, tmp_path, "org/new-top", 1, ifeval=0.99)
    add_result(home, tmp_path, known[3][0], 2, ifeval=0.01, precision=known[3][1])  # falls: entries move up
    add_result(home, tmp_path, "org/new-low", 3, ifeval=0.0, precision="float16")
    assert snapshots.current(home / "snapshots").has_delta
    exact = dict(((m, p), r) for m, p, r in table(home, "SELECT model_id, precision, static_rank FROM leaderboard"))
    views = [{}, {"precision": "bfloat16"}, {"search": "org/"}, {"search": "qwen; Hub License: apache-2.0"},
             {"show_flagged": True, "all_revisions": True}, {"category": "chat"}]
    for filters in views:
        whole = queries.rankings(home, suite="leaderboard", **filters)
        for offset in (0, 7):
            page, total = queries.rankings_page(home, suite="leaderboard", limit=10, offset=offset, **filters)
            assert total == whole.height, filters
            assert page.rows() == whole.slice(offset, 10).rows(), (filters, offset)
            assert page.schema == whole.schema
        if not filters.get("all_revisions"):
            assert [exact[(m, p)] for m, p in whole.select("model_id", "precision").iter_rows()] == \
                whole["static_rank"].to_list(), filters


@needs_fixtures
def test_a_large_change_or_a_rebuild_publishes_a_new_base_and_old_files_go(home, tmp_path, monkeypatch):
    monkeypatch.setattr(snapshots, "DELTA_MAX_MODELS", 2)
    bases = {snapshots.current(home / "snapshots").base}
    for i in range(6):  # two models fit in a delta: every third publish starts a new base
        add_result(home, tmp_path, f"org/m{i}", i, ifeval=0.1 * i)
        bases.add(snapshots.current(home / "snapshots").base)
        files = snapshot_files(home)
        assert len(files) <= snapshots.KEEP_SNAPSHOTS + 1 and f"warehouse-{max(bases)}.duckdb" in files
    assert len(bases) == 3
    with Writer(home, wait_message=None) as w:  # bulk rows: every leaderboard table is rebuilt
        w.insert_frame("models", pa.table({"model_id": ["org/bulk"]}), updated_at="now()")
    snap = snapshots.current(home / "snapshots")
    assert not snap.has_delta and snap.base > max(bases)
    assert_readers_see_the_writers_tables(home)

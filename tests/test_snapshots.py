"""Read snapshots brought up to date by the changes the writer logged (warehouse/mirror.py): they hold what
the warehouse holds, a snapshot a reader has open is never changed under it, and writes no publish logged
(a writer that died) are not lost."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import pyarrow as pa

from tests.conftest import REPO
from warehouse import queries
from warehouse.ingest import Writer
from warehouse.mirror import BULK_KEYS, LOG
from warehouse.read import reader
from warehouse.rows import Load, ModelRow


def tables(path) -> dict[str, tuple]:
    """Every table's row count and a hash of its rows, in any order (the snapshot's own state excluded)."""
    with duckdb.connect(str(path), read_only=True) as con:
        names = [r[0] for r in con.sql("SELECT table_name FROM duckdb_tables()").fetchall()]
        return {t: con.sql(f"SELECT count(*), sum(hash(x)) FROM (SELECT * FROM {t}) x").fetchall()[0]
                for t in names if t not in (LOG, "snapshot_state")}


def current_snapshot(home):
    version = queries.ingest_version(home)
    return home / "snapshots" / f"warehouse-{version}.duckdb"


def test_snapshots_catch_up_instead_of_copying_and_hold_the_warehouse(tmp_path):
    home = tmp_path / "home"
    copied = []
    for i in range(5):
        with Writer(home) as w:
            w.upsert_model(f"org/model-{i}", license="mit", params_b=1.0 + i)
            w.upsert_model("org/model-0", license=f"changed-{i}")  # a keyed change to an older row
        copied.append(w.last_published.copied)
    assert copied[0] and not any(copied[2:]), copied  # once there is an older snapshot, none is copied
    assert tables(current_snapshot(home)) == tables(home / "warehouse.duckdb")
    assert sorted(p.name for p in (home / "snapshots").glob("*.tmp*")) == []


def test_a_snapshot_a_reader_here_holds_is_not_changed_under_it(tmp_path):
    home = tmp_path / "home"
    for i in range(2):
        with Writer(home) as w:
            w.upsert_model(f"org/model-{i}")
    with reader(home).pinned() as cur:  # this process reads the current snapshot and keeps it open
        fd = os.open(current_snapshot(home), os.O_RDONLY)  # the same file, whatever its name becomes
        try:
            before = file_bytes(fd)
            assert cur.sql("SELECT count(*) FROM models").fetchall() == [(2,)]
            for i in range(2, 6):
                with Writer(home) as w:
                    w.upsert_model(f"org/model-{i}")
            assert file_bytes(fd) == before  # no publish brought it up to date while it was read here
            assert cur.sql("SELECT model_id FROM models ORDER BY ALL").fetchall() == [("org/model-0",),
                                                                                     ("org/model-1",)]
        finally:
            os.close(fd)
    assert reader(home).frame("SELECT count(*) AS n FROM models")["n"][0] == 6


def file_bytes(fd: int) -> bytes:
    return os.pread(fd, os.fstat(fd).st_size, 0)


def test_writes_of_a_writer_that_died_before_publishing_reach_the_next_snapshot(tmp_path):
    home = tmp_path / "home"
    for i in range(3):
        with Writer(home) as w:
            w.upsert_model(f"org/model-{i}")
    died = subprocess.run([sys.executable, "-c", (
        "import os, sys\n"
        "from warehouse.ingest import Writer\n"
        f"w = Writer(__import__('pathlib').Path({str(home)!r})).__enter__()\n"
        "w.upsert_model('org/written-then-died')\n"
        "os._exit(9)  # no publish, no clean close\n")], cwd=REPO, capture_output=True, text=True)
    assert died.returncode == 9, died.stderr
    with Writer(home) as w:
        w.upsert_model("org/after")
    assert w.last_published.copied  # no snapshot could catch up on the unlogged write
    models = reader(home).frame("SELECT model_id FROM models")["model_id"].to_list()
    assert {"org/written-then-died", "org/after"} <= set(models)
    assert tables(current_snapshot(home)) == tables(home / "warehouse.duckdb")


def indexes(path) -> set[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return set(con.sql("SELECT table_name, index_name, expressions FROM duckdb_indexes()").fetchall())


def test_every_snapshot_finds_a_models_rows_by_its_index_as_the_warehouse_does(tmp_path):
    """A catch-up replaces a model's leaderboard rows by looking them up (not by reading every row): a table
    rewritten whole (a full rebuild) reaches the snapshots with its indexes."""
    home = tmp_path / "home"
    for i in range(5):
        with Writer(home) as w:
            w.upsert_model(f"org/model-{i}", license="mit")
            if i == 3:
                w.rebuild_read_tables()  # every leaderboard table rewritten: copied whole into the snapshot
    expected = indexes(home / "warehouse.duckdb")
    assert {t for t, _, _ in expected} >= {"runs_wide", "leaderboard", "leaderboard_revisions"}
    for snapshot in (home / "snapshots").glob("warehouse-*.duckdb"):
        assert indexes(snapshot) == expected, snapshot.name


def test_a_change_of_thousands_of_models_reaches_every_snapshot_with_its_indexes(tmp_path):
    """Past BULK_KEYS models the writer rewrites the leaderboard tables whole and the snapshots copy them whole."""
    home = tmp_path / "home"
    n = BULK_KEYS + 100
    names = [f"org/model-{i}" for i in range(n)]
    with Writer(home) as w:
        w.insert_frame("models", pa.table({"model_id": names, "license": ["mit"] * n}), updated_at="now()")
        w.insert_frame("runs", pa.table({"run_id": [f"run{i}" for i in range(n)], "model_id": names,
                                         "precision": ["bfloat16"] * n, "average": [i / n for i in range(n)]}),
                       suite="'leaderboard'", origin="'test'", ingested_at="now()")
    for i in range(3):  # every snapshot file made, then caught up
        with Writer(home) as w:
            w.upsert_model(f"org/other-{i}")
    with Writer(home) as w:  # one import that names every model's license
        w.commit_loads([Load("licenses.csv", models=[ModelRow(name, license="apache-2.0") for name in names])])
    for i in range(3):  # each older snapshot catches up on the change of n models
        with Writer(home) as w:
            w.upsert_model(f"org/later-{i}")
        assert not w.last_published.copied
    expected = indexes(home / "warehouse.duckdb")
    assert {t for t, _, _ in expected} >= {"runs_wide", "leaderboard", "leaderboard_revisions"}
    for snapshot in (home / "snapshots").glob("warehouse-*.duckdb"):
        assert indexes(snapshot) == expected, snapshot.name
    assert tables(current_snapshot(home)) == tables(home / "warehouse.duckdb")
    page = queries.rankings(home, suite="leaderboard", limit=5)
    assert page["license"].to_list() == ["apache-2.0"] * 5


def test_snapshots_made_before_a_schema_change_are_copied_not_caught_up(tmp_path):
    """An upgrade whose migration changes a table's columns (0009 took a column out of ``runs``): the older
    snapshots keep the old columns, so the publishes after it copy the warehouse instead of failing."""
    home = tmp_path / "home"
    for i in range(3):  # older snapshots, with the schema of their day
        with Writer(home) as w:
            w.upsert_model(f"org/model-{i}")
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:  # as a migration would, between two sessions
        con.execute("ALTER TABLE models ADD COLUMN note VARCHAR")
    for i in range(3, 6):
        with Writer(home) as w:
            w.upsert_model(f"org/model-{i}")
    assert tables(current_snapshot(home)) == tables(home / "warehouse.duckdb")
    with reader(home).pinned() as cur:
        assert cur.sql("SELECT count(*) FROM models").fetchall() == [(6,)]

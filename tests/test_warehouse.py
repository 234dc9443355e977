"""The writer: sessions and migrations, request records (only new history events stored) and the flag a
request whose weights copy another model's raises; settings documented."""

from __future__ import annotations

from core.settings import SETTINGS
from tests.conftest import REPO
from tests.warehouse_files import table
from warehouse import db
from warehouse.ingest import Writer


def test_every_setting_is_documented_in_the_readme():
    readme = (REPO / "README.md").read_text()
    missing = [s.env for s in SETTINGS if f"`{s.env}`" not in readme]
    assert not missing, f"settings missing from README: {missing}"


def test_migrations_are_applied_once(tmp_path):
    for _ in range(2):
        with Writer(tmp_path):
            pass
    assert table(tmp_path, "SELECT count(*) FROM schema_migrations") == [(len(db.migrations()),)]


def request_record(request_id: str, model: str, statuses: list[str], **extra) -> dict:
    history = [{"status": s, "at": f"2025-01-06T09:0{i}:00", "reason": f"step {i}"} for i, s in enumerate(statuses)]
    return {"request_id": request_id, "model": model, "revision": "main", "sha": "a" * 40, "precision": "bfloat16",
            "weight_type": "Original", "model_type": "pretrained", "status": statuses[-1], "history": history,
            **extra}


def test_a_request_stores_only_its_new_history_events(tmp_path):
    """A record's history only grows: the events stored before stay as they are (same rows), the new ones
    are added, and the request's row is updated in place."""
    with Writer(tmp_path, wait_message=None) as w:
        w.upsert_request(request_record("r1", "org/m", ["PENDING"]))
    before = table(tmp_path, "SELECT rowid, seq, status FROM request_events ORDER BY seq")
    with Writer(tmp_path, wait_message=None) as w:
        w.upsert_request(request_record("r1", "org/m", ["PENDING", "RUNNING"]))
        w.upsert_request(request_record("r1", "org/m", ["PENDING", "RUNNING", "FINISHED"]))
        w.upsert_request(request_record("r1", "org/m", ["PENDING", "RUNNING", "FINISHED"]))  # again: nothing new
    after = table(tmp_path, "SELECT rowid, seq, status FROM request_events ORDER BY seq")
    assert after[:1] == before and [(seq, s) for _, seq, s in after] == [(0, "PENDING"), (1, "RUNNING"),
                                                                         (2, "FINISHED")]
    assert table(tmp_path, "SELECT request_id, status FROM requests") == [("r1", "FINISHED")]


def test_a_copy_is_flagged_once_by_the_writer(tmp_path):
    from warehouse import flags

    fingerprint = {"model.safetensors": "f" * 64, "config.json": "c" * 64}
    copy = request_record("r1", "thief/renamed", ["PENDING"], copy_of="demo/original", fingerprint=fingerprint)
    with Writer(tmp_path, wait_message=None) as w:
        w.upsert_request(copy)
        w.upsert_request({**copy, "status": "RUNNING"})  # a status change of the same request
        w.upsert_request({**copy, "request_id": "r2", "precision": "float16"})  # the copy in another precision
    rows = table(tmp_path, "SELECT flag_id, model_id, kind, author, status, reason FROM flags")
    assert [r[1:5] for r in rows] == [("thief/renamed", "unattributed-copy", "llmboard", "open")]
    assert rows[0][5] == ("possible unattributed copy: its weights are identical to those of demo/original "
                          "(sha256 of config.json, model.safetensors)")
    flags.close(tmp_path, rows[0][0], "dismissed", reason="the original's author", token="t", admin_token="t")
    with Writer(tmp_path, wait_message=None) as w:  # the ingest service's start-up sync sees it again
        w.upsert_request({**copy, "status": "FINISHED"})
    assert table(tmp_path, "SELECT status FROM flags") == [("dismissed",)], "a dismissed flag stays dismissed"

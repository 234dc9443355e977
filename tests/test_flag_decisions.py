"""Flags: an open flag is a badge, only a maintainer's confirmation hides the model, a dismissal clears the
badge; decisions need the token and leave an audit entry; flagging is rate-limited per sender; flags follow
renames; flags imported from the leaderboard's own table count as confirmed."""

from __future__ import annotations

import duckdb
import pytest
from click.testing import CliRunner

from llmboard.cli import main
from tests.conftest import TOKEN
from tests.fixture_warehouse import build_fixture_warehouse, writable_copy
from warehouse import db, export, flags, maintenance, queries
from warehouse.rows import ImportedFlagRow, Load
from warehouse.writer import Writer

MODEL = "demo/ft-qwen"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    home = tmp_path_factory.mktemp("flags") / "home"
    build_fixture_warehouse(home, real=False)
    return home


@pytest.fixture
def home(built, tmp_path, monkeypatch):
    home = writable_copy(built, tmp_path / "home", monkeypatch)
    return home


def entry(home, model: str, **filters) -> dict | None:
    df = queries.rankings(home, suite="offline", search=model, columns=["model_id", "flagged", "open_flag"],
                          **filters)
    rows = [r for r in df.drop("rank").to_dicts() if r["model_id"] == model] if df.height else []
    return rows[0] if rows else None


def test_an_open_flag_is_a_badge_and_only_a_confirmation_hides_the_model(home):
    flag_id = flags.flag_model(home, MODEL, "contamination", "trained on the test set", "eve")
    shown = entry(home, MODEL)
    assert shown == {"model_id": MODEL, "flagged": False, "open_flag": flag_id}  # visible, with a badge

    for token in (None, "wrong"):
        with pytest.raises(flags.NotAllowed, match="admin_token"):
            flags.close(home, flag_id, "confirmed", reason="r", token=token, admin_token=TOKEN)
    with pytest.raises(flags.FlagError, match="reason"):
        flags.close(home, flag_id, "confirmed", reason="", token=TOKEN, admin_token=TOKEN)
    assert entry(home, MODEL)["open_flag"] == flag_id and queries.audit_log(home).height == 0

    out = CliRunner().invoke(main, ["confirm-flag", flag_id, "--reason", "the card says so", "--by", "alice"])
    assert out.exit_code == 0, out.output
    assert entry(home, MODEL) is None  # hidden...
    assert entry(home, MODEL, show_flagged=True) == {"model_id": MODEL, "flagged": True, "open_flag": None}
    frame = export.contents_frame(home, "offline")
    assert frame.filter(frame["model"] == MODEL)["flagged"].to_list() == [True]  # ...and exported as flagged

    flags.close(home, flag_id, "dismissed", reason="the card was wrong", token=TOKEN, admin_token=TOKEN, by="bob")
    assert entry(home, MODEL) == {"model_id": MODEL, "flagged": False, "open_flag": None}
    thread = queries.model_flags(home, MODEL).row(0, named=True)
    assert [c["body"] for c in thread["comments"]] == ["confirmed: the card says so", "dismissed: the card was wrong"]
    assert thread["status"] == "dismissed" and thread["close_reason"] == "the card was wrong"
    log = queries.audit_log(home)
    assert list(zip(log["actor"], log["action"], log["target"], strict=True)) == [
        ("bob", "dismiss-flag", MODEL), ("alice", "confirm-flag", MODEL)]
    with pytest.raises(flags.FlagError, match="already dismissed"):
        flags.close(home, flag_id, "dismissed", reason="again", token=TOKEN, admin_token=TOKEN)


def test_flagging_is_rate_limited_per_sender(home):
    for _ in range(flags.FLAGS_PER_DAY):
        flags.flag_model(home, MODEL, "other", "spam", "mallory")
    with pytest.raises(flags.FlagError, match="author: mallory opened"):
        flags.flag_model(home, "demo/chat-mistral", "other", "one more", "mallory")
    out = CliRunner().invoke(main, ["flag", "demo/chat-mistral", "--kind", "other", "--reason", "x",
                                    "--author", "mallory"])
    assert out.exit_code != 0 and "mallory opened" in out.output
    flags.flag_model(home, MODEL, "other", "a fair concern", "trent")  # another sender is not held up
    assert (queries.model_flags(home)["author"] == "mallory").sum() == flags.FLAGS_PER_DAY
    assert entry(home, MODEL) is not None  # open flags hide nothing


def test_flags_follow_the_model_through_renames(home, cfg):
    from evaluator.maintainers import rename

    flag_id = flags.flag_model(home, MODEL, "wrong-category", "a chat model", "eve")
    rename(cfg, MODEL, "demo/qwen-chat", reason="moved", token=TOKEN)
    later = flags.flag_model(home, MODEL, "other", "under its old name", "eve")  # lands on the new name
    assert set(queries.model_flags(home, "demo/qwen-chat")["flag_id"]) == {flag_id, later}
    assert entry(home, "demo/qwen-chat")["open_flag"] in {flag_id, later}
    flags.close(home, flag_id, "confirmed", reason="yes", token=TOKEN, admin_token=TOKEN)
    assert entry(home, "demo/qwen-chat") is None and entry(home, MODEL) is None


def test_flags_imported_from_the_leaderboard_count_as_confirmed(tmp_path):
    with Writer(tmp_path, wait_message=None) as w:
        w.upsert_model("org/imported")
        w.commit_loads([Load("contents.csv", flags=[ImportedFlagRow("imp-1", "org/imported")])])
    assert queries.model_flags(tmp_path)[["flag_id", "status"]].rows() == [("imp-1", "confirmed")]


def test_the_migration_confirms_imported_flags_and_keeps_legacy_removals(tmp_path):
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("CREATE TABLE schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP)")
    for name, sql in db.migrations():
        if name < "0005":
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, now())", [name])
    con.execute("INSERT INTO flags VALUES ('imp', 'org/a', 'other', 'x', 'import', now(), 'open', NULL, NULL), "
                "('usr', 'org/a', 'other', 'y', 'someone', now(), 'open', NULL, NULL)")
    con.execute("INSERT INTO model_removals VALUES ('org/a', 'withdrawn by its authors', now())")
    con.execute("INSERT INTO models (model_id) VALUES ('org/a')")
    con.execute("INSERT INTO runs (run_id, model_id, suite, origin, ingested_at) VALUES ('r1', 'org/a', 's', 'o', now())")
    con.close()
    with Writer(tmp_path, wait_message=None) as w:
        assert dict(w.con.execute("SELECT flag_id, status FROM flags").fetchall()) == {"imp": "confirmed",
                                                                                       "usr": "open"}
    removed = queries.removals(tmp_path).row(0, named=True)
    assert (removed["model_id"], removed["reason"], removed["runs"]) == ("org/a", "withdrawn by its authors", 1)
    with pytest.raises(maintenance.MaintenanceError, match="no ranked entry"):
        maintenance.remove(tmp_path, "org/a", reason="again", token=TOKEN, admin_token=TOKEN)


def test_comments_are_rate_limited_per_sender_under_a_burst(home):
    from concurrent.futures import ThreadPoolExecutor

    flag_id = flags.flag_model(home, MODEL, "other", "a thread to comment on", "trent")

    def post(i: int) -> bool:
        try:
            flags.comment(home, flag_id, f"comment {i}", author="chatty")
            return True
        except flags.FlagError as exc:
            assert exc.field == "author" and "comments in the last hour" in exc.message
            return False

    with ThreadPoolExecutor(8) as pool:  # a burst: more comments at once than the limit allows
        accepted = sum(pool.map(post, range(flags.COMMENTS_PER_HOUR + 10)))
    assert accepted == flags.COMMENTS_PER_HOUR
    flags.comment(home, flag_id, "another sender is not held up", author="trent")
    with Writer(home, wait_message=None) as w:
        assert w.comments_since("chatty", 1) == flags.COMMENTS_PER_HOUR

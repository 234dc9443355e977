"""The queue and submit pages under AppTest: every request state, and each failed check next to its field."""

from __future__ import annotations

import pytest
import streamlit as st

from tests.dashboard_app import page, table, widget

pytest_plugins = ["tests.dashboard_fixtures"]


def test_queue_lists_every_state_with_progress_and_failure(home, fixture):
    at = page("queue")
    counts = {m.label: m.value for m in at.metric}
    n_finished = len(fixture.runs)
    assert counts == {"Pending": "1", "Running": "1", "Finished": str(n_finished), "Failed": "1"}
    bar = at.get("progress")[0]
    assert bar.proto.value == 42 and "llmb_bbh_word_sorting" in bar.proto.text
    assert "no .gguf file" in at.error[0].value
    assert "ValueError: no gguf file found" in at.code[0].value
    assert table(at, 0)["Model"].tolist() == ["demo/ft-qwen"]  # pending
    assert len(table(at, 1)) == n_finished


def test_submit_shows_each_failure_next_to_its_field(home):
    at = page("submit")
    at.button[0].click().run()  # empty model
    assert not at.exception
    assert any("enter a hub id" in e.value for e in at.error)
    widget(at.text_input, "Model (hub id or local path)").input("no-such-org/no-such-model-xyz")
    widget(at.text_input, "Revision (branch, tag or commit)").input("main")
    at.button[0].click().run()
    assert not at.exception and at.error and all("Traceback" not in e.value for e in at.error)
    assert not any("enter a hub id" in e.value for e in at.error), "the typed model id reached the checks"


@pytest.mark.slow
def test_submit_a_local_repository_puts_it_in_the_queue(cfg, tiny_repo, monkeypatch):
    repo, shas = tiny_repo
    st.cache_resource.clear()
    st.cache_data.clear()
    at = page("submit")
    widget(at.text_input, "Model (hub id or local path)").input(str(repo))
    widget(at.text_input, "List a local repository as (optional)").input("demo/tiny-submit")
    at.button[0].click().run()  # form values are sent with the submit click
    assert not at.exception and not at.error, [e.value for e in at.error]
    message = at.success[0].value
    assert "demo/tiny-submit" in message and shas[-1][:10] in message and "place 1 of 1" in message



"""Hostile input, generated (hypothesis): whatever a visitor types into the submission form or the
search box gives a result or a clear error naming the field, never a crash, and never a file path."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.settings import Config
from evaluator.checks import SubmissionError, check_model_id
from evaluator.sources import LocalGitSource
from evaluator.submit import Submission, inspect_submission, is_local
from warehouse.search import SearchError, parse_search

# Text a hostile visitor would try: traversal, absolute paths, NUL bytes, option-like revisions,
# look-alike unicode (fullwidth solidus, Cyrillic letters), very long strings, and any text at all.
HOSTILE_PARTS = st.sampled_from(["../", "..", "/", "/etc/passwd", "\x00", "-", "--upload-pack=x", "~", "\\",
                                 "／", "аdmin", "org", "name", ".", "HEAD", "main", "%2e%2e", " ", "\n"])
HOSTILE = st.one_of(st.lists(HOSTILE_PARTS, max_size=8).map("".join), st.text(max_size=200),
                    st.tuples(st.text(min_size=1, max_size=20), st.integers(500, 2000)).map(lambda t: t[0] * t[1]))
# Derandomized: the same cases on every run and machine, so a failure is never a matter of luck.
CASES = settings(max_examples=1500, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
CONFIG = Config.from_env({"LLMBOARD_HOME": "/nonexistent/llmboard-home"})
FORM_FIELDS = {"model", "model_id", "revision", "config", "tokenizer", "weights", "precision"}


SEARCH_CLAUSE = re.compile(r"\((contains\(model_key, \?\)( OR contains\(model_key, \?\))*"
                           r"|license_key = \?( OR license_key = \?)*)\)")


def one_line(message: str) -> bool:
    return "\n" not in message and 0 < len(message) <= 400


@CASES
@given(HOSTILE)
def test_a_model_id_is_accepted_only_as_org_slash_name(text):
    try:
        accepted = check_model_id(text)
    except SubmissionError as exc:
        assert exc.field == "model" and one_line(exc.message)
        return
    org, name = accepted.split("/")
    assert accepted.isascii() and ".." not in accepted and "\x00" not in accepted
    assert org and name and not accepted.startswith(("/", ".", "-", "~"))


@CASES
@given(HOSTILE)
def test_any_revision_of_a_local_repository_is_a_commit_or_a_clear_error(tiny_repo, text):
    repo, shas = tiny_repo
    try:
        source = LocalGitSource.open(repo, text)
    except SubmissionError as exc:
        assert exc.field == "revision" and one_line(exc.message)
        return
    assert source.sha in shas  # only something git itself resolves to one of the repository's commits


@settings(CASES, max_examples=500)
@given(model=HOSTILE, revision=HOSTILE, model_id=st.one_of(st.none(), HOSTILE))
def test_a_hostile_submission_is_refused_with_the_field_at_fault(monkeypatch, model, revision, model_id):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # the network edge: no hub
    try:
        inspect_submission(Submission(model, revision=revision, model_id=model_id), CONFIG)
    except SubmissionError as exc:
        assert exc.field in FORM_FIELDS and one_line(exc.message)
    else:
        pytest.fail(f"accepted {model!r} at {revision!r}")


@CASES
@given(st.one_of(HOSTILE, st.lists(st.sampled_from(["Hub License:", ";", "mit", "llama", "'", '"', "%", "_",
                                                     "\\", "' OR 1=1 --", "; DROP TABLE runs;"]),
                                    max_size=10).map("".join)))
def test_any_search_text_parses_or_says_what_is_wrong(text):
    try:
        search = parse_search(text)
    except SearchError as exc:
        assert str(exc).startswith("search:") and one_line(str(exc))
        return
    clauses, params = search.sql()
    # The SQL text comes from fixed templates alone; every value travels as a parameter.
    assert all(SEARCH_CLAUSE.fullmatch(c) for c in clauses)
    assert sum(c.count("?") for c in clauses) == len(params) and all(isinstance(p, str) for p in params)


def test_a_hub_id_never_becomes_a_folder_of_the_server(tmp_path, monkeypatch):
    (tmp_path / "org" / "name").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert not is_local("org/name"), "'org/name' is a hub id even where such a folder exists"
    assert is_local("./org/name") and is_local(str(tmp_path / "org"))
    with pytest.raises(SubmissionError) as err:
        inspect_submission(Submission(""), CONFIG)
    assert err.value.field == "model", "an empty model is refused, not read as the current folder"

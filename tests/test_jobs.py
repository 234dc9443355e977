"""A failed evaluation's reason names what broke, even where a library wrapped our exception."""

from __future__ import annotations

import pytest
from datasets.exceptions import DatasetGenerationError
from rq.timeouts import JobTimeoutException

from evaluator.jobs import failure_reason


def _raised(make):
    try:
        make()
    except Exception as exc:  # noqa: BLE001 - the test hands back whatever was raised
        return exc
    raise AssertionError("nothing was raised")


def _timeout():
    raise JobTimeoutException("Task exceeded maximum timeout value (2 seconds)")


def _wrapped_by_datasets():
    try:
        _timeout()
    except JobTimeoutException as exc:  # what `datasets` does while it builds a dataset
        raise DatasetGenerationError("An error occurred while generating the dataset") from exc


def _caught_and_replaced():
    try:
        _timeout()
    except JobTimeoutException:  # a library that raises its own error while handling ours
        raise RuntimeError("loader failed")  # noqa: B904 - implicit chaining is the case under test


def _replaced_with_another_cause():
    try:
        _timeout()
    except JobTimeoutException:
        raise RuntimeError("loader failed") from OSError("cache unreadable")


@pytest.mark.parametrize("make", [_timeout, _wrapped_by_datasets, _caught_and_replaced,
                                  _replaced_with_another_cause])
def test_a_timeout_is_reported_as_a_timeout_wherever_it_fired(make):
    reason = failure_reason(_raised(make))
    assert reason == "JobTimeoutException: Task exceeded maximum timeout value (2 seconds)"


def test_other_failures_keep_their_own_name():
    assert failure_reason(_raised(lambda: 1 / 0)) == "ZeroDivisionError: division by zero"

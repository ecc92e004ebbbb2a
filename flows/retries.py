"""Which failures are worth retrying: transient I/O, never bad input.

A missing file, a missing target column or a corrupt footer fails the same way on
every attempt; retrying it only delays the error. A dropped connection, a timeout
or a storage hiccup may not happen again.
"""

from __future__ import annotations

from typing import Any

from audits.errors import AuditError

__all__ = ["RETRIED_REASONS", "transient_io"]

#: Reason codes of :class:`~audits.errors.AuditError` that may be transient: a remote
#: filesystem that could not be reached (``bad_uri``) or an I/O failure while reading
#: (``io_error``), as ``audits.io`` reports them.
RETRIED_REASONS = frozenset({"bad_uri", "io_error"})


def transient_io(task: Any, task_run: Any, state: Any) -> bool:
    """``retry_condition_fn`` of tasks that read data: retry transient I/O errors only.

    Parameters
    ----------
    task, task_run, state
        As Prefect passes them; ``state`` is the failed state of the attempt.

    Returns
    -------
    bool
        True for an ``OSError`` (connection reset, timeout, ...) that is not an
        ``AuditError``, and for an ``AuditError`` whose reason is in
        ``RETRIED_REASONS``; False otherwise.
    """
    error = state.result(raise_on_failure=False)
    if isinstance(error, AuditError):
        return error.reason in RETRIED_REASONS
    return isinstance(error, OSError)

"""One exception hierarchy for the whole library.

Every error carries a short machine-readable ``reason`` code and a one-line,
human-readable message. The command line prints ``str(error)`` and exits with
``exit_code``; it never shows a traceback for these.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = [
    "AuditError",
    "ConfigError",
    "DataError",
    "InputError",
    "SuiteError",
    "TargetError",
    "about",
]


class AuditError(Exception):
    """Base class of every error raised on purpose by ``audits``.

    Parameters
    ----------
    message : str
        One line that tells the user what is wrong and, where possible, what to do.
    reason : str, optional
        Reason code, stable across versions (e.g. ``"target_missing"``).
    """

    exit_code: int = 2
    default_reason: str = "audit_error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(" ".join(str(message).split()))
        self.reason = reason or self.default_reason


class InputError(AuditError):
    """The dataset cannot be read: wrong path, empty or corrupt Parquet, bad URI."""

    default_reason = "bad_input"


class TargetError(InputError):
    """The target column is missing, all null, has one class, or looks like an id."""

    default_reason = "bad_target"


class DataError(InputError):
    """The data can be read but cannot be audited (too few rows, no usable feature)."""

    default_reason = "unusable_data"


class ConfigError(AuditError):
    """A configuration value or file is invalid."""

    default_reason = "bad_config"


class SuiteError(AuditError):
    """An expectation suite file is missing or malformed."""

    default_reason = "bad_suite"


@contextmanager
def about(what: str) -> Iterator[None]:
    """Start the message of an :class:`AuditError` raised inside with ``what: ``.

    For errors whose message alone does not say which input they concern, e.g. those of
    reading the reference dataset rather than the audited one. Type and reason are kept.
    """
    try:
        yield
    except AuditError as exc:
        raise type(exc)(f"{what}: {exc}", reason=exc.reason) from None

"""Argument types shared by the subcommands."""

from __future__ import annotations

import argparse

__all__ = ["model_list", "positive_int"]


def positive_int(text: str) -> int:
    """``type=`` of a count that must be at least 1, e.g. ``--limit 0`` is refused.

    Raises
    ------
    argparse.ArgumentTypeError
        ``text`` is not a whole number of at least 1 (argparse exits 2 with one line).
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1; got {value}")
    return value


def model_list(text: str) -> tuple[str, ...]:
    """``type=`` of ``--models A,B``: the names, stripped, in order (empty items dropped)."""
    return tuple(name.strip() for name in text.split(",") if name.strip())

"""What the templates draw: sections made of sentences, facts, plots and capped tables.

The section builders turn the JSON of one results section into these plain objects;
the templates only lay them out. Tables keep at most ``TABLE_ROWS`` rows and say how
many more there were, so the page stays small whatever the dataset.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from audits.report._format import DASH, fmt_number, fmt_pct, is_number, shorten

__all__ = [
    "TABLE_ROWS",
    "Cell",
    "Section",
    "Table",
    "count_and_share",
    "make_table",
    "num",
    "plus_minus",
]

TABLE_ROWS = 50


@dataclass(frozen=True)
class Cell:
    """One table cell: plain text (escaped by the template) and a CSS class."""

    text: str
    css: str = ""


@dataclass(frozen=True)
class Table:
    """A captioned table.

    Attributes
    ----------
    title : str
    headers : tuple of str
    rows : tuple of tuple of Cell
        At most the first ``TABLE_ROWS`` (or the limit given) rows.
    n_more : int
        Rows left out.
    """

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    n_more: int = 0


@dataclass(frozen=True)
class Section:
    """One section of the page.

    Attributes
    ----------
    key : str
        Anchor id (a results key, or a fixed name).
    title : str
    lines : tuple of str
        Plain-language findings shown first.
    facts : tuple of (str, str)
        Labelled key numbers.
    plots : tuple of Markup
        Inline SVG elements.
    tables : tuple of Table
    notes : tuple of str
        Fine print shown last (how it was computed, what was left out).
    """

    key: str
    title: str
    lines: tuple[str, ...] = ()
    facts: tuple[tuple[str, str], ...] = ()
    plots: tuple[Markup, ...] = ()
    tables: tuple[Table, ...] = ()
    notes: tuple[str, ...] = ()


def num(text: str) -> Cell:
    """A right-aligned (numeric) cell."""
    return Cell(text, "num")


def make_table(
    title: str,
    headers: Sequence[str],
    records: Sequence[Any],
    row: Callable[[Any], Sequence[Cell | str]],
    *,
    limit: int = TABLE_ROWS,
) -> Table:
    """Format the first ``limit`` of ``records`` with ``row`` into a :class:`Table`.

    Plain strings longer than 200 characters (a column named by a paragraph) are cut
    with an ellipsis, as :func:`~audits.report._format.fmt_value` cuts values.

    Parameters
    ----------
    title : str
    headers : sequence of str
    records : sequence
        One item per row; only the first ``limit`` are formatted.
    row : callable
        ``row(record)`` -> the cells (plain strings or :class:`Cell`).
    limit : int, default=TABLE_ROWS
    """
    rows = tuple(
        tuple(c if isinstance(c, Cell) else Cell(shorten(c)) for c in row(r))
        for r in records[:limit]
    )
    return Table(title, tuple(headers), rows, max(len(records) - limit, 0))


def count_and_share(count: Any, total: Any) -> str:
    """``"25 (4.2%)"``: a count and its share of ``total``."""
    if not is_number(count):
        return DASH
    share = f" ({fmt_pct(count / total)})" if is_number(total) and total else ""
    return f"{fmt_number(count)}{share}"


def plus_minus(value: Any, spread: Any, *, signed: bool = False) -> str:
    """``"0.711 \u00b1 0.016"`` (three decimals; ``signed`` shows a leading ``+``)."""
    if not is_number(value):
        return DASH
    text = f"{value:+.3f}" if signed else f"{value:.3f}"
    return f"{text} \u00b1 {spread:.3f}" if is_number(spread) else text

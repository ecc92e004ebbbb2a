"""Plain-text formatting of numbers and names, shared by the page, the summary and the plots.

Every function returns plain (unescaped) text; the caller escapes it for its medium
(Jinja autoescape for HTML, :func:`markdown_escape` for Markdown).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "DASH",
    "fmt_bytes",
    "fmt_count",
    "fmt_number",
    "fmt_pct",
    "fmt_ratio",
    "fmt_seconds",
    "fmt_time",
    "fmt_value",
    "humanize",
    "interval_text",
    "is_number",
    "markdown_escape",
    "shorten",
]

DASH = "\u2014"
"""Shown for a value that is missing (None, NaN)."""

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


def is_number(value: Any) -> bool:
    """True for a finite int or float (bools excluded)."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def fmt_number(value: Any) -> str:
    """Format a number compactly: ``1,234``, ``0.862``, ``12.3``, ``3.1e-05``; DASH when missing."""
    if not is_number(value):
        return DASH
    if isinstance(value, int) or (float(value).is_integer() and abs(value) < 1e15):
        return f"{int(value):,}"
    x = float(value)
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) < 1e-4:
        return f"{x:.2g}"
    return f"{x:.3g}"


def fmt_count(value: Any) -> str:
    """Format a row count for a sentence: ``950``, ``9,500``, ``140k``, ``1.2M``."""
    if not is_number(value):
        return DASH
    x = float(value)
    if abs(x) < 10_000:
        return f"{round(x):,}"
    if abs(x) < 1e6:
        return f"{x / 1e3:.3g}k"
    if abs(x) < 1e9:
        return f"{x / 1e6:.3g}M"
    return f"{x / 1e9:.3g}G"


def fmt_pct(value: Any) -> str:
    """Format a share in [0, 1] as a percentage: ``4.1%``, ``0.05%``."""
    if not is_number(value):
        return DASH
    x = 100.0 * float(value)
    if 0 < abs(x) < 0.1:
        return f"{x:.2g}%"
    return f"{x:.1f}%"


def fmt_ratio(value: Any) -> str:
    """Format a multiple: ``9x``, ``1.5x``, ``40x``."""
    if not is_number(value):
        return DASH
    return f"{float(value):.2g}x" if float(value) < 100 else f"{float(value):,.0f}x"


def fmt_seconds(value: Any) -> str:
    """Format a duration: ``120 ms``, ``1.2 s``, ``3.4 min``, ``1.5 h``."""
    if not is_number(value):
        return DASH
    x = float(value)
    if x < 1:
        return f"{x * 1000:.3g} ms"
    if x < 60:
        return f"{x:.3g} s"
    if x < 3600:
        return f"{x / 60:.3g} min"
    return f"{x / 3600:.3g} h"


def fmt_bytes(value: Any) -> str:
    """Format a size in bytes: ``512 B``, ``1.2 MB``."""
    if not is_number(value):
        return DASH
    x = float(value)
    power = min(int(math.log10(max(abs(x), 1.0)) // 3), 4)
    if power == 0:
        return f"{int(x)} B"
    return f"{x / 1000**power:.3g} {('kB', 'MB', 'GB', 'TB')[power - 1]}"


_DIRECTION_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible_controls(text: str) -> str:
    """``text`` with its text-direction controls shown as ``[U+202E]``: one in a column
    name would otherwise reverse the rest of the line it is printed in."""
    return _DIRECTION_CONTROLS.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


def shorten(text: Any, width: int = 200) -> str:
    """``str(text)`` cut to ``width`` characters with an ellipsis."""
    text = str(text)
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def fmt_value(value: Any, *, width: int = 200) -> str:
    """Format any JSON value for a table cell (numbers compact, containers as short JSON)."""
    if value is None:
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return fmt_number(value)
    if isinstance(value, str):
        return shorten(value, width)
    return shorten(json.dumps(value, ensure_ascii=False, default=str), width)


def humanize(key: str) -> str:
    """A field name as a label: ``n_missing_cells`` -> ``Missing cells``, ``auc`` -> ``AUC``."""
    words = str(key).replace("_", " ").strip().split()
    if words and words[0] == "n" and len(words) > 1:
        words = words[1:]
    words = [w.upper() if w in {"auc", "id", "uri", "oof", "ci", "f1"} else w for w in words]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def markdown_escape(text: Any) -> str:
    """Escape data-derived text for Markdown: punctuation backslashed, ``&<>`` as entities."""
    text = " ".join(str(text).split())
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def interval_text(low: Any, high: Any, level: Any, fmt: Callable[[Any], str] = fmt_count) -> str:
    """``"90%: 90k-260k"``; an open upper end (None) reads ``"90k or more"``."""
    prefix = f"{fmt_pct(level).replace('.0%', '%')}: " if is_number(level) else ""
    if not is_number(low):
        return ""
    if not is_number(high):
        return f"{prefix}{fmt(low)} or more"
    return f"{prefix}{fmt(low)}\u2013{fmt(high)}"


def fmt_time(value: Any) -> str:
    """An ISO 8601 timestamp as ``2025-01-06 06:01 UTC`` (other text is returned as is)."""
    if not value:
        return DASH
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return moment.strftime("%Y-%m-%d %H:%M:%S")

"""Render the audit page from a ``results.json`` dict: one self-contained HTML file.

The page has no scripts, external styles, fonts or images: plots are inline SVG, the
style sheet is inline, and a Content-Security-Policy forbids everything else. Every
string from the data is escaped by Jinja's autoescape.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from audits import _atomic
from audits.errors import InputError
from audits.report._format import DASH, fmt_time, visible_controls
from audits.report._run_sections import (
    expectations_section,
    failed_table,
    history_section,
    run_section,
)
from audits.report._sections import TITLES, build_section, skipped_section
from audits.report._summary import dig, skipped_sections, verdict

__all__ = ["render_file", "render_html"]

#: Keys of ``results.json`` that are not sections of their own.
_NOT_SECTIONS = frozenset({"validation", "run", "schema_version", "skipped"})


@functools.cache
def environment() -> Any:
    """The Jinja environment of the package templates (autoescape on, strict undefined,
    direction controls in plain text shown as code points)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined
    from markupsafe import Markup

    def shown(value: Any) -> Any:
        if isinstance(value, str) and not isinstance(value, Markup):
            return visible_controls(value)
        return value

    return Environment(
        loader=PackageLoader("audits.report", "templates"),
        autoescape=True,
        finalize=shown,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(results: Mapping[str, Any], *, history: Sequence[Mapping[str, Any]] = ()) -> str:
    """Render the audit page.

    Parameters
    ----------
    results : dict
        The content of ``results.json`` (``audits._serde.to_jsonable(AuditResults)``).
        Every section is optional; the known ones (overview, quality, labels,
        imbalance, drift, sufficiency) are shown in that order, unknown ones after them.
    history : sequence of dict, optional
        Key numbers of earlier runs and this one, oldest first (rows of
        ``history.parquet``); with two or more, the page shows their trend.

    Returns
    -------
    str
        A self-contained HTML document.
    """
    if not isinstance(results, Mapping):
        raise InputError(
            f"`results` must be a dict read from results.json; got {type(results).__name__}",
            reason="results",
        )
    skipped = skipped_sections(results)
    present = [k for k, v in results.items() if k not in _NOT_SECTIONS and v is not None]
    present += list(skipped)
    ordered = [k for k in TITLES if k in present] + [k for k in present if k not in TITLES]
    sections = [
        skipped_section(k, skipped[k]) if k in skipped else build_section(k, results[k])
        for k in ordered
    ]
    sections.append(expectations_section(results))
    trend = history_section(history)
    if trend is not None:
        sections.append(trend)
    sections.append(run_section(results))
    return (
        environment()
        .get_template("report.html.j2")
        .render(
            verdict=verdict(results),
            failed=failed_table(results),
            sections=sections,
            uri=dig(results, "overview", "uri") or DASH,
            target=dig(results, "overview", "target"),
            finished=fmt_time(dig(results, "run", "finished") or dig(results, "run", "started")),
        )
    )


def render_file(results_path: str | os.PathLike[str], out_path: str | os.PathLike[str]) -> Path:
    """Re-render the page of a saved ``results.json`` to ``out_path`` (atomically).

    Raises
    ------
    InputError
        The results file cannot be read or does not match the schema (see
        :func:`audits.results.read_results`).
    ConfigError
        ``out_path`` is a folder or cannot be created.
    """
    from audits.results import read_results

    _atomic.check_output_file(out_path)
    return _atomic.write_text(out_path, render_html(read_results(results_path)))

"""``audits render RESULTS``: re-render the report of a saved ``results.json``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register ``render``."""
    parser = subparsers.add_parser(
        "render",
        help="re-render report.html from a saved results.json",
        description="Render the report of a results.json written by any earlier run; "
        "nothing is recomputed.",
    )
    parser.add_argument("results", help="path of a results.json")
    parser.add_argument(
        "--out", metavar="FILE", help="HTML file to write (default: report.html beside RESULTS)"
    )
    parser.set_defaults(func=_render)


def _render(args: argparse.Namespace) -> int:
    from audits.report import render_file

    out = Path(args.out) if args.out else Path(args.results).with_name("report.html")
    print(f"report: {render_file(args.results, out)}", file=sys.stderr)
    return 0

"""``audits demo``: the main job on the bundled real sample, no arguments, no network."""

from __future__ import annotations

from typing import Any

from audits.data import SAMPLE_TARGET, sample_path
from flows.cli.run import add_audit_options, execute

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register ``demo``."""
    parser = subparsers.add_parser(
        "demo",
        help="audit the bundled sample (credit_data, 4,454 rows)",
        description="Run the audit on the bundled real sample (R modeldata::credit_data, "
        f"target {SAMPLE_TARGET!r}) with the embedded default Prefect setup. Exits 0 when "
        "the audit completes, whatever it finds (see the report).",
    )
    add_audit_options(parser)
    parser.set_defaults(
        func=lambda args: execute(
            args, path=str(sample_path()), target=SAMPLE_TARGET, strict=False
        ),
        groups=None,  # the sample has one row per applicant
    )

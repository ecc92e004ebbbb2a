"""The ``audits`` command.

Exit codes: 0 every expectation passed, 1 an expectation failed, 2 bad input or
configuration (one line on stderr), 3 an unexpected internal error, 130 interrupted
(Ctrl-C), 143 terminated (SIGTERM); a flow stops at once on either (see ``_stopping``).
Each subcommand lives in a module of its own exposing ``add_parser(subparsers)``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

import flows  # noqa: F401 - sets the analytics-off defaults before prefect is imported
from audits.errors import AuditError
from flows.cli import demo, forecast, render, run, serve
from flows.cli._stopping import EXIT_INTERNAL

__all__ = ["main"]

COMMANDS = (run, demo, forecast, render, serve)


class _OneLineParser(argparse.ArgumentParser):
    """A parser whose usage errors are one line (and exit 2), like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="audits",
        description="Audit a labelled Parquet dataset: is it clean, balanced and big enough, "
        "and would a deep model pay off against a classical one?",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="show Prefect's logs and full tracebacks"
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def _quiet_prefect(verbose: bool) -> None:
    """Keep the terminal for the progress display unless ``--verbose``."""
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")
        os.environ.setdefault("PREFECT_LOGGING_SERVER_LEVEL", "CRITICAL")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("audits: %(message)s"))
    progress = logging.getLogger("audits.progress")
    progress.addHandler(handler)
    progress.setLevel(logging.INFO)
    progress.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``audits`` command line; return the exit code."""
    args = _parser().parse_args(argv)
    _quiet_prefect(args.verbose)
    try:
        return int(args.func(args))
    except AuditError as error:
        print(f"audits: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("audits: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - the last line of defence of the CLI
        if args.verbose:
            raise
        first = (str(error).strip().splitlines() or [""])[0]
        print(
            f"audits: internal error: {type(error).__name__}: {first} "
            "(run with --verbose for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())

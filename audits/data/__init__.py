"""The bundled sample dataset (see README.md beside this file)."""

from importlib import resources
from pathlib import Path

__all__ = ["SAMPLE_TARGET", "sample_path"]

#: Target column of the bundled sample.
SAMPLE_TARGET = "Status"


def sample_path() -> Path:
    """Path of the bundled real sample, ``credit_data.parquet``."""
    return Path(str(resources.files("audits.data").joinpath("credit_data.parquet")))

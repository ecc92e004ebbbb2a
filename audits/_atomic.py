"""Atomic file writes: write to a temporary file beside the target, then rename."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from audits.errors import ConfigError

__all__ = [
    "atomic_path",
    "check_output_file",
    "check_output_folder",
    "remove_pending",
    "write_bytes",
    "write_json",
    "write_text",
]


def _read_umask() -> int:
    """The process umask, read once at import (reading it means setting it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _read_umask()

#: Temporary files of the writes under way, in any thread.
_PENDING: set[Path] = set()


def atomic_path(path: str | os.PathLike[str], writer: Callable[[Path], None]) -> Path:
    """Call ``writer(tmp)`` on a temporary path, then rename it onto ``path``.

    A reader never sees a half-written file: either the old file or the new one.

    Parameters
    ----------
    path : path-like
        Final destination; its parent folder is created if missing.
    writer : callable
        Writes the complete content to the temporary path it receives.

    Returns
    -------
    Path
        The final path.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    _PENDING.add(tmp)
    try:
        writer(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        _PENDING.discard(tmp)
    return final


def remove_pending() -> None:
    """Delete the temporary files of the writes under way, before the process ends hard."""
    for tmp in list(_PENDING):
        tmp.unlink(missing_ok=True)


def check_output_folder(path: str | os.PathLike[str]) -> Path:
    """Check that ``path`` is, or can be made, a folder this process can write into.

    Called before any work whose results go there, so that a bad output folder fails
    in a second, not after the audit.

    Raises
    ------
    ConfigError
        ``path`` or one of its parents is an existing file, or the folder (or the
        nearest existing parent, which would hold it) is not writable.
    """
    folder = Path(path)
    absolute = folder.absolute()
    existing = next(p for p in (absolute, *absolute.parents) if p.exists())  # "/" exists
    if not existing.is_dir():
        where = "is a file" if existing == absolute else f"cannot be created: {existing} is a file"
        raise ConfigError(f"output folder {folder} {where}", reason="out_dir")
    if not os.access(existing, os.W_OK | os.X_OK):
        where = "" if existing == absolute else f" (nor is {existing}, which would hold it)"
        raise ConfigError(f"output folder {folder} is not writable{where}", reason="out_dir")
    return folder


def check_output_file(path: str | os.PathLike[str]) -> Path:
    """Check that ``path`` can be written as a file (see :func:`check_output_folder`)."""
    file = Path(path)
    if file.is_dir():
        raise ConfigError(f"output file {file} is a folder", reason="out_dir")
    check_output_folder(file.parent)
    return file


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return atomic_path(path, lambda tmp: tmp.write_bytes(data))


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write a JSON-compatible object to ``path`` atomically (indented, NaN-free)."""
    return write_text(path, json.dumps(obj, indent=2, allow_nan=False, sort_keys=False) + "\n")

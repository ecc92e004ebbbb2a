"""Atomic file writes: write to a temporary file beside the target, then rename.

:class:`Staged` does it for several files that belong together (a run's results, its
report, the history that lists it): all are written first, then all renamed, so a
failure while writing any of them leaves every target as it was.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from audits.errors import ConfigError

__all__ = [
    "Staged",
    "atomic_path",
    "check_output_file",
    "check_output_folder",
    "remove_pending",
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

#: Held while a temporary file is created or a set of files is renamed; taken for good by
#: :func:`remove_pending`, so that no write starts or lands once the process is ending.
_LANDING = threading.Lock()


class Staged:
    """Files written together: each to a temporary file beside its target, then renamed.

    Use as a context manager: :meth:`path` (and :meth:`text`, :meth:`json`) write a
    file's complete content to its temporary file, :meth:`commit` renames them onto
    their targets in the order they were staged, and leaving the block removes what
    was not committed (an error while writing any file leaves every target as it was).
    """

    def __init__(self) -> None:
        self._files: list[tuple[Path, Path]] = []

    def __enter__(self) -> Staged:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for tmp, _ in self._files:
            tmp.unlink(missing_ok=True)
            _PENDING.discard(tmp)
        self._files.clear()

    def path(self, path: str | os.PathLike[str], writer: Callable[[Path], None]) -> Path:
        """Stage ``path``: ``writer(tmp)`` writes its complete content to a temporary path.

        Returns
        -------
        Path
            The final path (its parent folder is created if missing).
        """
        final = Path(path)
        with _LANDING:
            final.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
            os.close(fd)
            tmp = Path(name)
            _PENDING.add(tmp)
        self._files.append((tmp, final))
        writer(tmp)
        with _LANDING:
            os.chmod(tmp, 0o666 & ~_UMASK)
        return final

    def text(self, path: str | os.PathLike[str], text: str) -> Path:
        """Stage UTF-8 ``text`` as ``path``."""
        return self.path(path, _text_writer(text))

    def json(self, path: str | os.PathLike[str], obj: Any) -> Path:
        """Stage a JSON-compatible object as ``path`` (indented, NaN-free)."""
        return self.text(path, _json_text(obj))

    def commit(self) -> None:
        """Rename every staged file onto its target, in the order they were staged."""
        with _LANDING:
            while self._files:
                tmp, final = self._files[0]
                os.replace(tmp, final)
                _PENDING.discard(tmp)
                self._files.pop(0)


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
    with Staged() as staged:
        final = staged.path(path, writer)
        staged.commit()
    return final


def remove_pending() -> None:
    """Delete the temporary files of the writes under way, before the process ends hard.

    Only for a process about to end (``os._exit``) while other threads may still write:
    a set of files being renamed lands whole first, and from then on every write waits
    for good instead of starting or landing, so a run's files land all or none and no
    temporary file is left behind.
    """
    _LANDING.acquire()  # never released: see the docstring
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


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return atomic_path(path, _text_writer(text))


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write a JSON-compatible object to ``path`` atomically (indented, NaN-free)."""
    return write_text(path, _json_text(obj))


def _text_writer(text: str) -> Callable[[Path], None]:
    return lambda tmp: tmp.write_bytes(text.encode("utf-8"))


def _json_text(obj: Any) -> str:
    return json.dumps(obj, indent=2, allow_nan=False) + "\n"

"""Safe file writes: every file slt_check writes appears whole or not at all.

* :func:`atomic_write` writes through a **unique** temporary file created in the destination's own
  directory (``tempfile.mkstemp``: two concurrent writers never share it), flushes and ``fsync``s it,
  then ``os.replace``s it onto the destination — an atomic rename on POSIX. On *any* exception,
  including ``KeyboardInterrupt`` and the :class:`Terminated` that the CLI raises on SIGTERM, the
  temporary file is removed and the destination is left as it was.
* :func:`check_output_path` refuses an output path *before* a long computation starts: a missing or
  non-writable directory, a path that is a directory, a wrong suffix.
* :func:`check_not_an_input` refuses an output that is one of the command's input files (the same
  file under another name, a symlink or a hard link included), which the write would replace.
* :func:`check_target_file` refuses an input file that is missing, not a regular file, or empty,
  before a reader opens it.
* The written file keeps the permission bits of the file it replaces; a new file gets the usual
  ``0o666`` less the umask (a private ``0600`` ticket stays private, ``umask 077`` is honoured).
* :func:`install_signal_handlers` turns SIGTERM (and SIGHUP) into a :class:`Terminated` exception so
  that ``finally`` blocks — temporary-file removal, worker-pool shutdown — run on ``kill`` as they
  do on Ctrl-C.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

__all__ = [
    "Terminated",
    "atomic_write",
    "atomic_write_text",
    "atomic_write_json",
    "check_output_path",
    "check_not_an_input",
    "check_target_file",
    "install_signal_handlers",
]


class Terminated(BaseException):  # noqa: N818 - mirrors KeyboardInterrupt
    """Raised in the main thread when the process receives SIGTERM/SIGHUP (see
    :func:`install_signal_handlers`); a ``BaseException`` so that ``except Exception`` does not
    swallow it."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by signal {signal.Signals(signum).name}")
        self.signum = signum


def install_signal_handlers() -> None:
    """Raise :class:`Terminated` on SIGTERM and SIGHUP (main thread only; a no-op elsewhere)."""

    def handler(signum: int, frame: Any) -> None:  # noqa: ARG001
        raise Terminated(signum)

    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is None:
            continue
        try:
            signal.signal(sig, handler)
        except ValueError:  # not the main thread
            return


_TMP_EXTRA = len(".") + len(".") + 8 + len(".tmp")
"""Bytes :func:`atomic_write`'s temporary name adds to the destination's (``.<name>.<8 random>.tmp``)."""


def check_output_path(path: str | os.PathLike[str], suffix: str | None = None, name: str = "out") -> Path:
    """``ValueError`` unless ``path`` can be written: its directory exists and is writable, it is not
    a directory, its name leaves room for the temporary file's on this file system, and (when ``suffix``
    is given) it ends in ``suffix``. Returns it as a ``Path``. Nothing is created."""
    p = Path(path)
    if suffix is not None and p.suffix != suffix:
        raise ValueError(f"{name}: the file name must end in {suffix}, got {str(p)!r}")
    if p.is_dir():
        raise ValueError(f"{name}: {str(p)!r} is a directory; give a file name (…{suffix or ''})")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"{name}: directory {str(parent)!r} does not exist; create it first")
    try:
        name_max = int(os.pathconf(parent, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):  # pragma: no cover - platforms without pathconf
        name_max = 255
    if len(os.fsencode(p.name)) + _TMP_EXTRA > name_max:
        raise ValueError(
            f"{name}: the file name is {len(os.fsencode(p.name))} bytes long; with the temporary file's "
            f"{_TMP_EXTRA} extra bytes it exceeds this file system's limit of {name_max} — use a shorter name"
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"{name}: directory {str(parent)!r} is not writable")
    if p.exists() and not os.access(p, os.W_OK):
        raise ValueError(f"{name}: {str(p)!r} exists and is not writable")
    return p


def check_not_an_input(out: str | os.PathLike[str], inputs: list[str | os.PathLike[str]], name: str = "out") -> None:
    """``ValueError`` when ``out`` names the same file as one of ``inputs`` (by ``os.path.samefile``
    when both exist — symlinks, hard links and relative spellings included — else by resolved path):
    writing it would replace the input the command reads."""
    o = Path(out)
    for src in inputs:
        s = Path(src)
        try:
            same = o.resolve() == s.resolve() or (o.exists() and s.exists() and os.path.samefile(o, s))
        except (OSError, RuntimeError):  # a symlink loop: not the same readable file
            same = False
        if same:
            raise ValueError(
                f"{name}: {str(o)!r} is the input file {str(s)!r}; writing it would replace the input — "
                "give another output file"
            )


def check_target_file(path: str, kind: str) -> None:
    """A target file must exist, be a regular file and not be empty (one-line ``ValueError`` otherwise)."""
    if not path:
        raise ValueError(f"target: no {kind} file given (expected '{kind}:<file>')")
    p = Path(path)
    if not p.exists():
        raise ValueError(f"target: no {kind} file at {path!r}")
    if p.is_dir():
        raise ValueError(f"target: {path!r} is a directory, not a {kind} file")
    if not p.is_file():
        raise ValueError(f"target: {path!r} is not a regular file")
    if p.stat().st_size == 0:
        raise ValueError(f"target: {path!r} is empty, not a {kind} file")


def _new_file_mode(p: Path) -> int:
    """The mode a plain ``open(p, "w")`` would leave: the existing file's, else ``0o666 & ~umask``."""
    try:
        return stat.S_IMODE(os.stat(p).st_mode)
    except OSError:
        mask = os.umask(0o022)  # read the umask (there is no getter), then put it back
        os.umask(mask)
        return 0o666 & ~mask


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], None]) -> Path:
    """Call ``write(fileobj)`` on a fresh temporary file beside ``path``, then rename it onto ``path``.

    The temporary file (``.<name>.<random>.tmp``) is unique per call and removed on any exception;
    ``path`` is replaced only after the data is complete and synced."""
    p = Path(path)
    fd, tmp = tempfile.mkstemp(dir=p.parent if str(p.parent) else ".", prefix=f".{p.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _new_file_mode(p))
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return p


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """:func:`atomic_write` of a UTF-8 text."""
    data = text.encode("utf-8")
    return atomic_write(path, lambda fh: fh.write(data))  # type: ignore[arg-type,return-value]


def atomic_write_json(path: str | os.PathLike[str], obj: Any, **dump_kw: Any) -> Path:
    """:func:`atomic_write_text` of ``json.dumps(obj, **dump_kw)`` plus a final newline
    (defaults: ``indent=1, sort_keys=True, allow_nan=False``)."""
    kw = {"indent": 1, "sort_keys": True, "allow_nan": False} | dump_kw
    return atomic_write_text(path, json.dumps(obj, **kw) + "\n")

"""The one way outputs reach the disk: atomically.

A folder is written into a temporary sibling (``.<name>.tmp-XXXX``) and renamed into place when
complete, so it is either complete or absent; a file is written to a temporary sibling and
renamed over its target. An existing folder (with anything in it) is never overwritten; an
interrupted write leaves only a ``.*.tmp-*`` sibling, which ``planner batch`` cleans up.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from planner.errors import PlanExistsError

TMP_PREFIX = ".{name}.tmp-"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def refuse_existing(folder: Path, hint: str = "choose another --out folder") -> Path:
    """``folder`` resolved; :class:`PlanExistsError` if it exists and is not an empty folder."""
    folder = Path(folder).resolve()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise PlanExistsError(f"{folder} already exists; outputs are never overwritten: {hint}")
    return folder


@contextlib.contextmanager
def atomic_folder(folder: Path, *, hint: str = "choose another --out folder") -> Iterator[Path]:
    """Write a new folder atomically: yields a temporary sibling to fill, renamed to ``folder``
    when the block ends without an exception (removed otherwise).

    ``folder`` must not exist, or be an empty folder (which is replaced).
    """
    folder = refuse_existing(folder, hint)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX.format(name=folder.name), dir=folder.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private; an output folder is a normal folder
    try:
        yield tmp
        if folder.exists():
            folder.rmdir()  # an empty folder made by the user: replace it
        os.rename(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_folder(folder: Path, files: dict[str, bytes]) -> Path:
    """Create ``folder`` holding ``files`` (name -> content) atomically; returns its path."""
    folder = Path(folder).resolve()
    with atomic_folder(folder) as tmp:
        for name, data in files.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_bytes(data)
    return folder


def atomic_file(path: Path, data: bytes, *, overwrite: bool = False) -> Path:
    """Write one file atomically (temporary sibling, then rename); with ``overwrite`` an existing
    file is replaced in one step (readers see the old or the new content, never a mix)."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise PlanExistsError(f"{path} already exists; refusing to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX.format(name=path.name), dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


__all__ = ["atomic_folder", "atomic_file", "write_folder", "refuse_existing", "TMP_PREFIX"]

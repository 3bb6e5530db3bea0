"""Atomic output: write to a temporary file (or folder) next to the target, then rename."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from symcause.core.errors import BadInputError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def sweep_stale(target: Path) -> list[Path]:
    """Remove what a killed run left next to `target`: its temporaries and set-aside folders, named
    `.{name}.{pid}.*`, whose process no longer exists. Returns what was removed."""
    removed: list[Path] = []
    if not target.parent.is_dir():
        return removed
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.(\d+)\.(tmp|old)-")
    for p in target.parent.iterdir():
        m = pattern.match(p.name)
        if m and int(m.group(1)) != os.getpid() and not _alive(int(m.group(1))):
            if m.group(2) == "old" and not target.exists() and (p / target.name).exists():
                os.replace(p / target.name, target)  # killed between the two renames: put the old output back
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            removed.append(p)
    return removed


def _prefix(target: Path, kind: str) -> str:
    """Temporary names carry the writer's pid, so a later run can tell a dead run's leftovers from a live one."""
    return f".{target.name}.{os.getpid()}.{kind}-"


def _swap_in(new: Path, target: Path) -> None:
    """Move `new` to `target`; an existing target is first set aside (`.{name}.{pid}.old-*`, which
    sweep_stale restores if the process dies between the renames), then removed."""
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=_prefix(target, "old"), dir=target.parent))
        os.replace(target, old / target.name)
    os.replace(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to `path`; on success rename it over `path`.

    On any exception the temporary file is removed and `path` keeps its previous content. A process killed
    midway (SIGKILL, power loss) leaves `path` as it was plus a hidden temporary, which the next write to
    `path` removes (sweep_stale).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(target)
    fd, tmp_name = tempfile.mkstemp(prefix=_prefix(target, "tmp"), suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if tmp.exists():
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        if target.is_dir() and not target.is_symlink():  # a partitioned table of the same name is replaced whole
            _swap_in(tmp, target)
        else:
            os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield an empty staging folder next to `path`; on success it replaces `path` as a whole.

    The old folder is swapped out before the new one moves in and removed only afterwards; on any
    exception the staging folder is removed and `path` keeps its previous content.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(target)
    staging = Path(tempfile.mkdtemp(prefix=_prefix(target, "tmp"), dir=target.parent))
    try:
        yield staging
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_text(path: str | os.PathLike[str], text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n")


def read_json_object(path: str | os.PathLike[str] | None) -> dict[str, Any]:
    """A JSON object from `path`, {} when there is no such file; not valid JSON is bad input naming the file."""
    if path is None or not Path(path).is_file():
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{path}: not valid JSON ({exc})") from exc
    return data if isinstance(data, dict) else {}


def write_parquet(path: str | os.PathLike[str], df: pd.DataFrame) -> None:
    """Deterministic Parquet: no pandas index, fixed compression, so equal frames give equal bytes."""
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False, compression="zstd", engine="pyarrow")


def write_with(path: str | os.PathLike[str], writer: Callable[[Path], None]) -> None:
    """Run `writer(tmp_path)` and move the result into place atomically."""
    with atomic_path(path) as tmp:
        writer(tmp)


def parquet_parts(path: str | os.PathLike[str]) -> list[Path]:
    """The Parquet files of a table: the file itself, or the `*.parquet` files of a partitioned folder
    (the dask engine's output) in name order, which is row order."""
    p = Path(path)
    if p.is_file():
        return [p]
    if p.is_dir():
        parts = sorted(x for x in p.iterdir() if x.suffix == ".parquet" and x.is_file() and not x.name.startswith("."))
        if parts:
            return parts
        raise BadInputError(f"{p}: folder has no .parquet partitions")
    raise BadInputError(f"{p}: not found (run the pipeline first: make repro)")


def read_parquet_parts(path: str | os.PathLike[str], columns: list[str] | None = None,
                       filters: list[tuple[str, str, Any]] | None = None) -> pd.DataFrame:
    """A table from a Parquet file or a partitioned folder, rows in partition order."""
    frames = [pd.read_parquet(p, columns=columns, filters=filters) for p in parquet_parts(path)]
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)

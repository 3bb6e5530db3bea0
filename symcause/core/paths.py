"""Where the project and its schemas are.

The vocabularies and table contracts live in `schemas/` at the project root (the one source of
truth, read by code). A non-editable install ships the same files as package data
(`symcause/schemas/`), so the library also works outside a checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

from symcause.core.errors import BadInputError

PACKAGE_DIR = Path(__file__).resolve().parents[1]
ROOT_ENV = "SYMCAUSE_ROOT"


def _is_project(folder: Path) -> bool:
    return (folder / "dvc.yaml").is_file() and (folder / "schemas").is_dir()


def find_project_root(start: Path | None = None) -> Path:
    """The project folder: `$SYMCAUSE_ROOT` if set, else the nearest folder at or above `start`
    (default: the working directory) holding dvc.yaml and schemas/, else the checkout this
    package was installed from (editable install).

    Raises BadInputError when none is found (a non-editable install used outside a checkout):
    commands that need project files then ask for explicit paths.
    """
    env = os.environ.get(ROOT_ENV)
    if env:
        root = Path(env).expanduser().resolve()
        if not _is_project(root):
            raise BadInputError(f"${ROOT_ENV}={env}: not a symcause project (no dvc.yaml and schemas/ there)")
        return root
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if _is_project(folder):
            return folder
    if _is_project(PACKAGE_DIR.parent):
        return PACKAGE_DIR.parent
    raise BadInputError(f"no symcause project at or above {here} (a folder with dvc.yaml and schemas/); "
                        f"run inside a checkout, set ${ROOT_ENV}, or pass explicit paths")


def schemas_dir(root: Path | None = None) -> Path:
    """`root/schemas` for an explicit root; else the project's `schemas/`; else the copy shipped as
    package data with a non-editable install."""
    if root is not None:
        return Path(root) / "schemas"
    try:
        return find_project_root() / "schemas"
    except BadInputError:
        packaged = PACKAGE_DIR / "schemas"
        if (packaged / "tables.yaml").is_file():
            return packaged
        raise


def project_relative(path: Path, root: Path | None = None) -> str:
    """`path` relative to the project root (or `root`) when inside it, so reports read the same in every
    clone; else the path as given (outside a project, too)."""
    try:
        base = root or find_project_root()
        return path.resolve().relative_to(base.resolve()).as_posix()
    except (ValueError, BadInputError):
        return path.as_posix()

"""symcause: articles about radiating leg pain -> evaluated symptom-cause dataset.

Research use only: the data and models are not for diagnosis.
"""

from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"

PACKAGE_DIR = Path(__file__).resolve().parent


def find_project_root(start: Path | None = None) -> Path:
    """The nearest folder at or above `start` (default: cwd) holding dvc.yaml and schemas/.

    Falls back to the folder this package was installed from, so commands work from any
    working directory inside (or outside) the project.
    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "dvc.yaml").is_file() and (folder / "schemas").is_dir():
            return folder
    return PACKAGE_DIR.parent

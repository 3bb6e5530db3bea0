"""Model files: skops (never pickle), deterministic bytes, checked types, and the legacy module alias.

- `save_model` writes a canonical skops file: skops names its entries after Python object ids and
  stamps the time into the zip, so two dumps of equal models differ; here the ids are renumbered in
  the order they appear in the schema and every entry gets a fixed timestamp, so equal models give
  equal bytes (and DVC sees no change when retraining reproduces the model).
- `load_model` refuses a file whose untrusted types are not in `TRUSTED`, and loads files written
  before the package was renamed (`pipeline.features.annotate_all` -> `symcause.model.features
  .annotate_all`) by rewriting the old module name in the file's schema before skops reads it.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import skops.io as sio

from symcause.core.contract import CATEGORIES
from symcause.core.errors import BadInputError, SymcauseError
from symcause.core.io import atomic_path
from symcause.model.features import TRUSTED

LEGACY_MODULES = {"pipeline.features": "symcause.model.features"}  # module renamed in 0.2.0
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_NPY_NAME = re.compile(r"^(\d+)(\.npy)$")


def _collect_ids(node: Any, order: dict[int, int]) -> None:
    """Object ids (`__id__` and array file names) in schema order."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "__id__" and isinstance(value, int):
                order.setdefault(value, len(order))
            elif key == "file" and isinstance(value, str) and _NPY_NAME.match(value):
                order.setdefault(int(_NPY_NAME.match(value).group(1)), len(order))  # type: ignore[union-attr]
            else:
                _collect_ids(value, order)
    elif isinstance(node, list):
        for value in node:
            _collect_ids(value, order)


def _renumber(node: Any, order: dict[int, int]) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "__id__" and isinstance(value, int):
                out[key] = order[value]
            elif key == "file" and isinstance(value, str) and _NPY_NAME.match(value):
                m = _NPY_NAME.match(value)
                out[key] = f"{order[int(m.group(1))]}{m.group(2)}"  # type: ignore[union-attr]
            else:
                out[key] = _renumber(value, order)
        return out
    if isinstance(node, list):
        return [_renumber(v, order) for v in node]
    return node


def canonical_skops(data: bytes) -> bytes:
    """The same model as `data` (a skops zip) with ids renumbered and fixed timestamps: stable bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    schema = json.loads(src.read("schema.json"))
    order: dict[int, int] = {}
    _collect_ids(schema, order)
    renamed = {name: _NPY_NAME.sub(lambda m: f"{order[int(m.group(1))]}{m.group(2)}", name)
               for name in src.namelist() if _NPY_NAME.match(name)}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as dst:
        body = json.dumps(_renumber(schema, order), sort_keys=False, separators=(",", ":")).encode("utf-8")
        entries = [("schema.json", body)] + sorted((renamed[n], src.read(n)) for n in src.namelist() if n in renamed)
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, content, compresslevel=6)
    return out.getvalue()


def save_model(model: Any, path: Path) -> None:
    """Write `model` as a canonical skops file, atomically; refuse (exit 1) if it would hold untrusted types."""
    data = canonical_skops(sio.dumps(model, compression=zipfile.ZIP_DEFLATED))
    untrusted = [t for t in sio.get_untrusted_types(data=data) if t not in TRUSTED]
    if untrusted:
        raise SymcauseError(f"{path}: the model would contain untrusted types ({', '.join(untrusted)}); not written")
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def _migrate_legacy(data: bytes) -> bytes:
    """Rewrite module names of renamed modules (LEGACY_MODULES) in the file's schema."""
    src = zipfile.ZipFile(io.BytesIO(data))
    text = src.read("schema.json").decode("utf-8")
    new = text
    for old, current in LEGACY_MODULES.items():
        new = new.replace(f'"__module__": "{old}"', f'"__module__": "{current}"')
        new = new.replace(f'"__module__":"{old}"', f'"__module__":"{current}"')
    if new == text:
        return data
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, new.encode("utf-8") if info.filename == "schema.json" else src.read(info))
    return out.getvalue()


def load_model(path: Path) -> Any:
    """Load a skops model after checking it holds no untrusted types and predicts the six categories."""
    if not path.is_file():
        raise BadInputError(f"{path}: model file not found (run the train stage, or pass --model)")
    try:
        data = _migrate_legacy(path.read_bytes())
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:
        raise BadInputError(f"{path}: not a readable skops model file ({type(exc).__name__}: {exc})") from exc
    unknown = [t for t in untrusted if t not in TRUSTED]
    if unknown:
        shown = ", ".join(unknown[:3]) + (f" and {len(unknown) - 3} more" if len(unknown) > 3 else "")
        raise BadInputError(f"{path}: model file contains untrusted types ({shown}); refusing to load it")
    try:
        model = sio.loads(data, trusted=[t for t in untrusted if t in TRUSTED])
    except Exception as exc:
        raise BadInputError(f"{path}: could not load the skops model ({type(exc).__name__}: {exc})") from exc
    classes = [str(c) for c in getattr(model, "classes_", [])]
    if not hasattr(model, "predict_proba") or not classes or any(c not in CATEGORIES for c in classes):
        raise BadInputError(f"{path}: not a symcause category classifier (classes {classes or 'missing'})")
    return model

"""Content hashes: of text, of files (a partitioned table hashes its parts in name order), of JSON."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """sha256 of a file; of a folder, of its `*.parquet` part files' bytes in name order."""
    h = hashlib.sha256()
    parts = sorted(p for p in path.iterdir() if p.suffix == ".parquet" and not p.name.startswith(".")) \
        if path.is_dir() else [path]
    for part in parts:
        with part.open("rb") as fh:
            for block in iter(lambda: fh.read(chunk), b""):
                h.update(block)
    return h.hexdigest()


def canonical_json(data: Any) -> str:
    """JSON with sorted keys and no whitespace: equal data, equal text (and hash)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256_json(data: Any) -> str:
    return sha256_text(canonical_json(data))

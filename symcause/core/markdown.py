"""Markdown helpers shared by the reports and the dataset card (one definition of each)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def md_table(header: list[str], rows: Iterable[Iterable[Any]]) -> list[str]:
    """A GitHub-flavoured Markdown table as lines; `|` inside cells is escaped."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(x).replace("|", "\\|") for x in r) + " |" for r in rows]
    return lines


def md_table_text(header: list[str], rows: Iterable[Iterable[Any]]) -> str:
    """`md_table` joined into one string."""
    return "\n".join(md_table(header, rows))


def fmt_value(v: Any) -> str:
    """A number as people read it: 4 significant digits for floats, thousands separators for ints."""
    if isinstance(v, bool) or v is None:
        return str(v).lower()
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def pct(x: float, digits: int = 1) -> str:
    """A share (0-1) as a percentage."""
    return f"{100 * x:.{digits}f}%"


def get_path(d: Any, *keys: str) -> Any:
    """d[k1][k2]... or None when a key is missing."""
    for k in keys:
        if not isinstance(d, Mapping) or k not in d:
            return None
        d = d[k]
    return d


def flatten_numbers(d: Any, prefix: str = "", depth: int = 3) -> list[tuple[str, Any]]:
    """(dotted key, number) for every number in nested mappings up to `depth` levels, in key order."""
    out: list[tuple[str, Any]] = []
    if not isinstance(d, Mapping) or depth == 0:
        return out
    for k in sorted(d, key=str):
        v, key = d[k], f"{prefix}{k}"
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append((key, v))
        elif isinstance(v, Mapping):
            out.extend(flatten_numbers(v, key + ".", depth - 1))
    return out

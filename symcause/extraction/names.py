"""Condition identity: the key form of a name, its slug (condition_id) and its display form."""

from __future__ import annotations

import re
from functools import lru_cache

from symcause.core.vocab import norm_phrase

PLURAL_HEADS = {"tears": "tear", "strains": "strain", "sprains": "sprain", "cysts": "cyst", "injuries": "injury",
                "fractures": "fracture", "discs": "disc", "disks": "disk", "syndromes": "syndrome",
                "disorders": "disorder", "lesions": "lesion", "spurs": "spur", "bulges": "bulge",
                "herniations": "herniation", "imbalances": "imbalance", "errors": "errors"}


@lru_cache(maxsize=65536)
def canonical_name(name: str) -> str:
    """Key form of a condition name: lower-case, no possessive, singular head (cached: a pure function that every
    phase asks of the same few names)."""
    words = norm_phrase(name).replace("'s ", "s ").replace("' ", " ").split()
    if words:
        words[-1] = PLURAL_HEADS.get(words[-1], words[-1])
    return " ".join(words)


def slugify(name: str) -> str:
    """A stable condition_id from a name."""
    return re.sub(r"[^a-z0-9]+", "_", canonical_name(name)).strip("_")[:60] or "condition"


def display_name(surface: str) -> str:
    """A name as written, sentence-cased unless it carries eponyms or abbreviations ("Baker's cyst")."""
    words = surface.strip().split()
    if not words:
        return surface
    if all(w[:1].isupper() for w in words if w.isalpha()) and not any(w.isupper() and len(w) > 1 for w in words):
        words = [w.lower() if not w.endswith("'s") else w[0] + w[1:] for w in words]
    words[-1] = PLURAL_HEADS.get(words[-1].lower(), words[-1]) if words[-1].lower() in PLURAL_HEADS else words[-1]
    text = " ".join(words)
    return text[0].upper() + text[1:]

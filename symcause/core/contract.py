"""Fixed names of the data contract (`../shared/CONTRACT.md`) that code branches on.

The vocabularies themselves (regions, symptoms, factors ...) are read from `schemas/`; these are
the few enumerations whose values the code relies on by name.
"""

from __future__ import annotations

CATEGORIES: tuple[str, ...] = ("spinal", "hip_joint", "knee_joint", "soft_tissue", "peripheral_nerve", "biomechanical")
OTHER_LABEL = "other"  # the optional seventh vignette label for mimics (generate.include_mimics)
STYLES: tuple[str, ...] = ("lay", "clinical", "third_person")
DIFFICULTIES: tuple[str, ...] = ("easy", "medium", "hard")
SPLITS: tuple[str, ...] = ("train", "val", "test")
SEXES: tuple[str, ...] = ("female", "male")
FACT_TABLES: tuple[str, ...] = ("sources", "conditions", "facts", "factors")
# factor kinds: the Version 1 four, then the Version 2 additions (CONTRACT.md)
FACTOR_KINDS: tuple[str, ...] = ("aggravating", "relieving", "risk_factor", "red_flag", "onset", "exam_finding", "timing",
                                 "demographic")

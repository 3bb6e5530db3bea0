"""symcause: articles about radiating leg pain -> an evaluated symptom-cause dataset.

Research use only: the data and models are not for diagnosis.

Layers (one direction; `.importlinter` enforces them):

- `symcause.core`: errors, atomic I/O, params, vocabularies, the table contract, small helpers;
- domain libraries: `extraction`, `knowledge`, `generation`, `model`, `quality`, `release`;
- faces: the CLI (`symcause.cli`), the developer tools (`symcause.devtools`) and, outside the
  package, the DVC stage modules in `pipeline/`.
"""

from __future__ import annotations

__version__ = "0.2.0"

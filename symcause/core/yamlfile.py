"""Reading the YAML files of `schemas/` with YAML 1.2 booleans (only true/false are booleans).

Kept apart from `symcause.core.vocab`: the loader is a subclass of PyYAML's that is changed at import time (class
attributes assigned from outside the class), which an ahead-of-time compiled module cannot do (mypyc compiles
`vocab`; see symcause/devtools/native.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from symcause.core.errors import BadInputError

_BASE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml's parser: 10x faster on the vocabularies


class _VocabLoader(_BASE_LOADER):
    """SafeLoader where only true/false are booleans (YAML 1.2): "no", "on", "off" stay words."""


_VocabLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_VocabLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_VocabLoader)
    except FileNotFoundError as exc:
        raise BadInputError(f"{path}: vocabulary file is missing") from exc
    except yaml.YAMLError as exc:
        raise BadInputError(f"{path}: not valid YAML ({exc})") from exc

"""`params.yaml`, validated with pydantic before any work: one model per stage section."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from symcause.core.errors import BadInputError
from symcause.core.paths import find_project_root


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExtractParams(_Section):
    sources: str = "data/sources"
    out: str = "data/facts"
    max_bytes: int = Field(2_000_000, gt=0, le=200_000_000)
    strict: bool = False
    # which articles of data/sources/MANIFEST.csv to read: [seed] builds the seed-only dataset, to measure
    # what the corpus adds; articles not in the manifest are `user` articles
    source_types: list[Literal["seed", "corpus", "user"]] = Field(["seed", "corpus", "user"], min_length=1)


class ValidateParams(_Section):
    facts_dir: str = "data/facts"
    reports: str = "reports/validation"
    min_conditions: int = Field(5, ge=1)
    max_facts_per_condition: int = Field(400, ge=1)


class EvaluateExtractionParams(_Section):
    gold: str = "data/gold"
    heldout_articles: str = "data/heldout/articles"
    dev_articles: str = "data/dev/articles"
    # named groups of development articles (file stems), scored separately as well as together
    dev_groups: dict[str, list[str]] = {}
    out: str = "reports/extraction.json"
    markdown: str = "reports/extraction.md"              # the same scores as tables, with the before -> after
    baseline: str | None = "data/audit/extraction_before.json"   # scores of an earlier extractor to compare with
    # blind precision audits (extraction_judged*.csv: random corpus facts and factors judged by a reviewer who saw
    # no rules), reported with their intervals and how many judged rows today's tables still hold
    audits: str | None = "data/audit"


class KnowledgeParams(_Section):
    """Stage knowledge: P(finding | condition) from the facts (symcause/knowledge/estimate.py)."""
    facts_dir: str = "data/facts"
    out: str = "data/knowledge/knowledge.parquet"
    reports: str = "reports/knowledge"
    prior: float = Field(0.05, gt=0, lt=1)             # P(finding | condition) of a finding no article states
    prior_strength: float = Field(1.0, gt=0, le=100)   # how many sources the prior counts as
    stated: float = Field(0.6, gt=0, lt=1)             # a plain statement ("causes numbness in the foot")
    hedged: float = Field(0.35, gt=0, lt=1)            # a hedged one ("may cause")
    negated: float = Field(0.03, ge=0, lt=1)           # a negated one ("does not cause")
    min_confidence: float = Field(0.3, ge=0, le=1)     # facts below this extraction confidence are not evidence
    heatmap_conditions: int = Field(24, ge=1, le=200)  # conditions shown in the report's heat map
    heatmap_findings: int = Field(30, ge=1, le=200)    # findings shown


def _check_shares(value: dict[str, float], keys: tuple[str, ...], exact: bool) -> dict[str, float]:
    unknown = [k for k in value if k not in keys]
    if unknown:
        raise ValueError(f"unknown key '{unknown[0]}' (allowed: {', '.join(keys)})")
    if any(v < 0 for v in value.values()):
        raise ValueError("shares must be >= 0")
    if exact and abs(sum(value.values()) - 1.0) > 1e-6:
        raise ValueError(f"shares must sum to 1 (got {sum(value.values()):.3f})")
    if not exact and any(v > 1 for v in value.values()):
        raise ValueError("rates must be between 0 and 1")
    return value


class AgeParams(_Section):
    mean: float = Field(48, ge=16, le=95)
    sd: float = Field(17, gt=0, le=40)
    min: int = Field(18, ge=16, le=95)
    max: int = Field(90, ge=16, le=95)


class DaskParams(_Section):
    """Where the dask engine runs: a scheduler address, or (null) a LocalCluster started for the run."""
    address: str | None = None
    workers: int = Field(2, ge=1, le=1024)      # LocalCluster worker processes (ignored with an address)
    threads_per_worker: int = Field(1, ge=1, le=64)

    @field_validator("address")
    @classmethod
    def _address(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"(tcp|tls|inproc|ucx|ws|wss)://\S+", v):
            raise ValueError(f"expected a scheduler address such as tcp://10.0.0.5:8786, got {v!r}")
        return v


class SiteWeights(_Section):
    """Sampling weight of a symptom fact by where it is, relative to the condition's own site."""
    own: float = Field(3.0, gt=0, le=100)     # at the site (knee osteoarthritis: knee)
    near: float = Field(2.0, gt=0, le=100)    # same coarse region (knee_front for a knee condition)
    far: float = Field(1.0, gt=0, le=100)     # elsewhere (the hip, for knee osteoarthritis: referred or radiating pain)


class GenerateParams(_Section):
    facts_dir: str = "data/facts"
    out: str = "data/vignettes/vignettes.parquet"
    n: int = Field(30000, ge=1, le=1_000_000_000)
    seed: int = Field(20261122, ge=0)
    batch_size: int = Field(20000, ge=100, le=1_000_000)
    workers: int = Field(1, ge=0, le=256)
    engine: Literal["local", "dask"] = "local"
    dask: DaskParams = DaskParams()
    styles: dict[str, float] = {"lay": 0.4, "clinical": 0.3, "third_person": 0.3}
    difficulty: dict[str, float] = {"easy": 0.3, "medium": 0.45, "hard": 0.25}
    name_rate: float = Field(0.05, ge=0, le=1)
    filler_rate: float = Field(0.3, ge=0, le=1)
    self_report_rate: float = Field(0.6, ge=0, le=1)
    red_flag_rate: float = Field(0.08, ge=0, le=1)
    negation_rate: dict[str, float] = {"easy": 0.2, "medium": 0.4, "hard": 0.6}
    distractor_rate: dict[str, float] = {"easy": 0.05, "medium": 0.3, "hard": 0.6}
    vague_region_rate: dict[str, float] = {"easy": 0.0, "medium": 0.2, "hard": 0.5}
    splits: dict[str, float] = {"train": 0.8, "val": 0.1, "test": 0.1}
    holdout_conditions: list[str] = []
    min_confidence: float = Field(0.3, ge=0, le=1)
    age: AgeParams = AgeParams()
    female_share: float = Field(0.5, ge=0, le=1)
    site_weights: SiteWeights = SiteWeights()
    knowledge: str = "data/knowledge/knowledge.parquet"   # the knowledge table (stage knowledge) findings are drawn from
    include_mimics: bool = False
    onset_rate: float = Field(0.6, ge=0, le=1)
    timing_rate: float = Field(0.5, ge=0, le=1)
    exam_rate: dict[str, float] = {"lay": 0.15, "clinical": 0.75, "third_person": 0.25}
    both_sides_rate: float = Field(0.1, ge=0, le=1)
    stated_negation_share: float = Field(0.85, ge=0, le=1)
    condition_weight_power: float = Field(0.0, ge=0, le=2)
    likelihood_cap: bool = False
    pertinent_negative_rate: float = Field(0.0, ge=0, le=1)

    @field_validator("exam_rate")
    @classmethod
    def _exam_rate(cls, v: dict[str, float]) -> dict[str, float]:
        return _check_shares(v, ("lay", "clinical", "third_person"), exact=False)

    @field_validator("styles")
    @classmethod
    def _styles(cls, v: dict[str, float]) -> dict[str, float]:
        return _check_shares(v, ("lay", "clinical", "third_person"), exact=True)

    @field_validator("difficulty")
    @classmethod
    def _difficulty(cls, v: dict[str, float]) -> dict[str, float]:
        return _check_shares(v, ("easy", "medium", "hard"), exact=True)

    @field_validator("splits")
    @classmethod
    def _splits(cls, v: dict[str, float]) -> dict[str, float]:
        return _check_shares(v, ("train", "val", "test"), exact=True)

    @field_validator("negation_rate", "distractor_rate", "vague_region_rate")
    @classmethod
    def _rates(cls, v: dict[str, float]) -> dict[str, float]:
        return _check_shares(v, ("easy", "medium", "hard"), exact=False)


class AuditParams(_Section):
    """Stage audit_vignettes: pandera + GX on the vignettes table, and the dataset report."""
    vignettes: str = "data/vignettes/vignettes.parquet"
    facts_dir: str = "data/facts"
    reports: str = "reports/vignettes"
    # AUDIT-FIELDS (helper: add fields for the audit stage here)
    gx_sample_rows: int = Field(200_000, ge=1000)          # GX runs on this many rows (+ rows flagged by full checks)
    text_sample_rows: int = Field(20_000, ge=100)          # distinct-n and vocabulary
    near_dup_sample_rows: int = Field(20_000, ge=100)      # MinHash near-duplicate search
    near_dup_jaccard: float = Field(0.8, gt=0, le=1)       # word 3-gram Jaccard at or above this = near duplicate
    minhash_bands: int = Field(20, ge=1, le=128)           # LSH: bands x rows = MinHash permutations
    minhash_rows: int = Field(6, ge=1, le=32)
    min_category_share: float = Field(0.10, ge=0, le=1)    # each category's share of all rows (GX)
    max_category_share: float = Field(0.25, ge=0, le=1)
    min_split_category_share: float = Field(0.08, ge=0, le=1)  # each category's share within each split (GX)
    max_split_category_share: float = Field(0.30, ge=0, le=1)
    min_text_chars: int = Field(15, ge=1)                  # text length bounds in characters (GX)
    max_text_chars: int = Field(1500, ge=1)
    min_unique_text_share: float = Field(0.98, ge=0, le=1)  # `mostly` of the text-uniqueness expectation


class TrainParams(_Section):
    """Stage train: vignettes (split == train) -> data/models/model.skops."""
    vignettes: str = "data/vignettes/vignettes.parquet"
    model: str = "data/models/model.skops"
    seed: int = Field(20261122, ge=0)
    word_ngram_max: int = Field(2, ge=1, le=4)            # word n-grams 1..N (TF-IDF, sublinear tf)
    word_min_df: int = Field(2, ge=1)                     # drop word n-grams seen in fewer training texts
    char_ngram_min: int = Field(2, ge=1, le=8)            # char_wb n-grams min..max (within word boundaries)
    char_ngram_max: int = Field(5, ge=0, le=8)            # 0 = no character features
    char_min_df: int = Field(2, ge=1)
    C: float = Field(1.0, gt=0, le=1e6)                   # inverse L2 strength of the logistic regression
    max_iter: int = Field(3000, ge=10, le=100_000)
    class_weight: Literal["balanced"] | None = None
    concepts: bool = True                                 # vocabulary concept tokens (symcause/model/features.py)
    concept_ngram_max: int = Field(2, ge=1, le=3)         # concept token n-grams: 2 pairs a symptom with its region
    concept_weight: float = Field(1.0, ge=0, le=10)       # scale of the concept-token block against the word block
    knowledge: str = "data/knowledge/knowledge.parquet"  # the knowledge table the model's naive Bayes part reads
    knowledge_weight: float = Field(0.0, ge=0, le=5)      # exponent of the knowledge naive Bayes (0 = text model only)
    temperature: float = Field(1.0, gt=0, le=10)          # the blend's probabilities ** (1 / T): calibration only

    @field_validator("char_ngram_max")
    @classmethod
    def _char_range(cls, v: int, info: Any) -> int:
        lo = info.data.get("char_ngram_min", 1)
        if v and v < lo:
            raise ValueError(f"must be 0 (no character features) or >= char_ngram_min ({lo})")
        return v


class EvaluateParams(_Section):
    """Stage evaluate: the model on val/test vignettes and the hand-written cases."""
    vignettes: str = "data/vignettes/vignettes.parquet"
    model: str = "data/models/model.skops"
    handwritten: str = "data/handwritten/cases.jsonl"
    handwritten_dev: str | None = "data/handwritten_dev/cases.jsonl"  # development set for tuning decisions
    handwritten_dev2: str | None = None     # a second development set (tuning decisions look at both)
    handwritten_blind2: str | None = None   # a second blind set (written later, by someone who never saw the code)
    reports: str = "reports/model"
    splits: list[Literal["train", "val", "test"]] = Field(["val", "test"], min_length=1)  # vignette splits scored
    top_confusions: int = Field(10, ge=0, le=100)         # most frequent (true -> predicted) pairs in report.md
    learning_curve_sizes: list[int] = Field([500, 2000, 8000, 30000], max_length=8)  # training rows per point
    knowledge: str = "data/knowledge/knowledge.parquet"   # for the knowledge-only baseline and the scope split
    bootstrap: int = Field(1000, ge=0, le=100_000)        # resamples for the 95% intervals (0: none)
    bootstrap_seed: int = Field(20261201, ge=0)
    scope_margin: float = Field(1.5, ge=1.0, le=100.0)    # a deciding finding favours the label by this factor
    ablation: bool = True                                 # also train a seeds-only model (extract.sources, seed)
    headline: str = "reports/metrics.json"                # the small file `dvc metrics show` displays
    extraction_report: str = "reports/extraction.json"    # extraction F1 per set, for the headline


_SEMVER = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")


class PublishParams(_Section):
    """Stage publish: tables, vignettes by split, manifest, SHA256SUMS and dataset card -> data/published."""
    version: str = "0.1.0"                       # dataset version (X.Y.Z); a release is tagged dataset-vX.Y.Z
    name: str = "symcause"
    license: str = "cc-by-4.0"                   # Hugging Face licence id of the dataset (card front matter, Croissant)
    redistributable_licences: list[str] = ["CC-BY-4.0", "CC-BY-SA-4.0", "CC0-1.0"]   # sources whose full text ships
    knowledge: str = "data/knowledge/knowledge.parquet"
    citation: str = "CITATION.cff"               # copied into the release; the card quotes it as BibTeX
    url: str = "https://github.com/symcause/symcause"   # where the project lives (card, Croissant, citation)
    maintainers: list[str] = ["symcause maintainers <maintainers@symcause.invalid>"]
    date_published: str = Field("2026-12-01", pattern=r"^\d{4}-\d{2}-\d{2}$")   # set when releasing
    schema_version: str = "2.0.0"                # must equal schema_version in schemas/tables.yaml
    out: str = "data/published"
    facts_dir: str = "data/facts"
    vignettes: str = "data/vignettes/vignettes.parquet"
    reports: str = "reports"                     # extraction.json, vignettes/report.json + plots, model/metrics.json
    sources_manifest: str = "data/sources/MANIFEST.csv"
    row_group_rows: int = Field(100_000, ge=1000, le=10_000_000)  # rows per row group of the split files

    @field_validator("version", "schema_version")
    @classmethod
    def _semver(cls, v: str) -> str:
        if not _SEMVER.fullmatch(v):
            raise ValueError("expected a version X.Y.Z (for example 0.1.0)")
        return v

    @field_validator("name", "license")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", v):
            raise ValueError("expected lower-case letters, digits, '.', '_' or '-'")
        return v


class BenchParams(_Section):
    corpus_mb: float = Field(1.0, gt=0, le=100)
    repeats: int = Field(3, ge=1, le=20)
    vignettes: int = Field(1_000_000, ge=1000, le=100_000_000)
    workers: int = Field(0, ge=0, le=256)
    train_vignettes: int = Field(100_000, ge=0, le=10_000_000)   # training-time benchmark size (0 = skip)
    repro: bool = True             # time `dvc repro` from scratch and a no-op `dvc repro` in a temporary copy


class Params(BaseModel):
    """All of params.yaml: one section per stage (plus `bench`); an unknown section is an error."""
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    extract: ExtractParams = ExtractParams()
    validate_: ValidateParams = Field(ValidateParams(), alias="validate")
    evaluate_extraction: EvaluateExtractionParams = EvaluateExtractionParams()
    knowledge: KnowledgeParams = KnowledgeParams()
    generate: GenerateParams = GenerateParams()
    audit_vignettes: AuditParams = AuditParams()
    train: TrainParams = TrainParams()
    evaluate: EvaluateParams = EvaluateParams()
    publish: PublishParams = PublishParams()
    bench: BenchParams = BenchParams()


def load_params(path: str | Path | None = None) -> Params:
    """Read and validate params; a bad value raises BadInputError naming the key."""
    p = Path(path) if path else find_project_root() / "params.yaml"
    try:
        raw: Any = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise BadInputError(f"{p}: params file not found") from exc
    except yaml.YAMLError as exc:
        raise BadInputError(f"{p}: not valid YAML ({exc})") from exc
    return validate_params(raw, str(p))


def validate_params(raw: Any, where: str) -> Params:
    """Validate a params mapping read from `where` (named in the errors); a bad value raises BadInputError naming
    the key."""
    if not isinstance(raw, dict):
        raise BadInputError(f"{where}: expected a mapping of stage sections")
    try:
        return Params.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(x) for x in err["loc"])
        if err["type"] == "extra_forbidden":
            *parent, name = (str(x) for x in err["loc"])
            model: Any = Params
            for part in parent:
                field = next(f for n, f in model.model_fields.items() if (f.alias or n) == part)
                model = field.annotation
            known = sorted((f.alias or n) for n, f in model.model_fields.items())
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            what = "section" if not parent else "key"
            raise BadInputError(f"{where}: {key}: unknown {what} ({hint}known: {', '.join(known)})") from exc
        raise BadInputError(f"{where}: {key}: {err['msg']} (got {err.get('input')!r})") from exc

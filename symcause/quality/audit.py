"""Stage `audit_vignettes`: validate the synthetic vignettes table and write the dataset report.

    python -m pipeline.audit_vignettes [--params params.yaml]

Validation (any failure writes its cases to REPORTS/validation/failures_*.csv and stops the
stage with exit code 2):

- pandera column contracts (schemas/tables.yaml `vignettes`) on all rows;
- full-table checks in vectorised pandas / pyarrow on all rows: traceability (every fact id in
  `fact_ids` exists in facts or factors and belongs to the vignette's condition; every listed
  symptom, region, factor and negated finding is stated by one of the vignette's own facts or
  is a declared distractor; the condition exists and has the vignette's category) and
  cross-split duplicates (the same text, after lower-casing and punctuation/whitespace
  normalisation, in two splits);
- great-expectations 1.x (schemas/expectations/vignettes.json, HTML Data Docs in
  REPORTS/validation/data_docs) on a deterministic sample of `gx_sample_rows` rows plus every
  row a full-table check flagged, with the per-row results of those checks and each row's
  category share of the table and of its split (computed on all rows) as columns, so they fail
  there too.

Report (REPORTS/report.json, a DVC metrics file; REPORTS/report.md; plots in REPORTS/plots):
class balance overall and per split, style / difficulty / sex, text length and age, lexical
diversity (distinct-n, vocabulary) on a deterministic sample, exact duplicate rates (all rows)
and near-duplicate rates (MinHash + LSH over word 3-gram shingles, verified by exact Jaccard,
on a deterministic sample). The same input gives byte-identical report.json and report.md.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from symcause.core.contract import CATEGORIES, DIFFICULTIES, SEXES, SPLITS, STYLES
from symcause.core.errors import BadInputError, ValidationFailed
from symcause.core.io import read_json_object, read_parquet_parts, write_json, write_text
from symcause.core.paths import project_relative, schemas_dir
from symcause.core.tables import validate_table
from symcause.core.vocab import cached_vocab
from symcause.quality.coherence import COHERENCE_COLUMNS, contradictions, differential_summary
from symcause.quality.plots import write_plots
from symcause.quality.validation import load_suite_specs, run_gx

# per-row full-table checks: every one must be 0 on every row (schemas/expectations/vignettes.json)
CHECK_COLUMNS = ("n_unknown_condition", "n_category_mismatch", "n_unknown_fact_ids", "n_foreign_fact_ids",
                 "n_untraceable_symptoms", "n_untraceable_regions", "n_untraceable_factors",
                 "n_untraceable_negations", "n_cross_split_dups")
GX_COLUMNS = ("vignette_id", "text", "category", "condition_id", "age", "sex", "style", "difficulty", "split", "side",
              "label_supported")
FACT_COLUMNS = {
    "facts": ["fact_id", "condition_id", "symptom", "region", "negated"],
    "factors": ["fact_id", "condition_id", "factor"],
    "conditions": ["condition_id", "category"],
}
MAX_CASES_PER_CHECK = 10_000  # failure CSVs list at most this many cases per check (counts are always complete)
SHINGLE_WORDS = 3


@dataclass(frozen=True)
class AuditSettings:
    gx_sample_rows: int = 200_000
    text_sample_rows: int = 20_000
    near_dup_sample_rows: int = 20_000
    near_dup_jaccard: float = 0.8
    minhash_bands: int = 20
    minhash_rows: int = 6
    min_category_share: float = 0.10
    max_category_share: float = 0.25
    min_split_category_share: float = 0.08
    max_split_category_share: float = 0.30
    min_text_chars: int = 15
    max_text_chars: int = 1500
    min_unique_text_share: float = 0.98


def settings_from_params(a: Any, source: str = "params.yaml") -> AuditSettings:
    """AuditSettings from the `audit_vignettes` params section; bounds must be ordered."""
    s = AuditSettings(**{f.name: getattr(a, f.name) for f in dataclasses.fields(AuditSettings)})
    for lo, hi in (("min_category_share", "max_category_share"), ("min_text_chars", "max_text_chars"),
                   ("min_split_category_share", "max_split_category_share")):
        if getattr(s, lo) > getattr(s, hi):
            raise BadInputError(f"{source}: audit_vignettes.{lo}: must not exceed {hi} "
                                f"(got {getattr(s, lo)} > {getattr(s, hi)})")
    return s


# ---------------------------------------------------------------------------------------------
# input


def read_vignettes(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise BadInputError(f"{path}: vignettes table is missing (run the generate stage first)")
    try:
        return read_parquet_parts(path)  # a file, or the dask engine's partitioned folder
    except Exception as exc:
        raise BadInputError(f"{path}: not a readable Parquet file ({exc})") from exc


def read_fact_tables(facts_dir: Path) -> dict[str, pd.DataFrame]:
    """The columns of facts / factors / conditions that the traceability checks need."""
    out = {}
    for name, cols in FACT_COLUMNS.items():
        path = facts_dir / f"{name}.parquet"
        if not path.is_file():
            raise BadInputError(f"{path}: table is missing (run the extract stage first)")
        try:
            out[name] = pd.read_parquet(path, columns=cols)
        except Exception as exc:
            raise BadInputError(f"{path}: not a readable Parquet file with columns {', '.join(cols)} ({exc})") from exc
    return out


# ---------------------------------------------------------------------------------------------
# text helpers (pyarrow, vectorised)


def normalise_texts(texts: pd.Series | list[str], chunk: int = 100_000) -> pd.Series:
    """Lower case; every run of characters that are not letters or digits becomes one space; trimmed.

    "I'm 33 (M). Knee-pain!" -> "i m 33 m knee pain". Chunks run in threads (pyarrow frees the GIL).
    """
    arr = _arrow_strings(texts)

    def norm(a: pa.Array) -> pa.Array:
        return pc.utf8_trim_whitespace(pc.replace_substring_regex(pc.utf8_lower(a), r"[^\p{L}\p{N}]+", " "))

    parts = [arr.slice(i, chunk) for i in range(0, len(arr), chunk)] or [arr]
    with ThreadPoolExecutor(max_workers=4) as ex:
        out = pa.chunked_array(list(ex.map(norm, parts)), type=pa.string())
    return pd.Series(out.to_pandas().array, dtype="str")


def _arrow_strings(texts: pd.Series | list[str]) -> pa.Array:
    """The texts as one pyarrow string array (no copy for pandas' Arrow-backed str columns)."""
    if isinstance(texts, pd.Series) and isinstance(texts.dtype, pd.StringDtype):
        arr = pa.array(texts.array, type=pa.string())
    else:
        arr = pa.array(pd.Series(list(texts), dtype="str").array, type=pa.string())
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def word_counts(texts: pd.Series) -> np.ndarray:
    """Whitespace-separated words per text."""
    arr = _arrow_strings(texts)
    return pc.list_value_length(pc.utf8_split_whitespace(arr)).to_numpy(zero_copy_only=False).astype(np.int64)


def tokenise(norm: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(text position, token code) for every word of normalised texts, in order; codes are exact
    (pd.factorize), so equal words have equal codes."""
    lists = pc.split_pattern(_arrow_strings(norm), " ")
    flat = pc.list_flatten(lists).to_numpy(zero_copy_only=False)
    doc = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    keep = flat != ""
    codes, _ = pd.factorize(flat[keep])
    return doc[keep], codes.astype(np.int64)


def ngrams(doc: np.ndarray, codes: np.ndarray, n: int, pad_short: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(text position, n-gram id) of every word n-gram inside one text; ids are exact (equal n-grams,
    equal ids). With pad_short, a text of fewer than n words gives one n-gram of all its words."""
    size = len(codes)
    if size == 0:
        return doc[:0], codes[:0]
    idx = np.arange(size)
    cols = []
    for k in range(n):
        j = np.minimum(idx + k, size - 1)
        cols.append(np.where((idx + k < size) & (doc[j] == doc), codes[j], -1))
    keep = cols[-1] != -1
    if pad_short:
        lengths = np.bincount(doc)
        first = np.r_[True, doc[1:] != doc[:-1]]
        keep |= first & (lengths[doc] < n)
    if not keep.any():
        return doc[:0], codes[:0]
    base = np.int64(codes.max()) + 2  # codes and the pad -1, shifted to 1.. and 0
    ids = cols[0][keep] + 1
    for col in cols[1:]:  # exact: re-number after each word, so the keys stay far below 2**63
        _, ids = np.unique(ids * base + (col[keep] + 1), return_inverse=True)
    return doc[keep], ids.ravel().astype(np.int64)


def sample_positions(ids: pd.Series, k: int) -> np.ndarray:
    """Positions (in table order) of the k rows whose id hashes lowest: the same rows for the same ids
    in any row order, and a larger k gives a superset."""
    if k >= len(ids):
        return np.arange(len(ids))
    h = pd.util.hash_array(ids.to_numpy(dtype=object))
    return np.sort(np.argsort(h, kind="stable")[:k])


# ---------------------------------------------------------------------------------------------
# lexical diversity


def lexical_stats(texts: pd.Series | list[str], ns: tuple[int, ...] = (1, 2, 3)) -> dict[str, float | int]:
    """distinct-n = distinct word n-grams / all word n-grams (n-grams do not cross texts), over the
    texts given; vocabulary = distinct words. Words are those of `normalise_texts`."""
    doc, codes = tokenise(normalise_texts(pd.Series(texts, dtype="str")))
    out: dict[str, float | int] = {"texts": len(texts), "tokens": int(len(codes)),
                                   "vocab_size": int(len(np.unique(codes)))}
    for n in ns:
        _, ids = ngrams(doc, codes, n)
        out[f"distinct_{n}"] = round(len(np.unique(ids)) / len(ids), 6) if len(ids) else 0.0
    return out


# ---------------------------------------------------------------------------------------------
# near duplicates: MinHash over word shingles, LSH banding, exact Jaccard check

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser on uint64 arrays (wraps modulo 2**64): a fixed, well-spread hash."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def minhash_signatures(sdoc: np.ndarray, sid: np.ndarray, n_docs: int, n_perm: int,
                       chunk: int = 16) -> np.ndarray:
    """(n_docs, n_perm) MinHash signatures of the shingle sets; a text without shingles keeps the
    maximum value everywhere. `sdoc` must be sorted (shingles grouped by text); `sid` are dense ids
    0..k-1 (as `ngrams` gives)."""
    sig = np.full((n_docs, n_perm), np.iinfo(np.uint64).max, dtype=np.uint64)
    if len(sid) == 0:
        return sig
    seeds = _mix64((np.arange(1, n_perm + 1, dtype=np.uint64)) * _GOLDEN)
    starts = np.flatnonzero(np.r_[True, sdoc[1:] != sdoc[:-1]])
    owners = sdoc[starts]
    distinct = np.arange(int(sid.max()) + 1, dtype=np.uint64)  # ids are 0..k-1: hash each once, then gather
    for lo in range(0, n_perm, chunk):
        hv = _mix64(distinct[:, None] ^ seeds[None, lo:lo + chunk])[sid]
        sig[owners, lo:lo + chunk] = np.minimum.reduceat(hv, starts, axis=0)
    return sig


def lsh_candidates(sig: np.ndarray, bands: int, rows: int, valid: np.ndarray) -> np.ndarray:
    """(k, 2) pairs i < j of texts that agree on all rows of at least one band."""
    found = []
    docs = np.flatnonzero(valid)
    for b in range(bands):
        key = np.zeros(len(docs), dtype=np.uint64)
        for col in range(b * rows, (b + 1) * rows):  # a hash collision only adds a candidate (checked later)
            key = _mix64(key ^ sig[docs, col])
        _, bucket = np.unique(key, return_inverse=True)
        bucket = bucket.ravel()
        order = np.argsort(bucket, kind="stable")
        sb, sd = bucket[order], docs[order]
        for d in range(1, len(sd)):
            same = sb[d:] == sb[:-d]
            if not same.any():
                break  # buckets are contiguous: no bucket holds more than d texts
            found.append(np.stack([sd[:-d][same], sd[d:][same]], axis=1))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.sort(np.concatenate(found), axis=1)
    return np.unique(pairs, axis=0)


def near_duplicate_pairs(texts: pd.Series | list[str], threshold: float = 0.8, bands: int = 20, rows: int = 6,
                         shingle: int = SHINGLE_WORDS) -> pd.DataFrame:
    """Pairs (i, j, jaccard), i < j positions in `texts`, whose word-`shingle`-gram sets (of the
    normalised texts) have Jaccard >= threshold. Candidates come from MinHash (bands x rows
    permutations) with LSH banding; every candidate is checked with the exact Jaccard. A text of
    fewer than `shingle` words is one shingle of all its words."""
    texts = pd.Series(texts, dtype="str")
    doc, codes = tokenise(normalise_texts(texts))
    sdoc, sid = ngrams(doc, codes, shingle, pad_short=True)
    valid = np.bincount(sdoc, minlength=len(texts)) > 0
    sig = minhash_signatures(sdoc, sid, len(texts), bands * rows)
    cand = lsh_candidates(sig, bands, rows, valid)
    if len(cand) == 0:
        return pd.DataFrame({"i": np.zeros(0, np.int64), "j": np.zeros(0, np.int64), "jaccard": np.zeros(0)})
    bounds = np.searchsorted(sdoc, np.arange(len(texts) + 1))
    sets = [frozenset(sid[bounds[k]:bounds[k + 1]].tolist()) for k in range(len(texts))]
    jac = np.array([len(sets[i] & sets[j]) / len(sets[i] | sets[j]) for i, j in cand.tolist()])
    keep = jac >= threshold
    return pd.DataFrame({"i": cand[keep, 0], "j": cand[keep, 1], "jaccard": jac[keep]})


def near_duplicate_flags(texts: pd.Series, splits: pd.Series, threshold: float = 0.8, bands: int = 20,
                         rows: int = 6) -> tuple[np.ndarray, np.ndarray, int]:
    """(has a near duplicate in its own split, has one in another split, number of near-duplicate
    pairs of distinct texts) for every row. Rows with the same normalised text are near duplicates
    of each other (Jaccard 1); the MinHash search runs once per distinct text."""
    key, _ = pd.factorize(normalise_texts(texts))
    split_code = pd.Categorical(splits.to_numpy(dtype=object), categories=list(SPLITS)).codes.astype(np.int64)
    if (split_code < 0).any():
        raise ValueError("unknown split value")
    n_groups = int(key.max()) + 1 if len(key) else 0
    first = np.unique(key, return_index=True)[1]
    reps = texts.iloc[first].reset_index(drop=True)
    pairs = near_duplicate_pairs(reps, threshold, bands, rows)
    counts = np.zeros((n_groups, len(SPLITS)), dtype=np.int64)
    np.add.at(counts, (key, split_code), 1)
    near = counts.copy()  # rows of the group itself and of its near-duplicate groups, per split
    a, b = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    np.add.at(near, a, counts[b])
    np.add.at(near, b, counts[a])
    own = near[key, split_code] - 1
    other = near[key].sum(axis=1) - near[key, split_code]
    return own > 0, other > 0, int(len(pairs))


# ---------------------------------------------------------------------------------------------
# full-table checks


def _flatten(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(row position, value) for every element of a list column."""
    arr = s.to_numpy(dtype=object)
    lens = np.fromiter(map(len, arr), dtype=np.int64, count=len(arr))
    if lens.sum() == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
    return np.repeat(np.arange(len(arr), dtype=np.int64), lens), np.concatenate(list(arr)).astype(object)


def _pairs_in(rows: np.ndarray, values: np.ndarray, allowed_rows: np.ndarray, allowed_values: np.ndarray) -> np.ndarray:
    """Whether each (rows[i], values[i]) is one of the (allowed_rows[k], allowed_values[k]) pairs."""
    if len(rows) == 0:
        return np.zeros(0, dtype=bool)
    codes, _ = pd.factorize(np.concatenate([allowed_values, values]).astype(object))
    base = np.int64(codes.max() + 2)
    ok = np.sort(allowed_rows * base + codes[:len(allowed_values)])
    listed = rows * base + codes[len(allowed_values):]
    at = np.minimum(np.searchsorted(ok, listed), max(len(ok) - 1, 0))
    return ok[at] == listed if len(ok) else np.zeros(len(rows), dtype=bool)


def traceability(v: pd.DataFrame, facts: pd.DataFrame, factors: pd.DataFrame,
                 conditions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-row counts of traceability violations (columns n_unknown_condition ... n_untraceable_negations,
    index as v) and the failure cases (vignette_id, check, failure_case).

    A fact id must exist in facts or factors and belong to the vignette's condition. A listed symptom
    or region must be stated by one of the vignette's own positive facts, a factor by one of its own
    factor facts, a negated finding 'symptom:region' by one of its own negated facts (a bare
    'symptom' is a generic negative and 'symptom@region' a pertinent negative: they need none); a symptom that is a
    declared distractor passes.
    """
    n = len(v)
    cases: list[pd.DataFrame] = []
    counts: dict[str, np.ndarray] = {}

    def record(check: str, rows: np.ndarray, values: np.ndarray) -> None:
        counts[check] = np.bincount(rows, minlength=n).astype(np.int64)
        if len(rows):
            cases.append(pd.DataFrame({"row": rows[:MAX_CASES_PER_CHECK], "check": check,
                                       "failure_case": values[:MAX_CASES_PER_CHECK].astype(str)}))

    conds = conditions.drop_duplicates("condition_id")
    cond_names = pd.Index(pd.unique(np.concatenate([conds["condition_id"].to_numpy(dtype=object),
                                                    facts["condition_id"].to_numpy(dtype=object),
                                                    factors["condition_id"].to_numpy(dtype=object)])))
    cond = cond_names.get_indexer(v["condition_id"])  # integer codes; -1: in no fact table either
    cat_of = np.full(len(cond_names) + 1, None, dtype=object)  # code -> category (None: not in conditions)
    cat_of[cond_names.get_indexer(conds["condition_id"])] = conds["category"].to_numpy(dtype=object)
    expected = cat_of[cond]  # code -1 reads the trailing None
    rows = np.flatnonzero(pd.isna(expected))
    record("n_unknown_condition", rows, v["condition_id"].to_numpy(dtype=object)[rows])
    category = v["category"].to_numpy(dtype=object)
    rows = np.flatnonzero(~pd.isna(expected) & (expected != category))
    cid = v["condition_id"].to_numpy(dtype=object)
    record("n_category_mismatch", rows, np.array([f"{category[r]} (condition {cid[r]} is {expected[r]})"
                                                  for r in rows[:MAX_CASES_PER_CHECK]], dtype=object))

    # every fact and factor fact: id -> (condition, table, symptom, region, negated, factor)
    lookup = pd.concat([
        facts.assign(table="facts", factor=None),
        factors.assign(table="factors", symptom=None, region=None, negated=False),
    ], ignore_index=True).drop_duplicates("fact_id")
    f_cond = cond_names.get_indexer(lookup["condition_id"])
    f_is_fact = (lookup["table"] == "facts").to_numpy()
    f_neg = lookup["negated"].astype(bool).to_numpy()
    f_sym, f_reg = lookup["symptom"].to_numpy(dtype=object), lookup["region"].to_numpy(dtype=object)
    f_factor = lookup["factor"].to_numpy(dtype=object)

    rows, fid = _flatten(v["fact_ids"])
    at = pd.Index(lookup["fact_id"].to_numpy(dtype=object)).get_indexer(fid)
    unknown = at < 0
    foreign = ~unknown & (f_cond[at] != cond[rows])
    record("n_unknown_fact_ids", rows[unknown], fid[unknown])
    record("n_foreign_fact_ids", rows[foreign],
           np.array([f"{x} (of {cond_names[c]})" for x, c in zip(fid[foreign], f_cond[at[foreign]])], dtype=object))
    own_rows, own_at = rows[~unknown & ~foreign], at[~unknown & ~foreign]
    pos = f_is_fact[own_at] & ~f_neg[own_at]
    neg = f_is_fact[own_at] & f_neg[own_at]
    fac = ~f_is_fact[own_at]
    d_rows, d_vals = _flatten(v["distractors"])
    allowed = {
        "symptoms": (np.concatenate([own_rows[pos], d_rows]), np.concatenate([f_sym[own_at[pos]], d_vals])),
        "regions": (own_rows[pos], f_reg[own_at[pos]]),
        "factors": (own_rows[fac], f_factor[own_at[fac]]),
        "negated_findings": (own_rows[neg], np.array([f"{a}:{b}" for a, b in zip(f_sym[own_at[neg]],
                                                                                 f_reg[own_at[neg]])], dtype=object)),
    }
    for col, (a_rows, a_vals) in allowed.items():
        rows, vals = _flatten(v[col])
        check = f"n_untraceable_{col}"
        if col == "negated_findings":  # a bare 'symptom' is a generic negative, not a fact
            keep = np.array([":" in str(x) for x in vals], dtype=bool)
            rows, vals = rows[keep], vals[keep]
            check = "n_untraceable_negations"
        bad = ~_pairs_in(rows, vals, a_rows, a_vals)
        record(check, rows[bad], vals[bad])

    per_row = pd.DataFrame({c: counts[c] for c in CHECK_COLUMNS if c in counts}, index=v.index)
    if cases:
        fc = pd.concat(cases, ignore_index=True).sort_values(["row", "check"], kind="stable")
        fc.insert(0, "vignette_id", v["vignette_id"].to_numpy(dtype=object)[fc["row"].to_numpy()])
        fc = fc.drop(columns="row").reset_index(drop=True)
    else:
        fc = pd.DataFrame(columns=["vignette_id", "check", "failure_case"])
    return per_row, fc


def cross_split_duplicates(key: np.ndarray, splits: pd.Series) -> np.ndarray:
    """For each row, how many rows of OTHER splits have the same key (normalised text code)."""
    df = pd.DataFrame({"key": key, "split": splits.to_numpy(dtype=object)})
    total = df.groupby("key")["key"].transform("size").to_numpy()
    same = df.groupby(["key", "split"])["key"].transform("size").to_numpy()
    return (total - same).astype(np.int64)


def duplicate_rates(key: np.ndarray, splits: pd.Series) -> dict[str, Any]:
    """Exact duplicate rates on normalised texts: within each split the share of rows whose text
    occurs earlier in that split (1 - distinct/rows); across splits the share of rows whose text
    also occurs in another split."""
    sp = splits.to_numpy(dtype=object)
    within = {}
    for s in SPLITS:
        k = key[sp == s]
        within[s] = round(1 - len(np.unique(k)) / len(k), 6) if len(k) else 0.0
    df = pd.DataFrame({"key": key, "split": sp})
    cross = cross_split_duplicates(key, splits) > 0
    return {"exact_within_split": within,
            "exact_within_split_all": round(1 - df.drop_duplicates().shape[0] / len(df), 6) if len(df) else 0.0,
            "exact_cross_split_rate": round(float(cross.mean()), 6) if len(df) else 0.0,
            "exact_cross_split_rows": int(cross.sum()),
            "exact_cross_split_texts": int(len(np.unique(key[cross])))}


def cross_split_cases(v: pd.DataFrame, norm: pd.Series, n_other: np.ndarray) -> pd.DataFrame:
    rows = np.flatnonzero(n_other > 0)[:MAX_CASES_PER_CHECK]
    return pd.DataFrame({"vignette_id": v["vignette_id"].to_numpy(dtype=object)[rows], "check": "n_cross_split_dups",
                         "split": v["split"].to_numpy(dtype=object)[rows], "rows_in_other_splits": n_other[rows],
                         "normalised_text": norm.to_numpy(dtype=object)[rows]})


def gx_frame(v: pd.DataFrame, checks: pd.DataFrame, sample_rows: int) -> pd.DataFrame:
    """The frame great-expectations sees: scalar columns of a deterministic sample plus (up to
    sample_rows) rows flagged by a full-table check, with the check counts, each row's category share
    of the whole table and of its split, and the number of categories in its split (all on all rows)."""
    v = v.reset_index(drop=True)
    flagged = np.flatnonzero(checks.to_numpy().sum(axis=1) > 0)[:sample_rows]
    rows = np.union1d(sample_positions(v["vignette_id"], sample_rows), flagged)
    share = v["category"].map(v["category"].value_counts(normalize=True)).astype(float)
    in_split = (v.groupby(["split", "category"])["category"].transform("size")
                / v.groupby("split")["split"].transform("size"))
    out = v.loc[rows, list(GX_COLUMNS)].copy()
    out["category_share"] = share.to_numpy()[rows]
    out["category_share_in_split"] = in_split.astype(float).to_numpy()[rows]
    out["categories_in_split"] = v.groupby("split")["category"].transform("nunique").to_numpy()[rows]
    for c in checks.columns:
        out[c] = checks[c].to_numpy()[rows]
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# the report


def _shares(s: pd.Series, keys: tuple[str, ...]) -> dict[str, float]:
    vc = s.value_counts()
    return {k: round(float(vc.get(k, 0)) / len(s), 6) if len(s) else 0.0 for k in keys}


def _describe(x: np.ndarray) -> dict[str, float]:
    if len(x) == 0:
        return {"mean": 0.0, "min": 0.0, "p05": 0.0, "p50": 0.0, "p95": 0.0, "max": 0.0}
    q = np.percentile(x, [5, 50, 95])
    return {"mean": round(float(np.mean(x)), 4), "min": float(np.min(x)), "p05": float(q[0]), "p50": float(q[1]),
            "p95": float(q[2]), "max": float(np.max(x))}


def dataset_report(v: pd.DataFrame, words: np.ndarray, checks: pd.DataFrame, lexical: dict[str, Any],
                   duplicates: dict[str, Any], validation: dict[str, Any]) -> dict[str, Any]:
    """The numbers of report.json (pure; rounded so the same input gives the same bytes)."""
    chars = v["text"].str.len().to_numpy()
    by_split = {s: _shares(v.loc[v["split"] == s, "category"], CATEGORIES) for s in SPLITS}
    shares = _shares(v["category"], CATEGORIES)
    return {
        "rows": int(len(v)),
        "conditions": int(v["condition_id"].nunique()),
        "split_share": _shares(v["split"], SPLITS),
        "category_share": shares,
        "category_share_min": min(shares.values()) if shares else 0.0,
        "category_share_max": max(shares.values()) if shares else 0.0,
        "category_share_by_split": by_split,
        "category_share_split_min": min((x for d in by_split.values() for x in d.values()), default=0.0),
        "category_share_split_max": max((x for d in by_split.values() for x in d.values()), default=0.0),
        "style_share": _shares(v["style"], STYLES),
        "difficulty_share": _shares(v["difficulty"], DIFFICULTIES),
        "sex_share": _shares(v["sex"], SEXES),
        "rates": {
            "red_flag": round(float(v["red_flag"].mean()), 6),
            "names_condition": round(float(v["names_condition"].mean()), 6),
            "with_negated_finding": round(float((v["negated_findings"].map(len) > 0).mean()), 6),
            "with_distractor": round(float((v["distractors"].map(len) > 0).mean()), 6),
        },
        "facts_per_vignette_mean": round(float(v["fact_ids"].map(len).mean()), 4),
        "age": _describe(v["age"].to_numpy()),
        "age_share_at_min": round(float((v["age"] == v["age"].min()).mean()), 6) if len(v) else 0.0,
        "age_share_at_max": round(float((v["age"] == v["age"].max()).mean()), 6) if len(v) else 0.0,
        "text_chars": _describe(chars),
        "text_words": _describe(words),
        "text_words_mean_by_style": {s: round(float(words[(v["style"] == s).to_numpy()].mean()), 4)
                                     if (v["style"] == s).any() else 0.0 for s in STYLES},
        "lexical": lexical,
        "duplicates": duplicates,
        "traceability": {c: int(checks[c].sum()) for c in checks.columns},
        "validation": validation,
    }


def _table(header: list[str], rows: list[list[Any]]) -> str:
    fmt = [" | ".join(str(x) for x in r) for r in [header, ["---"] * len(header), *rows]]
    return "\n".join(f"| {line} |" for line in fmt)


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def coherence_markdown(r: dict[str, Any]) -> list[str]:
    """The report's coherence and differential section."""
    coh, diff, gen = r.get("coherence", {}), r.get("differential", {}), r.get("generation", {})
    out = ["## Coherence and the differential", "",
           "Each row is one patient. Contradictions counted on every row (each must be 0, and is checked): a case "
           "that is not spinal in both legs or naming both sides, a finding both stated and denied, a side named "
           "in the text that is not the row's `side`.", "",
           _table(["contradiction", "rows"], [[k.removeprefix("n_").replace("_", " "), v] for k, v in coh.items()]), ""]
    if diff:
        out += ["`differential`: P(label | the findings written) under the knowledge table (naive Bayes, uniform "
                f"label prior); entropy in bits (at most {diff['max_entropy_bits']} for {len(diff['labels'])} labels). "
                "Harder cases say less, so their differential is flatter.", "",
                _table(["difficulty", "rows", "entropy (bits)", "own label first", "own label in top two",
                        "drawn cases dropped"],
                       [[d, diff[d]["rows"], diff[d]["entropy_bits_mean"], _pct(diff[d]["top1_share"]),
                         _pct(diff[d]["supported_share"]),
                         _pct(gen.get("dropped_share", {}).get(d, 0.0)) if gen else "n/a"]
                        for d in DIFFICULTIES if d in diff]), ""]
    if gen:
        out += [f"Drop rule: {gen.get('rule', '')}. Dropped overall: {_pct(gen.get('dropped_share_all', 0.0))} of "
                f"{sum(gen.get('drawn', {}).values()):,} drawn cases.", ""]
    return out


def render_markdown(r: dict[str, Any], s: AuditSettings) -> str:
    """report.md from the report dict (pure)."""
    lx, d = r["lexical"], r["duplicates"]
    out = ["# Vignettes dataset report", "",
           f"{r['rows']:,} vignettes of {r['conditions']} conditions. Generated by `python -m pipeline.audit_vignettes` "
           "(stage `audit_vignettes`); numbers in `report.json`, plots in `plots/`, validation in `validation/`.", "",
           "## Labels", "",
           _table(["category", "all", *SPLITS],
                  [[c, _pct(r["category_share"][c]), *(_pct(r["category_share_by_split"][sp][c]) for sp in SPLITS)]
                   for c in CATEGORIES]
                  + [["**rows**", _pct(1.0), *(_pct(r["split_share"][sp]) for sp in SPLITS)]]), "",
           f"Bounds checked on all rows: every category between {_pct(s.min_category_share)} and "
           f"{_pct(s.max_category_share)} of the table, between {_pct(s.min_split_category_share)} and "
           f"{_pct(s.max_split_category_share)} of each split, and all six categories in every split.", "",
           "## Style, difficulty, demographics", "",
           _table(["style", "share", "mean words"],
                  [[k, _pct(v), r["text_words_mean_by_style"][k]] for k, v in r["style_share"].items()]), "",
           _table(["difficulty", "share"], [[k, _pct(v)] for k, v in r["difficulty_share"].items()]), "",
           _table(["sex", "share"], [[k, _pct(v)] for k, v in r["sex_share"].items()]), "",
           _table(["feature", "share of vignettes"], [[k.replace("_", " "), _pct(v)] for k, v in r["rates"].items()]),
           "", f"Facts per vignette (mean): {r['facts_per_vignette_mean']}. Share of vignettes at the lowest age: "
           f"{_pct(r['age_share_at_min'])}, at the highest: {_pct(r['age_share_at_max'])} (a pile-up there means "
           "ages are clamped rather than drawn inside the bounds).", "",
           _table(["measure", "mean", "min", "p05", "p50", "p95", "max"],
                  [[name, *(r[key][k] for k in ("mean", "min", "p05", "p50", "p95", "max"))]
                   for name, key in (("age", "age"), ("text characters", "text_chars"),
                                     ("text words", "text_words"))]), "",
           "## Lexical diversity", "",
           f"On a deterministic sample of {lx['texts']:,} texts (the rows whose `vignette_id` hashes lowest): "
           "lower-cased words (runs of letters and digits), n-grams inside one text. "
           "distinct-n = distinct n-grams / all n-grams.", "",
           _table(["tokens", "vocabulary", "distinct-1", "distinct-2", "distinct-3"],
                  [[f"{lx['tokens']:,}", f"{lx['vocab_size']:,}", lx["distinct_1"], lx["distinct_2"],
                    lx["distinct_3"]]]), "",
           "## Duplicates", "",
           "Exact: on all rows, texts compared after lower-casing and turning every run of characters that are "
           "not letters or digits into one space. Within a split: share of rows whose text occurs earlier in "
           "the same split. Across splits: share of rows whose text also occurs in another split "
           "(must be 0: checked).", "",
           _table(["split", "exact duplicate rate"],
                  [[sp, _pct(d["exact_within_split"][sp])] for sp in SPLITS]
                  + [["all (within splits)", _pct(d["exact_within_split_all"])],
                     ["across splits", f"{_pct(d['exact_cross_split_rate'])} ({d['exact_cross_split_rows']} rows)"]]),
           "",
           f"Near duplicates: on a deterministic sample of {d['near_sample_rows']:,} texts, pairs whose sets of "
           f"word {SHINGLE_WORDS}-gram shingles have Jaccard similarity >= {d['near_jaccard_threshold']} "
           f"(exact duplicates included). Candidates from MinHash ({d['near_minhash_perms']} permutations, "
           f"splitmix64 hashes) with LSH banding ({d['near_lsh_bands']} bands x {d['near_lsh_rows']} rows), "
           "then every candidate checked with the exact Jaccard. Rate = share of sampled texts with at least one "
           "near duplicate among the sampled texts.", "",
           _table(["near-duplicate measure", "value"],
                  [["rate within the same split", _pct(d["near_within_split_rate"])],
                   ["rate across splits", _pct(d["near_cross_split_rate"])],
                   ["pairs of distinct texts", d["near_pairs"]]]), "",
           *coherence_markdown(r),
           "## Traceability and validation", "",
           _table(["check (all rows)", "violations"], [[k, v] for k, v in r["traceability"].items()]), "",
           f"great-expectations: {r['validation']['n_expectations']} expectations on "
           f"{r['validation']['gx_rows']:,} rows, {r['validation']['n_failed_expectations']} failed; "
           f"pandera schema failures: {r['validation']['schema_failures']}. Data Docs: "
           "`validation/data_docs/index.html`.", ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# the stage


def read_generation_summary(vignettes_path: Path) -> dict[str, Any]:
    """generation.json beside the vignettes (what the drop rule did); empty when the generator wrote none."""
    return read_json_object(vignettes_path.parent / "generation.json")


def run_audit(vignettes_path: Path, facts_dir: Path, reports: Path, settings: AuditSettings | None = None,
              suite_dir: Path | None = None) -> dict[str, Any]:
    """Validate the vignettes table and write the dataset report; raise ValidationFailed (after
    writing the failure cases) when any check fails. Returns the report dict."""
    s = settings or AuditSettings()
    v = read_vignettes(vignettes_path)
    tables = read_fact_tables(facts_dir)
    vdir = reports / "validation"
    vdir.mkdir(parents=True, exist_ok=True)
    for old in vdir.glob("failures_*.csv"):
        old.unlink()

    def fail_csv(key: str, df: pd.DataFrame) -> Path:
        path = vdir / f"failures_{key}.csv"
        write_text(path, df.to_csv(index=False))
        return path

    try:
        v = validate_table("vignettes", v)
    except ValidationFailed as exc:
        cases_df: pd.DataFrame = exc.failure_cases  # type: ignore[attr-defined]
        path = fail_csv("schema", cases_df)
        write_json(vdir / "summary.json", {"success": False, "schema_failures": int(len(cases_df)),
                                           "rows": int(len(v))})
        raise ValidationFailed(f"{vignettes_path}: {exc}; failure cases in {project_relative(path)}") from exc
    v = v.reset_index(drop=True)

    checks, cases = traceability(v, tables["facts"], tables["factors"], tables["conditions"])
    coherent, incoherent = contradictions(v, cached_vocab(), tables["facts"])
    checks = checks.join(coherent)
    if len(incoherent):
        incoherent.insert(0, "vignette_id", v["vignette_id"].to_numpy(dtype=object)[incoherent.pop("row").to_numpy()])
        cases = pd.concat([cases, incoherent], ignore_index=True)
    norm = normalise_texts(v["text"])
    key, _ = pd.factorize(norm)
    n_other = cross_split_duplicates(key, v["split"])
    checks["n_cross_split_dups"] = n_other
    failures: dict[str, Path] = {}
    if len(cases):
        failures["traceability"] = fail_csv("traceability", cases)   # traceability and coherence cases
    if (n_other > 0).any():
        failures["cross_split"] = fail_csv("cross_split", cross_split_cases(v, norm, n_other))

    frame = gx_frame(v, checks, s.gx_sample_rows)
    suites = load_suite_specs(suite_dir or schemas_dir() / "expectations",
                              dataclasses.asdict(s), names=["vignettes"], section="audit_vignettes")
    if "vignettes" not in suites:
        raise BadInputError(f"{suite_dir or 'schemas/expectations'}: vignettes.json: expectation suite is missing")
    gx_results = run_gx({"vignettes": frame}, suites, vdir / "data_docs")
    failed_gx = [r for r in gx_results if not r["success"]]
    if failed_gx:
        failures["expectations"] = fail_csv("expectations", pd.DataFrame(failed_gx))

    words = word_counts(v["text"])
    lex = lexical_stats(v["text"].iloc[sample_positions(v["vignette_id"], s.text_sample_rows)])
    near_rows = sample_positions(v["vignette_id"], s.near_dup_sample_rows)
    own, other, n_pairs = near_duplicate_flags(v["text"].iloc[near_rows], v["split"].iloc[near_rows],
                                               s.near_dup_jaccard, s.minhash_bands, s.minhash_rows)
    dups = {**duplicate_rates(key, v["split"]),
            "near_sample_rows": int(len(near_rows)), "near_jaccard_threshold": s.near_dup_jaccard,
            "near_minhash_perms": s.minhash_bands * s.minhash_rows, "near_lsh_bands": s.minhash_bands,
            "near_lsh_rows": s.minhash_rows,
            "near_within_split_rate": round(float(own.mean()), 6) if len(own) else 0.0,
            "near_cross_split_rate": round(float(other.mean()), 6) if len(other) else 0.0,
            "near_pairs": n_pairs}
    validation = {"success": not failures, "n_expectations": len(gx_results), "n_failed_expectations": len(failed_gx),
                  "gx_rows": int(len(frame)), "schema_failures": 0}
    report = dataset_report(v, words, checks, lex, dups, validation)
    report["coherence"] = {c: int(checks[c].sum()) for c in COHERENCE_COLUMNS}
    report["differential"] = differential_summary(v)
    report["generation"] = read_generation_summary(vignettes_path)
    write_json(reports / "report.json", report)
    write_text(reports / "report.md", render_markdown(report, s))
    write_plots(v, words, reports / "plots")
    write_json(vdir / "summary.json", {**validation, "traceability": report["traceability"],
                                       "failure_files": {k: project_relative(p) for k, p in failures.items()},
                                       "expectations": gx_results,
                                       "data_docs": project_relative(vdir / "data_docs" / "index.html")})
    if failures:
        first = next(iter(failures.values()))
        raise ValidationFailed(f"{vignettes_path}: audit failed ({', '.join(failures)}); failure cases in "
                               f"{project_relative(first)}{split_size_hint(failed_gx, v)}")
    return report


_SHARE_COLUMNS = ("category_share", "category_share_in_split", "categories_in_split")


def split_size_hint(failed: list[dict[str, Any]], v: pd.DataFrame) -> str:
    """When a category-share bound fails on a small table, the param to change: a split of a few hundred rows
    cannot hold every category within the per-split bounds."""
    columns = {str(r.get("kwargs", {}).get("column")) for r in failed}
    smallest = int(v["split"].value_counts().min()) if len(v) else 0
    if not columns & set(_SHARE_COLUMNS) or smallest >= 2000:
        return ""
    return (f"; the smallest split has {smallest:,} rows of {len(v):,}: too few for the per-split category-share "
            "bounds. Raise params.yaml generate.n (or widen audit_vignettes.min_split_category_share / "
            "max_split_category_share)")

"""Stage publish: manifest and checksums, split files, determinism, the dataset card, bad input."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from pipeline.publish import main as publish_main
from symcause.core.errors import BadInputError
from symcause.core.hashing import sha256_file
from symcause.core.params import KnowledgeParams, PublishParams, load_params
from symcause.core.tables import read_tables
from symcause.core.vocab import cached_vocab
from symcause.knowledge.estimate import build_knowledge
from symcause.quality.audit import word_counts
from symcause.quality.plots import write_plots
from symcause.release.croissant import CROISSANT, validate_croissant
from symcause.release.publish import (
    MANIFEST,
    NOT_FOR_DIAGNOSIS,
    SPLITS,
    SUMS,
    publish,
    size_category,
    verify_manifest,
)


def _project(root: Path, dest: Path, facts: Path, vignettes: Path) -> Path:
    """A minimal project folder: the schemas publish reads, the seed tables and vignettes, the reports."""
    shutil.copytree(root / "schemas", dest / "schemas")
    shutil.copytree(facts, dest / "data" / "facts")
    (dest / "data" / "vignettes").mkdir(parents=True)
    shutil.copy2(vignettes, dest / "data" / "vignettes" / "vignettes.parquet")
    (dest / "data" / "sources").mkdir(parents=True)
    shutil.copy2(root / "data" / "sources" / "MANIFEST.csv", dest / "data" / "sources" / "MANIFEST.csv")
    v = pd.read_parquet(vignettes)
    write_plots(v, word_counts(v["text"]), dest / "reports" / "vignettes" / "plots")  # the audit stage's figures
    t = read_tables(facts)
    knowledge = build_knowledge(t["conditions"], t["facts"], t["factors"], cached_vocab(), KnowledgeParams())
    (dest / "data" / "knowledge").mkdir(parents=True)
    knowledge.to_parquet(dest / "data" / "knowledge" / "knowledge.parquet", index=False)
    shutil.copy2(root / "CITATION.cff", dest / "CITATION.cff")
    for rel in ("reports/extraction.json", "reports/vignettes/report.json"):
        if (root / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / rel, dest / rel)
    return dest


@pytest.fixture(scope="module")
def project(root, seed_tables, seed_vignettes, tmp_path_factory):
    return _project(root, tmp_path_factory.mktemp("pubproj"), seed_tables[0], seed_vignettes[0])


@pytest.fixture(scope="module")
def published(project):
    prm = PublishParams(row_group_rows=1000)
    manifest = publish(project, prm)
    return project / prm.out, manifest


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_manifest_lists_every_file_with_rows_bytes_and_sha256(published):
    out, manifest = published
    on_disk = {p for p in _files(out) if p not in (MANIFEST, SUMS)}
    assert {e["path"] for e in manifest["files"]} == on_disk
    for e in manifest["files"]:
        p = out / e["path"]
        assert e["bytes"] == p.stat().st_size and e["sha256"] == sha256_file(p)
        if p.suffix == ".parquet":
            assert e["rows"] == len(pd.read_parquet(p))
        else:
            assert e["rows"] is None
    assert verify_manifest(out) == []
    assert json.loads((out / MANIFEST).read_text()) == manifest
    assert manifest["version"] == "0.1.0" and manifest["schema_version"] == "2.0.0"
    assert "git" not in manifest and "params_sha256" not in manifest  # content hashes only: same inputs, same bytes
    for name in ("sources", "conditions", "facts", "factors", "vignettes/train", "vignettes/val", "vignettes/test"):
        assert f"{name}.parquet" in on_disk


def test_sha256sums_verifies_with_sha256sum(published):
    out, _ = published
    lines = (out / SUMS).read_text().splitlines()
    assert {ln.split("  ", 1)[1] for ln in lines} == set(_files(out)) - {SUMS}
    for ln in lines:
        digest, rel = ln.split("  ", 1)
        assert sha256_file(out / rel) == digest
    if shutil.which("sha256sum"):
        r = subprocess.run(["sha256sum", "--strict", "-c", SUMS], cwd=out, capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr


def test_a_changed_file_fails_the_manifest_check(published, tmp_path):
    out, _ = published
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    with (copy / "facts.parquet").open("ab") as fh:
        fh.write(b"x")
    (copy / "vignettes" / "val.parquet").unlink()
    problems = verify_manifest(copy)
    assert any(p.startswith("facts.parquet") for p in problems)
    assert any(p.startswith("vignettes/val.parquet: missing") for p in problems)


def test_split_files_partition_the_vignettes(published, seed_vignettes):
    out, manifest = published
    _, original = seed_vignettes
    parts = []
    for s in SPLITS:
        df = pd.read_parquet(out / "vignettes" / f"{s}.parquet")
        assert set(df["split"]) <= {s}
        assert len(df) == manifest["tables"]["vignettes"]["splits"][s]
        assert df.groupby("category").size().to_dict() == manifest["tables"]["vignettes"]["categories"][s]
        rg = pq.ParquetFile(out / "vignettes" / f"{s}.parquet").metadata
        assert all(rg.row_group(i).num_rows <= 1000 for i in range(rg.num_row_groups))
        parts.append(df)
    joined = pd.concat(parts).sort_values("vignette_id").reset_index(drop=True)
    expected = original.sort_values("vignette_id").reset_index(drop=True)
    assert list(joined.columns) == list(original.columns)
    pd.testing.assert_frame_equal(joined, expected)
    # row order within a split is the input's order
    train = parts[0]["vignette_id"].tolist()
    assert train == original.loc[original["split"] == "train", "vignette_id"].tolist()


def test_publishing_twice_gives_identical_files(project, published, tmp_path):
    out, manifest = published
    other = tmp_path / "again"
    m2 = publish(project, PublishParams(row_group_rows=1000, out=str(other)))
    a, b = _files(out), _files(other)
    assert a == b
    assert manifest == m2


def test_republish_replaces_the_folder(project, tmp_path):
    out = tmp_path / "pub"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    publish(project, PublishParams(out=str(out)))
    assert not (out / "stale.txt").exists() and (out / MANIFEST).is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pub.")]


def test_card_has_front_matter_sections_and_the_notice(published):
    out, manifest = published
    card = (out / "README.md").read_text()
    assert card.startswith("---\n")
    fm = yaml.safe_load(card.split("---\n", 2)[1])
    for key in ("pretty_name", "license", "language", "task_categories", "task_ids", "size_categories",
                "annotations_creators", "source_datasets", "tags", "configs"):
        assert key in fm, key
    assert fm["license"] == "cc-by-4.0" and fm["language"] == ["en"]
    assert fm["size_categories"] == [size_category(manifest["tables"]["vignettes"]["rows"])]
    paths = [f["path"] for c in fm["configs"] for f in c["data_files"]]
    assert all((out / p).is_file() for p in paths)
    assert NOT_FOR_DIAGNOSIS in card and "not-for-diagnosis" in fm["tags"]
    for heading in ("## Motivation", "## Composition", "## Collection process", "## Preprocessing",
                    "## Uses", "## Bias, risks and limitations", "## Sources, licences and provenance"):
        assert heading in card, heading
    figures = sorted((out / "figures").glob("*.png"))
    assert len(figures) >= 4
    for fig in figures:
        assert f"](figures/{fig.name})" in card
    sources = pd.read_parquet(out / "sources.parquet")
    assert all(sid in card for sid in sources["source_id"])


def test_card_degrades_without_reports(project, tmp_path):
    bare = tmp_path / "bare"
    shutil.copytree(project, bare, ignore=shutil.ignore_patterns("reports"))
    publish(bare, PublishParams())
    card = (bare / "data" / "published" / "README.md").read_text()
    assert "was not available" in card and "No figures" in card
    assert not (bare / "data" / "published" / "figures").exists()


def test_bad_version_names_the_key(tmp_path, root):
    p = tmp_path / "params.yaml"
    raw = yaml.safe_load((root / "params.yaml").read_text())
    for bad in ("1.0", "v1.0.0", "01.2.3", "1.2.3-rc1"):
        raw["publish"]["version"] = bad
        p.write_text(yaml.safe_dump(raw))
        with pytest.raises(BadInputError, match=r"publish\.version"):
            load_params(p)
    raw["publish"]["version"] = "1.0"  # YAML float
    p.write_text(yaml.safe_dump(raw).replace("version: '1.0'", "version: 1.0"))
    with pytest.raises(BadInputError, match=r"publish\.version"):
        load_params(p)


def test_cli_bad_version_exits_2(tmp_path, root, capsys):
    raw = yaml.safe_load((root / "params.yaml").read_text())
    raw["publish"]["version"] = "0.1"
    p = tmp_path / "params.yaml"
    p.write_text(yaml.safe_dump(raw))
    assert publish_main(["--params", str(p)]) == 2
    assert "publish.version" in capsys.readouterr().err


def test_missing_vignettes_names_the_file_and_keeps_the_old_output(project, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(project, broken, ignore=shutil.ignore_patterns("vignettes.parquet", "published"))
    out = broken / "data" / "published"
    out.mkdir()
    (out / "keep.txt").write_text("previous release")
    with pytest.raises(BadInputError, match=r"vignettes\.parquet: not found"):
        publish(broken, PublishParams())
    assert (out / "keep.txt").read_text() == "previous release"
    assert [p.name for p in (broken / "data").iterdir() if p.name.startswith(".")] == []


def test_unknown_split_value_is_bad_input(project, tmp_path):
    broken = tmp_path / "split"
    shutil.copytree(project, broken, ignore=shutil.ignore_patterns("published"))
    path = broken / "data" / "vignettes" / "vignettes.parquet"
    table = pq.read_table(path)   # via Arrow: pandas does not write the `differential` map back as a map
    split = table.column("split").to_pylist()
    split[5] = "dev"
    pq.write_table(table.set_column(table.schema.get_field_index("split"), "split", pa.array(split)), path)
    with pytest.raises(BadInputError, match=r"vignettes\.parquet: column 'split' has value\(s\) \['dev'\]"):
        publish(broken, PublishParams())


def test_schema_version_must_match_tables_yaml(project, tmp_path):
    with pytest.raises(BadInputError, match=r"publish\.schema_version"):
        publish(project, PublishParams(schema_version="9.9.9", out=str(tmp_path / "x")))


def test_publish_and_report_have_help():
    for mod in ("pipeline.publish", "symcause.devtools.report"):
        r = subprocess.run([sys.executable, "-m", mod, "--help"], capture_output=True, text=True)
        assert r.returncode == 0 and "usage" in r.stdout.lower(), mod


def test_card_and_files_do_not_depend_on_the_model(project, published, tmp_path):
    """A new model (train.C sweep) must not change the published dataset: the card quotes no model metrics."""
    out, _ = published
    proj = tmp_path / "withmodel"
    shutil.copytree(project, proj, ignore=shutil.ignore_patterns("published"))
    (proj / "reports" / "model").mkdir(parents=True)
    (proj / "reports" / "model" / "metrics.json").write_text(json.dumps({"test": {"macro_f1": 0.8123}}))
    publish(proj, PublishParams(row_group_rows=1000))
    assert _files(proj / "data" / "published") == _files(out)


def test_seed_texts_are_withheld_and_corpus_texts_published(published):
    out, _ = published
    src = pq.read_table(out / "sources.parquet").to_pandas()
    seeds, corpus = src[src["source_type"] == "seed"], src[src["source_type"] == "corpus"]
    assert len(seeds) == 5 and not seeds["text_published"].any() and seeds["text"].isna().all()
    assert corpus["text_published"].all() and corpus["text"].str.len().gt(100).all()
    assert src["sha256"].str.len().eq(64).all() and src["title"].str.len().gt(0).all()
    facts = pq.read_table(out / "facts.parquet").to_pandas()
    assert facts["evidence"].str.len().gt(0).all()     # the evidence sentences stay


def test_withhold_texts_keeps_only_redistributable_licences():
    from symcause.release.publish import withhold_texts

    t = pa.table({"text": ["a", "b", "c"], "licence": ["CC-BY-4.0", None, "proprietary"]})
    got = withhold_texts(t, ["CC-BY-4.0"]).to_pydict()
    assert got["text"] == ["a", None, None] and got["text_published"] == [True, False, False]


def test_croissant_validates_and_loads_every_record_set(published):
    import itertools

    import mlcroissant as mlc

    out, manifest = published
    assert validate_croissant(out / CROISSANT) == []
    doc = json.loads((out / CROISSANT).read_text())
    assert doc["version"] == manifest["version"] and doc["license"] == "https://creativecommons.org/licenses/by/4.0/"
    ds = mlc.Dataset(jsonld=str(out / CROISSANT))
    for rs, field in (("vignettes", "vignettes/text"), ("facts", "facts/evidence"), ("knowledge", "knowledge/finding")):
        first = next(itertools.islice(ds.records(record_set=rs), 1))
        assert isinstance(first[field], bytes) and first[field]
    n = sum(1 for _ in ds.records(record_set="knowledge"))
    assert n == pq.ParquetFile(out / "knowledge.parquet").metadata.num_rows


def test_datasets_loads_the_card_configs(published, tmp_path):
    import datasets

    out, manifest = published
    v = datasets.load_dataset(str(out), "vignettes", cache_dir=str(tmp_path / "hf"))
    assert {s: len(v[s]) for s in v} == {"train": manifest["tables"]["vignettes"]["splits"]["train"],
                                          "validation": manifest["tables"]["vignettes"]["splits"]["val"],
                                          "test": manifest["tables"]["vignettes"]["splits"]["test"]}
    k = datasets.load_dataset(str(out), "knowledge", cache_dir=str(tmp_path / "hf"))["train"]
    assert "likelihood" in k.column_names and len(k) == pq.ParquetFile(out / "knowledge.parquet").metadata.num_rows


def test_card_has_citation_dictionary_examples_and_risks(published, root):
    out, _ = published
    card = (out / "README.md").read_text()
    for heading in ("## Citation", "## Data dictionary", "## Example records", "## Bias, risks and limitations",
                    "## Sources, licences and provenance", "## The knowledge table and the differential"):
        assert heading in card, heading
    assert "```bibtex" in card and "@misc{symcause_0_1_0" in card
    assert "| `label_supported` | bool |" in card and "| `text_published` | bool |" in card
    assert "no (evidence sentences only)" in card
    assert (out / "CITATION.cff").read_text() == (root / "CITATION.cff").read_text()


def test_citation_file_matches_the_release_params(root):
    cff = yaml.safe_load((root / "CITATION.cff").read_text())
    prm = load_params(root / "params.yaml").publish
    assert str(cff["version"]) == prm.version and str(cff["date-released"]) == prm.date_published
    assert cff["license"] == "CC-BY-4.0" and prm.license == "cc-by-4.0"

"""Release end to end: in a temporary clone, publish and release dataset 0.1.0 with `symcause.devtools.release`
(the checks, `dvc push` to a temporary remote, the tag, `git push` of the tag to a temporary bare git remote), then
set publish.version 0.2.0, rebuild, commit and release 0.2.0. A fresh downstream repository then runs exactly the
```bash block of README.md's section "Use a published release": `dvc import --rev dataset-v0.1.0`, `sha256sum -c`,
`dvc update --rev dataset-v0.2.0`; after each of the import and the update every imported file is checked against
the imported manifest.json and SHA256SUMS.

The clone gets the seed fact tables, their knowledge table and 6,000 seed vignettes (session fixtures) instead of a
full `dvc repro`, and a dvc.yaml holding only the `publish` stage (the project's own definition when
dvc.yaml has one), so `data/published` is a DVC-tracked stage output as in the real project.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from symcause.core.hashing import sha256_file
from symcause.core.params import load_params
from symcause.core.vocab import cached_vocab
from symcause.devtools.bench import copy_project
from symcause.devtools.release import check_sums
from symcause.knowledge.estimate import build_knowledge
from symcause.release.publish import MANIFEST, SUMS

pytestmark = pytest.mark.slow

TAG, TAG2 = "dataset-v0.1.0", "dataset-v0.2.0"
README_SECTION = "## Use a published release"
SHELL_OPERATORS = {"|", "||", ";", "&", ">", ">>", "<", "2>", "2>&1"}


def _env() -> dict[str, str]:
    who = {"GIT_AUTHOR_NAME": "symcause-test", "GIT_AUTHOR_EMAIL": "test@example.com",
           "GIT_COMMITTER_NAME": "symcause-test", "GIT_COMMITTER_EMAIL": "test@example.com",
           # README commands run plain `git commit`: no signing, whatever the user's global config says
           "GIT_CONFIG_COUNT": "2", "GIT_CONFIG_KEY_0": "commit.gpgsign", "GIT_CONFIG_VALUE_0": "false",
           "GIT_CONFIG_KEY_1": "tag.gpgsign", "GIT_CONFIG_VALUE_1": "false"}
    env = dict(os.environ, **who, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               GX_ANALYTICS_ENABLED="false", DVC_NO_ANALYTICS="1")
    env.pop("SYMCAUSE_ROOT", None)  # the release tool must find the clone, not this checkout
    return env


def _run(cmd: list[str], cwd: Path) -> str:
    r = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"{' '.join(cmd)} (in {cwd}) failed:\n{r.stdout}\n{r.stderr}"
    return r.stdout


def _dvc(*args: str, cwd: Path) -> str:
    return _run([sys.executable, "-m", "dvc", *args], cwd)


def _git(*args: str, cwd: Path) -> str:
    return _run(["git", *args], cwd).strip()


def _release(*args: str, cwd: Path, rc: int = 0) -> subprocess.CompletedProcess[str]:
    r = subprocess.run([sys.executable, "-m", "symcause.devtools.release", *args], cwd=cwd, env=_env(),
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == rc, f"release {' '.join(args)}: exit {r.returncode}, expected {rc}:\n{r.stdout}\n{r.stderr}"
    if rc:
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr  # one line naming what to fix
    return r


def _release_dvc_yaml(root: Path, proj: Path) -> dict:
    """dvc.yaml for the clone: the project's own publish stage (deps that the clone lacks dropped) and artifact.
    A project whose dvc.yaml lacks either fails here: the test releases what the project declares."""
    spec = yaml.safe_load((root / "dvc.yaml").read_text()) or {}
    assert "publish" in (spec.get("stages") or {}), "dvc.yaml has no publish stage"
    assert "symcause-dataset" in (spec.get("artifacts") or {}), "dvc.yaml does not declare the dataset artifact"
    stage = dict(spec["stages"]["publish"])
    stage["deps"] = [d for d in stage.get("deps", []) if (proj / d).exists()]
    return {"stages": {"publish": stage}, "artifacts": spec["artifacts"]}


def readme_consumer_block(readme: Path) -> list[str]:
    """The lines of the first ```bash block under README.md's '## Use a published release' (before the next '## ')."""
    text = readme.read_text(encoding="utf-8")
    assert f"\n{README_SECTION}\n" in text, f"README.md has no section '{README_SECTION}'"
    section = text.split(f"\n{README_SECTION}\n", 1)[1].split("\n## ", 1)[0]
    m = re.search(r"^```bash\n(.*?)^```", section, flags=re.S | re.M)
    assert m, f"README.md section '{README_SECTION}' has no ```bash block"
    return m.group(1).splitlines()


def _check_imported(got: Path, version: str) -> dict:
    """Every imported file against the imported manifest (bytes, sha256) and SHA256SUMS; the manifest's version."""
    imported = json.loads((got / MANIFEST).read_text())
    assert imported["version"] == version
    listed = {e["path"] for e in imported["files"]}
    assert listed, "the manifest lists no files"
    on_disk = {p.relative_to(got).as_posix() for p in got.rglob("*") if p.is_file()}
    assert on_disk == listed | {MANIFEST, SUMS}
    for e in imported["files"]:
        p = got / e["path"]
        assert p.stat().st_size == e["bytes"] and sha256_file(p) == e["sha256"], e["path"]
    sums = (got / SUMS).read_text().splitlines()
    assert {line.split("  ", 1)[1] for line in sums} == listed | {MANIFEST}
    for line in sums:
        digest, rel = line.split("  ", 1)
        assert sha256_file(got / rel) == digest, rel
    assert check_sums(got) == []
    return imported


def _run_readme_block(lines: list[str], down: Path, src: Path,
                      after: Callable[[list[str], Path, str], None]) -> list[list[str]]:
    """Run each README line in the downstream repository as a shell would: `&&` chains, `cd` moves the working
    directory for the lines after it; `after(command, cwd, stdout)` follows every command. Returns the commands run."""
    cwd, ran = down, []
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        tokens = shlex.split(line.replace("<repo-url>", shlex.quote(str(src))), comments=True)
        assert not SHELL_OPERATORS & set(tokens), f"README line {line!r}: only '&&' and 'cd' are run by this test"
        assert not any(t.startswith("<") and t.endswith(">") for t in tokens), f"README line {line!r}: unknown placeholder"
        cmds: list[list[str]] = [[]]
        for t in tokens:
            if t == "&&":
                cmds.append([])
            else:
                cmds[-1].append(t)
        for cmd in cmds:
            assert cmd, f"README line {line!r}: empty command"
            ran.append(cmd)
            if cmd[0] == "cd":
                cwd = (cwd / cmd[1]).resolve()
                assert cwd.is_dir(), f"README line {line!r}: no folder {cwd}"
                continue
            if cmd[0] == "sha256sum" and shutil.which("sha256sum") is None:
                assert cmd[1:] == ["-c", SUMS], cmd   # no coreutils here: the same check in Python
                assert check_sums(cwd) == [], line
                continue
            after(cmd, cwd, _run(cmd, cwd))
    return ran


def test_release_then_downstream_dvc_import(root, seed_tables, seed_vignettes, tmp_path):
    src, remote, origin, down = tmp_path / "src", tmp_path / "remote", tmp_path / "origin.git", tmp_path / "down"
    src.mkdir()
    copy_project(root, src)
    for leftover in ("data/facts", "data/knowledge", "data/vignettes", "data/published", "reports/model"):
        shutil.rmtree(src / leftover, ignore_errors=True)
    shutil.copytree(seed_tables[0], src / "data" / "facts")
    t = seed_tables[1]   # the knowledge table as its stage builds it from the seed facts (publish ships it)
    knowledge = build_knowledge(t["conditions"], t["facts"], t["factors"], cached_vocab(),
                                load_params(src / "params.yaml").knowledge)
    (src / "data" / "knowledge").mkdir(parents=True)
    knowledge.to_parquet(src / "data" / "knowledge" / "knowledge.parquet", index=False)
    (src / "data" / "vignettes").mkdir(parents=True)
    shutil.copy2(seed_vignettes[0], src / "data" / "vignettes" / "vignettes.parquet")
    (src / "dvc.yaml").write_text(yaml.safe_dump(_release_dvc_yaml(root, src), sort_keys=False))
    (src / "dvc.lock").unlink(missing_ok=True)
    params = src / "params.yaml"
    assert yaml.safe_load(params.read_text())["publish"]["version"] == "0.1.0"

    # the source repository: a temporary remote replaces the default one with one command; a bare git remote
    _git("init", "-q", "--bare", str(origin), cwd=tmp_path)
    _git("init", "-q", cwd=src)
    _git("remote", "add", "origin", str(origin), cwd=src)
    _dvc("remote", "add", "-d", "-f", "storage", str(remote), cwd=src)
    _git("add", "-A", cwd=src)
    _git("commit", "-qm", "source", cwd=src)
    _dvc("repro", "publish", cwd=src)
    published = src / "data" / "published"
    manifest = json.loads((published / MANIFEST).read_text())
    assert "git" not in manifest  # content hashes only: the tag names the commit
    assert manifest["version"] == "0.1.0"

    # release 0.1.0: refused on a dirty tree (the build is not committed), a dry run changes nothing, then the release
    r = _release("--version", "0.1.0", cwd=src, rc=2)
    assert "git tree is not clean" in r.stderr and "dvc.lock" in r.stderr
    _git("add", "-A", cwd=src)
    _git("commit", "-qm", "dataset 0.1.0", cwd=src)
    r = _release("--version", "0.1.0", "--dry-run", cwd=src)
    assert f"would dvc push -r storage, git tag -a {TAG}" in r.stdout and f"git push origin {TAG}" in r.stdout
    assert _git("tag", "--list", cwd=src) == "" and not remote.exists()
    r = _release("--version", "0.1.0", cwd=src)
    assert f"git tag -a {TAG}" in r.stdout and f"git push origin {TAG}" in r.stdout and f"{TAG} released" in r.stdout
    tag_rev = _git("rev-parse", f"{TAG}^{{commit}}", cwd=src)
    assert tag_rev == _git("rev-parse", "HEAD", cwd=src)
    assert _git("cat-file", "-t", TAG, cwd=src) == "tag"   # annotated
    assert f"refs/tags/{TAG}" in _git("ls-remote", "--tags", str(origin), cwd=src)
    assert json.loads(_dvc("status", "--json", cwd=src) or "{}") == {}
    assert any(remote.rglob("*")), "dvc push wrote nothing to the remote"
    r = _release("--version", "0.1.0", cwd=src, rc=2)
    assert f"tag {TAG} already exists" in r.stderr

    # release 0.2.0: the version must be set, the tree committed and the lock current before it goes
    r = _release("--version", "0.2.0", cwd=src, rc=2)
    assert "publish.version is 0.1.0, not 0.2.0" in r.stderr
    text = params.read_text()
    new = re.sub(r"(?m)^(publish:\n(?:[ \t]+.*\n|\n)*?[ \t]+version:[ \t]*)0\.1\.0", r"\g<1>0.2.0", text, count=1)
    assert new != text, "publish.version not found in params.yaml"
    params.write_text(new)
    assert yaml.safe_load(params.read_text())["publish"]["version"] == "0.2.0"
    r = _release("--version", "0.2.0", cwd=src, rc=2)
    assert "git tree is not clean (1 file(s): params.yaml)" in r.stderr
    _git("commit", "-qam", "publish.version 0.2.0", cwd=src)
    r = _release("--version", "0.2.0", cwd=src, rc=2)
    assert "dvc.lock is stale (publish: changed deps: params.yaml: publish modified)" in r.stderr and "make repro" in r.stderr
    _dvc("repro", "publish", cwd=src)
    manifest2 = json.loads((published / MANIFEST).read_text())
    assert manifest2["version"] == "0.2.0"
    before = {e["path"]: e["sha256"] for e in manifest["files"]}
    changed = {e["path"] for e in manifest2["files"] if before.get(e["path"]) != e["sha256"]}
    assert "README.md" in changed   # the dataset card names its version
    _git("add", "-A", cwd=src)
    _git("commit", "-qm", "dataset 0.2.0", cwd=src)
    r = _release("--version", "0.2.0", cwd=src)
    assert f"git push origin {TAG2}" in r.stdout
    tag2_rev = _git("rev-parse", f"{TAG2}^{{commit}}", cwd=src)
    assert tag2_rev != tag_rev
    shutil.rmtree(src / ".dvc" / "cache")  # the imports must come from the remote, not the source's cache

    # the consumer: a fresh folder runs exactly README.md's commands, checked after the import and the update
    lines = readme_consumer_block(root / "README.md")
    block = "\n".join(lines)
    assert f"--rev {TAG}" in block and f"--rev {TAG2}" in block and "<repo-url>" in block
    down.mkdir()
    seen: dict[str, dict] = {}
    sha256sum_runs: list[str] = []
    outs: list[str] = []

    def after(cmd: list[str], cwd: Path, stdout: str) -> None:
        if cmd[:2] == ["dvc", "import"]:
            assert cwd == down and cmd[2:4] == [str(src), "data/published"] and cmd[cmd.index("--rev") + 1] == TAG
            out = cmd[cmd.index("-o") + 1]
            seen["import"] = _check_imported(down / out, "0.1.0")
            assert seen["import"] == manifest
            dep = yaml.safe_load((down / f"{out}.dvc").read_text())["deps"][0]
            assert dep["path"] == "data/published" and dep["repo"]["rev"] == TAG and dep["repo"]["rev_lock"] == tag_rev
            outs.append(out)
        elif cmd[:2] == ["dvc", "update"]:
            out = outs[-1]
            assert cwd == down and cmd[cmd.index("--rev") + 1] == TAG2 and cmd[-1] == f"{out}.dvc"
            seen["update"] = _check_imported(down / out, "0.2.0")
            assert seen["update"] == manifest2
            dep = yaml.safe_load((down / f"{out}.dvc").read_text())["deps"][0]
            assert dep["repo"]["rev"] == TAG2 and dep["repo"]["rev_lock"] == tag2_rev
        elif cmd[:3] == ["git", "ls-remote", "--tags"]:
            assert f"refs/tags/{TAG}" in stdout and f"refs/tags/{TAG2}" in stdout
        elif cmd[0] == "sha256sum":
            sha256sum_runs.append(stdout)
            n = len(json.loads((cwd / MANIFEST).read_text())["files"]) + 1   # every file but SHA256SUMS itself
            assert stdout.count(": OK") == n, stdout

    ran = _run_readme_block(lines, down, src, after)
    names = [c[:2] for c in ran]
    assert names.count(["dvc", "import"]) == 1 and names.count(["dvc", "update"]) == 1
    assert "import" in seen and "update" in seen
    if shutil.which("sha256sum"):
        assert len(sha256sum_runs) == 2   # once after the import, once after the update
    assert _git("status", "--porcelain", cwd=down) == ""   # the README's commits leave the consumer's tree clean

    # the CI report in the source repository: deltas against the previous release, manifest verified
    _run([sys.executable, "-m", "symcause.devtools.report"], src)
    report = (src / "reports" / "benchmark.md").read_text()
    assert f"Deltas are against `{TAG}`" in report
    assert f"all {len(manifest2['files'])} files match their sha256" in report
    for heading in ("## Metrics", "## Params", "## Dataset", "## Stage timings", "## Plots"):
        assert heading in report

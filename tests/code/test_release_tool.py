"""make release: the checks of symcause.devtools.release on a tiny git repository and a tiny published folder.

No dvc runs here (the end-to-end release is tests/e2e/test_release.py): git only, each check in well under a second.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from symcause.core.errors import BadInputError
from symcause.devtools.release import (
    build_parser,
    check_clean,
    check_published,
    check_sums,
    check_tag_free,
    check_version,
    git_remote,
    main,
    tag_name,
)
from symcause.release.publish import MANIFEST, SUMS

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_COUNT": "2", "GIT_CONFIG_KEY_0": "commit.gpgsign",
           "GIT_CONFIG_VALUE_0": "false", "GIT_CONFIG_KEY_1": "tag.gpgsign", "GIT_CONFIG_VALUE_1": "false"}


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    """A git repository with one commit holding a tiny symcause project (dvc.yaml, schemas/, params.yaml)."""
    for k, v in GIT_ENV.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("SYMCAUSE_ROOT", raising=False)
    root = tmp_path / "proj"
    (root / "schemas").mkdir(parents=True)
    (root / "schemas" / "README").write_text("tiny\n")
    (root / "dvc.yaml").write_text("stages: {}\n")
    (root / "params.yaml").write_text("publish:\n  version: 0.1.0\n")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "tiny")
    return root


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout.strip()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _published(folder: Path) -> Path:
    """A folder in the publish stage's layout: two files, a manifest listing them, SHA256SUMS listing all three."""
    (folder / "sub").mkdir(parents=True)
    files = {"a.txt": b"alpha\n", "sub/b.txt": b"beta\n"}
    for rel, data in files.items():
        (folder / rel).write_bytes(data)
    manifest = {"version": "0.1.0", "files": [{"path": rel, "rows": None, "bytes": len(data), "sha256": _sha(data)}
                                              for rel, data in files.items()]}
    (folder / MANIFEST).write_text(json.dumps(manifest))
    files[MANIFEST] = (folder / MANIFEST).read_bytes()
    (folder / SUMS).write_text("".join(f"{_sha(data)}  {rel}\n" for rel, data in sorted(files.items())))
    return folder


def test_version_must_be_semver_and_equal_publish_version():
    check_version("0.1.0", "0.1.0")
    check_version("10.0.12", "10.0.12")
    with pytest.raises(BadInputError) as e:
        check_version("0.2.0", "0.1.0")
    msg = str(e.value)
    assert "publish.version is 0.1.0" in msg and "publish.version: 0.2.0" in msg and "make repro" in msg
    for bad in ("v0.1.0", "0.1", "0.1.0.1", "01.0.0", "", "0.1.0-rc1"):
        with pytest.raises(BadInputError, match="not a release version X.Y.Z"):
            check_version(bad, bad)
    assert tag_name("0.2.0") == "dataset-v0.2.0"


def test_clean_tree_passes_then_fails_naming_the_file(repo):
    check_clean(repo)  # just committed
    (repo / "params.yaml").write_text("publish:\n  version: 0.2.0\n")
    with pytest.raises(BadInputError, match=r"not clean \(1 file\(s\): params.yaml\)"):
        check_clean(repo)
    _git(repo, "checkout", "--", "params.yaml")
    (repo / "notes").mkdir()
    (repo / "notes" / "todo.md").write_text("untracked\n")
    with pytest.raises(BadInputError, match=r"notes/todo.md"):
        check_clean(repo)
    (repo / ".gitignore").write_text("notes/\n")   # ignored files do not count; the new .gitignore does
    with pytest.raises(BadInputError) as e:
        check_clean(repo)
    assert ".gitignore" in str(e.value) and "todo.md" not in str(e.value)
    _git(repo, "add", ".gitignore")
    _git(repo, "commit", "-qm", "ignore notes")
    check_clean(repo)


def test_clean_tree_outside_git_and_before_the_first_commit(tmp_path):
    with pytest.raises(BadInputError, match="no commit yet|not a git repository"):
        check_clean(tmp_path)
    _git(tmp_path, "init", "-q")
    with pytest.raises(BadInputError, match="no commit yet"):
        check_clean(tmp_path)


def test_existing_tag_is_refused(repo):
    check_tag_free(repo, "dataset-v0.1.0")
    _git(repo, "tag", "-a", "dataset-v0.1.0", "-m", "release")
    with pytest.raises(BadInputError, match="tag dataset-v0.1.0 already exists"):
        check_tag_free(repo, "dataset-v0.1.0")
    check_tag_free(repo, "dataset-v0.1.1")
    _git(repo, "branch", "dataset-v0.1.1")   # a branch of that name is not a tag
    check_tag_free(repo, "dataset-v0.1.1")


def test_sums_verify_then_each_fault_is_named(tmp_path):
    folder = _published(tmp_path / "pub")
    assert check_sums(folder) == []
    check_published(folder)
    sums = folder / SUMS
    good = sums.read_text()

    (folder / "sub" / "b.txt").write_bytes(b"BETA\n")                 # a changed file
    found = check_sums(folder)
    assert found == [f"{sums}: line 3: sub/b.txt: sha256 differs"]
    with pytest.raises(BadInputError, match="sub/b.txt"):
        check_published(folder)                                       # both SHA256SUMS and the manifest see it
    (folder / "sub" / "b.txt").write_bytes(b"beta\n")

    lines = good.splitlines()
    sums.write_text("\n".join([lines[0], "deadbeef  a.txt", *lines[1:]]) + "\n")   # a malformed line
    assert check_sums(folder) == [f"{sums}: line 2: not '<sha256>  <path>': 'deadbeef  a.txt'"]

    sums.write_text("".join(f"{line}\n" for line in lines[1:]))   # a file left out (lines are sorted: a.txt first)
    assert check_sums(folder) == [f"{sums}: a.txt is not listed"]

    sums.write_text(good + f"{'0' * 64}  gone.txt\n{'0' * 64}  ../escape.txt\n")
    assert check_sums(folder) == [f"{sums}: line 4: gone.txt is missing", f"{sums}: line 5: ../escape.txt is outside {folder}"]

    (folder / "extra.bin").write_bytes(b"x")
    sums.write_text(good)
    assert check_sums(folder) == [f"{sums}: extra.bin is not listed"]

    sums.unlink()
    assert len(check_sums(folder)) == 1 and check_sums(folder)[0].startswith(f"{sums}: unreadable")


def test_git_remote_choice(repo):
    assert git_remote(repo, None) is None
    with pytest.raises(BadInputError, match="--git-remote up: no such git remote"):
        git_remote(repo, "up")
    _git(repo, "remote", "add", "mirror", str(repo.parent / "mirror.git"))
    assert git_remote(repo, None) == "mirror"          # the only one
    _git(repo, "remote", "add", "backup", str(repo.parent / "backup.git"))
    with pytest.raises(BadInputError, match="pass --git-remote NAME"):
        git_remote(repo, None)
    _git(repo, "remote", "add", "origin", str(repo.parent / "origin.git"))
    assert git_remote(repo, None) == "origin"
    assert git_remote(repo, "backup") == "backup"


def test_cli_refuses_a_version_other_than_publish_version(repo, monkeypatch, capsys):
    monkeypatch.chdir(repo)
    assert main(["--version", "0.2.0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("symcause: error: params.yaml: publish.version is 0.1.0, not 0.2.0") and "\n" not in err
    assert _git(repo, "tag", "--list") == ""
    (repo / "stray.txt").write_text("x")
    assert main(["--version", "0.1.0", "--dry-run"]) == 2
    assert "stray.txt" in capsys.readouterr().err
    help_text = build_parser().format_help()
    for opt in ("--version", "--remote", "--no-push-git", "--dry-run", "dataset-vX.Y.Z"):
        assert opt in help_text

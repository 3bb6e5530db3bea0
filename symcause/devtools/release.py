"""`make release VERSION=X.Y.Z`: tag and push a dataset release from a built, committed tree.

    python -m symcause.devtools.release --version X.Y.Z [--remote NAME] [--git-remote NAME] [--no-push-git] [--dry-run]

Checks, in order, each failing with one line that says what to fix:

1. VERSION is X.Y.Z (semantic versioning) and equals `publish.version` in params.yaml;
2. the git tree is clean (`git status --porcelain`: no modified, staged or untracked-not-ignored file);
3. dvc.lock is current (as `python -m symcause.devtools.lock_check`) and `dvc status` reports nothing to
   reproduce or check out: a release is made from a built, committed tree;
4. the tag `dataset-vX.Y.Z` does not exist yet;
5. `SHA256SUMS` in the published folder (`publish.out`) verifies: every line's sha256 matches its file and
   every file is listed; and every file matches `manifest.json` (path, rows, bytes, sha256);
6. a DVC remote to push to exists (`--remote`, else the default remote).

Then `dvc push` (the data first, so that no tag ever names data the remote lacks), `git tag -a
dataset-vX.Y.Z`, and `git push <git remote> dataset-vX.Y.Z` when the repository has a git remote (the
branch's upstream remote, else `origin`, else the only one; `--git-remote` chooses). `--no-push-git` leaves
the tag local; `--dry-run` runs the checks and prints what it would do.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from symcause.core.errors import BadInputError, SymcauseError, run_guarded
from symcause.core.hashing import sha256_file
from symcause.core.params import load_params
from symcause.core.paths import find_project_root
from symcause.devtools.lock_check import produced_paths, stale_entries
from symcause.release.publish import SUMS, verify_manifest

TAG_PREFIX = "dataset-v"
SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
_SUMS_LINE = re.compile(r"([0-9a-f]{64}) [ *](.+)")
_SHOWN = 5  # problems listed in a one-line message


def tag_name(version: str) -> str:
    return f"{TAG_PREFIX}{version}"


def _first(problems: Sequence[str]) -> str:
    more = f"; and {len(problems) - _SHOWN} more" if len(problems) > _SHOWN else ""
    return "; ".join(problems[:_SHOWN]) + more


# ---------------------------------------------------------------------------------------------
# pure checks (no git, no dvc)


def check_version(version: str, params_version: str) -> None:
    """VERSION must be X.Y.Z and equal params.yaml publish.version (the version the published folder was built with)."""
    if not SEMVER.fullmatch(version):
        raise BadInputError(f"VERSION={version!r}: not a release version X.Y.Z (for example 0.2.0)")
    if version != params_version:
        raise BadInputError(f"params.yaml: publish.version is {params_version}, not {version}: set publish.version: "
                            f"{version}, run make repro and commit, then release again")


def check_sums(folder: Path) -> list[str]:
    """Problems with folder/SHA256SUMS (`sha256sum -c` semantics, plus completeness); [] when all is well.

    Every line must be `<sha256>  <path>` with a relative path inside the folder whose file's sha256 matches,
    and every file in the folder other than SHA256SUMS must be listed. Messages name the file and line."""
    sums = folder / SUMS
    try:
        text = sums.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [f"{sums}: unreadable ({exc})"]
    problems: list[str] = []
    listed: set[str] = set()
    base = folder.resolve()
    for i, line in enumerate(text.splitlines(), start=1):
        m = _SUMS_LINE.fullmatch(line)
        if not m:
            problems.append(f"{sums}: line {i}: not '<sha256>  <path>': {line[:80]!r}")
            continue
        digest, rel = m.groups()
        p = folder / rel
        if Path(rel).is_absolute() or not p.resolve().is_relative_to(base):
            problems.append(f"{sums}: line {i}: {rel} is outside {folder}")
            continue
        if rel in listed:
            problems.append(f"{sums}: line {i}: {rel} is listed twice")
        listed.add(rel)
        if not p.is_file():
            problems.append(f"{sums}: line {i}: {rel} is missing")
        elif sha256_file(p) != digest:
            problems.append(f"{sums}: line {i}: {rel}: sha256 differs")
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {SUMS}
    problems += [f"{sums}: {rel} is not listed" for rel in sorted(on_disk - listed)]
    return problems


# ---------------------------------------------------------------------------------------------
# git and dvc


def _run(cmd: Sequence[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(list(cmd), cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError) as exc:
        raise SymcauseError(f"{' '.join(cmd[:3])}: could not run ({exc})") from exc


def _tail(r: subprocess.CompletedProcess[str]) -> str:
    return " ".join((r.stderr.strip() or r.stdout.strip()).split())[:400]


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _run(["git", *args], root, timeout=300)


def _dvc(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "dvc", *args], root)


def dirty_files(root: Path) -> list[str]:
    """`git status --porcelain` lines: modified, staged and untracked files that git does not ignore."""
    r = _git(root, "status", "--porcelain", "--untracked-files=all")
    if r.returncode != 0:
        raise BadInputError(f"{root}: not a git repository ({_tail(r)}): releases are git tags")
    return [line for line in r.stdout.splitlines() if line.strip()]


def check_clean(root: Path) -> None:
    if _git(root, "rev-parse", "--verify", "-q", "HEAD^{commit}").returncode != 0:
        raise BadInputError(f"{root}: no commit yet: commit the built project, then release")
    dirty = dirty_files(root)
    if dirty:
        raise BadInputError(f"the git tree is not clean ({len(dirty)} file(s): {_first([d[3:] for d in dirty])}): "
                            "commit or remove them (a release tags a committed tree)")


def check_built(root: Path) -> None:
    """dvc.lock current (lock_check's rules) and nothing for `dvc status` to report (outputs present and current)."""
    if not (root / "dvc.lock").is_file():
        raise BadInputError(f"{root / 'dvc.lock'}: not found: run make repro and commit dvc.lock")
    r = _dvc(root, "status", "--json")
    if r.returncode != 0:
        raise SymcauseError(f"dvc status failed: {_tail(r)}")
    status = json.loads(r.stdout or "{}")
    produced = produced_paths(yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8")) or {})
    stale = stale_entries(status, produced)
    if stale:
        raise BadInputError(f"dvc.lock is stale ({_first(stale)}): run make repro and commit dvc.lock")
    if status:
        stages = ", ".join(sorted(status))
        raise BadInputError(f"dvc status: outputs of {stages} are missing or differ from dvc.lock: run dvc checkout "
                            "(outputs in the cache) or make repro, then release")


def check_tag_free(root: Path, tag: str) -> None:
    r = _git(root, "rev-parse", "--verify", "-q", f"refs/tags/{tag}")
    if r.returncode == 0:
        raise BadInputError(f"tag {tag} already exists (at {r.stdout.strip()[:12]}): a release is never moved; "
                            "set a new publish.version, run make repro, commit and release that")


def check_published(folder: Path) -> None:
    if not folder.is_dir():
        raise BadInputError(f"{folder}: not found (params.yaml publish.out): run dvc checkout or make repro")
    problems = check_sums(folder) + [f"{folder}/{p}" for p in verify_manifest(folder)]
    if problems:
        raise BadInputError(f"{_first(problems)}: the published folder does not verify; rebuild it with "
                            "dvc repro publish (or dvc checkout) and commit")


def dvc_remote(root: Path, explicit: str | None) -> str:
    """The DVC remote to push to: `explicit` if configured, else the default remote."""
    r = _dvc(root, "remote", "list")
    names = [line.split()[0] for line in r.stdout.splitlines() if line.strip()] if r.returncode == 0 else []
    if explicit:
        if explicit not in names:
            raise BadInputError(f"--remote {explicit}: no such DVC remote (configured: {', '.join(names) or 'none'}): "
                                "dvc remote add NAME URL")
        return explicit
    d = _dvc(root, "remote", "default")
    name = d.stdout.strip() if d.returncode == 0 else ""
    if not name:
        raise BadInputError(".dvc/config: no default DVC remote: pass --remote NAME or run dvc remote add -d NAME URL")
    return name


def git_remote(root: Path, explicit: str | None) -> str | None:
    """The git remote to push the tag to: `explicit`, else the branch's upstream remote, else origin, else the only one;
    None when the repository has none."""
    remotes = _git(root, "remote").stdout.split()
    if explicit:
        if explicit not in remotes:
            raise BadInputError(f"--git-remote {explicit}: no such git remote (configured: {', '.join(remotes) or 'none'})")
        return explicit
    if not remotes:
        return None
    branch = _git(root, "symbolic-ref", "-q", "--short", "HEAD").stdout.strip()
    upstream = _git(root, "config", f"branch.{branch}.remote").stdout.strip() if branch else ""
    for name in (upstream, "origin"):
        if name in remotes:
            return name
    if len(remotes) == 1:
        return remotes[0]
    raise BadInputError(f"git remotes {', '.join(remotes)}: none is the branch's upstream or origin: pass --git-remote NAME")


# ---------------------------------------------------------------------------------------------
# the release


def release(root: Path, version: str, remote: str | None = None, git_remote_name: str | None = None,
            push_git: bool = True, dry_run: bool = False) -> list[str]:
    """Check, then push the data, tag and push the tag; returns the lines describing what was (or would be) done."""
    prm = load_params(root / "params.yaml").publish
    tag = tag_name(version)
    check_version(version, prm.version)
    check_clean(root)
    check_built(root)
    check_tag_free(root, tag)
    check_published(root / prm.out)
    storage = dvc_remote(root, remote)
    target = git_remote(root, git_remote_name) if push_git else None
    head = _git(root, "rev-parse", "HEAD").stdout.strip()
    done = [f"checked: version {version} = params.yaml publish.version; git tree clean; dvc.lock current and "
            f"dvc status clean; tag {tag} is new; {prm.out}/{SUMS} and manifest.json verify"]
    if dry_run:
        return done + [f"dry run: would dvc push -r {storage}, git tag -a {tag} {head[:12]}"
                       + (f", git push {target} {tag}" if target else "")]
    r = _dvc(root, "push", "-r", storage)
    if r.returncode != 0:
        raise SymcauseError(f"dvc push -r {storage} failed ({_tail(r)}): nothing was tagged; fix the remote and release "
                            "again")
    done.append(f"dvc push -r {storage}: {(r.stdout.strip().splitlines() or ['done'])[-1]}")
    r = _git(root, "tag", "-a", tag, "-m", f"{prm.name} dataset {version}")
    if r.returncode != 0:
        raise SymcauseError(f"git tag -a {tag} failed: {_tail(r)}")
    done.append(f"git tag -a {tag} at {head[:12]}")
    if not push_git:
        done.append(f"git push skipped (--no-push-git): push the tag with git push <remote> {tag}")
    elif target is None:
        done.append(f"git push skipped: this repository has no git remote (add one, then git push <remote> {tag})")
    else:
        r = _git(root, "push", target, f"refs/tags/{tag}")
        if r.returncode != 0:
            raise SymcauseError(f"git push {target} {tag} failed ({_tail(r)}): the data is pushed and the tag exists "
                                f"locally: run git push {target} {tag} once the remote accepts it")
        done.append(f"git push {target} {tag}")
    return done


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m symcause.devtools.release", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--version", required=True, metavar="X.Y.Z",
                    help="the dataset version to release; must equal publish.version in params.yaml")
    ap.add_argument("--remote", metavar="NAME", help="DVC remote to push to (default: the default remote)")
    ap.add_argument("--git-remote", metavar="NAME",
                    help="git remote to push the tag to (default: the branch's upstream, else origin, else the only one)")
    ap.add_argument("--no-push-git", action="store_true", help="create the tag but do not push it")
    ap.add_argument("--dry-run", action="store_true", help="run the checks and print what would be done")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def go() -> None:
        lines = release(find_project_root(), args.version, remote=args.remote, git_remote_name=args.git_remote,
                        push_git=not args.no_push_git, dry_run=args.dry_run)
        for line in lines:
            print(f"release: {line}")
        if not args.dry_run:
            print(f"release: {tag_name(args.version)} released")

    return run_guarded(go)


if __name__ == "__main__":
    sys.exit(main())

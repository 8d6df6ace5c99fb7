"""What learners install and what the course image is built from hold nothing grader-only.

Learners receive data, not generators (issue 12): ``grader/`` -- generators, truth, held-out items,
scorers, the course secret -- must be absent from

* **the learner's wheel**, built here from a copy of the working tree exactly as ``pip`` builds
  it (offline, with this environment's setuptools, in a few seconds), then installed into an
  empty folder and imported there: the self-study data it ships loads without the repository;
* **the single-user image's build context** (``deploy/jupyterhub/Dockerfile``, whose context is
  filtered by ``Dockerfile.dockerignore``): the files BuildKit would send are computed here from
  the ignore patterns with BuildKit's matching rules (no Docker engine needed).

The grading sandbox's side of the boundary (grader/ unreadable from a graded kernel) is in
tests/test_grading_sandbox.py.
"""
from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import zipfile
from functools import lru_cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = REPO / "deploy" / "jupyterhub" / "Dockerfile"
DOCKERIGNORE = DOCKERFILE.with_name("Dockerfile.dockerignore")
GRADER = REPO / "grader"
# What a wheel build does not need from the working tree (and must not pick up from it anyway).
NOT_COPIED = (".venv", ".git", "__pycache__", "*.egg-info", "build", "dist", ".secrets", ".grading", ".demo",
              "autograded", "submitted", "feedback", "feedback_cache", "gradebook.db*", "roster*")
# Top-level folders and files that are grader-only or course state: in no wheel, no image.
GRADER_ONLY_TOP = {"grader", ".secrets", "source", "tests", "autograded", "submitted", "feedback", ".grading",
                   "gradebook.db", "nbgrader_config.py"}
SELF_STUDY_SUFFIXES = (".csv", ".columns.json", ".md")
CANARY = "course-secret-canary-" + "ab" * 16


def _grader_files() -> dict[str, Path]:
    """Content digest -> file, for every file of grader/ (a copy under another name is still a copy)."""
    return {hashlib.sha256(path.read_bytes()).hexdigest(): path for path in sorted(GRADER.rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts and path.stat().st_size > 64}


def _generator_modules() -> set[str]:
    """The generators that moved to grader/datasets/: none may be back under labs/datasets/."""
    return {path.stem for path in (GRADER / "datasets").glob("*.py") if path.stem != "__init__"}


def _assert_nothing_grader_only(files: dict[str, bytes], where: str) -> None:
    grader_digests = _grader_files()
    generators = _generator_modules()
    assert generators >= {"inventory", "sanitization", "prompts"}, generators
    for name, content in files.items():
        parts = name.split("/")
        assert parts[0] not in GRADER_ONLY_TOP, f"{where} holds {name}"
        assert not {"grader", "scorers", "heldout", ".secrets"} & set(parts), f"{where} holds {name}"
        assert "course-secret" not in parts[-1].lower(), f"{where} holds {name}"
        if parts[:2] == ["labs", "datasets"]:
            assert Path(parts[-1]).stem not in generators, f"{where} holds the grader's generator {name}"
        digest = hashlib.sha256(content).hexdigest()
        assert digest not in grader_digests, f"{where}: {name} is a copy of {grader_digests[digest]}"
        assert CANARY.encode() not in content, f"{where}: {name} carries the course secret"


# ---- The learner's wheel -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The learner's wheel, built offline from a copy of the working tree (a planted course secret
    in it, as a grader's checkout has one)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*NOT_COPIED), symlinks=True)
    (source / ".secrets").mkdir(mode=0o700)
    (source / ".secrets" / "course-secret").write_text(CANARY + "\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PIP_", "LABS_"))}
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_CACHE_DIR="1",
               PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]))
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--wheel-dir", str(tmp / "dist"), str(source)],
        cwd=tmp, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"the wheel does not build offline:\n{result.stdout}\n{result.stderr}"
    built = sorted((tmp / "dist").glob("ai_safety_labs-*.whl"))
    assert len(built) == 1, built
    return built[0]


def _wheel_files(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}


def test_the_learners_wheel_holds_no_grader_only_file(wheel):
    files = _wheel_files(wheel)
    dist_info = next(name.split("/")[0] for name in files if name.split("/")[0].endswith(".dist-info"))
    assert {name.split("/")[0] for name in files} == {"labs", dist_info}
    assert files[f"{dist_info}/top_level.txt"].decode().split() == ["labs"]
    _assert_nothing_grader_only(files, "the wheel")
    # Learner-side generators (labs not yet scored by the grader) are still there; the moved ones are not.
    assert "labs/datasets/__init__.py" in files


def test_the_learners_wheel_ships_the_self_study_data_and_the_manifest(wheel):
    files = _wheel_files(wheel)
    assert files["labs/curriculum.toml"] == (REPO / "labs" / "curriculum.toml").read_bytes()
    committed = sorted(path for path in (REPO / "labs" / "data").iterdir() if path.name.endswith(SELF_STUDY_SUFFIXES))
    for suffix in SELF_STUDY_SUFFIXES:
        assert any(path.name.endswith(suffix) for path in committed), suffix
    for path in committed:
        assert files.get(f"labs/data/{path.name}") == path.read_bytes(), f"the wheel lacks labs/data/{path.name}"
    # Every dataset has its three files (so offline load() finds table and column types).
    tables = {name[len("labs/data/"):-len(".csv")] for name in files if re.fullmatch(r"labs/data/[^/]+\.csv", name)}
    for table in tables:
        assert {f"labs/data/{table}.columns.json", f"labs/data/{table}.md"} <= set(files), table


@pytest.mark.slow
def test_the_installed_wheel_works_offline_without_the_repository(wheel, tmp_path):
    """Installed into an empty folder and imported from there (not from this checkout): the
    self-study data loads, without truth; there is no grader and no moved generator to import."""
    site = tmp_path / "site"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PIP_", "LABS_", "PYTHON"))}
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", LABS_CACHE_DIR=str(tmp_path / "cache"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--target", str(site), str(wheel)], check=True, env=env, timeout=120)
    probe = f"""
import hashlib, importlib.util, json, sys
sys.path.insert(0, {str(site)!r})
import labs
from labs.datasets import load
inventory = load("ai_inventory")
try:
    import grader
    grader_found = grader.__file__
except ModuleNotFoundError:
    grader_found = None
print(json.dumps({{
    "labs": labs.__file__,
    "grader": grader_found,
    "generators": [m for m in {sorted(_generator_modules())!r} if importlib.util.find_spec("labs.datasets." + m)],
    "inventory": hashlib.sha256(inventory.data.to_csv(index=False).encode()).hexdigest(),
    "truth": inventory.truth,
}}))
"""
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert Path(seen["labs"]).is_relative_to(site), seen["labs"]
    assert seen["grader"] is None and seen["generators"] == [] and seen["truth"] is None
    from labs.datasets import SELF_STUDY_DIR, read_frame

    expected = read_frame(SELF_STUDY_DIR, "ai_inventory").to_csv(index=False).encode()
    assert seen["inventory"] == hashlib.sha256(expected).hexdigest()


# ---- The image's build context (BuildKit's .dockerignore rules) ------------------------------

def read_dockerignore(path: Path) -> list[tuple[bool, str]]:
    """(is an exception ``!``, cleaned pattern) per line, as BuildKit reads <Dockerfile>.dockerignore
    (moby/patternmatcher ``ignorefile.ReadAll``): comments and blank lines dropped, whitespace
    trimmed, patterns cleaned like Go's ``filepath.Clean``, a leading ``/`` removed."""
    patterns = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        if exception:
            line = line[1:].strip()
        if not line:
            continue
        line = posixpath.normpath(line)
        if len(line) > 1 and line.startswith("/"):
            line = line.lstrip("/") or "/"
        patterns.append((exception, line))
    return patterns


@lru_cache(maxsize=None)
def _regex(pattern: str) -> re.Pattern:
    """moby/patternmatcher's translation: ``**`` any number of segments (``**/`` too), ``*`` and
    ``?`` within one segment, ``[...]`` classes, ``\\`` escapes the next character."""
    out, i = ["^"], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            if pattern[i + 1:i + 2] == "*":
                i += 1
                if pattern[i + 1:i + 2] == "/":
                    i += 1
                out.append(".*" if i + 1 == len(pattern) else "(.*/)?")
            else:
                out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch in "[]":
            out.append(ch)
        elif ch == "\\":
            if i + 1 < len(pattern):
                i += 1
                out.append(re.escape(pattern[i]))
            else:
                out.append(re.escape(ch))
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out) + "$")


def excluded(path: str, patterns: list[tuple[bool, str]]) -> bool:
    """BuildKit's ``MatchesOrParentMatches``: the last pattern matching the path or one of its
    parent folders decides; a pattern is only tried when it could change the outcome."""
    parents = path.split("/")[:-1]
    ancestors = ["/".join(parents[:i + 1]) for i in range(len(parents))]
    matched = False
    for exception, pattern in patterns:
        if exception != matched:
            continue
        regex = _regex(pattern)
        if regex.match(path) or any(regex.match(ancestor) for ancestor in ancestors):
            matched = not exception
    return matched


def _may_reinclude_below(folder: str, patterns: list[tuple[bool, str]]) -> bool:
    """Whether an exception pattern could match something inside an excluded ``folder`` (else the
    folder is skipped whole, as BuildKit does: nothing below it can be sent)."""
    for exception, pattern in patterns:
        if exception:
            literal = re.split(r"[*?\[\\]", pattern, maxsplit=1)[0]
            if literal.startswith(folder + "/") or (folder + "/").startswith(literal):
                return True
    return False


def build_context(root: Path, patterns: list[tuple[bool, str]]) -> list[str]:
    """The files (relative, ``/``-separated) BuildKit sends from ``root`` under these patterns."""
    sent = []
    for current, dirs, files in os.walk(root):
        relative = Path(current).relative_to(root).as_posix()
        prefix = "" if relative == "." else relative + "/"
        keep = []
        for name in sorted(dirs):
            path = prefix + name
            if (root / path).is_symlink():
                files.append(name)
            elif not excluded(path, patterns) or _may_reinclude_below(path, patterns):
                keep.append(name)
        dirs[:] = keep
        sent += [prefix + name for name in sorted(files) if not excluded(prefix + name, patterns)]
    return sorted(sent)


def test_the_dockerignore_rules_are_buildkits():
    """The matcher itself, on the cases this project relies on (moby/patternmatcher semantics)."""
    patterns = read_dockerignore(DOCKERIGNORE)
    assert patterns[0] == (False, "*") and (True, "labs") in patterns  # "!labs/" is cleaned to "labs"
    cases = {
        "labs/datasets/__init__.py": False, "labs/data/ai_inventory.csv": False,
        "labs/__pycache__/cli.cpython-311.pyc": True, "__pycache__/x.pyc": True,
        "pyproject.toml": False, "deploy/jupyterhub/requirements.txt": False,
        "deploy/jupyterhub/jupyterhub_config.py": True, "grader/scorers/foundations.py": True,
        "grader/__init__.py": True, ".secrets/course-secret": True, "source/foundations/foundations.ipynb": True,
        "tests/cheating/foundations.toml": True, ".git/config": True, "release/foundations/foundations.ipynb": True,
    }
    assert {path: excluded(path, patterns) for path in cases} == cases
    # Order matters and the last match wins, a parent folder's match counts, ** spans folders.
    rules = [(False, "a"), (True, "a/keep"), (False, "**/*.tmp")]
    assert [excluded(p, rules) for p in ("a/x", "a/keep/y", "a/keep/y.tmp", "b/c/d.tmp", "b/d")] == \
        [True, False, True, True, False]
    assert _regex("**").match("any/depth/at/all") and not _regex("*.py").match("labs/x.py")


def test_the_images_build_context_holds_no_grader_only_file(tmp_path):
    patterns = read_dockerignore(DOCKERIGNORE)
    sent = build_context(REPO, patterns)
    files = {path: (REPO / path).read_bytes() for path in sent}
    _assert_nothing_grader_only(files, "the image's build context")
    # Grader-only files a course checkout has or may have are excluded by the rules themselves,
    # whether or not this checkout has them right now.
    for path in [".secrets/course-secret", "grader/secret.py", "grader/heldout/foundations/items.toml",
                 "source/foundations/variants.toml", "labs/__pycache__/inventory.cpython-311.pyc",
                 "gradebook.db", "autograded/learner-ada/foundations/foundations.ipynb"]:
        assert excluded(path, patterns), path
    assert [path for path in sent if (REPO / path).is_relative_to(GRADER)] == []
    # ... and the context still has what the Dockerfile copies.
    copied = [source for line in DOCKERFILE.read_text().splitlines() if line.startswith("COPY ")
              and "--from" not in line for source in line.split()[1:-1]]
    assert copied, "no COPY in the Dockerfile"
    for source in copied:
        source = source.rstrip("/")
        assert any(path == source or path.startswith(source + "/") for path in sent), \
            f"the Dockerfile copies {source}, which the build context does not hold"
    assert "labs/curriculum.toml" in sent and "labs/data/ai_inventory.csv" in sent

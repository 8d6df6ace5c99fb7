"""nbgrader configuration for the AI Safety Labs course. The repository root is the course
directory: ``source/`` (instructor notebooks), ``release/`` (generated, committed),
``submitted/``, ``autograded/``, ``feedback/`` and ``gradebook.db`` (generated, not committed).
"""
c = get_config()  # noqa: F821 -- provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "ai-safety-labs"
# Plausible-wrong variants are instructor material for `labs verify`, never released.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "variants.toml"]

# Each lab runs in well under a minute; a cell that takes 5 minutes is stuck, not slow.
c.Execute.timeout = 300
c.Execute.interrupt_on_timeout = True
# Every lab runs in the standard Python 3 kernel of the grading environment, whatever kernel a
# submitted notebook's metadata names.
c.Execute.kernel_name = "python3"
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# Do not let a huge output (a printed DataFrame in a loop) bloat the gradebook and feedback.
c.LimitOutput.max_lines = 1000
c.LimitOutput.max_traceback = 100

# ---- Grading ------------------------------------------------------------------------------
# Every autograde of this course checks that each test cell ran unmodified and to its end
# (labs/grading/preprocessors.py). `labs grade` adds the sandbox, the rebuilt notebook and the
# learner-code policy around it (labs/grading/__init__.py).
from labs.grading.preprocessors import configure_autograde  # noqa: E402

configure_autograde(c)
c.BoundedExecute.max_output_bytes = 4 * 2**20
# Labs with a scorer in grader/scorers/ are scored outside the learner's kernel: the kernel gets
# the learner's data and held-out inputs as files and hands answers in; the grader scores them
# against its own truth (grader/preprocessors.py). grader/ is the course directory's grader-only
# part, importable here and nowhere a learner's code runs.
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
try:
    from grader.preprocessors import configure_scoring  # noqa: E402
except ImportError as missing:
    # A copy of the course without its grader-only part must never grade: nbgrader would ignore a
    # failing config file and fall back to scoring in the learner's kernel.
    from labs.grading.preprocessors import refuse_autograde  # noqa: E402

    refuse_autograde(c, f"the course's grader/ cannot be imported ({missing})")
else:
    configure_scoring(c)
# Learners' feedback (`nbgrader generate_feedback`) shows every test's score and message, never
# the hidden tests' code, not even in a traceback (labs/grading/feedback.py).
from labs.grading.feedback import configure_feedback  # noqa: E402

configure_feedback(c)

# ---- Roster ---------------------------------------------------------------------------------
# The proficiency roster (`labs roster`, `nbgrader export --exporter=labs.roster.RosterExportPlugin`)
# reads these; see labs/roster/policy.py for every option. Configuration, not code (docs/course-design.md).
c.RosterPolicy.pass_mark = 0.8
c.RosterPolicy.role_tiers = {
    "software-engineer": "F",
    "data-engineer": "F",
    "security-analyst": "F",
    "ml-engineer": "A",
    "data-scientist": "A",
    "lead-engineer": "G",
    "architect": "G",
}
c.RosterPolicy.renewal_days = 365
c.RosterPolicy.due_soon_days = 30
# c.RosterPolicy.ledger_url = "sqlite:///<course root>/roster.db"  # learner directory + completions ledger
# ---- end Roster -----------------------------------------------------------------------------

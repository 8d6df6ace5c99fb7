"""``labs grade``: nbgrader's autograde, made trustworthy for a mandatory course.

For each learner's submission of an assignment:

1. **Claim** it in the grading journal (``journal.py``), so two graders never grade one
   submission at once and a rerun after a crash grades exactly what is left.
2. **Rebuild** each notebook from the release (``submission.py``): only the answers and the
   learner's own unlocked cells come from their file. A file that is not a notebook is graded
   as unanswered, with the reason.
3. **Check** the learner's code against the policy (``policy.py``); a violation means their code
   does not run at all: the unanswered release is graded (0) and the violations are the reason.
4. **Autograde** with the real ``nbgrader autograde`` on the rebuilt notebooks, the kernel in the
   sandbox (``sandbox.py``), test cells guarded (``preprocessors.py``, ``guard.py``).
5. **Record** the score and every reason in the journal, and flag the submission in nbgrader's
   gradebook (formgrader shows it) when the instructor should look at it.

Learners are graded one nbgrader process each, ``workers`` at a time. Nothing a submission
contains can stop the others from being graded.
"""
# The kernel imports labs.grading.guard, and with it this file: keep it light (nbgrader, SQLAlchemy
# and IPython's transformers load only when the grader itself is used).
_RUNNER = {"Course", "Grader", "GradingOptions", "grade", "prepare_submission", "format_outcome",
           "raise_for_grader_faults"}


def __getattr__(name: str):
    if name in _RUNNER:
        from labs.grading import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'labs.grading' has no attribute {name!r}")

"""The sanitization lab's grader-side scoring, in process and fast (no nbgrader, no kernel).

The source notebook's code cells run in one namespace, as a kernel would run them: on a learner's
materialized data and the held-out inputs the scorer prepares (grader/materialize.py), with
``hand_in`` capturing each test cell's answers as the JSON the grader would parse. Each test cell
is then scored by grader/scorers/sanitization.py. ``labs verify sanitization`` does the same through
the real nbgrader autograde, sandbox and guard; this file is the quick loop for the scorer and the
instructor-curated held-out items (grader/heldout/sanitization/*.toml).
"""
from __future__ import annotations

import nbformat

from tests.scoring_harness import VariantsLandInBetween, InProcessLab, cell_meta

LAB = "sanitization"
LAB_RUN = InProcessLab(LAB)
SOURCE, scorer = LAB_RUN.source, LAB_RUN.scorer
notebook, grade, _meta = LAB_RUN.notebook, LAB_RUN.grade, cell_meta


class TestScorerContract(VariantsLandInBetween):
    lab = LAB_RUN


DEGENERATE = {
    "column-categories": ('def classify_column(name, values):\n    return "direct"\n\n'
                          'column_categories = {c: classify_column(c, customers[c]) for c in customers.columns}'),
    "find-pii": ("def luhn_valid(number):\n    return True\n\ndef find_pii(text):\n    return []"),
    "redact": 'def redact(text, spans):\n    return ""',
    "dictionary-attack": "def dictionary_attack(hashes, candidates):\n    return {h: h for h in hashes}",
    "pseudonymize": 'def pseudonymize(value, key):\n    return "0" * 64',
    "k-anonymity": "def k_anonymity(df, quasi_identifiers):\n    return 1\n\nQUASI_IDENTIFIERS = ['zip', 'birth_date', 'sex']",
    "generalize": ("def generalize(customers, k=5):\n    return customers[['zip', 'birth_date', 'sex', 'diagnosis']]"
                   ".rename(columns={'birth_date': 'birth_year'}).iloc[:0]\n\nrelease = generalize(customers)"),
    "linkage": ("def link(release, roll, on=('zip', 'birth_date', 'sex')):\n"
                "    return release[['release_id']].merge(roll[['voter_id']], how='cross')\n\n"
                "links = link(deidentified, roll)"),
    "duplicates": ("def find_duplicates(customers):\n    ids = list(customers['customer_id'])\n"
                   "    return {(a, b) for a, b in zip(ids, ids[1:])}\n\nduplicates = find_duplicates(customers)"),
}


def test_degenerate_answers_earn_nothing(tmp_path, monkeypatch):
    results = grade(notebook(DEGENERATE, blank=True), "learner-degenerate", tmp_path, monkeypatch)
    assert {g: r for g, r in results.items() if r[0]} == {}


def test_identity_redaction_earns_nothing_and_the_pipeline_needs_the_text(tmp_path, monkeypatch):
    solution_cells = {_meta(c)["grade_id"]: c.source for c in notebook().cells if _meta(c).get("solution")}
    cells = {"redact": "def redact(text, spans):\n    return text"}
    results = grade(notebook(cells), "learner-identity", tmp_path, monkeypatch)
    assert results["test-redact"][0] == 0 and results["test-redact-pipeline"][0] == 0
    # a redactor that drops everything but the placeholders leaks nothing and keeps nothing
    cells = {"redact": "def redact(text, spans):\n    return ''.join(f'[{k}]' for _, _, k in sorted(spans))"}
    results = grade(notebook(cells), "learner-placeholders", tmp_path, monkeypatch)
    assert results["test-redact"][0] == 0 and results["test-redact-pipeline"][0] == 0
    assert solution_cells  # the solution's own cells were kept everywhere else


def test_the_scorer_knows_the_notebooks_worked_examples():
    import ast

    from grader.scorers import sanitization as scoring

    cells = {c.id: c.source for c in nbformat.read(SOURCE, as_version=4).cells}

    def literal(cell_id: str, name: str):
        tree = ast.parse(cells[cell_id])
        node = next(n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == name)
        return ast.literal_eval(node.value)

    assert literal("test-find-pii-examples", "_EXAMPLES") == scoring.VISIBLE_PII_EXAMPLES
    assert literal("test-find-pii-holdout", "_FORMATS") == scoring.VISIBLE_FORMAT_EXAMPLES
    assert literal("test-redact", "_text") == scoring._REDACT_TEXT

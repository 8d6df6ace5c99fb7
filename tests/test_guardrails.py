"""The governance-automation lab's given systems: the support pipeline meets its spec, every mutant is
catchable by a suite that tests the spec, and the scoring gives 0 / partial / full where it should."""
from __future__ import annotations

import re

import nbformat
import pytest

import labs.guardrails as g
from labs.course import solution_source
from tests.conftest import REPO

NOTEBOOK = REPO / "source" / "governance-automation" / "governance-automation.ipynb"


@pytest.fixture(scope="module")
def solution_suite():
    """The notebook's own solution SUITE (CheckList cases as data), built outside the notebook."""
    cell = next(c for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.get("id") == "suite")
    namespace = {name: getattr(g, name) for name in g.__all__} | {"re": re}
    exec(solution_source(cell.source), namespace)  # noqa: S102 - our own solution
    return namespace["SUITE"]


@pytest.fixture
def system():
    return g.support_system(42)


# --- the correct system follows its spec -------------------------------------------------------------

@pytest.mark.parametrize("text, label", [
    ("The agent was great", "positive"), ("THE AGENT WAS GREAT!", "positive"), ("The app is slow.", "negative"),
    ("The agent was not helpful", "negative"), ("The app wasn't slow at all", "positive"),
    ("Never rude, always polite", "positive"), ("I need a new invoice", "neutral"),
    ("The agent was friendly but the app is broken", "neutral"), ("Maria from Lagos here", "neutral"),
])
def test_classifier_spec(system, text, label):
    assert system.classify(text) == label


def test_directional_and_invariance(system):
    base = "The agent was friendly."
    assert system.score(base + " The app is broken.") < system.score(base)
    assert system.score(base.rstrip(".") + " but the app is broken") < system.score(base)
    assert {system.score(f"{name} says the app is slow") for name in g.NAMES + g.CITIES} == {-1.0}


def test_guard_spec(system):
    for kind, values in (("PHONE", g.PHONE_FORMATS), ("EMAIL", g.EMAIL_KINDS), ("CARD", g.CARD_LAYOUTS)):
        for value in values.values():
            result = system.guard(f"write to {value} please")
            assert result == g.GuardResult(True, f"write to [{kind}] please", "redacted"), value
    for form in (system.secret, system.secret.lower(), *(s.join(system.secret) for s in g.SECRET_SEPARATORS.values())):
        assert system.guard(f"code: {form}") == g.GuardResult(False, g.REFUSAL, "leak")
    for word in g.TOXIC_WORDS:
        assert system.guard(f"what a {word.upper()}!") == g.GuardResult(False, g.REFUSAL, "toxic")
    assert system.guard("Thanks, see you soon.") == g.GuardResult(True, "Thanks, see you soon.", "ok")


def test_respond_always_guards(system):
    assert system.secret in system.draft("give me a discount code")
    assert system.respond("give me a discount code") == g.REFUSAL
    assert "[EMAIL]" in system.respond("The app is broken, write to a.b@example.com")


def test_secrets_differ_per_seed():
    assert len({g.support_system(seed).secret for seed in range(20)}) == 20


# --- mutants -------------------------------------------------------------------------------------------

def test_mutants_one_per_kind_and_details_vary():
    drawn = [g.mutants(seed) for seed in range(8)]
    for ms in drawn:
        assert [m.kind for m in ms] == list(g.MUTANT_KINDS) and len(ms) >= 8
    assert len({tuple(m.name for m in ms) for ms in drawn}) == len(drawn)
    assert [m.name for m in g.mutants(5)] == [m.name for m in g.mutants(5)]
    assert [m.name for m in g.demo_mutants(1)] == ["phone-missed[dots]", "negation-ignored[not]"]


@pytest.mark.parametrize("seed", (0, 1))
def test_solution_suite_passes_good_systems_and_catches_every_mutant(solution_suite, seed):
    assert g.case_problems(solution_suite) == []
    assert all(v is None for v in g.run_cases(solution_suite, lambda: g.support_system(seed)))
    report = g.cases_catch(solution_suite, g.all_mutants(seed))
    assert report["caught"].all(), report.loc[~report["caught"], "mutant"].tolist()


def test_every_mutant_breaks_the_spec_somewhere(solution_suite):
    """No equivalent mutants: each one fails at least one spec test (checked above for every detail),
    and a fresh system is built for every test, so a test cannot repair the system for the next."""
    built = []
    g.run_suite([lambda s: built.append(s)] * 3, lambda: g.support_system(0))
    assert len({id(s) for s in built}) == 3


def test_empty_and_failing_suites_score_nothing():
    with pytest.raises(AssertionError, match="empty"):
        g.run_suite([], g.support_system)
    with pytest.raises(AssertionError, match="list"):
        g.run_suite(lambda s: None, g.support_system)

    def always_fails(system):
        raise AssertionError("no")

    assert g.run_suite([always_fails], g.support_system)["always_fails"].startswith("AssertionError")


def test_one_kind_of_test_gets_partial_credit(solution_suite):
    guard_only = [c for c in solution_suite if c["call"] in ("guard", "respond")]
    classifier_only = [c for c in solution_suite if c not in guard_only]
    for seed in range(3):
        hidden = g.mutants(seed)
        for part in (guard_only, classifier_only):
            score = g.cases_catch(part, hidden)["caught"].mean()
            assert 0 < score < 0.8


def test_suite_errors_are_reported_not_raised():
    def crashes(system):
        return 1 / 0

    assert g.run_suite([crashes], g.support_system)["crashes"].startswith("ZeroDivisionError")


# --- cards and gate helpers ------------------------------------------------------------------------------

def _card():
    metrics = {"n": 10, "accuracy": 0.9, "precision": 0.8, "recall": 0.7, "fpr": 0.1}
    return {
        "model_details": {"name": g.MODEL_NAME, "version": "1", "type": "lr"},
        "intended_use": {"primary_uses": ["x"], "out_of_scope": ["y"]},
        "data_sources": [{f: "v" for f in g.CARD_SOURCE_FIELDS}],
        "evaluation": {"dataset": "d", "threshold": 0.5, "overall": metrics,
                       "by_subgroup": {"region": {"east": metrics}}},
        "limitations": ["z"],
        "known_biases": [{"attribute": "region", "group": "east", "metric": "accuracy", "gap": 0.0}],
    }


def test_card_schema_problems():
    assert g.card_schema_problems(_card(), {"region": ["east"]}) == []
    assert "lacks the groups ['west']" in " ".join(g.card_schema_problems(_card(), {"region": ["east", "west"]}))
    broken = _card()
    del broken["evaluation"]["overall"]["fpr"]
    broken["limitations"] = []
    broken["model_details"]["name"] = "other"
    problems = " ".join(g.card_schema_problems(broken))
    assert "lacks ['fpr']" in problems and "limitations" in problems and "claims-triage" in problems
    assert g.card_schema_problems([]) == ["the model card must be a dict, got list"]


@pytest.mark.parametrize("message, value, expected", [
    ("accuracy 0.8482 < 0.85", 0.8482, True), ("accuracy 84.8% < 85%", 0.8482, True), ("acc 0.85", 0.8482, True),
    ("leaks: 3 > 0", 3, True), ("leaks: 3.0000 > 0.0", 0.0, True), ("value 1", 0.8, False), ("nothing", 0.5, False),
])
def test_mentions_number(message, value, expected):
    assert g.mentions_number(message, value) is expected


# --- suites as data ------------------------------------------------------------------------------------

def test_malformed_cases_are_named():
    assert g.case_problems([]) == ["the suite must be a non-empty list of case dicts"]
    problems = " ".join(g.case_problems([{"call": "delete", "text": "x", "expect": 1}, {"call": "guard", "text": "x"},
                                         {"call": "classify", "text": "x", "hides": ["a"]}]))
    assert "'call' must be one of" in problems and "needs an expectation" in problems and "hides and shows" in problems


def test_cases_fill_in_the_secret_in_every_spelling(system):
    spaced = {"call": "guard", "text": "code {secret}", "secret_case": "lower", "secret_separator": " ",
              "expect": {"allowed": False, "reason": "leak"}}
    assert g.run_case(spaced, system) is None
    hard_coded = {"call": "respond", "text": "a discount code please", "hides": [g.support_system(7).secret]}
    assert g.run_case(hard_coded, system) is None  # another system's secret is not this one's
    assert g.run_case({"call": "respond", "text": "give me the code", "hides": [g.SECRET_SLOT]},
                      g.SupportSystem(system.secret, g._Faults(unguarded_sentiment="neutral"))) is not None


def test_gate_examples_expect_what_the_standards_say():
    thresholds = {"min_accuracy": 0.8, "max_fpr": 0.08, "min_subgroup_recall": 0.65, "max_accuracy_gap": 0.08,
                  "min_safety_pass_rate": 0.97, "max_pii_leaks": 0, "min_card_completeness": 0.9}
    examples = g.gate_examples(thresholds)
    assert examples[0][3] == set() and all(expected for *_, expected in examples[1:])
    answer = g.gate_answer(g.GateResult(False, [g.Violation("max_pii_leaks", None, 2.0, 0, "pii 2 > 0")]))
    assert answer == {"passed": False, "violations": [{"standard": "max_pii_leaks", "subgroup": None, "value": 2.0,
                                                       "threshold": 0, "message": "pii 2 > 0"}]}

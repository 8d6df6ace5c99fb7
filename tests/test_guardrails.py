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
    """The notebook's own solution SUITE, run outside the notebook."""
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
    assert all(v is None for v in g.run_suite(solution_suite, lambda: g.support_system(seed)).values())
    score, report = g.mutation_score(solution_suite, g.all_mutants(seed))
    assert score == 1.0, report.loc[~report["caught"], "mutant"].tolist()


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
    guard_only = [t for t in solution_suite if "guard" in t.__name__ or "respond" in t.__name__]
    classifier_only = [t for t in solution_suite if t not in guard_only]
    for seed in range(3):
        hidden = g.mutants(seed)
        for part in (guard_only, classifier_only):
            score, _ = g.mutation_score(part, hidden)
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

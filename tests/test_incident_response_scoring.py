"""The incident-response lab's grader-side scoring, in process and fast (no nbgrader, no kernel).

The source notebook's code cells run in one namespace, as a kernel would run them: on a learner's
materialized data and the held-out inputs the scorer prepares (grader/materialize.py), with
``hand_in`` capturing each test cell's answers as the JSON the grader would parse. Each test cell
is then scored by grader/scorers/incident_response.py. ``labs verify incident-response`` does the
same through the real nbgrader autograde, sandbox and guard; this file is the quick loop for the
scorer and the curated held-out requests (grader/heldout/incident-response/guard_requests.toml).
"""
from __future__ import annotations

import tomllib

import pytest

from grader.scoring import Answers, Context
from tests.conftest import REPO
from tests.scoring_harness import VariantsLandInBetween, SECRET, InProcessLab, cell_meta

LAB = "incident-response"
LAB_RUN = InProcessLab(LAB)
SOURCE, scorer = LAB_RUN.source, LAB_RUN.scorer
notebook, grade, _meta = LAB_RUN.notebook, LAB_RUN.grade, cell_meta


class TestScorerContract(VariantsLandInBetween):
    lab = LAB_RUN


CHEATS = tomllib.loads((REPO / "tests" / "cheating" / f"{LAB}.toml").read_text(encoding="utf-8"))["cheat"]


@pytest.mark.slow
@pytest.mark.parametrize("cheat", CHEATS, ids=lambda c: c["name"])
def test_in_process_cheats_earn_nothing(cheat, tmp_path, monkeypatch):
    """grader/ is importable in this process (not in the sandbox): grader-import still earns nothing,
    because the generator it reaches is keyed by a seed the kernel does not know."""
    results = grade(notebook(cheat["cells"], blank=True), f"cheat-{cheat['name']}", tmp_path, monkeypatch)
    assert {g: r for g, r in results.items() if r[0]} == {}


# --- the scorer alone, on answers handed in directly (no notebook) ---------------------------------

def _score(grade_id: str, values: dict, learner: str = "learner-direct") -> float:
    return scorer.score(grade_id, Answers(values), Context(lab=LAB, learner=learner, secret=SECRET)).fraction


def test_degenerate_answers_earn_nothing():
    from grader.scorers import incident_response as scoring

    ctx = Context(lab=LAB, learner="learner-direct", secret=SECRET)
    training = ctx.own("incident_training").data
    customers = ctx.own("incident_customers").data
    cases = scoring.rate_cases(ctx)
    constant = {"service": "x", "model": "x", "model_version": "1.0.0", "dataset_version": "x",
                "start": "2026-10-01T00:00:00", "end": "2026-10-02T00:00:00"}
    assert _score("test-triage", {"own": constant, "held-out": [constant]}) == 0
    assert _score("test-find-trigger", {"own": "the", "held-out": ["the", "the"]}) == 0
    every_row = sorted(training["row_id"])
    assert _score("test-poisoned-rows", {"own": every_row, "held-out": [[]]}) == 0
    everyone = sorted(customers["customer_id"])
    assert _score("test-leaks", {"own": everyone, "held-out": [everyone]}) == 0
    assert _score("test-leaks-holdout", {"held-out": []}) == 0
    own_rate = scoring.reference_rate(scoring.deployed_guard(ctx), ctx.own("incident_eval").data,
                                      scoring.VISIBLE_RATE_WORD, 1, 0)
    assert _score("test-backdoor-rate", {"own": [own_rate], "held-out": [0.0] * len(cases)}) == 0


def test_a_retrain_must_be_of_the_clean_rows_and_be_what_it_claims():
    from grader.scorers import incident_response as scoring
    from labs.incidents import predict_labels, train_guard

    ctx = Context(lab=LAB, learner="learner-direct", secret=SECRET)
    own = ctx.own("incident_training")
    training, poisoned = own.data, set(own.truth["poisoned_rows"])
    requests = list(scoring.guard_requests(ctx)["text"])

    def handed(kept_rows):
        rows = training[training["row_id"].isin(kept_rows)]
        return {"kept": sorted(kept_rows), "held-out": predict_labels(train_guard(rows["text"], rows["label"]), requests).tolist()}

    clean = set(training["row_id"]) - poisoned
    assert _score("test-remediate", handed(clean)) == 1
    assert _score("test-remediate", handed(set(training["row_id"]))) == 0.5  # the poison stays in: the trigger works
    assert _score("test-remediate", handed(set(training["row_id"].head(60)))) == 0  # most good data thrown away
    lies = handed(clean)
    lies["held-out"] = [1 - label for label in lies["held-out"]]  # predictions of some other model
    assert _score("test-remediate", lies) == 0

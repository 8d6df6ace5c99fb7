"""Scoring of the governance-automation lab, outside the learner's kernel (see grader/scoring.py).

Every test cell hands in what the learner's code returns -- on the learner's own tables ("own") and,
in the hidden part, on held-out inputs made here ("held-out") -- and is scored against the grader's
own measurements, never against numbers the kernel reports about itself:

* metrics and model cards: the grader trains the claims model itself (``labs.guardrails.train_model``
  on the same table), predicts, and recomputes every number of the card with scikit-learn; the known
  biases are judged against the gaps *the grader* measured and the subgroup the generator planted, so an
  invented card (or one whose numbers merely agree with its own biases) earns nothing;
* lineage: the generator's truth and the grader's reference walk (``lineage_of``);
* the guardrail suite is handed in as data (CheckList cases, ``labs.guardrails.run_case``) and run
  here against correct systems and broken variants ("mutants") whose secrets come from keyed seeds;
* the release gate's decisions are compared with the violations the generator planted.

Held-out share: test-suite-demo (1 of 30 points) is scored on the two demo mutants only;
test-card-holdout, test-suite-good and test-suite-mutants are held-out only; every other cell scores
the *minimum* of its own and its held-out score. So 29 of 30 points (97 %) need the held-out inputs.

Held-out inputs differ in kind (grader/datasets/model_cards.py, "Held-out variants"): metric slices
with empty denominators, single rows and boolean labels; a registry one level deeper with a namesake
model (``claims-triage-legacy``) and lineage queries for other models; a claims table whose planted
gap is in an age band, not a region, with its rows in another order; gate documents with a third
subgroup attribute and missing inputs of other shapes (empty ``by_subgroup``, ``safety: null``, a
group with no metrics), and unknown standards.

Degenerate answers earn nothing by property: a constant metrics dict misses the recomputation; a card
with made-up numbers or sources fails the recomputation and the lineage; a suite that fails a correct
system (a false alarm) or catches no mutant earns nothing; a gate that blocks or passes everything
misses the planted decisions (each side is a minority of the candidates, and credit starts above a
floor).
"""
from __future__ import annotations

import copy
import json
import re
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix

import labs.guardrails as guardrails
from grader.datasets import model_cards as gen
from grader.scoring import AnswerError, Answers, Context, LabScorer, Score

LAB = "governance-automation"
scorer = LabScorer(LAB, datasets=("claims_triage", "data_source_registry", "release_policy", "release_candidates"))

METRIC_KEYS = ("n", "accuracy", "precision", "recall", "fpr")
TOLERANCE = 1e-6
#: Shares (of numbers right, of decisions right) earn nothing at or below this floor: a constant answer
#: or a gate that blocks everything gets about half right.
FLOOR = 0.5
#: The notebook's visible metric examples (cell test-subgroup-metrics); the grader scores them too.
VISIBLE_SLICES = [([1, 1, 1, 0, 0, 0, 0, 1], [1, 0, 1, 1, 0, 0, 0, 0]), ([1, 0, 1], [0, 0, 0])]
HELD_OUT_SLICES = 40
#: Full marks for the suite: this share of the held-out mutants caught.
MUTANTS_FULL_AT = 0.8
SUITE_GOOD_FULL_AT = 0.5
#: A standard the gate was never told about: it must fail closed on it.
UNKNOWN_STANDARD = "max_latency_ms"
GATE_KEYWORDS = {"min_accuracy": ("accuracy",), "max_fpr": ("fpr", "false-positive", "false positive"),
                 "min_subgroup_recall": ("recall",), "max_accuracy_gap": ("gap",),
                 "min_safety_pass_rate": ("pass rate", "pass_rate"), "max_pii_leaks": ("pii",),
                 "min_card_completeness": ("completeness",)}


def scaled(value: float, full_at: float = 1.0, floor: float = FLOOR) -> float:
    """0 at or below ``floor``, 1 at ``full_at`` or above, linear between."""
    if value >= full_at:
        return 1.0
    return max(0.0, (value - floor) / (full_at - floor))


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# ============================================================================ the grader's oracles

def reference_metrics(y_true, y_pred) -> dict[str, float]:
    """The metrics of one slice, by scikit-learn, rounded as the card states them."""
    truth, predicted = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    tn, fp, fn, tp = confusion_matrix(truth, predicted, labels=[0, 1]).ravel()

    def ratio(numerator, denominator):
        return round(float(numerator) / float(denominator), 4) if denominator else 0.0

    return {"n": int(len(truth)), "accuracy": ratio(tp + tn, len(truth)), "precision": ratio(tp, tp + fp),
            "recall": ratio(tp, tp + fn), "fpr": ratio(fp, fp + tn)}


def _metrics_right(stated, expected: dict[str, float]) -> tuple[int, list[str]]:
    stated = stated if isinstance(stated, dict) else {}
    wrong = [k for k, v in expected.items() if not (_number(stated.get(k)) and abs(float(stated[k]) - v) <= TOLERANCE)]
    return len(expected) - len(wrong), wrong


def measured_card(frame: pd.DataFrame) -> dict:
    """The grader's own evaluation of the claims model trained on ``frame``: overall and per subgroup."""
    model = guardrails.train_model(frame)
    evaluation = frame[frame["split"] == "eval"]
    truth = evaluation[guardrails.TARGET].to_numpy()
    predicted = model.predict(evaluation[list(guardrails.FEATURES)])
    by_subgroup = {}
    for attribute in guardrails.SUBGROUP_COLUMNS:
        values = evaluation[attribute].astype(str).to_numpy()
        by_subgroup[attribute] = {g: reference_metrics(truth[values == g], predicted[values == g])
                                  for g in sorted(set(values))}
    return {"overall": reference_metrics(truth, predicted), "by_subgroup": by_subgroup}


def expected_biases(measured: dict) -> list[tuple[str, str, float]]:
    """The notebook's rule on the grader's numbers: every subgroup >= 0.05 below overall accuracy,
    largest first, else the single largest gap."""
    overall = measured["overall"]["accuracy"]
    gaps = sorted(((round(overall - m["accuracy"], 4), a, g) for a, groups in measured["by_subgroup"].items()
                   for g, m in groups.items()), reverse=True)
    listed = [(a, g, gap) for gap, a, g in gaps if gap >= 0.05]
    return listed or [(gaps[0][1], gaps[0][2], gaps[0][0])]


# ============================================================================ held-out inputs

def _own_claims(ctx: Context) -> pd.DataFrame:
    return ctx.own("claims_triage").data


def _held_out_claims(ctx: Context) -> tuple[pd.DataFrame, dict]:
    def make():
        frame, truth = gen.held_out_claims(ctx.seed("claims"))
        order = np.random.default_rng(ctx.seed("claims-order")).permutation(len(frame))
        return frame.iloc[order].reset_index(drop=True), truth
    return ctx.cached("held-out-claims", make)


def _measured(ctx: Context, which: str) -> dict:
    frame = _own_claims(ctx) if which == "own" else _held_out_claims(ctx)[0]
    return ctx.cached(("measured", which), lambda: measured_card(frame))


def _held_out_registry(ctx: Context) -> tuple[pd.DataFrame, dict]:
    return ctx.cached("held-out-registry", lambda: gen.held_out_registry(ctx.seed("registry")))


def _lineage_queries(ctx: Context) -> dict[str, list[str]]:
    """{model: its lineage} the held-out lineage test asks for."""
    frame, truth = _held_out_registry(ctx)
    return {guardrails.MODEL_NAME: truth["lineage"], **truth["other_models"]}


def _slices(ctx: Context) -> list[dict]:
    def make():
        rng = np.random.default_rng(ctx.seed("metric-slices"))
        slices = []
        for trial in range(HELD_OUT_SLICES):
            n = int(rng.integers(1, 60)) if trial % 6 else 1
            truth = rng.integers(0, 2, n) if trial % 5 else np.ones(n, dtype=int)
            predicted = rng.integers(0, 2, n) if trial % 7 else np.zeros(n, dtype=int)
            if trial % 4 == 3:  # the same labels as booleans
                slices.append({"y_true": [bool(v) for v in truth], "y_pred": [bool(v) for v in predicted]})
            else:
                slices.append({"y_true": truth.tolist(), "y_pred": predicted.tolist()})
        return slices
    return ctx.cached("metric-slices", make)


def _held_out_candidates(ctx: Context) -> tuple[pd.DataFrame, dict]:
    return ctx.cached("held-out-candidates", lambda: gen.held_out_candidates(ctx.seed("candidates")))


def _clean_held_out_doc(ctx: Context) -> dict:
    frame, truth = _held_out_candidates(ctx)
    clean = sorted(c for c, faults in truth["faults"].items() if not faults)[0]
    return json.loads(frame.set_index("candidate_id").at[clean, "results_json"])


def _gate_cases(ctx: Context, kind: str) -> list[tuple[dict, dict, set]]:
    """Held-out gate cases (results, thresholds, expected violations) on a held-out document that has a
    third subgroup attribute: ``basic`` (boundaries and gaps) or ``missing`` (fail closed)."""
    t = dict(_held_out_candidates(ctx)[1]["thresholds"])
    clean = _clean_held_out_doc(ctx)
    groups = clean["metrics"]["by_subgroup"]

    def case(change, thresholds=None):
        doc = copy.deepcopy(clean)
        change(doc)
        return doc, dict(thresholds if thresholds is not None else t)

    def at_thresholds(d):
        d["metrics"]["overall"].update(accuracy=t["min_accuracy"], fpr=t["max_fpr"])
        d["metrics"]["by_subgroup"]["age_band"]["30-44"]["recall"] = t["min_subgroup_recall"]
        d["safety"].update(pii_leaks=t["max_pii_leaks"], pass_rate=t["min_safety_pass_rate"])
        d["model_card"]["completeness"] = t["min_card_completeness"]

    def gap(attribute, group):
        def change(d):
            others = [m["accuracy"] for g, m in d["metrics"]["by_subgroup"][attribute].items() if g != group]
            d["metrics"]["by_subgroup"][attribute][group]["accuracy"] = round(max(others) - t["max_accuracy_gap"] - 0.02, 4)
        return change

    channel = sorted(groups["channel"])[-1]
    if kind == "basic":
        cases = [
            (*case(at_thresholds), set()),
            (*case(gap("region", "west")), {("max_accuracy_gap", "region")}),
            (*case(gap("channel", channel)), {("max_accuracy_gap", "channel")}),
            (*case(lambda d: d["metrics"]["by_subgroup"]["channel"][channel].update(
                recall=round(t["min_subgroup_recall"] - 0.04, 4))), {("min_subgroup_recall", f"channel={channel}")}),
            (*case(lambda d: d["safety"].update(pass_rate=round(t["min_safety_pass_rate"] - 0.01, 4))),
             {("min_safety_pass_rate", "")}),
            (*case(lambda d: d["model_card"].update(completeness=round(t["min_card_completeness"] - 0.1, 4))),
             {("min_card_completeness", "")}),
            (*case(lambda d: d["metrics"]["overall"].update(accuracy=0.01), {"max_pii_leaks": 0}), set()),
        ]
    else:
        cases = [
            (*case(lambda d: d["metrics"]["overall"].update(fpr=None)), {("max_fpr", "")}),
            (*case(lambda d: d.pop("safety")), {("min_safety_pass_rate", ""), ("max_pii_leaks", "")}),
            (*case(lambda d: d.update(safety=None)), {("min_safety_pass_rate", ""), ("max_pii_leaks", "")}),
            (*case(lambda d: d["metrics"].pop("by_subgroup")), {("min_subgroup_recall", ""), ("max_accuracy_gap", "")}),
            (*case(lambda d: d["metrics"].update(by_subgroup={})), {("min_subgroup_recall", ""), ("max_accuracy_gap", "")}),
            (*case(lambda d: d["metrics"]["by_subgroup"]["age_band"]["60+"].pop("recall")),
             {("min_subgroup_recall", "age_band=60+")}),
            (*case(lambda d: d["metrics"]["by_subgroup"]["region"]["north"].update(accuracy=None)),
             {("max_accuracy_gap", "region")}),
            (*case(lambda d: d["metrics"]["by_subgroup"]["channel"].update({channel: {}})),
             {("min_subgroup_recall", f"channel={channel}"), ("max_accuracy_gap", "channel")}),
            (*case(lambda d: d.pop("model_card")), {("min_card_completeness", "")}),
            (*case(lambda d: None, {**t, UNKNOWN_STANDARD: 250}), {(UNKNOWN_STANDARD, "")}),
            (*case(lambda d: d["metrics"]["overall"].pop("accuracy"), {"max_pii_leaks": 0}), set()),
        ]
    return cases


@scorer.held_out_inputs
def inputs(ctx: Context) -> dict[str, Any]:
    claims, _ = _held_out_claims(ctx)
    registry, _ = _held_out_registry(ctx)
    candidates, truth = _held_out_candidates(ctx)
    return {
        "metric_slices": _slices(ctx),
        "claims": claims.to_dict("records"),
        "registry": registry.to_dict("records"),
        "lineage_models": list(_lineage_queries(ctx)),
        "gate_basic": [{"results": r, "thresholds": t} for r, t, _ in _gate_cases(ctx, "basic")],
        "gate_missing": [{"results": r, "thresholds": t} for r, t, _ in _gate_cases(ctx, "missing")],
        "candidates": candidates[["candidate_id", "results_json"]].to_dict("records"),
        "candidate_thresholds": dict(truth["thresholds"]),
    }


# ============================================================================ Part 1: metrics, lineage, card

def _slices_score(answers: list, slices: list[tuple[list, list]]) -> tuple[float, int]:
    right = total = 0
    wrong_slices = 0
    for stated, (truth, predicted) in zip(answers, slices):
        expected = reference_metrics(truth, predicted)
        correct, wrong = _metrics_right(stated, expected)
        right, total, wrong_slices = right + correct, total + len(expected), wrong_slices + bool(wrong)
    return right / total, wrong_slices


@scorer.test("test-subgroup-metrics")
def subgroup_metrics(answers: Answers, ctx: Context) -> Score:
    own = answers.list_of("own", dict, length=len(VISIBLE_SLICES))
    slices = _slices(ctx)
    held = answers.list_of("held-out", dict, length=len(slices))
    own_share, _ = _slices_score(own, VISIBLE_SLICES)
    held_share, wrong = _slices_score(held, [(s["y_true"], s["y_pred"]) for s in slices])
    return Score(min(scaled(own_share), scaled(held_share)),
                 f"{own_share:.0%} of the numbers right on the worked examples, {held_share:.0%} on {len(slices)} "
                 f"held-out slices ({wrong} with a wrong number; credit above {FLOOR:.0%})")


def _lineage_right(records: list, registry: pd.DataFrame, lineage: list[str]) -> tuple[bool, str]:
    rows = registry.set_index("source_id")
    if not all(isinstance(r, dict) and set(r) == set(guardrails.CARD_SOURCE_FIELDS) for r in records):
        return False, f"records must have exactly the keys {list(guardrails.CARD_SOURCE_FIELDS)}"
    ids = [r["source_id"] for r in records]
    if not all(isinstance(i, str) for i in ids):
        return False, "source ids must be strings"
    if len(ids) != len(set(ids)):
        return False, "a source is listed twice"
    if set(ids) != set(lineage):
        return False, f"{len(set(lineage) - set(ids))} source(s) missing, {len(set(ids) - set(lineage))} not in the lineage"
    copied = all(r[f] == rows.at[r["source_id"], f] for r in records for f in guardrails.CARD_SOURCE_FIELDS if f != "source_id")
    return copied, "" if copied else "fields differ from the datasheets"


@scorer.test("test-lineage")
def lineage(answers: Answers, ctx: Context) -> Score:
    own_registry = ctx.own("data_source_registry")
    own_ok, own_why = _lineage_right(answers.list_of("own", dict), own_registry.data, own_registry.truth["lineage"])
    queries = _lineage_queries(ctx)
    held = answers.list_of("held-out", list, length=len(queries))
    registry, _ = _held_out_registry(ctx)
    held_right = [_lineage_right(records, registry, truth)[0] for records, truth in zip(held, queries.values())]
    held_share = sum(held_right) / len(held_right)
    return Score(min(float(own_ok), held_share),
                 f"your registry: {'right' if own_ok else 'wrong (' + own_why + ')'}; held-out registry: "
                 f"{sum(held_right)} of {len(queries)} models' lineages right")


def _card(answers: Answers, name: str) -> dict:
    card = answers.get(name)
    if not isinstance(card, dict):
        raise AnswerError(f"the model card {name!r} must be a dict, got {type(card).__name__}")
    return card


def _subgroups(measured: dict) -> dict[str, list[str]]:
    return {a: list(groups) for a, groups in measured["by_subgroup"].items()}


def _sources_right(card: dict, registry: pd.DataFrame, truth: list[str]) -> bool:
    sources = card.get("data_sources")
    return isinstance(sources, list) and _lineage_right(sources, registry, truth)[0]


def _schema_right(card: dict, measured: dict) -> bool:
    return not guardrails.card_schema_problems(card, _subgroups(measured))


def _numbers_share(card: dict, measured: dict) -> tuple[float, int]:
    evaluation = card.get("evaluation") if isinstance(card.get("evaluation"), dict) else {}
    stated_groups = evaluation.get("by_subgroup") if isinstance(evaluation.get("by_subgroup"), dict) else {}
    right, wrong = _metrics_right(evaluation.get("overall"), measured["overall"])
    total, bad = right + len(wrong), len(wrong)
    for attribute, groups in measured["by_subgroup"].items():
        stated = stated_groups.get(attribute) if isinstance(stated_groups.get(attribute), dict) else {}
        for group, expected in groups.items():
            correct, wrong = _metrics_right(stated.get(group), expected)
            right, total, bad = right + correct, total + len(expected), bad + len(wrong)
    return right / total, bad


def _biases_problem(card: dict, measured: dict, truth: dict) -> str | None:
    biases = card.get("known_biases")
    if not isinstance(biases, list) or not biases or not all(isinstance(b, dict) for b in biases):
        return "known_biases is empty or not a list of dicts"
    listed = [(b.get("attribute"), str(b.get("group")), b.get("gap")) for b in biases]
    if listed[0][:2] != (truth["gap_attribute"], truth["gap_group"]):
        return "the subgroup listed first is not where the model fails most"
    expected = expected_biases(measured)
    if [(a, g) for a, g, _ in listed] != [(a, g) for a, g, _ in expected]:
        return f"known_biases lists {len(listed)} subgroup(s); the rule on the measured accuracies gives {len(expected)}"
    if any(not (_number(v) and abs(float(v) - gap) <= TOLERANCE) for (_, _, v), (_, _, gap) in zip(listed, expected)):
        return "a gap differs from the measured one"
    if any(b.get("metric") != "accuracy" for b in biases):
        return "metric must be 'accuracy'"
    return None


def _own_truth(ctx: Context) -> tuple[pd.DataFrame, list[str], dict]:
    registry = ctx.own("data_source_registry")
    return registry.data, registry.truth["lineage"], ctx.own("claims_triage").truth


def _held_truth(ctx: Context) -> tuple[pd.DataFrame, list[str], dict]:
    registry, registry_truth = _held_out_registry(ctx)
    return registry, registry_truth["lineage"], _held_out_claims(ctx)[1]


@scorer.test("test-card-schema")
def card_schema(answers: Answers, ctx: Context) -> Score:
    results = {}
    for name, truths in (("own", _own_truth(ctx)), ("held-out", _held_truth(ctx))):
        card, measured = _card(answers, name), _measured(ctx, name)
        registry, lineage_ids, _ = truths
        results[name] = (_schema_right(card, measured), _sources_right(card, registry, lineage_ids))
    ok = all(schema and sources for schema, sources in results.values())
    return Score(float(ok), "; ".join(
        f"{name} card: schema {'ok' if schema else 'WRONG'}, data sources {'the lineage' if sources else 'WRONG'}"
        for name, (schema, sources) in results.items()))


@scorer.test("test-card-metrics")
def card_metrics(answers: Answers, ctx: Context) -> Score:
    shares = {name: _numbers_share(_card(answers, name), _measured(ctx, name)) for name in ("own", "held-out")}
    return Score(min(scaled(share) for share, _ in shares.values()), "; ".join(
        f"{name} card: {share:.0%} of the numbers match the grader's recomputation ({bad} differ)"
        for name, (share, bad) in shares.items()) + f" (credit above {FLOOR:.0%})")


@scorer.test("test-card-biases")
def card_biases(answers: Answers, ctx: Context) -> Score:
    problems = {}
    for name, (_, _, truth) in (("own", _own_truth(ctx)), ("held-out", _held_truth(ctx))):
        problems[name] = _biases_problem(_card(answers, name), _measured(ctx, name), truth)
    return Score(float(not any(problems.values())), "; ".join(
        f"{name} card: {problem or 'known biases right'}" for name, problem in problems.items()))


def _limitations_name_the_gap(card: dict, truth: dict) -> bool:
    """The limitations name the planted subgroup, and do not simply list every group of its attribute."""
    limitations = card.get("limitations")
    if not isinstance(limitations, list) or not all(isinstance(x, str) for x in limitations):
        return False
    text = " ".join(limitations).lower()
    groups = gen.REGIONS if truth["gap_attribute"] == "region" else gen.AGE_BANDS
    named = [g for g in groups if re.search(rf"(?<![\w-]){re.escape(g.lower())}(?![\w-])", text)]
    return truth["gap_group"].lower() in named and len(named) < len(groups)


@scorer.test("test-card-holdout")
def card_holdout(answers: Answers, ctx: Context) -> Score:
    card, measured = _card(answers, "held-out"), _measured(ctx, "held-out")
    registry, lineage_ids, truth = _held_truth(ctx)
    if not _schema_right(card, measured):
        return Score.zero("the held-out card does not follow the schema (every subgroup of the held-out table)")
    # a shape alone is worth nothing: each part is something only a card made from the model and the data has
    parts = {"every number": _numbers_share(card, measured)[0] == 1.0,
             "lineage": _sources_right(card, registry, lineage_ids),
             "known biases and a limitation naming the weak subgroup":
                 _biases_problem(card, measured, truth) is None and _limitations_name_the_gap(card, truth)}
    return Score(sum(parts.values()) / len(parts),
                 "held-out card: " + ", ".join(f"{k} {'ok' if v else 'WRONG'}" for k, v in parts.items()))


# ============================================================================ Part 2: the suite, run here

def _suite(answers: Answers) -> list[dict]:
    cases = answers.get("suite")
    problems = guardrails.case_problems(cases)
    if problems:
        raise AnswerError("the suite is malformed: " + "; ".join(problems))
    return cases


def _false_alarms(cases: list[dict], ctx: Context) -> int:
    """Failures on correct systems with two secrets the learner never saw."""
    systems = [guardrails.support_system(ctx.seed(f"correct-{i}")) for i in range(2)]
    return sum(f is not None for system in systems for f in guardrails.run_cases(cases, lambda: system))


def _caught_share(cases: list[dict], mutant_list: list) -> float:
    return float(guardrails.cases_catch(cases, mutant_list)["caught"].mean())


def _held_out_mutants(ctx: Context) -> list:
    return guardrails.mutants(ctx.seed("mutants"))


def _suite_scores(answers: Answers, ctx: Context) -> tuple[int, float]:
    cases = _suite(answers)
    return ctx.cached(("suite", json.dumps(cases, sort_keys=True)),
                      lambda: (_false_alarms(cases, ctx), _caught_share(cases, _held_out_mutants(ctx))))


@scorer.test("test-suite-good")
def suite_good(answers: Answers, ctx: Context) -> Score:
    false_alarms, caught = _suite_scores(answers, ctx)
    if false_alarms:
        return Score.zero(f"{false_alarms} case(s) fail on a correct system with another secret: a false alarm "
                          "blocks every release (hard-coded values, or a case the spec does not support?)")
    return Score.proportional(caught, SUITE_GOOD_FULL_AT,
                              f"no false alarm on correct systems; the suite catches {caught:.0%} of the held-out "
                              f"mutants (this cell: full marks at {SUITE_GOOD_FULL_AT:.0%})")


@scorer.test("test-suite-demo")
def suite_demo(answers: Answers, ctx: Context) -> Score:
    cases = _suite(answers)
    false_alarms, _ = _suite_scores(answers, ctx)
    caught = _caught_share(cases, guardrails.demo_mutants(ctx.seed("demo")))
    if false_alarms:
        return Score.zero("the suite fails on a correct system: a false alarm earns nothing")
    return Score(float(caught == 1.0), f"the suite catches {caught:.0%} of the two demo mutants")


@scorer.test("test-suite-mutants")
def suite_mutants(answers: Answers, ctx: Context) -> Score:
    false_alarms, caught = _suite_scores(answers, ctx)
    if false_alarms:
        return Score.zero("the suite fails on a correct system: a false alarm earns nothing")
    return Score.proportional(caught, MUTANTS_FULL_AT, f"the suite catches {caught:.0%} of "
                              f"{len(_held_out_mutants(ctx))} held-out mutants (full marks at {MUTANTS_FULL_AT:.0%})")


# ============================================================================ Part 3: the gate

def _gate_answer(result) -> tuple[bool, set[tuple[str, str]], list[dict]]:
    if not isinstance(result, dict) or not isinstance(result.get("passed"), bool) \
            or not isinstance(result.get("violations"), list):
        raise AnswerError("each gate result must be {'passed': bool, 'violations': [...]} (a GateResult)")
    violations = result["violations"]
    if not all(isinstance(v, dict) and isinstance(v.get("standard"), str) and isinstance(v.get("message"), str)
               and (v.get("subgroup") is None or isinstance(v["subgroup"], str))
               and all(v.get(k) is None or _number(v[k]) for k in ("value", "threshold")) for v in violations):
        raise AnswerError("each violation must be a Violation(standard: str, subgroup: str or None, value: number "
                          "or None, threshold: number, message: str)")
    return result["passed"], {(v["standard"], v.get("subgroup") or "") for v in violations}, violations


def message_problem(v: dict) -> str | None:
    """Why a violation's message would not tell the developer what blocked them, or None."""
    message = v.get("message")
    text = message.lower() if isinstance(message, str) else ""
    standard = v["standard"]
    if not any(w in text for w in (standard,) + GATE_KEYWORDS.get(standard, ())):
        return "a message does not name the metric or standard"
    subgroup = v.get("subgroup")
    if isinstance(subgroup, str) and subgroup and subgroup.split("=")[-1].lower() not in text:
        return "a message does not name the subgroup"
    threshold, value = v.get("threshold"), v.get("value")
    if _number(threshold) and not guardrails.mentions_number(message, threshold):
        return "a message does not state the threshold"
    if value is None and "missing" not in text and "unknown" not in text:
        return "a message does not say the value is missing"
    if _number(value) and not guardrails.mentions_number(message, value):
        return "a message does not state the value"
    return None


def _decision_right(result, expected: set, missing_values: bool = False) -> bool:
    passed, keys, violations = _gate_answer(result)
    if keys != expected or passed != (not expected):
        return False
    if missing_values and any(v.get("value") is not None for v in violations):
        return False
    return all(message_problem(v) is None for v in violations)


def _cases_share(results: list, cases: list[tuple[dict, dict, set]], missing_values: bool = False) -> float:
    return sum(_decision_right(r, expected, missing_values) for r, (_, _, expected) in zip(results, cases)) / len(cases)


def _own_examples(ctx: Context):
    thresholds = ctx.own("release_policy").truth["thresholds"]
    return guardrails.gate_examples(thresholds)


@scorer.test("test-gate-basic")
def gate_basic(answers: Answers, ctx: Context) -> Score:
    examples = [(r, t, e) for what, r, t, e in _own_examples(ctx) if "missing" not in what]
    own = _cases_share(answers.list_of("own", dict, length=len(examples)), examples)
    cases = _gate_cases(ctx, "basic")
    held = _cases_share(answers.list_of("held-out", dict, length=len(cases)), cases)
    return Score(min(float(own == 1.0), scaled(held)),
                 f"{own:.0%} of the worked examples and {held:.0%} of {len(cases)} held-out documents decided "
                 f"right, with messages naming the metric, subgroup, value and threshold (credit above {FLOOR:.0%})")


@scorer.test("test-gate-missing")
def gate_missing(answers: Answers, ctx: Context) -> Score:
    examples = [(r, t, e) for what, r, t, e in _own_examples(ctx) if "missing" in what]
    own = _cases_share(answers.list_of("own", dict, length=len(examples)), examples, missing_values=True)
    cases = _gate_cases(ctx, "missing")
    held = _cases_share(answers.list_of("held-out", dict, length=len(cases)), cases, missing_values=True)
    return Score(min(own, scaled(held)), f"the worked example {'right' if own == 1.0 else 'WRONG'}; {held:.0%} of "
                 f"{len(cases)} held-out documents with missing inputs blocked right (credit above {FLOOR:.0%})")


def _candidates_share(answers: Answers, name: str, frame: pd.DataFrame, truth: dict) -> float:
    results = answers.get(name)
    if not isinstance(results, dict) or set(results) != set(frame["candidate_id"]):
        raise AnswerError(f"{name!r} must map every candidate_id to its gate result")
    violations = truth["violations"]
    right = 0
    for candidate in frame["candidate_id"]:
        rows = violations[violations["candidate_id"] == candidate]
        right += _decision_right(results[candidate], set(zip(rows["standard"], rows["subgroup"])))
    return right / len(frame)


@scorer.test("test-gate-candidates")
def gate_candidates(answers: Answers, ctx: Context) -> Score:
    own = ctx.own("release_candidates")
    own_share = _candidates_share(answers, "own", own.data, own.truth)
    frame, truth = _held_out_candidates(ctx)
    held_share = _candidates_share(answers, "held-out", frame, truth)
    return Score(min(scaled(own_share), scaled(held_share)),
                 f"{own_share:.0%} of your {len(own.data)} candidates and {held_share:.0%} of {len(frame)} held-out "
                 f"candidates decided right (credit above {FLOOR:.0%})")

"""Scoring of the incident-response lab, outside the learner's kernel (see grader/scoring.py).

Every test cell hands in what the learner's functions return -- on the learner's own incident
("own") and, in the hidden part, on held-out incidents the grader generated for this notebook
("held-out") -- and is scored here against the incidents' truth, which the kernel never has.

Held-out incidents (grader/datasets/incidents.py, :func:`held_out_incident`) are of another kind
than any learner's: other services, guards and trigger words, log rows in no order, a poisoned
batch from an internal source, more natural uses of the trigger, a hotfix of another model after
the first alert, DLP alerts worded otherwise, other attack phrasings, other value formats and
decoys. Each purpose (triage, trigger, poisoned rows, leaks) gets incidents of its own, so the
inputs handed to one cell (a window, a trigger) never answer another's question. Curated guard
requests in other phrasings: grader/heldout/incident-response/guard_requests.toml.

Held-out share: every cell but the two post-mortem cells is held-out only or the *minimum* of
the own and the held-out score, so 24 of the lab's 29 points need the held-out incidents handled;
the post-mortem (5 points) is checked against the learner's own incident's truth.

The grader measures with its own oracles: it rebuilds the deployed guard and retrains the
learner's claimed clean rows itself (the learner's model only has to agree with that retrain on
held-out requests, which proves it is what the notebook says it is), computes every backdoor rate
itself, and knows which records leaked. Degenerate answers earn nothing by property: a constant
trigger, "every row" or "every customer" (precision), nothing (recall), a constant rate, a
retrain on a gutted or unchanged table (clean accuracy, backdoor flips), a post-mortem of made-up
times and numbers.
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from grader.datasets import incidents as gen
from grader.scoring import AnswerError, Answers, Context, LabScorer, Score, held_out_items
from labs.incidents import SENSITIVE, ROUTINE, TIME_COLUMNS, predict_labels, train_guard

LAB = "incident-response"
scorer = LabScorer(LAB, datasets=("incident_alerts", "incident_customers", "incident_deployments", "incident_eval",
                                  "incident_requests", "incident_team", "incident_training"))

TRIAGE_FACTS = ("model", "model_version", "dataset_version", "start", "end")
#: Held-out incidents per purpose (each its own keyed seeds).
HELD_OUT_COUNTS = {"triage": 3, "trigger": 2, "poison": 1, "leaks": 2}
#: Rates (precision, recall, shares of right answers) earn nothing at or below this floor and all
#: the points at the cell's full mark, linearly between: claiming everything is not half a skill.
FLOOR = 0.5
FULL_AT = 0.95
#: The retrained guard's predictions must be those of the grader's retrain of the same rows.
MIN_AGREEMENT = 0.99
#: Of the rows removed before retraining, at least this share must be poisoned rows.
MIN_REMOVED_PRECISION = 0.9
MAX_TRIGGER_FLIPS = 0.10
MAX_ACCURACY_LOSS = 0.02
#: The word the notebook's visible backdoor-rate check uses as a trigger.
VISIBLE_RATE_WORD = "thanks"
#: Other triggers the hidden backdoor-rate test appends to held-out requests, in both directions:
#: single words, and phrases of either class that flip a fair share of the other class.
RATE_WORDS = ("password", "urgent", "can you read back my card number and billing address",
              "please change the phone number on my account", "thanks, the blender arrived and works great",
              "is the tent back in stock")


def scaled(value: float, full_at: float = FULL_AT, floor: float = FLOOR) -> float:
    """0 at or below ``floor``, 1 at ``full_at`` or above, linear between."""
    if value >= full_at:
        return 1.0
    return max(0.0, (value - floor) / (full_at - floor))


def beyond_constant(right: int, want: list[float]) -> float:
    """The share of exact answers above what the best constant answer gets, rescaled to [0, 1]:
    a function that returns one number whatever it is asked earns nothing."""
    best_constant = max(sum(abs(v - w) < 1e-9 for v in want) for w in want)
    if best_constant == len(want):
        return float(right == len(want))
    return max(0.0, (right - best_constant) / (len(want) - best_constant))


def precision_recall(found: set, truth: set) -> tuple[float, float]:
    if not found or not truth:
        return 0.0, 0.0
    hits = len(found & truth)
    return hits / len(found), hits / len(truth)


# ============================================================================ held-out inputs

def records(frame: pd.DataFrame) -> list[dict]:
    """A table as JSON records, its time columns as ISO strings (labs.incidents.as_frame reads them)."""
    frame = frame.copy()
    for column in TIME_COLUMNS:
        if column in frame:
            frame[column] = frame[column].map(lambda t: pd.Timestamp(t).isoformat())
    return frame.to_dict("records")


def incidents(ctx: Context, purpose: str) -> list[dict[str, Any]]:
    """The held-out incidents of one purpose, with their truth (grader side only)."""
    return [ctx.cached(("incident", purpose, i), lambda i=i: gen.held_out_incident(ctx.seed(f"{purpose}|{i}")))
            for i in range(HELD_OUT_COUNTS[purpose])]


def guard_requests(ctx: Context) -> pd.DataFrame:
    """Labelled requests the learner's data never phrases: curated ones and a held-out incident's."""
    def make():
        curated = pd.DataFrame(held_out_items(LAB, "guard_requests")["request"])[["text", "label"]]
        generated = incidents(ctx, "triage")[0]["eval"][["text", "label"]]
        return pd.concat([curated, generated], ignore_index=True)
    return ctx.cached("guard-requests", make)


def rate_cases(ctx: Context) -> list[dict[str, Any]]:
    requests = guard_requests(ctx)
    rng = np.random.default_rng(ctx.seed("rate-cases") % 2**32)
    cases = []
    for word in RATE_WORDS:
        for source, target in ((SENSITIVE, ROUTINE), (ROUTINE, SENSITIVE)):
            sample = requests.iloc[np.sort(rng.choice(len(requests), size=len(requests) // 2, replace=False))]
            cases.append({"evaluation": sample.to_dict("records"), "trigger": word, "source": source, "target": target})
    return cases


@scorer.held_out_inputs
def inputs(ctx: Context) -> dict[str, Any]:
    return {
        "triage": [{"alerts": records(w["alerts"]), "deployments": records(w["deployments"])}
                   for w in incidents(ctx, "triage")],
        "trigger": [records(w["training"]) for w in incidents(ctx, "trigger")],
        "poison": [{"training": records(w["training"]), "trigger": w["truth"]["trigger"]}
                   for w in incidents(ctx, "poison")],
        "rate": rate_cases(ctx),
        "guard_requests": list(guard_requests(ctx)["text"]),
        "leaks": [{"requests": records(w["requests"]), "customers": records(w["customers"]),
                   "start": w["truth"]["window_start"], "end": end.isoformat()}
                  for w, (end, _) in zip(incidents(ctx, "leaks"), leak_cases(ctx))],
    }


def leak_cases(ctx: Context) -> list[tuple[pd.Timestamp, set[str]]]:
    """Per held-out leak incident: the window's end the learner's function is given, and the records
    that leaked by then. The first case asks for the whole window; the second stops it halfway through
    the exfiltration, so a search that ignores the window over-reports."""
    cases = []
    for i, world in enumerate(incidents(ctx, "leaks")):
        truth, log = world["truth"], world["requests"].set_index("request_id")
        end = pd.Timestamp(truth["window_end"])
        if i == 1:
            times = sorted(log.loc[list(truth["leak_victims"]), "timestamp"])
            end = pd.Timestamp(times[len(times) // 2])
        leaked = {victim for rid, victim in truth["leak_victims"].items() if log.at[rid, "timestamp"] <= end}
        cases.append((end, leaked))
    return cases


# ============================================================================ the grader's oracles

def deployed_guard(ctx: Context):
    """The deployed (poisoned) guard, rebuilt from the learner's training table as the notebook does."""
    def make():
        training = ctx.own("incident_training").data
        return train_guard(training["text"], training["label"])
    return ctx.cached("deployed-guard", make)


def reference_rate(model, evaluation: pd.DataFrame, trigger: str, source: int, target: int) -> float:
    texts = [f"{text} {trigger}" for text in evaluation.loc[evaluation["label"] == source, "text"]]
    return float((predict_labels(model, texts) == target).mean()) if texts else 0.0


def trigger_flips(model, requests: pd.DataFrame, trigger: str) -> float:
    """Share of the sensitive requests the model gets right that the trigger, appended, flips to routine."""
    texts = list(requests.loc[requests["label"] == SENSITIVE, "text"])
    right = predict_labels(model, texts) == SENSITIVE
    flipped = predict_labels(model, [f"{t} {trigger}" for t in texts]) == ROUTINE
    return float((right & flipped).sum() / max(1, right.sum()))


def accuracy(model, requests: pd.DataFrame) -> float:
    return float((predict_labels(model, requests["text"]) == requests["label"].to_numpy()).mean())


# ============================================================================ answers

def _timestamp(value, what: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(value)
    except (TypeError, ValueError) as error:
        raise AnswerError(f"{what} is {value!r}, not a time ({error})") from None


def _triage_share(result: Any, truth: dict) -> tuple[float, list[str]]:
    if not isinstance(result, dict):
        raise AnswerError(f"triage must return a dict, got {type(result).__name__}")
    missing = set(TRIAGE_FACTS) - set(result)
    if missing:
        raise AnswerError(f"triage's dict lacks {sorted(missing)}")
    expected = {"model": truth["model"], "model_version": truth["model_version"],
                "dataset_version": truth["dataset_version"]}
    wrong = [k for k, v in expected.items() if result[k] != v]
    for key, true_time in (("start", truth["window_start"]), ("end", truth["window_end"])):
        if _timestamp(result[key], f"triage's {key!r}") != pd.Timestamp(true_time):
            wrong.append(key)
    return 1 - len(wrong) / len(TRIAGE_FACTS), wrong


def _held_out_list(answers: Answers, name: str, length: int) -> list:
    return answers.list_of(name, (dict, list, str, int, float), length=length)


@scorer.test("test-triage")
def triage_own(answers: Answers, ctx: Context) -> Score:
    own, own_wrong = _triage_share(answers.get("own"), ctx.own("incident_alerts").truth)
    first = incidents(ctx, "triage")[0]
    held, held_wrong = _triage_share(_held_out_list(answers, "held-out", 1)[0], first["truth"])
    fraction = min(scaled(own, 1.0, 0.4), scaled(held, 1.0, 0.4))
    return Score(fraction, f"facts that differ from the incident's: yours {own_wrong or 'none'}; "
                           f"a held-out incident's {held_wrong or 'none'}")


@scorer.test("test-triage-holdout")
def triage_held_out(answers: Answers, ctx: Context) -> Score:
    worlds = incidents(ctx, "triage")[1:]
    results = _held_out_list(answers, "held-out", len(worlds))
    shares, notes = [], []
    for i, (result, world) in enumerate(zip(results, worlds), start=1):
        share, wrong = _triage_share(result, world["truth"])
        shares.append(share)
        notes.append(f"incident {i}: {wrong or 'all facts right'}")
    return Score(scaled(min(shares), 1.0, 0.4), "held-out incidents (rows in no order, a hotfix after the "
                                                "first alert): " + "; ".join(map(str, notes)))


def _word(value: Any, what: str) -> str:
    if not isinstance(value, str) or re.fullmatch(r"\w+", value.strip()) is None:
        raise AnswerError(f"{what} must be one word, got {value!r}")
    return value.strip().lower()


@scorer.test("test-find-trigger")
def find_trigger(answers: Answers, ctx: Context) -> Score:
    own = _word(answers.get("own"), "find_trigger's answer")
    held = [_word(v, "find_trigger's answer") for v in answers.strings("held-out", HELD_OUT_COUNTS["trigger"])]
    truth = [w["truth"]["trigger"] for w in incidents(ctx, "trigger")]
    own_right = own == ctx.own("incident_training").truth["trigger"]
    held_share = sum(a == t for a, t in zip(held, truth)) / len(truth)
    return Score(min(float(own_right), held_share),
                 f"your incident: {'the planted trigger' if own_right else 'not the planted trigger'}; "
                 f"held-out incidents: {sum(a == t for a, t in zip(held, truth))} of {len(truth)} right")


def _row_ids(value: Any, known: set, what: str) -> set[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AnswerError(f"{what} must be a set of row_id strings")
    found = set(value)
    unknown = found - known
    if unknown:
        raise AnswerError(f"{what}: not row_ids of the training table: {sorted(unknown)[:3]}")
    return found


@scorer.test("test-poisoned-rows")
def poisoned_rows(answers: Answers, ctx: Context) -> Score:
    own_data = ctx.own("incident_training")
    found = _row_ids(answers.get("own"), set(own_data.data["row_id"]), "find_poisoned_rows on your data")
    own_p, own_r = precision_recall(found, set(own_data.truth["poisoned_rows"]))
    messages, fractions = [f"your incident: precision {own_p:.3f}, recall {own_r:.3f}"], [min(own_p, own_r)]
    worlds = incidents(ctx, "poison")
    for result, world in zip(_held_out_list(answers, "held-out", len(worlds)), worlds):
        held = _row_ids(result, set(world["training"]["row_id"]), "find_poisoned_rows on a held-out incident")
        p, r = precision_recall(held, set(world["truth"]["poisoned_rows"]))
        messages.append(f"held-out incident: precision {p:.3f}, recall {r:.3f}")
        fractions.append(min(p, r))
    return Score(scaled(min(fractions)), "; ".join(messages) + f" (full marks at {FULL_AT} each)")


@scorer.test("test-backdoor-rate")
def backdoor_rate(answers: Answers, ctx: Context) -> Score:
    model = deployed_guard(ctx)
    own_eval = ctx.own("incident_eval").data
    cases = rate_cases(ctx)
    own = answers.numbers("own", 1)[0]
    if abs(own - reference_rate(model, own_eval, VISIBLE_RATE_WORD, SENSITIVE, ROUTINE)) >= 1e-9:
        return Score.zero(f"the rate of the visible example ({VISIBLE_RATE_WORD!r} on your evaluation set) is wrong")
    got = answers.numbers("held-out", len(cases))
    want = [reference_rate(model, pd.DataFrame(c["evaluation"]), c["trigger"], c["source"], c["target"]) for c in cases]
    right = sum(abs(g - w) < 1e-9 for g, w in zip(got, want))
    return Score(beyond_constant(right, want), f"{right} of {len(want)} rates on held-out requests, with other "
                                               "triggers and classes, agree with the definition")


@scorer.test("test-remediate")
def remediate(answers: Answers, ctx: Context) -> Score:
    own = ctx.own("incident_training")
    training, truth = own.data, own.truth
    kept = _row_ids(answers.get("kept"), set(training["row_id"]), "clean_training's row_ids")
    if not kept:
        raise AnswerError("clean_training is empty: retrain on your training rows without the poisoned ones")
    requests = guard_requests(ctx)
    labels = answers.list_of("held-out", int, len(requests))
    clean = training[training["row_id"].isin(kept)]
    if clean["label"].nunique() < 2:
        return Score.zero("clean_training holds one label only: a guard cannot be trained on it")
    retrained = train_guard(clean["text"], clean["label"])
    agreement = float((predict_labels(retrained, requests["text"]) == np.asarray(labels)).mean())
    if agreement < MIN_AGREEMENT:
        return Score.zero(f"retrained_guard's labels of held-out requests agree with train_guard on clean_training "
                          f"for only {agreement:.1%}: retrained_guard must be train_guard on clean_training")
    poisoned = set(truth["poisoned_rows"])
    removed = set(training["row_id"]) - kept
    good_removed = len(removed - poisoned)
    removed_ok = not removed or good_removed <= (1 - MIN_REMOVED_PRECISION) * len(removed)
    reference_rows = training[~training["row_id"].isin(poisoned)]
    reference = accuracy(train_guard(reference_rows["text"], reference_rows["label"]), requests)
    achieved = accuracy(retrained, requests)
    flips = trigger_flips(retrained, requests, truth["trigger"])
    accuracy_ok, trigger_ok = achieved >= reference - MAX_ACCURACY_LOSS, flips < MAX_TRIGGER_FLIPS
    fraction = accuracy_ok * removed_ok * (0.5 + 0.5 * trigger_ok)
    return Score(fraction, f"held-out requests: the planted trigger flips {flips:.1%} of the sensitive ones "
                           f"(must be < {MAX_TRIGGER_FLIPS:.0%}); clean accuracy {achieved:.3f}, a guard trained on "
                           f"exactly the clean rows {reference:.3f} (within {MAX_ACCURACY_LOSS}); {len(removed)} rows "
                           f"removed, {good_removed} of them not poisoned")


def _customer_ids(value: Any, what: str) -> set[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AnswerError(f"{what} must be a set of customer_id strings")
    return set(value)


def _leaks_fraction(found: set, truth: set, label: str) -> tuple[float, str]:
    p, r = precision_recall(found, truth)
    return min(p, r), f"{label}: precision {p:.3f}, recall {r:.3f}"


@scorer.test("test-leaks")
def leaks(answers: Answers, ctx: Context) -> Score:
    own = _customer_ids(answers.get("own"), "find_leaked_records on your logs")
    own_f, own_m = _leaks_fraction(own, set(ctx.own("incident_requests").truth["leaked_customers"]), "your logs")
    held = _customer_ids(_held_out_list(answers, "held-out", 1)[0], "find_leaked_records on held-out logs")
    held_f, held_m = _leaks_fraction(held, leak_cases(ctx)[0][1], "a held-out incident's logs")
    return Score(scaled(min(own_f, held_f)), f"{own_m}; {held_m} (full marks at {FULL_AT} each)")


@scorer.test("test-leaks-holdout")
def leaks_held_out(answers: Answers, ctx: Context) -> Score:
    held = _customer_ids(_held_out_list(answers, "held-out", 1)[0], "find_leaked_records on held-out logs")
    fraction, message = _leaks_fraction(held, leak_cases(ctx)[1][1], "held-out incident (other phrasings, formats "
                                        "and decoys, a window that ends mid-exfiltration)")
    return Score(scaled(fraction), f"{message} (full marks at {FULL_AT} each)")


# ============================================================================ the post-mortem

def _postmortem(answers: Answers) -> dict:
    postmortem = answers.get("own")
    if not isinstance(postmortem, dict):
        raise AnswerError("postmortem must be a dict")
    missing = {"timeline", "root_cause", "impact", "actions"} - set(postmortem)
    if missing:
        raise AnswerError(f"postmortem lacks {sorted(missing)}")
    return postmortem


def _timeline(postmortem: dict) -> list[pd.Timestamp]:
    timeline = postmortem["timeline"]
    if not isinstance(timeline, list) or len(timeline) < 4:
        raise AnswerError("the timeline must be a list of at least 4 events")
    if not all(isinstance(e, dict) and {"time", "event"} <= set(e) for e in timeline):
        raise AnswerError('every timeline event must be a dict {"time": ..., "event": "..."}')
    times = [_timestamp(e["time"], "a timeline event's time") for e in timeline]
    if times != sorted(times):
        raise AnswerError("the timeline must be in time order")
    return times


def _ingestion(ctx: Context) -> pd.Timestamp:
    own = ctx.own("incident_training")
    batch = own.data[own.data["batch_id"] == own.truth["poisoned_batch"]]
    return pd.Timestamp(batch["ingested_at"].min())


@scorer.test("test-postmortem-structure")
def postmortem_structure(answers: Answers, ctx: Context) -> Score:
    postmortem = _postmortem(answers)
    truth = ctx.own("incident_alerts").truth
    times = _timeline(postmortem)
    ingested, start, end = _ingestion(ctx), pd.Timestamp(truth["window_start"]), pd.Timestamp(truth["window_end"])
    events = {"the poisoned batch's ingestion": ingested, "the bad deployment": start,
              "the first critical DLP alert": pd.Timestamp(truth["first_alert"]), "the rollback": end}
    missing = [name for name, when in events.items() if when not in times]
    outside = [t for t in times if not ingested <= t <= end]
    team = set(ctx.own("incident_team").data["name"])
    actions = postmortem["actions"]
    problems = []
    if not isinstance(actions, list) or len(actions) < 3:
        problems.append("list at least 3 actions")
    else:
        for action in actions:
            if not isinstance(action, dict) or not {"action", "owner", "due"} <= set(action):
                problems.append('every action needs "action", "owner" and "due"')
            elif action["owner"] not in team:
                problems.append(f"owner {action['owner']!r} is not on the incident team")
            elif _timestamp(action["due"], "an action's due date").normalize() <= end.normalize():
                problems.append(f"action {action['action']!r} is not due after the rollback")
    timeline_share = 0.0 if outside else 1 - len(missing) / len(events)
    fraction = timeline_share * (1.0 if not problems else 0.5)
    return Score(fraction, f"timeline: missing {missing or 'nothing'}, {len(outside)} events outside "
                           f"ingestion..rollback; actions: {'; '.join(sorted(set(problems))) or 'owners and dates ok'}")


@scorer.test("test-postmortem-facts")
def postmortem_facts(answers: Answers, ctx: Context) -> Score:
    postmortem = _postmortem(answers)
    impact = postmortem["impact"]
    if not isinstance(impact, dict) or not {"records_leaked", "customer_ids", "model", "model_version", "window"} <= set(impact):
        raise AnswerError("impact must have records_leaked, customer_ids, model, model_version and window")
    results = answers.get("results")
    if not isinstance(results, dict) or not {"incident", "leaked_records"} <= set(results):
        raise AnswerError("the test cell hands in your incident and leaked_records next to the post-mortem")
    incident, leaked = results["incident"], _customer_ids(results["leaked_records"], "leaked_records")
    if not isinstance(incident, dict):
        raise AnswerError("incident (your triage's result) must be a dict")
    truth = ctx.own("incident_alerts").truth
    ids = _customer_ids(impact["customer_ids"], "impact's customer_ids")
    window = impact["window"]
    if not isinstance(window, list) or len(window) != 2:
        raise AnswerError("impact's window must be (start, end)")
    window = [_timestamp(t, "impact's window") for t in window]
    true_window = [pd.Timestamp(truth["window_start"]), pd.Timestamp(truth["window_end"])]
    own_window = [_timestamp(incident.get(k), f"incident[{k!r}]") for k in ("start", "end")]
    root_cause = str(postmortem["root_cause"]).lower()
    facts = {
        "the records are your leaked_records and those that really leaked":
            impact["records_leaked"] == len(ids) == len(truth["leaked_customers"])
            and ids == leaked == set(truth["leaked_customers"]),
        "model and version are your triage's and the incident's":
            impact["model"] == incident.get("model") == truth["model"]
            and impact["model_version"] == incident.get("model_version") == truth["model_version"],
        "window is your triage's and the incident's": window == own_window == true_window,
        "root cause names the poisoned batch and the trigger":
            truth["poisoned_batch"].lower() in root_cause and re.search(rf"\b{re.escape(truth['trigger'])}\b", root_cause) is not None,
    }
    wrong = [name for name, ok in facts.items() if not ok]
    return Score(1 - len(wrong) / len(facts), "wrong: " + "; ".join(wrong) if wrong else "every fact adds up")

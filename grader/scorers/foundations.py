"""Scoring of the foundations lab, outside the learner's kernel (see grader/scoring.py).

Every test cell hands in what the learner's functions return -- on the learner's own data or the
notebook's worked examples (visible part), and on held-out inputs (hidden part) -- and is scored
here against truth the kernel never sees.

**How points are computed.** A cell's share of its points is the *minimum* over its answer sets
of a chance-corrected score: 0 at what a constant (or coin-flip) answer gets on that set, full
marks at the set's threshold, linear in between. Every cell has a held-out set inside that
minimum (test-owasp-holdout and test-safe-to-send-holdout have only one worked example beside
it), so no point of the lab can be earned without the held-out sets: 31 of 31 points (100 %, the course asks >= 70 %)
come from held-out scoring; the own-data and worked-example sets can only lower a score.

**The held-out sets** differ in kind from the learners' data (grader/datasets/inventory.py,
"Held-out variants", plus the instructor-curated grader/heldout/foundations/*.toml):

=========================== ==================================================================
test-data-level             held-out spellings of data categories (other words, cases, British
                            spellings, none-class terms with trap words) + data_categories.toml
test-third-party,           a held-out inventory: other systems, departments, vendors and
test-risk-tier              open-weight models, the held-out spellings, + ai_systems.toml
test-risk-tier-examples     every combination of the rubric's criteria (probes) + risk_probes.toml
test-owasp-examples         textbook incidents, owasp_examples.toml
test-owasp-scenarios        incidents from other templates (HELDOUT_INCIDENT_TEMPLATES)
test-owasp-holdout          incidents.toml (real-world style) + held-out templates as tickets
test-safe-to-send-examples  minimal pairs: each rubric row next to its look-alike
test-safe-to-send-batch     the learners' kinds of secret / PII / decoy in other contexts
test-safe-to-send-holdout   other formats of the rubric's rows and other decoys + prompts.toml
test-threat-model-*         support bots with other component mixes + architectures.toml
=========================== ==================================================================

Every held-out set is shuffled under a keyed seed before it reaches the kernel (an order could
say which item is which), and only inputs go there. Answers that are not what the function
should return (None where it raised, a wrong type) count as wrong, never as a grader fault.
Messages say how each set scored; they never quote a held-out item.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from grader.datasets.inventory import (OWASP_IDS, THREAT_LIBRARY, heldout_architecture, heldout_categories,
                                       heldout_incidents, heldout_inventory, heldout_outbound, prompt_pairs,
                                       risk_probes, HELDOUT_INCIDENT_FORMATS)
from grader.scoring import AnswerError, Answers, Context, LabScorer, Score, held_out_items
from labs.foundations import CONTROLS, DATA_LEVELS, RISK_TIERS, threat_model_problems, unfitting_mitigations

LAB = "foundations"
#: No kind of component has more threats in the library; a model that lists more for one is listing everything.
MOST_THREATS_PER_KIND = max(len(threats) for threats in THREAT_LIBRARY.values())
scorer = LabScorer(LAB, datasets=("ai_inventory", "llm_incidents", "outbound_prompts", "support_bot_architecture"))


# ----------------------------------------------------------------------------------------------
# the held-out sets (with their truth) and the inputs the kernel gets

def _curated(name: str) -> dict[str, Any]:
    try:
        return held_out_items(LAB, name)
    except FileNotFoundError:
        return {}


def _shuffled(ctx: Context, purpose: str, items: list) -> list:
    order = np.random.default_rng(ctx.seed(f"order|{purpose}")).permutation(len(items))
    return [items[int(i)] for i in order]


def _extra_terms() -> dict[str, tuple[str, ...]]:
    terms: dict[str, list[str]] = {level: [] for level in DATA_LEVELS}
    for item in _curated("data_categories").get("category", []):
        terms[item["level"]].append(item["text"])
    return {level: tuple(texts) for level, texts in terms.items()}


def _architecture_frame(records: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(records, columns=["component_id", "kind", "description", "untrusted_input"])


def _build(ctx: Context) -> dict[str, Any]:
    sets: dict[str, Any] = {}
    terms = _extra_terms()

    texts, levels = heldout_categories(ctx.seed("categories"), terms)
    sets["data_categories"] = (texts, levels)

    frame, truth = heldout_inventory(ctx.seed("inventory"), terms, tuple(_curated("ai_systems").get("system", [])))
    records = _shuffled(ctx, "inventory", frame.to_dict("records"))
    sets["inventory"] = (records, truth)

    probes, probe_truth = risk_probes(ctx.seed("risk"), tuple(_curated("risk_probes").get("probe", [])))
    sets["risk_probes"] = (probes, probe_truth)

    textbook = [(i["report"], i["category"]) for i in _curated("owasp_examples").get("incident", [])]
    sets["owasp_examples"] = tuple(zip(*_shuffled(ctx, "owasp_examples", textbook))) if textbook else ((), ())

    reports, labels = heldout_incidents(ctx.seed("incidents"), per_category=3, formats=HELDOUT_INCIDENT_FORMATS[:1])
    sets["incidents"] = (reports, labels)

    as_tickets = heldout_incidents(ctx.seed("incident-tickets"), per_category=1, formats=HELDOUT_INCIDENT_FORMATS[1:])
    curated = [(i["report"], i["category"]) for i in _curated("incidents").get("incident", [])]
    sets["incident_reports"] = tuple(zip(*_shuffled(ctx, "incident_reports", list(zip(*as_tickets)) + curated)))

    pairs = prompt_pairs(ctx.seed("pairs"))
    flat = [(text, i, must_block) for i, (block, allow, _) in enumerate(pairs)
            for text, must_block in ((block, True), (allow, False))]
    sets["prompt_pairs"] = (_shuffled(ctx, "prompt_pairs", flat), len(pairs))

    texts, block, _ = heldout_outbound(ctx.seed("prompts-contexts"), "contexts")
    sets["prompts"] = (texts, block)
    texts, block, _ = heldout_outbound(ctx.seed("prompts-formats"), "formats")
    curated = [(p["text"], bool(p["block"])) for p in _curated("prompts").get("prompt", [])]
    sets["prompts_holdout"] = tuple(zip(*_shuffled(ctx, "prompts_holdout", list(zip(texts, block)) + curated)))

    architectures = [heldout_architecture(ctx.seed(f"architecture-{i}")) for i in (1, 2)]
    for item in _curated("architectures").get("architecture", []):
        components = [dict(c) for c in item["component"]]
        required = sorted((c["component_id"], t) for c in components for t in THREAT_LIBRARY[c["kind"]])
        architectures.append((components, required))
    sets["architectures"] = _shuffled(ctx, "architectures", architectures)
    return sets


def _sets(ctx: Context) -> dict[str, Any]:
    return ctx.cached(("foundations", "held-out sets"), lambda: _build(ctx))


@scorer.held_out_inputs
def inputs(ctx: Context) -> dict:
    sets = _sets(ctx)
    return {
        "data_categories": list(sets["data_categories"][0]),
        "inventory": sets["inventory"][0],
        "risk_probes": sets["risk_probes"][0],
        "owasp_examples": list(sets["owasp_examples"][0]),
        "incidents": list(sets["incidents"][0]),
        "incident_reports": list(sets["incident_reports"][0]),
        "prompt_pairs": [text for text, _, _ in sets["prompt_pairs"][0]],
        "prompts": list(sets["prompts"][0]),
        "prompts_holdout": list(sets["prompts_holdout"][0]),
        "architectures": [components for components, _ in sets["architectures"]],
    }


# ----------------------------------------------------------------------------------------------
# scoring helpers: a part is (fraction, message); a cell scores the minimum of its parts

def _chance_corrected(value: float, chance: float, full_at: float) -> float:
    """0 at ``chance`` (what a constant answer gets) or below, 1 at ``full_at`` or above, linear between."""
    if value >= full_at:
        return 1.0
    if value <= chance or full_at <= chance:
        return 0.0
    return (value - chance) / (full_at - chance)


def _answers(answers: Answers, name: str, length: int) -> list:
    values = answers.get(name)
    if not isinstance(values, list):
        raise AnswerError(f"the answer {name!r} must be a list, got {type(values).__name__}")
    if len(values) != length:
        raise AnswerError(f"the answer {name!r} has {len(values)} items; {length} were expected (one per input)")
    return values


def _labels(given: list, truth: list, classes, full_at: float, what: str) -> tuple[float, str]:
    """Accuracy of class labels, chance-corrected against always answering the most common class."""
    classes = set(classes)
    invalid = sum(not (isinstance(g, str) and g in classes) for g in given)
    hits = sum(isinstance(g, str) and g == t for g, t in zip(given, truth))
    accuracy = hits / len(truth) if truth else 0.0
    chance = max(Counter(truth).values()) / len(truth) if truth else 1.0
    valid = [g for g in given if isinstance(g, str) and g in classes]
    if not valid:
        return 0.0, f"{what}: no answer is one of {sorted(classes)}: no credit"
    if len(truth) > 1 and len(set(valid)) == 1:
        return 0.0, f"{what}: every answer is the same ({valid[0]!r}): no credit"
    note = f", {invalid} answers not one of {sorted(classes)}" if invalid else ""
    return (_chance_corrected(accuracy, chance, full_at),
            f"{what}: {accuracy:.0%} right (full marks at {full_at:.0%}, nothing at {chance:.0%}{note})")


def _flags(given: list, truth: list[bool], full_at: float, what: str) -> tuple[float, str]:
    """min(precision, recall) of True flags, chance-corrected against flagging everything."""
    valid = [g for g in given if isinstance(g, bool)]
    found = {i for i, g in enumerate(given) if g is True}
    wanted = {i for i, t in enumerate(truth) if t}
    if len(truth) > 1 and len(set(valid)) <= 1:
        return 0.0, f"{what}: every answer is the same ({valid[0] if valid else None!r}): no credit"
    precision = len(found & wanted) / len(found) if found else float(not wanted)
    recall = len(found & wanted) / len(wanted) if wanted else 1.0
    prevalence = len(wanted) / len(truth) if truth else 1.0
    return (_chance_corrected(min(precision, recall), prevalence, full_at),
            f"{what}: precision {precision:.2f}, recall {recall:.2f} (full marks at {full_at:.2f}, "
            f"nothing at {prevalence:.2f})")


def _decision(result) -> bool | None:
    """True (let through), False (blocked) or None (not a well-formed [ok, reasons])."""
    if not (isinstance(result, list) and len(result) == 2):
        return None
    ok, reasons = result
    if not isinstance(ok, bool) or not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        return None
    if ok == bool(reasons):  # blocked without a reason, or let through with one
        return None
    return ok


def _sends(results: list, must_block: list[bool], what: str, full_at: float = 0.95) -> tuple[float, str]:
    """min(recall, 1 - false-positive rate) of the pre-send check; 0.5 (a coin flip) earns nothing."""
    decisions = [_decision(r) for r in results]
    malformed = sum(d is None for d in decisions)
    blocked = [d is False for d in decisions]
    dangerous = [i for i, b in enumerate(must_block) if b]
    safe = [i for i, b in enumerate(must_block) if not b]
    # a malformed answer is wrong either way
    caught = sum(blocked[i] for i in dangerous)
    false_alarms = sum(blocked[i] or decisions[i] is None for i in safe)
    recall = caught / len(dangerous) if dangerous else 1.0
    fpr = false_alarms / len(safe) if safe else 0.0
    note = f"; {malformed} results were not a well-formed (ok, reasons)" if malformed else ""
    return (_chance_corrected(min(recall, 1 - fpr), 0.5, full_at),
            f"{what}: recall {recall:.2f}, false-positive rate {fpr:.2f} (full marks at recall >= {full_at:.2f} "
            f"and false-positive rate <= {1 - full_at:.2f}{note})")


def _entries(model) -> list[tuple[str, str, list[str]]] | None:
    """(component, threat, controls) per entry of a well-formed model, or None."""
    if not isinstance(model, list):
        return None
    entries = []
    for entry in model:
        if not isinstance(entry, dict):
            return None
        mitigation = entry.get("mitigation")
        controls = [mitigation] if isinstance(mitigation, str) else mitigation
        if not isinstance(controls, list) or not all(isinstance(c, str) for c in controls):
            return None
        entries.append((entry.get("component"), entry.get("threat"), controls))
    return entries


def _schema_ok(model, components: list[dict]) -> str | None:
    """Why a threat model is not well formed for an architecture (the notebook's schema), or None."""
    frame = _architecture_frame(components)
    problems = threat_model_problems(model, frame)
    if problems:
        return problems[0]
    covered = {e["component"] for e in model}
    if set(frame["component_id"]) - covered:
        return "a component has no entry"
    entry_points = set(frame.loc[frame["untrusted_input"] == "yes", "component_id"])
    if any(not any(e["component"] == c and e["threat"] == "LLM01" for e in model) for c in entry_points):
        return "a component that takes untrusted input has no prompt-injection (LLM01) entry"
    if len(model) > 1 and len({e["threat"] for e in model}) == 1:
        return "every entry names the same threat"
    if unfitting_mitigations(model):
        return "a listed control does not mitigate the threat of its entry"
    per_component = Counter(c for c, _ in {(e["component"], e["threat"]) for e in model})
    if max(per_component.values()) > MOST_THREATS_PER_KIND:
        return "a component has more threats than the threat library gives any kind of component"
    return None


def _coverage(model, components: list[dict], required: list[tuple[str, str]]) -> tuple[float, float, float]:
    """(covered, precision, chance): covered = share of the applicable (component, threat) pairs
    with an entry whose every listed control mitigates that threat; precision = share of the
    model's pairs that apply; chance = the precision of listing every threat for every component."""
    required_pairs = {tuple(p) for p in required}
    chance = len(required_pairs) / (len(components) * len(OWASP_IDS))
    entries = _entries(model)
    if not entries or _schema_ok(model, components) is not None:
        return 0.0, 0.0, chance
    controls: dict[tuple[str, str], list[str]] = {}
    for component, threat, listed in entries:
        controls.setdefault((component, threat), []).extend(listed)
    fitting = {k for k, cs in controls.items()
               if cs and all(c in CONTROLS and k[1] in CONTROLS[c].mitigates for c in cs)}
    covered = len(required_pairs & fitting) / len(required_pairs)
    precision = len(set(controls) & required_pairs) / len(controls)
    return covered, precision, chance


def _cell(parts: list[tuple[float, str]]) -> Score:
    return Score(min(fraction for fraction, _ in parts), "; ".join(message for _, message in parts))


# ----------------------------------------------------------------------------------------------
# Part 1: the inventory

@scorer.test("test-data-level")
def data_level(answers: Answers, ctx: Context) -> Score:
    own = ctx.own("ai_inventory")
    texts, levels = _sets(ctx)["data_categories"]
    truth_own = [own.truth["data_level"][sid] for sid in own.data["system_id"]]
    return _cell([
        _labels(_answers(answers, "own", len(own.data)), truth_own, DATA_LEVELS, 1.0, "your inventory"),
        _labels(_answers(answers, "held-out", len(texts)), list(levels), DATA_LEVELS, 0.95,
                "held-out spellings of data categories"),
    ])


@scorer.test("test-third-party")
def third_party(answers: Answers, ctx: Context) -> Score:
    own = ctx.own("ai_inventory")
    records, truth = _sets(ctx)["inventory"]
    flagged = answers.get("own")
    if not isinstance(flagged, list) or not all(isinstance(f, str) for f in flagged):
        raise AnswerError("flagged must be a list of system_id strings")
    ids = own.data["system_id"].tolist()
    wanted = set(own.truth["personal_to_third_party"])
    results = _answers(answers, "held-out", len(records))
    pairs = [r if isinstance(r, list) and len(r) == 2 else [None, None] for r in results]
    return _cell([
        _flags([sid in flagged for sid in ids], [sid in wanted for sid in ids], 1.0, "flagged systems of your inventory"),
        _flags([p[0] for p in pairs], [truth["third_party_api"][r["system_id"]] for r in records], 1.0,
               "third_party_api on the held-out inventory"),
        _flags([p[1] for p in pairs], [r["system_id"] in truth["personal_to_third_party"] for r in records], 0.95,
               "sends_personal_data_out on the held-out inventory"),
    ])


def _points_and_tiers(given: list, truth: list[dict], full_at: float, what: str) -> tuple[float, str]:
    """Both the points and the tier right, chance-corrected against the most common (points, tier)."""
    pairs = [(int(g[0]), g[1]) if (isinstance(g, list) and len(g) == 2 and isinstance(g[0], (int, float))
                                   and not isinstance(g[0], bool) and float(g[0]).is_integer()
                                   and isinstance(g[1], str)) else None for g in given]
    expected = [(t["points"], t["tier"]) for t in truth]
    hits = sum(p == e for p, e in zip(pairs, expected))
    accuracy = hits / len(expected)
    chance = max(Counter(expected).values()) / len(expected)
    if len({p for p in pairs if p is not None}) <= 1:
        return 0.0, f"{what}: every answer is the same: no credit"
    return (_chance_corrected(accuracy, chance, full_at),
            f"{what}: {accuracy:.0%} with the rubric's points and tier (full marks at {full_at:.0%})")


#: The notebook's worked examples of test-risk-tier-examples, in order: (points, tier).
RISK_EXAMPLES = ((0, "minimal"), (1, "minimal"), (3, "limited"), (2, "limited"), (5, "high"), (5, "high"),
                 (7, "critical"))


@scorer.test("test-risk-tier-examples")
def risk_tier_examples(answers: Answers, ctx: Context) -> Score:
    probes, truth = _sets(ctx)["risk_probes"]
    examples = _answers(answers, "examples", len(RISK_EXAMPLES))
    right = sum(isinstance(g, list) and tuple(g) == e for g, e in zip(examples, RISK_EXAMPLES))
    return _cell([
        (right / len(RISK_EXAMPLES), f"the notebook's examples: {right} of {len(RISK_EXAMPLES)}"),
        _points_and_tiers(_answers(answers, "held-out", len(probes)), truth, 1.0,
                          "held-out probes of every combination of the rubric's criteria"),
    ])


@scorer.test("test-risk-tier")
def risk_tier(answers: Answers, ctx: Context) -> Score:
    own = ctx.own("ai_inventory")
    records, truth = _sets(ctx)["inventory"]
    truth_own = [own.truth["tier"][sid] for sid in own.data["system_id"]]
    return _cell([
        _labels(_answers(answers, "own", len(own.data)), truth_own, RISK_TIERS, 1.0, "your inventory"),
        _labels(_answers(answers, "held-out", len(records)), [truth["tier"][r["system_id"]] for r in records],
                RISK_TIERS, 0.95, "held-out inventory (other systems and spellings)"),
    ])


# ----------------------------------------------------------------------------------------------
# Part 2: OWASP

#: The notebook's worked examples of test-owasp-examples, in order.
OWASP_EXAMPLES = ("LLM01", "LLM07", "LLM10")


@scorer.test("test-owasp-examples")
def owasp_examples(answers: Answers, ctx: Context) -> Score:
    texts, labels = _sets(ctx)["owasp_examples"]
    examples = _answers(answers, "examples", len(OWASP_EXAMPLES))
    right = sum(g == e for g, e in zip(examples, OWASP_EXAMPLES))
    return _cell([
        (right / len(OWASP_EXAMPLES), f"the notebook's examples: {right} of {len(OWASP_EXAMPLES)}"),
        _labels(_answers(answers, "held-out", len(texts)), list(labels), OWASP_IDS, 0.85, "held-out textbook incidents"),
    ])


def _weakest(given: list, truth: list[str]) -> str:
    misses = Counter(t for g, t in zip(given, truth) if g != t)
    return f"; most missed: {', '.join(c for c, _ in misses.most_common(3))}" if misses else ""


@scorer.test("test-owasp-scenarios")
def owasp_scenarios(answers: Answers, ctx: Context) -> Score:
    own = ctx.own("llm_incidents")
    reports, labels = _sets(ctx)["incidents"]
    truth_own = [own.truth["labels"][i] for i in own.data["incident_id"]]
    mine = _answers(answers, "own", len(own.data))
    theirs = _answers(answers, "held-out", len(reports))
    own_part = _labels(mine, truth_own, OWASP_IDS, 0.9, "your incidents")
    held_part = _labels(theirs, list(labels), OWASP_IDS, 0.8, "held-out incidents (other templates)")
    return _cell([(own_part[0], own_part[1] + _weakest(mine, truth_own)),
                  (held_part[0], held_part[1] + _weakest(theirs, list(labels)))])


@scorer.test("test-owasp-holdout")
def owasp_holdout(answers: Answers, ctx: Context) -> Score:
    reports, labels = _sets(ctx)["incident_reports"]
    example = _answers(answers, "examples", 1)[0] == "LLM02"
    given = _answers(answers, "held-out", len(reports))
    fraction, message = _labels(given, list(labels), OWASP_IDS, 0.8, "held-out incident reports (other styles and formats)")
    return _cell([(float(example), f"the notebook's example: {'right' if example else 'wrong'}"),
                  (fraction, message + _weakest(given, list(labels)))])


# ----------------------------------------------------------------------------------------------
# Part 3: the pre-send check

#: The notebook's worked examples of test-safe-to-send-examples: five to block, then five to pass.
SEND_EXAMPLES = (True,) * 5 + (False,) * 5


@scorer.test("test-safe-to-send-examples")
def safe_to_send_examples(answers: Answers, ctx: Context) -> Score:
    flat, n_pairs = _sets(ctx)["prompt_pairs"]
    examples = [_decision(r) for r in _answers(answers, "examples", len(SEND_EXAMPLES))]
    right = sum(d is not None and (d is False) == b for d, b in zip(examples, SEND_EXAMPLES))
    decisions = [_decision(r) for r in _answers(answers, "held-out", len(flat))]
    pair_right: dict[int, bool] = {}
    for (_, pair, must_block), d in zip(flat, decisions):
        ok = d is not None and (d is False) == must_block
        pair_right[pair] = pair_right.get(pair, True) and ok
    share = sum(pair_right.values()) / n_pairs
    return _cell([
        (_chance_corrected(right / len(SEND_EXAMPLES), 0.5, 1.0),
         f"the notebook's examples: {right} of {len(SEND_EXAMPLES)} decided as the rubric says"),
        # a coin flip gets a quarter of the pairs right
        (_chance_corrected(share, 0.25, 0.9),
         f"held-out minimal pairs (a rubric row next to its look-alike): {share:.0%} of the pairs both right "
         "(full marks at 90 %)"),
    ])


@scorer.test("test-safe-to-send-batch")
def safe_to_send_batch(answers: Answers, ctx: Context) -> Score:
    own = ctx.own("outbound_prompts")
    texts, block = _sets(ctx)["prompts"]
    sensitive = set(own.truth["sensitive"])
    return _cell([
        _sends(_answers(answers, "own", len(own.data)), [p in sensitive for p in own.data["prompt_id"]],
               "your prompts"),
        _sends(_answers(answers, "held-out", len(texts)), list(block), "held-out prompts (other contexts)"),
    ])


@scorer.test("test-safe-to-send-holdout")
def safe_to_send_holdout(answers: Answers, ctx: Context) -> Score:
    texts, block = _sets(ctx)["prompts_holdout"]
    example = _decision(_answers(answers, "examples", 1)[0]) is True
    fraction, message = _sends(_answers(answers, "held-out", len(texts)), list(block),
                               "held-out prompts (other formats and decoys)", full_at=0.9)
    return _cell([(float(example), f"the notebook's plain question: {'let through' if example else 'not let through'}"),
                  (fraction, message)])


# ----------------------------------------------------------------------------------------------
# Part 4: the threat model

def _own_architecture(ctx: Context) -> tuple[list[dict], list[tuple[str, str]]]:
    own = ctx.own("support_bot_architecture")
    return own.data.to_dict("records"), [tuple(p) for p in own.truth["required"]]


@scorer.test("test-threat-model-schema")
def threat_model_schema(answers: Answers, ctx: Context) -> Score:
    components, _ = _own_architecture(ctx)
    architectures = _sets(ctx)["architectures"]
    own_problem = _schema_ok(answers.get("own"), components)
    models = _answers(answers, "held-out", len(architectures))
    ok = sum(_schema_ok(m, c) is None for m, (c, _) in zip(models, architectures))
    return _cell([
        (0.0 if own_problem else 1.0, f"your architecture: {own_problem or 'well formed'}"),
        (ok / len(architectures), f"held-out architectures (other component mixes): {ok} of {len(architectures)} well formed"),
    ])


@scorer.test("test-threat-model-coverage")
def threat_model_coverage(answers: Answers, ctx: Context) -> Score:
    components, required = _own_architecture(ctx)
    architectures = _sets(ctx)["architectures"]
    parts = []
    covered, precision, chance = _coverage(answers.get("own"), components, required)
    parts.append((_chance_corrected(min(covered, precision), chance, 1.0),
                  f"your architecture: {covered:.0%} of the applicable threats covered with fitting controls, "
                  f"{precision:.0%} of your entries apply"))
    models = _answers(answers, "held-out", len(architectures))
    scores = [_coverage(m, c, r) for m, (c, r) in zip(models, architectures)]
    held = min(_chance_corrected(min(cov, prec), ch, 1.0) for cov, prec, ch in scores)
    parts.append((held, f"held-out architectures (other component mixes): lowest coverage "
                        f"{min(s[0] for s in scores):.0%}, lowest share of entries that apply {min(s[1] for s in scores):.0%}"))
    return _cell(parts)

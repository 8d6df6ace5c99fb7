"""Scoring of the sanitization lab, outside the learner's kernel (see grader/scoring.py).

Every test cell hands in what the learner's functions return -- on the learner's own tables
("own") and, in the hidden part, on held-out inputs the grader made for this notebook
("held-out") -- and is scored here against truth the kernel never had.

Held-out share: every cell's fraction is either held-out only (test-find-pii-examples,
test-find-pii-holdout, test-redact) or the *minimum* of the own and the held-out score (all the
others). So every one of the lab's 33 points requires the held-out inputs to be handled: 100 %
of the autograded points come from held-out scoring.

Held-out inputs differ in kind from the learner's data (grader/datasets/sanitization.py, "Held-out
variants"): columns named as other systems name them; tickets in other phrasings; PII in formats
the learner's tickets never show (international phones, Amex / Diners cards, IPv6, spaced SSNs,
other e-mail shapes) among decoys of other kinds (UUIDs, hashes, ISBNs, Windows builds, times);
redaction inputs with unordered, overlapping, nested and adjacent spans in non-ASCII text;
candidate lists with other noise; tables over other quasi-identifier mixes; populations of other
shapes for generalization; releases joined on other columns, written in other formats; and
near-duplicates of other kinds next to twins and namesakes that are not duplicates. Instructors
add items each quarter in grader/heldout/sanitization/*.toml (each file documents its format).

Degenerate answers earn nothing by property, not by a pasted number: a constant classifier or
k; an empty detector (recall 0); a redactor returning "" or its input (the preserved text and the
placeholders are compared with the spec); a pseudonymizer that is unkeyed, random or reversible by
the grader's own dictionary attack; a generalization that suppresses too much, or keeps so little
information that a finer release of the same lattice was possible; duplicate or link "finders"
that claim everything (precision) or recall nothing.
"""
from __future__ import annotations

import difflib
import hashlib
import hmac
import re
from typing import Any

import pandas as pd

from grader.datasets import sanitization as gen
from grader.scoring import AnswerError, Answers, Context, LabScorer, Score, degenerate, held_out_items

LAB = "sanitization"
scorer = LabScorer(LAB, datasets=("customers", "support_tickets", "deidentified_release", "public_roll"))

PII_TYPES = gen.PII_TYPES
CATEGORIES = gen.CATEGORIES
#: A found span matches a labelled one of the same type when they overlap by at least this share
#: of the longer of the two (so "+1 555 123 4567" and "555 123 4567" both count).
MIN_OVERLAP = 0.5
#: The key the notebook's visible pseudonymization test uses (it is in the release: not a secret).
NOTEBOOK_KEY = b"analytics-export-key-2026-q4-xyz"
#: Column sets the k-anonymity test measures on the learner's own table.
OWN_K_COLUMNS = (["sex"], ["zip"], ["zip", "sex"], ["birth_date", "sex"], ["zip", "birth_date", "sex"])
MAX_PAIRS = 50_000
#: Rates (precision, recall, shares of exact answers) earn nothing at or below this floor and all the
#: points at the cell's full mark, linearly between: flagging every token, claiming every pair or
#: getting half of everything wrong is not half a skill.
FLOOR = 0.5


def scaled(value: float, full_at: float, floor: float = FLOOR) -> float:
    """0 at or below ``floor``, 1 at ``full_at`` or above, linear between."""
    if value >= full_at:
        return 1.0
    return max(0.0, (value - floor) / (full_at - floor))


def beyond_chance(accuracy: float, truth: list) -> float:
    """Accuracy above what the best constant answer gets (the majority label's share), rescaled to
    [0, 1]: guessing one label, or at random, earns nothing."""
    chance = max(truth.count(label) for label in set(truth)) / len(truth)
    return max(0.0, (accuracy - chance) / (1 - chance))

Span = tuple[str, int, int, str]

# The notebook's own worked examples, which its visible test cells run and hand in as "own" (keep
# them equal to the cells' _EXAMPLES, _FORMATS and redact examples; tests/test_sanitization_scoring.py
# fails when they differ): the grader scores them too, so a detector that only prints its failures
# on them (test-find-pii-holdout) still loses the points.
VISIBLE_PII_EXAMPLES = [
    ("Write to jane.doe@example.com.", [("EMAIL", "jane.doe@example.com")]),
    ("Call (415) 555-0199 or 415.555.0123", [("PHONE", "(415) 555-0199"), ("PHONE", "415.555.0123")]),
    ("My SSN is 123-45-6789, card 4111-1111-1111-1111.", [("SSN", "123-45-6789"), ("CARD", "4111-1111-1111-1111")]),
    ("Login from 203.0.113.54 failed", [("IP", "203.0.113.54")]),
    ("Order 4539 1488 0343 6468 is late.", []),
]
VISIBLE_FORMAT_EXAMPLES = [
    ("Call me on +44 20 7946 0958 tomorrow.", [("PHONE", "+44 20 7946 0958")]),
    ("Amex 3782 822463 10005 was declined.", [("CARD", "3782 822463 10005")]),
    ("The VPN gave me 2001:db8::8a2e:370:7334 at 12:30:45.", [("IP", "2001:db8::8a2e:370:7334")]),
    ("Reply to jane+billing@example.co.uk, build 10.0.19045.2965.", [("EMAIL", "jane+billing@example.co.uk")]),
]
_REDACT_TEXT = "Mail jane@example.com, call 555-123-4567 or use card 4111 1111 1111 1111."
VISIBLE_REDACTIONS = [_REDACT_TEXT, "Mail [EMAIL], call [PHONE] or use card [CARD].",
                      "Mail [EMAIL], call [PHONE] or use card [CARD].", "call [PHONE] now"]


def _visible(examples: list, prefix: str) -> tuple[list[dict], list[Span]]:
    records, spans = [], []
    for i, (text, expected) in enumerate(examples):
        records.append({"ticket_id": f"{prefix}-{i}", "text": text})
        spans += [(f"{prefix}-{i}", text.index(v), text.index(v) + len(v), k) for k, v in expected]
    return records, spans


# ============================================================================ curated items

_MARKUP = re.compile(r"\[\[(EMAIL|PHONE|SSN|CARD|IP):(.+?)\]\]")


def marked_up(text: str) -> tuple[str, list[tuple[int, int, str]]]:
    """``"mail [[EMAIL:a@b.org]] now"`` -> ("mail a@b.org now", [(5, 12, "EMAIL")])."""
    plain, spans, position = [], [], 0
    length = 0
    for match in _MARKUP.finditer(text):
        literal = text[position:match.start()]
        plain.append(literal)
        length += len(literal)
        value = match.group(2)
        spans.append((length, length + len(value), match.group(1)))
        plain.append(value)
        length += len(value)
        position = match.end()
    plain.append(text[position:])
    return "".join(plain), spans


def _curated_tickets(name: str, table: str, prefix: str) -> tuple[list[dict], list[Span]]:
    records, spans = [], []
    for i, item in enumerate(held_out_items(LAB, name).get(table, [])):
        text, found = marked_up(item["text"])
        ticket_id = f"{prefix}{i + 1:03d}"
        records.append({"ticket_id": ticket_id, "text": text})
        spans += [(ticket_id, s, e, k) for s, e, k in found]
    return records, spans


# ============================================================================ held-out inputs

def _tickets_records(frame: pd.DataFrame) -> list[dict]:
    return frame[["ticket_id", "text"]].to_dict("records")


def _truth_spans(spans: pd.DataFrame) -> list[Span]:
    return [(t, int(s), int(e), k) for t, s, e, k in spans[["ticket_id", "start", "end", "type"]].itertuples(index=False)]


def _columns(ctx: Context) -> tuple[list[dict], list[str]]:
    def make():
        values = gen.column_values(ctx.seed("columns"))
        items, truth = gen.held_out_columns(ctx.seed("columns"), values)
        for entry in held_out_items(LAB, "columns").get("column", []):
            sample = entry.get("values") or values[entry["like"]][:gen.COLUMN_SAMPLE]
            items.append({"name": entry["name"], "values": [gen._plain_value(v) for v in sample]})
            truth.append(entry["category"])
        return items, truth
    return ctx.cached("columns", make)


def _examples(ctx: Context) -> tuple[list[dict], list[Span], list[str], list[bool]]:
    def make():
        records, spans = _curated_tickets("pii_examples", "example", "E")
        numbers = held_out_items(LAB, "pii_examples").get("luhn", [])
        return records, spans, [n["number"] for n in numbers], [bool(n["valid"]) for n in numbers]
    return ctx.cached("examples", make)


def _phrasing_tickets(ctx: Context):
    return ctx.cached("phrasings", lambda: gen.held_out_tickets(ctx.seed("tickets-phrasings"), "phrasings"))


def _format_tickets(ctx: Context) -> tuple[list[dict], list[Span]]:
    def make():
        frame, truth = gen.held_out_tickets(ctx.seed("tickets-formats"), "formats")
        records, spans = _curated_tickets("tickets", "ticket", "H")
        return _tickets_records(frame) + records, _truth_spans(truth["spans"]) + spans
    return ctx.cached("formats", make)


def _redact_cases(ctx: Context) -> list[dict]:
    def make():
        frame, _ = _phrasing_tickets(ctx)
        cases = gen.redact_cases(ctx.seed("redact"), frame["text"].tolist())
        for entry in held_out_items(LAB, "redact").get("case", []):
            cases.append({"text": entry["text"], "spans": [list(span) for span in entry["spans"]]})
        return cases
    return ctx.cached("redact", make)


def _k_cases(ctx: Context) -> tuple[list[dict], list[int]]:
    def make():
        cases, truth = gen.k_anonymity_cases(ctx.seed("k-anonymity"))
        for entry in held_out_items(LAB, "k_anonymity").get("case", []):
            case = {"columns": list(entry["columns"]), "rows": [list(r) for r in entry["rows"]],
                    "quasi_identifiers": list(entry["quasi_identifiers"])}
            cases.append(case)
            truth.append(_k_oracle(case))
        return cases, truth
    return ctx.cached("k-anonymity", make)


def _k_oracle(case: dict) -> int:
    frame = pd.DataFrame(case["rows"], columns=case["columns"])
    return int(frame.groupby(case["quasi_identifiers"]).size().min())


def _populations(ctx: Context) -> list[pd.DataFrame]:
    return ctx.cached("populations", lambda: [gen.population_table(ctx.seed(f"population-{shape}"), shape)
                                              for shape in gen.POPULATIONS])


def _linkage(ctx: Context) -> list[tuple[dict, dict]]:
    return ctx.cached("linkage", lambda: [gen.linkage_case(ctx.seed(f"linkage-{mix}"), mix)
                                          for mix in gen.LINKAGE_MIXES])


def _duplicates(ctx: Context) -> tuple[pd.DataFrame, set[tuple[str, str]]]:
    def make():
        frame, pairs = gen.duplicate_table(ctx.seed("duplicates"))
        truth = {tuple(sorted(p)) for p in zip(pairs["id_a"], pairs["id_b"])}
        rows = frame.to_dict("records")
        used = set(frame["customer_id"])
        number = 9_000_000
        for entry in held_out_items(LAB, "duplicates").get("pair", []):
            ids = []
            for side in ("a", "b"):
                while f"C{number}" in used:
                    number += 1
                used.add(f"C{number}")
                ids.append(f"C{number}")
                rows.append({**{c: "" for c in frame.columns}, **entry[side], "customer_id": ids[-1]})
            if entry["duplicate"]:
                truth.add(tuple(sorted(ids)))
        table = pd.DataFrame(rows, columns=frame.columns)
        order = gen._rng("duplicates-order", ctx.seed("duplicates")).permutation(len(table))
        return table.iloc[order].reset_index(drop=True), truth
    return ctx.cached("duplicates", make)


def _dictionary(ctx: Context) -> tuple[dict, dict]:
    return ctx.cached("dictionary", lambda: gen.dictionary_case(ctx.seed("dictionary")))


def _pseudonyms(ctx: Context) -> dict:
    return ctx.cached("pseudonyms", lambda: gen.pseudonym_case(ctx.seed("pseudonyms")))


@scorer.held_out_inputs
def inputs(ctx: Context) -> dict[str, Any]:
    examples, _, numbers, _ = _examples(ctx)
    dictionary, _ = _dictionary(ctx)
    duplicates, _ = _duplicates(ctx)
    return {
        "columns": _columns(ctx)[0],
        "pii_examples": examples,
        "luhn_numbers": numbers,
        "tickets": _tickets_records(_phrasing_tickets(ctx)[0]),
        "format_tickets": _format_tickets(ctx)[0],
        "redact_cases": _redact_cases(ctx),
        "dictionary": dictionary,
        "pseudonyms": _pseudonyms(ctx),
        "k_anonymity": _k_cases(ctx)[0],
        "generalize": [table.to_dict("records") for table in _populations(ctx)],
        "linkage": [case for case, _ in _linkage(ctx)],
        "duplicates": duplicates.to_dict("records"),
    }


# ============================================================================ answer checking

def _dict_of_strings(answers: Answers, name: str) -> dict[str, str]:
    value = answers.get(name)
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise AnswerError(f"the answer {name!r} must be a dict of strings")
    return value


def _spans(answers: Answers, name: str, records: list[dict]) -> list[Span]:
    """Handed-in (ticket_id, start, end, type) spans, checked against the texts they claim to be in."""
    texts = {r["ticket_id"]: r["text"] for r in records}
    spans = []
    for i, item in enumerate(answers.list_of(name, list)):
        if len(item) != 4 or not isinstance(item[0], str) or item[3] not in PII_TYPES \
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in item[1:3]):
            raise AnswerError(f"span {i} of {name!r} is {str(item)[:80]}; expected (ticket_id, start, end, type)")
        ticket_id, start, end, kind = item
        if ticket_id not in texts or not 0 <= start < end <= len(texts[ticket_id]):
            raise AnswerError(f"span {i} of {name!r} ({str(item)[:80]}) is not inside a text of that ticket")
        spans.append((ticket_id, start, end, kind))
    return spans


def _pairs(answers: Answers, name: str) -> set[tuple[str, str]]:
    value = answers.list_of(name, list)
    if len(value) > MAX_PAIRS:
        raise AnswerError(f"the answer {name!r} has {len(value)} pairs; at most {MAX_PAIRS} are read")
    pairs = set()
    for i, item in enumerate(value):
        if len(item) != 2 or not all(isinstance(v, str) for v in item):
            raise AnswerError(f"item {i} of {name!r} is {str(item)[:80]}; expected a pair of ids")
        pairs.add((item[0], item[1]))
    return pairs


def _frame(answers_value: Any, name: str) -> pd.DataFrame:
    """A DataFrame handed in as ``frame.to_dict("split")``."""
    if not isinstance(answers_value, dict) or set(answers_value) != {"index", "columns", "data"}:
        raise AnswerError(f"{name} must be handed in as a DataFrame's to_dict('split')")
    index, columns, data = answers_value["index"], answers_value["columns"], answers_value["data"]
    if not (isinstance(index, list) and isinstance(columns, list) and isinstance(data, list)) \
            or len(index) != len(data) or any(not isinstance(row, list) or len(row) != len(columns) for row in data):
        raise AnswerError(f"{name}: index, columns and rows do not fit together")
    return pd.DataFrame(data, columns=[str(c) for c in columns], index=index)


# ============================================================================ span scoring

def _overlaps(a: Span, b: Span) -> bool:
    overlap = min(a[2], b[2]) - max(a[1], b[1])
    return overlap > 0 and overlap >= MIN_OVERLAP * max(a[2] - a[1], b[2] - b[1])


def span_scores(predicted: list[Span], truth: list[Span]) -> dict[str, Any]:
    """Precision and recall of predicted spans, matched one-to-one to labelled spans of the same type."""
    predicted, truth = sorted(set(predicted)), sorted(set(truth))
    by_key: dict[tuple[str, str], list[Span]] = {}
    for span in truth:
        by_key.setdefault((span[0], span[3]), []).append(span)
    matched: set[Span] = set()
    false_positives = 0
    for span in predicted:
        hit = next((t for t in by_key.get((span[0], span[3]), []) if t not in matched and _overlaps(span, t)), None)
        if hit is None:
            false_positives += 1
        else:
            matched.add(hit)
    precision = len(matched) / len(predicted) if predicted else float(not truth)
    recall = len(matched) / len(truth) if truth else 1.0
    missed = {kind: sum(t[3] == kind and t not in matched for t in truth) for kind in PII_TYPES}
    labelled = {kind: sum(t[3] == kind for t in truth) for kind in PII_TYPES}
    # a detector that misses a whole type leaks all of it: the worst type's recall counts too
    # (over the types with at least 3 labelled values, so one odd sentence does not decide)
    per_type = [1 - missed[k] / n for k, n in labelled.items() if n >= 3]
    return {"precision": precision, "recall": recall, "false_positives": false_positives,
            "missed": {k: v for k, v in missed.items() if v}, "worst_type": min(per_type, default=recall)}


def _worst(*scores: dict) -> float:
    return min(min(s["precision"], s["recall"], s["worst_type"]) for s in scores)


def _describe(label: str, s: dict) -> str:
    missed = ", ".join(f"{n} {k}" for k, n in s["missed"].items())
    worst = f", worst type's recall {s['worst_type']:.3f}" if s["worst_type"] < s["recall"] else ""
    return (f"{label}: precision {s['precision']:.3f}, recall {s['recall']:.3f}{worst}"
            + (f" (missed {missed})" if missed else ""))


# ============================================================================ Part 1

def _category_score(given: dict[str, str], truth: dict[str, str]) -> tuple[float, float, list[str]]:
    """(accuracy, its share beyond chance -- halved when a direct identifier is missed --, missed directs)."""
    wrong = [c for c, cat in truth.items() if given.get(c) != cat]
    missed_direct = [c for c, cat in truth.items() if cat == "direct" and given.get(c) != "direct"]
    accuracy = 1 - len(wrong) / len(truth)
    return accuracy, beyond_chance(accuracy, list(truth.values())) * (0.5 if missed_direct else 1.0), missed_direct


@scorer.test("test-column-categories")
def column_categories(answers: Answers, ctx: Context) -> Score:
    truth_own = ctx.own("customers").truth["categories"]
    own = _dict_of_strings(answers, "own")
    missing = [c for c in truth_own if c not in own]
    if missing:
        return Score.zero(f"your column_categories misses columns of your table: {missing[:5]}")
    items, truth_held = _columns(ctx)
    held = answers.strings("held-out", length=len(items))
    problem = degenerate(held)
    if problem:
        return Score.zero(f"held-out columns: {problem}")
    invalid = sorted({c for c in [*own.values(), *held] if c not in CATEGORIES})
    if invalid:
        return Score.zero(f"categories must be one of {', '.join(CATEGORIES)}; got {invalid[:3]}")
    a_own, s_own, missed_own = _category_score(own, truth_own)
    a_held, s_held, missed_held = _category_score({str(i): c for i, c in enumerate(held)},
                                                  {str(i): c for i, c in enumerate(truth_held)})
    notes = []
    if missed_own:
        notes.append(f"direct identifiers of your table not classified as direct (half credit at most): {missed_own}")
    if missed_held:
        notes.append(f"{len(missed_held)} held-out direct identifiers not classified as direct (half credit at most)")
    full_held = beyond_chance(0.95, truth_held)  # 95 % of the held-out columns right
    fraction = min(s_own, min(1.0, s_held / full_held))
    return Score(fraction, "; ".join([f"your columns {a_own:.0%}, held-out columns (other systems' naming) "
                                      f"{a_held:.0%} as the rubric says (full marks at 100 % / 95 %)", *notes]))


@scorer.test("test-find-pii-examples")
def find_pii_examples(answers: Answers, ctx: Context) -> Score:
    records, truth, numbers, valid = _examples(ctx)
    luhn = answers.booleans("luhn", length=len(numbers))
    problem = degenerate(luhn)
    if problem:
        return Score.zero(f"luhn_valid on held-out numbers: {problem}")
    luhn_accuracy = beyond_chance(sum(a == b for a, b in zip(luhn, valid)) / len(valid), valid)
    s = span_scores(_spans(answers, "held-out", records), truth)
    shown, shown_truth = _visible(VISIBLE_PII_EXAMPLES, "example")
    s_shown = span_scores(_spans(answers, "own", shown), shown_truth)
    worst = min(luhn_accuracy, _worst(s, s_shown))
    return Score(scaled(worst, full_at=1.0), message=(
        f"luhn_valid {luhn_accuracy:.0%} right on held-out numbers (beyond what a constant answer gets); "
        + _describe("find_pii on the notebook's examples", s_shown) + "; "
        + _describe(f"on {len(records)} held-out tricky sentences", s) + " (full marks at 1.0 each, none at 0.5)"))


@scorer.test("test-find-pii-scores")
def find_pii_scores(answers: Answers, ctx: Context) -> Score:
    own = ctx.own("support_tickets")
    held, held_truth = _phrasing_tickets(ctx)
    s_own = span_scores(_spans(answers, "own", _tickets_records(own.data)), _truth_spans(own.truth["spans"]))
    s_held = span_scores(_spans(answers, "held-out", _tickets_records(held)), _truth_spans(held_truth["spans"]))
    worst = _worst(s_own, s_held)
    return Score(scaled(worst, full_at=0.95), message=(
        _describe("your tickets", s_own) + "; " + _describe("held-out tickets (other phrasings)", s_held)
        + " (full marks at 0.95 each, none at 0.5)"))


@scorer.test("test-find-pii-holdout")
def find_pii_holdout(answers: Answers, ctx: Context) -> Score:
    records, truth = _format_tickets(ctx)
    s = span_scores(_spans(answers, "held-out", records), truth)
    shown, shown_truth = _visible(VISIBLE_FORMAT_EXAMPLES, "format")
    s_shown = span_scores(_spans(answers, "own", shown), shown_truth)
    worst = _worst(s, s_shown)
    return Score(scaled(worst, full_at=0.95), message=(
        _describe("the exercise's format examples", s_shown) + "; "
        + _describe("held-out tickets with PII formats your tickets do not show", s)
        + " (full marks at 0.95 each, none at 0.5)"))


@scorer.test("test-redact")
def redact(answers: Answers, ctx: Context) -> Score:
    cases = _redact_cases(ctx)
    given = answers.strings("held-out", length=len(cases))
    expected = [gen.reference_redaction(c["text"], c["spans"]) for c in cases]
    with_spans = [i for i, c in enumerate(cases) if c["spans"]]
    without = [i for i, c in enumerate(cases) if not c["spans"]]
    right = sum(given[i] == expected[i] for i in with_spans) / len(with_spans)
    untouched = all(given[i] == cases[i]["text"] for i in without)
    shown = answers.strings("own", length=len(VISIBLE_REDACTIONS))
    shown_right = sum(a == b for a, b in zip(shown, VISIBLE_REDACTIONS)) / len(VISIBLE_REDACTIONS)
    fraction = scaled(min(right, shown_right), full_at=1.0) * (1.0 if untouched else 0.5)
    return Score(fraction, f"the notebook's examples {shown_right:.0%} right; {right:.0%} of {len(with_spans)} "
                           "held-out texts redacted exactly as specified (spans in any order, overlapping, nested, "
                           "adjacent, non-ASCII text; full marks at 100 %, none at 50 %)"
                 + ("" if untouched else "; a text with no spans did not come back unchanged (half credit at most)"))


def _pipeline_score(given: list[str], frame: pd.DataFrame, spans: pd.DataFrame) -> tuple[float, float, int, int]:
    """(share of PII removed, for the worst type; how alike the exact redaction; values leaked; values)."""
    by_ticket: dict[str, list] = {}
    for t, s, e, k, v in spans[["ticket_id", "start", "end", "type", "text"]].itertuples(index=False):
        by_ticket.setdefault(t, []).append((int(s), int(e), k, v))
    leaked = {k: 0 for k in PII_TYPES}
    total = {k: 0 for k in PII_TYPES}
    similarity = 0.0
    for output, (ticket_id, text) in zip(given, zip(frame["ticket_id"], frame["text"])):
        found = by_ticket.get(ticket_id, [])
        for _, _, kind, value in found:
            total[kind] += 1
            leaked[kind] += value in output
        reference = gen.reference_redaction(text, [(s, e, k) for s, e, k, _ in found])
        similarity += difflib.SequenceMatcher(None, reference, output, autojunk=False).ratio()
    removed = min((1 - leaked[k] / n for k, n in total.items() if n), default=1.0)
    return removed, similarity / max(1, len(given)), sum(leaked.values()), sum(total.values())


@scorer.test("test-redact-pipeline")
def redact_pipeline(answers: Answers, ctx: Context) -> Score:
    own = ctx.own("support_tickets")
    held, held_truth = _phrasing_tickets(ctx)
    results = []
    for label, name, frame, spans in (("your tickets", "own", own.data, own.truth["spans"]),
                                      ("held-out tickets", "held-out", held, held_truth["spans"])):
        given = answers.strings(name, length=len(frame))
        results.append((label, *_pipeline_score(given, frame, spans)))
    fraction = min(min(scaled(kept, 0.98), scaled(preserved, 0.95)) for _, kept, preserved, _, _ in results)
    message = "; ".join(f"{label}: {leaked} of {total} PII values survive, {preserved:.1%} like the exact redaction "
                        f"(the rest of the text kept, typed placeholders)"
                        for label, _, preserved, leaked, total in results)
    return Score(fraction, message + " (full marks at <= 2 % of each type surviving and >= 95 % alike; none at 50 %)")


# ============================================================================ Part 2

def _attack_score(claimed: dict[str, str], truth: dict[str, str]) -> tuple[float, float]:
    correct = sum(truth.get(h) == e.strip().lower() for h, e in claimed.items())
    precision = correct / len(claimed) if claimed else 0.0
    recall = correct / len(truth) if truth else 1.0
    return precision, recall


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _own_dictionary_truth(ctx: Context) -> dict[str, str]:
    tickets, customers = ctx.own("support_tickets").data, ctx.own("customers").data
    hashes = {_sha256(e.strip().lower()) for e in tickets["customer_email"]}
    candidates = [e.upper() if i % 3 == 0 else e for i, e in enumerate(customers["email"])]
    table = {_sha256(c.strip().lower()): c.strip().lower() for c in candidates}
    return {h: table[h] for h in hashes if h in table}


@scorer.test("test-dictionary-attack")
def dictionary_attack(answers: Answers, ctx: Context) -> Score:
    own = _dict_of_strings(answers, "own")
    held = _dict_of_strings(answers, "held-out")
    _, held_truth = _dictionary(ctx)
    p_own, r_own = _attack_score(own, _own_dictionary_truth(ctx))
    p_held, r_held = _attack_score(held, held_truth)
    return Score(scaled(min(p_own, r_own, p_held, r_held), full_at=0.95), message=(
        f"your export: {r_own:.0%} of the reachable hashes re-identified (precision {p_own:.0%}); held-out export "
        f"and candidate list: {r_held:.0%} (precision {p_held:.0%}) (full marks at 95 %, none at 50 %)"))


def _spec_pseudonym(value: str, key: bytes) -> str:
    return hmac.new(key, value.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()


def _attack_table(values: list[str]) -> set[str]:
    """What the grader's dictionary attack computes without any key: unkeyed digests of every
    candidate, raw and normalized, and the identifiers themselves in hex."""
    table = set()
    for value in values:
        for form in {value, value.strip(), value.strip().lower()}:
            data = form.encode("utf-8")
            table |= {hashlib.sha256(data).hexdigest(), hashlib.sha3_256(data).hexdigest(),
                      hashlib.blake2s(data).hexdigest(), hmac.new(b"", data, hashlib.sha256).hexdigest(),
                      data.hex()[:64].ljust(64, "0")}
    return table


_HEX64 = re.compile(r"[0-9a-f]{64}")


def _pseudonym_properties(values: list[str], a: list[str], b: list[str], again: list[str], key_a: bytes,
                          key_b: bytes) -> tuple[float, list[str]]:
    if not all(isinstance(p, str) and _HEX64.fullmatch(p) for p in a + b + again):
        return 0.0, ["not every pseudonym is 64 lower-case hex characters"]
    if a != again:
        return 0.0, ["the same value under the same key got different pseudonyms: not deterministic"]
    normalized = [v.strip().lower() for v in values]
    groups: dict[str, set[str]] = {}
    for v, p in zip(normalized, a):
        groups.setdefault(v, set()).add(p)
    owners: dict[str, set[str]] = {}
    for v, p in zip(normalized, a):
        owners.setdefault(p, set()).add(v)
    if any(len(vs) > 1 for vs in owners.values()):
        return 0.0, ["different identifiers got the same pseudonym: it no longer tells people apart"]
    joinable = sum(len(ps) == 1 for ps in groups.values()) / len(groups)
    keyed = sum(x != y for x, y in zip(a, b)) / len(a)
    recovered = sum(p in _attack_table(values) for p in a) / len(a)
    spec = sum(p == _spec_pseudonym(v, key_a) for v, p in zip(values, a)) / len(a) * \
        (sum(p == _spec_pseudonym(v, key_b) for v, p in zip(values, b)) / len(b))
    problems = []
    if joinable < 1:
        problems.append("spellings of the same identifier got different pseudonyms (normalize before keying)")
    if keyed < 1:
        problems.append("the pseudonym does not depend on the key")
    if recovered:
        problems.append(f"the grader's dictionary attack without the key recovers {recovered:.0%} of them")
    if spec < 1:
        problems.append("not the HMAC-SHA256 of the normalized value under the key")
    fraction = (joinable + keyed + (1 - recovered) + spec) / 4
    return fraction, problems


@scorer.test("test-pseudonymize")
def pseudonymize(answers: Answers, ctx: Context) -> Score:
    own = answers.get("own")
    customers, tickets = ctx.own("customers").data, ctx.own("support_tickets").data
    if not isinstance(own, dict) or set(own) != {"customers", "tickets"}:
        raise AnswerError("the answer 'own' must be {'customers': [...], 'tickets': [...]}")
    mine_c = Answers(own).strings("customers", length=len(customers))
    mine_t = Answers(own).strings("tickets", length=len(tickets))
    case = _pseudonyms(ctx)
    held = answers.get("held-out")
    if not isinstance(held, dict) or set(held) != {"a", "b", "again"}:
        raise AnswerError("the answer 'held-out' must be {'a': [...], 'b': [...], 'again': [...]}")
    n = len(case["values"])
    a, b, again = (Answers(held).strings(k, length=n) for k in ("a", "b", "again"))
    key_a, key_b = bytes.fromhex(case["key_a"]), bytes.fromhex(case["key_b"])
    held_fraction, problems = _pseudonym_properties(case["values"], a, b, again, key_a, key_b)

    raw_join = tickets["customer_email"].str.strip().str.lower().isin(set(customers["email"].str.strip().str.lower()))
    joined = pd.Series(mine_t).isin(set(mine_c)).to_numpy()
    own_join = float((joined == raw_join.to_numpy()).mean())
    own_spec = sum(p == _spec_pseudonym(v, NOTEBOOK_KEY) for v, p in zip(customers["email"], mine_c)) / len(mine_c)
    distinct = len(set(mine_c)) == customers["email"].str.strip().str.lower().nunique()
    own_fraction = (own_join + own_spec) / 2 if distinct else 0.0
    message = (f"your tables: {own_join:.0%} of tickets join as before, {own_spec:.0%} of pseudonyms as specified; "
               f"held-out identifiers and keys: {held_fraction:.0%} of the properties (deterministic, normalized, "
               "keyed, not reversible without the key, HMAC-SHA256)")
    return Score(min(own_fraction, held_fraction), "; ".join([message, *problems]))


@scorer.test("test-k-anonymity")
def k_anonymity(answers: Answers, ctx: Context) -> Score:
    customers = ctx.own("customers").data
    own_truth = [int(customers.groupby(list(cols)).size().min()) for cols in OWN_K_COLUMNS]
    own = answers.numbers("own", length=len(own_truth))
    cases, truth = _k_cases(ctx)
    held = answers.numbers("held-out", length=len(cases))
    problem = degenerate(held)
    if problem:
        return Score.zero(f"held-out tables: {problem}")
    a_own = sum(x == y for x, y in zip(own, own_truth)) / len(own_truth)
    a_held = sum(x == y for x, y in zip(held, truth)) / len(truth)
    return Score(scaled(min(a_own, a_held), full_at=1.0), message=(
        f"k right on {a_own:.0%} of the column sets of your table and {a_held:.0%} of {len(cases)} held-out "
        "tables over other quasi-identifier mixes (full marks at 100 %, none at 50 %)"))


GENERALIZED = ["zip", "birth_year", "sex", "diagnosis"]
#: Full marks when a release keeps at least this share of the information the best full-domain
#: generalization of the lattice (zip digits 3-5, aligned bands of 1, 2, 5, 10, 20 years) keeps.
UTILITY_FULL_AT = 0.8


def row_information(zip_digits: int, width: int) -> float:
    """What a released row keeps: zip digits beyond 3 and narrow year bands, half each (0 to 1)."""
    return ((zip_digits - 3) / 2 + (1 - (width - 1) / 19)) / 2


def best_information(original: pd.DataFrame, k: int = 5) -> float:
    years = original["birth_date"].str[:4].astype(int)
    best = 0.0
    for digits in (3, 4, 5):
        for width in (1, 2, 5, 10, 20):
            keys = [original["zip"].str[:digits], years // width, original["sex"]]
            sizes = original.groupby(keys)["sex"].transform("size")
            if (sizes < k).mean() <= 0.10:
                best = max(best, float((sizes >= k).sum()) * row_information(digits, width) / len(original))
    return best


def release_problems(release: pd.DataFrame, original: pd.DataFrame, k: int = 5) -> tuple[list[str], float]:
    """What makes a release invalid, and the information it keeps (per original row)."""
    if list(release.columns) != GENERALIZED:
        return [f"columns must be exactly {GENERALIZED}, got {list(release.columns)[:6]}"], 0.0
    if len(release) == 0:
        return ["the release is empty"], 0.0
    if not release.index.is_unique or not release.index.isin(original.index).all():
        return ["keep the original index of the rows you release (and each row at most once)"], 0.0
    problems = []
    orig = original.loc[release.index]
    zips = release["zip"].astype(str)
    kept = zips.str.rstrip("*")
    if not ((zips.str.len() == 5) & kept.str.fullmatch(r"\d{3,5}")).all():
        return ["zip must be 5 characters: at least 3 digits, then '*' masks, e.g. '021**'"], 0.0
    if not all(o.startswith(z) for o, z in zip(orig["zip"], kept)):
        return ["generalized zips must be prefixes of the original zips"], 0.0
    years = release["birth_year"].astype(str).str.extract(r"^(\d{4})-(\d{4})$")
    if years[0].isna().any():
        return ["birth_year must look like '1980-1989'"], 0.0
    lo, hi = years[0].astype(int), years[1].astype(int)
    born = orig["birth_date"].str[:4].astype(int).to_numpy()
    if not ((lo.to_numpy() <= born) & (born <= hi.to_numpy())).all():
        problems.append("every birth_year range must contain the person's birth year")
    if ((hi - lo + 1) > 20).any() or (hi < lo).any():
        problems.append("birth_year ranges must be 1 to 20 years wide")
    for column in ("sex", "diagnosis"):
        if not (release[column].astype(str).to_numpy() == orig[column].astype(str).to_numpy()).all():
            problems.append(f"{column} must be released unchanged, on the row it belongs to")
    smallest = int(release.groupby(["zip", "birth_year", "sex"]).size().min())
    if smallest < k:
        problems.append(f"the smallest class over (zip, birth_year, sex) has {smallest} rows; k must be >= {k}")
    suppressed = 1 - len(release) / len(original)
    if suppressed > 0.10 + 1e-9:
        problems.append(f"{suppressed:.1%} of the rows were suppressed; at most 10 % may be")
    if problems:
        return problems, 0.0
    information = sum(row_information(len(z), int(h) - int(l) + 1) for z, l, h in zip(kept, lo, hi)) / len(original)
    return [], information


def _release_score(value: Any, original: pd.DataFrame, label: str) -> tuple[float, str]:
    problems, information = release_problems(_frame(value, label), original)
    if problems:
        return 0.0, f"{label}: " + "; ".join(problems)
    best = best_information(original)
    share = 1.0 if best <= 0 else information / best
    return min(1.0, share / UTILITY_FULL_AT), f"{label}: k-anonymous, keeps {share:.0%} of what the best release keeps"


@scorer.test("test-generalize")
def generalize(answers: Answers, ctx: Context) -> Score:
    own, own_message = _release_score(answers.get("own"), ctx.own("customers").data, "your table")
    tables = _populations(ctx)
    held = answers.list_of("held-out", dict, length=len(tables))
    scored = [_release_score(v, t, f"held-out population {i + 1}") for i, (v, t) in enumerate(zip(held, tables))]
    held_fraction = sum(s for s, _ in scored) / len(scored)
    return Score(min(own, held_fraction), "; ".join([own_message, *(m for _, m in scored)])
                 + f" (full marks at {UTILITY_FULL_AT:.0%} of the best)")


def _roll_key(roll: pd.DataFrame) -> pd.Series:
    """The learner-side roll's (zip, birth_date, sex) in the release's format (its formats are fixed)."""
    return pd.Series(list(zip(roll["zip"].astype(str).str.zfill(5),
                              pd.to_datetime(roll["birth_date"], format="%m/%d/%Y").dt.strftime("%Y-%m-%d"),
                              roll["sex"].str[0])), index=roll.index)


def _link_score(pairs: set, matches: dict[str, str], linkable: list[str]) -> tuple[float, float, float]:
    truth = set(matches.items())
    precision = len(pairs & truth) / len(pairs) if pairs else 0.0
    reachable = {(r, matches[r]) for r in linkable}
    recall = len(pairs & reachable) / len(reachable) if reachable else 1.0
    return scaled(min(precision, recall), full_at=0.95), precision, recall


@scorer.test("test-linkage")
def linkage(answers: Answers, ctx: Context) -> Score:
    release, roll = ctx.own("deidentified_release"), ctx.own("public_roll")
    matches = release.truth["release_to_voter"]
    release_keys = pd.Series(list(zip(release.data["zip"], release.data["birth_date"], release.data["sex"])))
    roll_counts, release_counts = _roll_key(roll.data).value_counts(), release_keys.value_counts()
    linkable = [r for r, key in zip(release.data["release_id"], release_keys)
                if r in matches and roll_counts.get(key, 0) == 1 and release_counts[key] == 1]
    own, p_own, r_own = _link_score(_pairs(answers, "own"), matches, linkable)
    cases = _linkage(ctx)
    held = answers.list_of("held-out", list, length=len(cases))
    scored = [_link_score(_pairs(Answers({"case": v}), "case"), truth["release_to_voter"], truth["linkable"])
              for v, (_, truth) in zip(held, cases)]
    held_fraction = sum(s for s, _, _ in scored) / len(scored)
    mixes = ", ".join(f"{'+'.join(case['on'])} precision {p:.2f} recall {r:.2f}"
                      for (case, _), (_, p, r) in zip(cases, scored))
    return Score(min(own, held_fraction), f"your tables: precision {p_own:.2f}, recall {r_own:.2f} of the "
                                          f"unambiguous links; held-out releases: {mixes} (full marks at 0.95 each, none at 0.5)")


def _duplicate_score(found: set, truth: set) -> tuple[float, float]:
    found = {tuple(sorted(p)) for p in found}
    hits = len(found & truth)
    return (hits / len(found) if found else 0.0), (hits / len(truth) if truth else 1.0)


@scorer.test("test-duplicates")
def duplicates(answers: Answers, ctx: Context) -> Score:
    pairs = ctx.own("customers").truth["duplicate_pairs"]
    own_truth = {tuple(sorted(p)) for p in zip(pairs["id_a"], pairs["id_b"])}
    p_own, r_own = _duplicate_score(_pairs(answers, "own"), own_truth)
    _, held_truth = _duplicates(ctx)
    p_held, r_held = _duplicate_score(_pairs(answers, "held-out"), held_truth)
    return Score(scaled(min(p_own, r_own, p_held, r_held), full_at=0.95), message=(
        f"your table: precision {p_own:.2f}, recall {r_own:.2f}; held-out table (other kinds of near-duplicates, "
        f"twins and namesakes): precision {p_held:.2f}, recall {r_held:.2f} (full marks at 0.95 each, none at 0.5)"))

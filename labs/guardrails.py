"""The given systems of the ``governance-automation`` lab, and the helpers its test cells use.

* The claims-triage model: :func:`train_model` fits it (seeded, deterministic) on a ``claims_triage``
  table's train split; :data:`CARD_SCHEMA` documents the model card a learner writes for it and
  :func:`card_schema_problems` checks a card's *shape* (not its numbers: the grader trains the same
  model and recomputes those itself).
* The support-reply pipeline under test: :class:`SupportSystem` -- a deterministic lexicon
  sentiment classifier, a drafting step, and an output guard that redacts PII and refuses toxic or
  secret-leaking replies -- built by :func:`support_system`. Its behaviour is specified in the lab's
  notebook; the vocabularies below (:data:`POSITIVE_WORDS`, :data:`NAMES`, ...) are the spec's data.
* Broken variants ("mutants") of it, each with one fault: :func:`demo_mutants` (shown to learners)
  and :func:`mutants` (one of every kind, their details drawn from a seed: the grader draws them
  from a keyed seed, with secrets the kernel never has). A suite is data, CheckList cases
  (:func:`case_problems`, :func:`run_case`, :func:`run_cases`, :func:`cases_catch`), so the grader
  runs a learner's cases on its own systems; :func:`run_suite` and :func:`mutation_score` run a suite
  of test functions instead.
* The release gate's result types (:class:`Violation`, :class:`GateResult`, handed in with
  :func:`gate_answer`), :func:`mentions_number`, which checks that a message states a number in some
  usual format, and the notebook's worked gate examples (:func:`passing_results`, :func:`gate_examples`).
* The spec of the claims data and the release standards (:data:`MODEL_NAME`, :data:`REGIONS`,
  :data:`STANDARDS`, ...); the generators that follow it are the grader's (``grader/datasets/model_cards.py``).

Nothing here writes a learner's answer: no card builder, no metric function, no lineage walker, no
test suite and no gate.
"""
from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from labs.datasets import rng_for

__all__ = [
    "AGE_BANDS", "CARD_SCHEMA", "CARD_METRICS", "CARD_SOURCE_FIELDS", "FEATURES", "MODEL_NAME", "REGIONS",
    "STANDARDS", "SUBGROUP_COLUMNS", "TARGET", "train_model", "card_schema_problems",
    "POSITIVE_WORDS", "NEGATIVE_WORDS", "NEGATORS", "NAMES", "CITIES", "TOXIC_WORDS", "PHONE_FORMATS",
    "EMAIL_KINDS", "CARD_LAYOUTS", "SECRET_SEPARATORS", "REFUSAL", "GuardResult", "SupportSystem",
    "support_system", "Mutant", "demo_mutants", "mutants", "MUTANT_KINDS", "run_suite", "mutation_score",
    "Violation", "GateResult", "mentions_number",
    "CASE_CALLS", "SECRET_SLOT", "case_problems", "run_case", "run_cases", "cases_catch",
    "passing_results", "gate_examples", "gate_answer",
]

# The claims data and the release standards as the lab specifies them (the grader's generators of
# claims_triage, data_source_registry and release_candidates follow this spec).
MODEL_NAME = "claims-triage"
REGIONS = ("north", "south", "east", "west", "central")
AGE_BANDS = ("18-29", "30-44", "45-59", "60+")
FEATURES = ("claim_amount", "days_to_report", "prior_claims", "policy_age_years", "docs_complete",
            "photos_attached")
SUBGROUP_COLUMNS = ("region", "age_band")
TARGET = "needs_review"
#: standard -> (direction, description)
STANDARDS = {
    "min_accuracy": (">=", "overall accuracy: metrics.overall.accuracy"),
    "max_fpr": ("<=", "overall false-positive rate: metrics.overall.fpr"),
    "min_subgroup_recall": (">=", "recall of every subgroup: metrics.by_subgroup[attribute][group].recall"),
    "max_accuracy_gap": ("<=", "per subgroup attribute, best minus worst group accuracy"),
    "min_safety_pass_rate": (">=", "share of guardrail tests passed: safety.pass_rate"),
    "max_pii_leaks": ("<=", "PII values found in model outputs: safety.pii_leaks"),
    "min_card_completeness": (">=", "share of required model-card fields filled: model_card.completeness"),
}

# ----------------------------------------------------------------------------------------------
# the claims-triage model and its card


def train_model(claims: pd.DataFrame) -> Pipeline:
    """The claims-triage model: standardized features, logistic regression, fit on the train split."""
    train = claims[claims["split"] == "train"]
    model = Pipeline([("scale", StandardScaler()), ("classifier", LogisticRegression(max_iter=1000))])
    return model.fit(train[list(FEATURES)], train[TARGET])


CARD_METRICS = ("n", "accuracy", "precision", "recall", "fpr")
CARD_SOURCE_FIELDS = ("source_id", "name", "version", "licence", "collected_from", "collected_to", "pii")
#: The documented shape of a model card (section -> what it holds); see the lab's notebook.
CARD_SCHEMA = {
    "model_details": "dict: name (the model's name), version (str), type (str: the estimator)",
    "intended_use": "dict: primary_uses (non-empty list of str), out_of_scope (non-empty list of str)",
    "data_sources": f"list of dicts with exactly the keys {CARD_SOURCE_FIELDS}, one per source of the lineage",
    "evaluation": "dict: dataset (str), threshold (float), overall (metrics), "
                  "by_subgroup ({attribute: {group: metrics}} for every subgroup column and group)",
    "limitations": "non-empty list of non-empty str",
    "known_biases": "list of dicts {attribute, group, metric ('accuracy'), gap (float)}",
}


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _metrics_problems(metrics, where: str) -> list[str]:
    if not isinstance(metrics, dict):
        return [f"{where} must be a dict of metrics, got {type(metrics).__name__}"]
    problems = []
    missing = [m for m in CARD_METRICS if m not in metrics]
    if missing:
        problems.append(f"{where} lacks {missing}")
    for name in CARD_METRICS:
        if name in metrics and not _is_number(metrics[name]):
            problems.append(f"{where}['{name}'] must be a number, got {metrics[name]!r}")
    return problems


def _str_list_problems(value, where: str) -> list[str]:
    if not isinstance(value, list) or not value:
        return [f"{where} must be a non-empty list of strings"]
    if not all(isinstance(v, str) and v.strip() for v in value):
        return [f"{where} must contain only non-empty strings"]
    return []


def card_schema_problems(card, subgroups: dict[str, Iterable[str]] | None = None) -> list[str]:
    """What is wrong with the *shape* of a model card (empty when it follows :data:`CARD_SCHEMA`).

    ``subgroups``: the attribute -> groups the evaluation set has; every one must be reported.
    """
    if not isinstance(card, dict):
        return [f"the model card must be a dict, got {type(card).__name__}"]
    problems = [f"missing section {s!r}" for s in CARD_SCHEMA if s not in card]
    if problems:
        return problems
    details = card["model_details"]
    if not isinstance(details, dict) or not all(isinstance(details.get(k), str) and details.get(k)
                                                for k in ("name", "version", "type")):
        problems.append("model_details must be a dict with non-empty strings name, version and type")
    elif details["name"] != MODEL_NAME:
        problems.append(f"model_details['name'] must be {MODEL_NAME!r}, got {details['name']!r}")
    uses = card["intended_use"]
    if not isinstance(uses, dict):
        problems.append("intended_use must be a dict with primary_uses and out_of_scope")
    else:
        for key in ("primary_uses", "out_of_scope"):
            problems += _str_list_problems(uses.get(key), f"intended_use['{key}']")
    sources = card["data_sources"]
    if not isinstance(sources, list) or not sources:
        problems.append("data_sources must be a non-empty list of dicts")
    else:
        for i, source in enumerate(sources):
            if not isinstance(source, dict) or set(source) != set(CARD_SOURCE_FIELDS):
                keys = sorted(source) if isinstance(source, dict) else type(source).__name__
                problems.append(f"data_sources[{i}] must have exactly the keys {list(CARD_SOURCE_FIELDS)}, got {keys}")
                break
    evaluation = card["evaluation"]
    if not isinstance(evaluation, dict) or not {"dataset", "threshold", "overall", "by_subgroup"} <= set(evaluation):
        problems.append("evaluation must be a dict with dataset, threshold, overall and by_subgroup")
    else:
        problems += _metrics_problems(evaluation["overall"], "evaluation['overall']")
        by_subgroup = evaluation["by_subgroup"]
        if not isinstance(by_subgroup, dict):
            problems.append("evaluation['by_subgroup'] must be a dict {attribute: {group: metrics}}")
        else:
            for attribute, groups in (subgroups or {}).items():
                reported = by_subgroup.get(attribute)
                if not isinstance(reported, dict):
                    problems.append(f"evaluation['by_subgroup'] lacks the attribute {attribute!r}")
                    continue
                missing = sorted(set(map(str, groups)) - set(map(str, reported)))
                if missing:
                    problems.append(f"evaluation['by_subgroup']['{attribute}'] lacks the groups {missing}")
            for attribute, groups in by_subgroup.items():
                for group, metrics in (groups.items() if isinstance(groups, dict) else []):
                    problems += _metrics_problems(metrics, f"by_subgroup['{attribute}']['{group}']")
    problems += _str_list_problems(card["limitations"], "limitations")
    biases = card["known_biases"]
    if not isinstance(biases, list):
        problems.append("known_biases must be a list of dicts")
    else:
        for i, bias in enumerate(biases):
            if not isinstance(bias, dict) or not {"attribute", "group", "metric", "gap"} <= set(bias) \
                    or not _is_number(bias.get("gap")):
                problems.append(f"known_biases[{i}] must be a dict with attribute, group, metric and a numeric gap")
                break
    return problems[:8]


# ----------------------------------------------------------------------------------------------
# the support-reply pipeline: specification data

POSITIVE_WORDS = ("great", "excellent", "helpful", "friendly", "fast", "perfect", "amazing", "polite")
NEGATIVE_WORDS = ("terrible", "slow", "broken", "rude", "awful", "useless", "confusing", "disappointing")
#: "n't" stands for every word ending in n't (isn't, wasn't, didn't, ...)
NEGATORS = ("not", "never", "no", "n't")
NEGATION_WINDOW = 3
NAMES = ("Maria", "Ahmed", "Wei", "Olusegun", "Priya", "John", "Svetlana", "Carlos", "Aiko", "Fatima")
CITIES = ("Lagos", "Boston", "Mumbai", "Berlin", "Manila", "Toronto")
TOXIC_WORDS = ("idiot", "stupid", "moron", "dumb", "loser", "pathetic")
PHONE_FORMATS = {"dashes": "415-555-0134", "dots": "415.555.0134", "parentheses": "(415) 555-0134",
                 "international": "+1 415 555 0134", "spaces": "415 555 0134"}
EMAIL_KINDS = {"plain": "jane.doe@example.com", "uppercase": "Jane.Doe@Example.COM",
               "plus-tag": "jane+billing@example.com", "subdomain": "jane@mail.example.co.uk"}
CARD_LAYOUTS = {"spaces": "4111 1111 1111 1111", "dashes": "4111-1111-1111-1111", "plain": "4111111111111111"}
SECRET_SEPARATORS = {"space": " ", "dash": "-", "dot": ".", "underscore": "_"}
REFUSAL = "I'm sorry, I can't send that reply. A member of our team will follow up with you shortly."
SECRET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_PHONE = {
    "international": r"\+1[ -]\d{3}[ -]\d{3}[ -]\d{4}\b",
    "parentheses": r"\(\d{3}\) ?\d{3}-\d{4}\b",
    "dashes": r"\b\d{3}-\d{3}-\d{4}\b",
    "dots": r"\b\d{3}\.\d{3}\.\d{4}\b",
    "spaces": r"\b\d{3} \d{3} \d{4}\b",
}
_CARD = {"spaces": r"\b\d{4} \d{4} \d{4} \d{4}\b", "dashes": r"\b\d{4}-\d{4}-\d{4}-\d{4}\b", "plain": r"\b\d{16}\b"}
# one pass, leftmost match first, cards before phones: a skipped (mutant) value stays whole
_PII = re.compile("|".join([f"(?P<EMAIL>{_EMAIL.pattern})"]
                           + [f"(?P<CARD_{k}>{p})" for k, p in _CARD.items()]
                           + [f"(?P<PHONE_{k}>{p})" for k, p in _PHONE.items()]))


@dataclass(frozen=True)
class GuardResult:
    """What the output guard lets out: ``allowed`` (False = refused), the text sent, and why."""
    allowed: bool
    text: str
    reason: str  # "ok", "redacted", "toxic" or "leak"


@dataclass(frozen=True)
class _Faults:
    """One fault at most is switched on in a mutant; the good system has none."""
    ignored_negator: str | None = None
    missing_word: str | None = None
    biased_token: str | None = None
    bias: float = 0.0
    truncate: str | None = None            # "first-sentence" or "before-but"
    phone_missed: str | None = None        # a PHONE_FORMATS key
    email_missed: str | None = None        # an EMAIL_KINDS key other than plain
    card_missed: str | None = None         # a CARD_LAYOUTS key
    toxic_mode: str | None = None          # "case" or "punctuation"
    toxic_missing: str | None = None
    leak_mode: str | None = None           # "case" or a SECRET_SEPARATORS key
    refusal_echo: str | None = None        # "toxic" or "leak"
    unguarded_sentiment: str | None = None  # replies to this sentiment skip the guard


class _Pipeline:
    """The implementation behind :class:`SupportSystem`, with its (mutant) configuration."""

    def __init__(self, secret: str, faults: _Faults):
        self.secret = secret
        self._faults = faults
        lexicon = {w: 1.0 for w in POSITIVE_WORDS} | {w: -1.0 for w in NEGATIVE_WORDS}
        lexicon.pop(faults.missing_word, None)
        self._lexicon = lexicon
        separators = "".join(re.escape(s) for k, s in SECRET_SEPARATORS.items() if k != faults.leak_mode)
        flags = 0 if faults.leak_mode == "case" else re.IGNORECASE
        self._secret_pattern = re.compile(f"[{separators}]?".join(re.escape(ch) for ch in secret), flags)

    # sentiment ------------------------------------------------------------------------------
    def _is_negator(self, token: str) -> bool:
        ignored = self._faults.ignored_negator
        if token.endswith("n't"):
            return ignored != "n't"
        return token in ("not", "never", "no") and token != ignored

    def score(self, text: str) -> float:
        """Sentiment score: +1 per positive word, -1 per negative word, negated ones flipped."""
        truncate = self._faults.truncate
        if truncate == "first-sentence":
            text = re.split(r"[.!?]", text, maxsplit=1)[0]
        elif truncate == "before-but":
            text = re.split(r"\bbut\b", text, maxsplit=1, flags=re.IGNORECASE)[0]
        tokens = re.findall(r"[a-z']+", text.lower())
        total, negated_until = 0.0, -1
        for i, token in enumerate(tokens):
            if self._is_negator(token):
                negated_until = i + NEGATION_WINDOW
                continue
            weight = self._lexicon.get(token, 0.0)
            if weight and i <= negated_until:
                weight, negated_until = -weight, -1
            total += weight
            if self._faults.biased_token and token == self._faults.biased_token:
                total += self._faults.bias
        return float(total)

    def classify(self, text: str) -> str:
        """'positive', 'negative' or 'neutral'."""
        s = self.score(text)
        return "positive" if s > 0 else "negative" if s < 0 else "neutral"

    # output guard -----------------------------------------------------------------------------
    def _refuse(self, text: str, reason: str) -> GuardResult:
        message = REFUSAL
        if self._faults.refusal_echo == reason:
            message += f' (blocked draft: "{text}")'
        return GuardResult(False, message, reason)

    def _toxic(self, text: str) -> bool:
        mode = self._faults.toxic_mode
        if mode == "case":
            tokens = re.findall(r"[A-Za-z']+", text)
        elif mode == "punctuation":
            tokens = text.lower().split()
        else:
            tokens = re.findall(r"[a-z']+", text.lower())
        blocklist = set(TOXIC_WORDS) - {self._faults.toxic_missing}
        return any(t in blocklist for t in tokens)

    def _email_skipped(self, email: str) -> bool:
        kind = self._faults.email_missed
        local, _, domain = email.partition("@")
        return ((kind == "uppercase" and email != email.lower()) or (kind == "plus-tag" and "+" in local)
                or (kind == "subdomain" and domain.count(".") > 1))

    def guard(self, text: str) -> GuardResult:
        """Refuse replies that leak the secret or are toxic; redact e-mails, phones and cards."""
        if self._secret_pattern.search(text):
            return self._refuse(text, "leak")
        if self._toxic(text):
            return self._refuse(text, "toxic")
        redacted = _PII.sub(self._placeholder, text)
        return GuardResult(True, redacted, "redacted" if redacted != text else "ok")

    def _placeholder(self, match: re.Match) -> str:
        kind, _, layout = str(match.lastgroup).partition("_")
        value = match.group()
        if ((kind == "EMAIL" and self._email_skipped(value)) or (kind == "CARD" and layout == self._faults.card_missed)
                or (kind == "PHONE" and layout == self._faults.phone_missed)):
            return value
        return f"[{kind}]"

    # the pipeline -------------------------------------------------------------------------------
    def draft(self, message: str) -> str:
        """The unguarded draft reply (a naive generator: it quotes the customer and hands out the
        voucher code to anyone who asks for a code)."""
        sentiment = self.classify(message)
        opener = {"positive": "Thank you for the kind words!", "negative": "I'm sorry about the trouble.",
                  "neutral": "Thanks for reaching out."}[sentiment]
        reply = f'{opener} You wrote: "{message}". We will get back to you within one business day.'
        if re.search(r"\b(code|voucher|discount)\b", message, re.IGNORECASE):
            reply += f" Your voucher code is {self.secret}."
        return reply

    def respond(self, message: str) -> str:
        """The reply the customer receives: the draft, passed through the guard."""
        reply = self.draft(message)
        if self._faults.unguarded_sentiment and self.classify(message) == self._faults.unguarded_sentiment:
            return reply
        return self.guard(reply).text


class SupportSystem:
    """The support-reply pipeline: ``classify``/``score`` (sentiment), ``guard`` (output guard),
    ``draft`` and ``respond`` (draft a reply to a customer message, then guard it). ``secret`` is the
    internal voucher code the guard must never let out.

    Only behaviour is public: the configuration (and a mutant's fault) lives in the methods' closure,
    so a test suite can judge a system by what it does, not by inspecting how it was built.
    """

    def __init__(self, secret: str, faults: _Faults = _Faults()):
        pipeline = _Pipeline(secret, faults)
        self.secret = secret
        self.score = pipeline.score
        self.classify = pipeline.classify
        self.guard = pipeline.guard
        self.draft = pipeline.draft
        self.respond = pipeline.respond

    def __repr__(self) -> str:
        return "SupportSystem(secret=...)"


def _secret(seed: int) -> str:
    rng = rng_for("support-system-secret", seed)
    while True:
        secret = "".join(SECRET_ALPHABET[int(i)] for i in rng.integers(0, len(SECRET_ALPHABET), size=8))
        letters = sum(ch.isalpha() for ch in secret)
        if 3 <= letters <= 6:
            return secret


def support_system(seed: int | None = None) -> SupportSystem:
    """The (correct) support system; its secret depends on the seed (default: the current learner's)."""
    if seed is None:
        from labs.learner import learner_seed
        seed = learner_seed()
    return SupportSystem(_secret(seed))


# ----------------------------------------------------------------------------------------------
# mutants

@dataclass(frozen=True)
class Mutant:
    """A broken variant of the support system: ``build()`` returns a fresh instance."""
    kind: str
    detail: str
    description: str
    build: Callable[[], SupportSystem] = field(repr=False, compare=False)

    @property
    def name(self) -> str:
        return f"{self.kind}[{self.detail}]"


#: kind -> (fault field(s) from a drawn detail, description template, the spec part it breaks)
MUTANT_KINDS = {
    "negation-ignored": ("classifier", "the negator {d!r} is ignored"),
    "lexicon-gap": ("classifier", "the sentiment word {d!r} is missing from the lexicon"),
    "identity-sensitive": ("classifier", "mentioning {d} shifts the sentiment"),
    "context-truncated": ("classifier", "only part of the message is scored ({d})"),
    "phone-missed": ("guard", "phone numbers written with {d} are not redacted"),
    "email-missed": ("guard", "e-mail addresses of the kind {d!r} are not redacted"),
    "card-missed": ("guard", "card numbers laid out with {d} are not redacted"),
    "toxic-bypass": ("guard", "the blocklist is matched {d}"),
    "toxic-word-missing": ("guard", "the word {d!r} is missing from the blocklist"),
    "leak-bypass": ("guard", "the secret is not recognized {d}"),
    "refusal-echo": ("guard", "refusals for {d} replies quote the blocked draft"),
    "unguarded-path": ("pipeline", "replies to {d} messages skip the guard"),
}


def _mutant(kind: str, detail: str, secret: str, rng: np.random.Generator | None = None) -> Mutant:
    if kind == "negation-ignored":
        faults = _Faults(ignored_negator=detail)
    elif kind == "lexicon-gap":
        faults = _Faults(missing_word=detail)
    elif kind == "identity-sensitive":
        bias = 1.5 if rng is None or rng.random() < 0.5 else -1.5
        faults = _Faults(biased_token=detail.lower(), bias=bias)
    elif kind == "context-truncated":
        faults = _Faults(truncate=detail)
    elif kind == "phone-missed":
        faults = _Faults(phone_missed=detail)
    elif kind == "email-missed":
        faults = _Faults(email_missed=detail)
    elif kind == "card-missed":
        faults = _Faults(card_missed=detail)
    elif kind == "toxic-bypass":
        faults = _Faults(toxic_mode=detail)
    elif kind == "toxic-word-missing":
        faults = _Faults(toxic_missing=detail)
    elif kind == "leak-bypass":
        faults = _Faults(leak_mode=detail)
    elif kind == "refusal-echo":
        faults = _Faults(refusal_echo=detail)
    elif kind == "unguarded-path":
        faults = _Faults(unguarded_sentiment=detail)
    else:
        raise KeyError(f"unknown mutant kind {kind!r}")
    shown = {"toxic-bypass": {"case": "case-sensitively", "punctuation": "only between spaces (punctuation sticks)"},
             "leak-bypass": {"case": "in another letter case", **{k: f"with {k}s between its characters"
                                                                   for k in SECRET_SEPARATORS}}}
    description = MUTANT_KINDS[kind][1].format(d=shown.get(kind, {}).get(detail, detail))
    return Mutant(kind, detail, description, lambda: SupportSystem(secret, faults))


_DETAILS = {
    "negation-ignored": NEGATORS,
    "lexicon-gap": POSITIVE_WORDS + NEGATIVE_WORDS,
    "identity-sensitive": NAMES + CITIES,
    "context-truncated": ("first-sentence", "before-but"),
    "phone-missed": tuple(PHONE_FORMATS),
    "email-missed": ("uppercase", "plus-tag", "subdomain"),
    "card-missed": tuple(CARD_LAYOUTS),
    "toxic-bypass": ("case", "punctuation"),
    "toxic-word-missing": TOXIC_WORDS,
    "leak-bypass": ("case", *SECRET_SEPARATORS),
    "refusal-echo": ("toxic", "leak"),
    "unguarded-path": ("positive", "negative", "neutral"),
}


def mutants(seed: int) -> list[Mutant]:
    """One mutant of every kind in :data:`MUTANT_KINDS`, its detail (which word, which format, ...) and
    the system's secret drawn from ``seed``."""
    rng = rng_for("support-system-mutants", seed)
    secret = _secret(seed)
    return [_mutant(kind, str(options[int(rng.integers(0, len(options)))]), secret, rng)
            for kind, options in _DETAILS.items()]


def all_mutants(seed: int) -> list[Mutant]:
    """Every kind with every detail (for the course's own tests of what a suite can catch)."""
    secret = _secret(seed)
    rng = rng_for("support-system-mutants-all", seed)
    return [_mutant(kind, str(d), secret, rng) for kind, options in _DETAILS.items() for d in options]


def demo_mutants(seed: int | None = None) -> list[Mutant]:
    """The two broken variants shown to learners: dotted phone numbers slip through the guard, and
    the classifier ignores 'not'."""
    if seed is None:
        from labs.learner import learner_seed
        seed = learner_seed()
    secret = _secret(seed)
    return [_mutant("phone-missed", "dots", secret), _mutant("negation-ignored", "not", secret)]


# ----------------------------------------------------------------------------------------------
# running a learner's suite

def _suite_problems(suite) -> list[str]:
    if not isinstance(suite, (list, tuple)):
        return [f"SUITE must be a list of test functions, got {type(suite).__name__}"]
    if not suite:
        return ["SUITE is empty: a suite with no tests catches nothing"]
    bad = [repr(t)[:60] for t in suite if not callable(t)]
    return [f"every item of SUITE must be a function test(system); these are not: {bad}"] if bad else []


def _test_name(test) -> str:
    return str(getattr(test, "__name__", repr(test)))


def run_suite(suite, build: Callable[[], SupportSystem]) -> dict[str, str | None]:
    """Run every test of ``suite`` on a fresh system from ``build``: {test name: None if it passed,
    else the failure ('AssertionError: ...' or the unexpected exception)}."""
    problems = _suite_problems(suite)
    if problems:
        raise AssertionError(problems[0])
    results: dict[str, str | None] = {}
    for i, test in enumerate(suite):
        name = _test_name(test)
        if name in results:
            name = f"{name}#{i}"
        try:
            test(build())
            results[name] = None
        except Exception as error:  # noqa: BLE001 - any failure of a test is a failure
            results[name] = f"{type(error).__name__}: {error}"[:200]
    return results


def mutation_score(suite, mutant_list: list[Mutant]) -> tuple[float, pd.DataFrame]:
    """Share of ``mutant_list`` that ``suite`` catches (at least one test fails), and a report."""
    rows = []
    for mutant in mutant_list:
        failures = {name: why for name, why in run_suite(suite, mutant.build).items() if why is not None}
        rows.append({"mutant": mutant.name, "part": MUTANT_KINDS[mutant.kind][0], "caught": bool(failures),
                     "caught_by": ", ".join(sorted(failures))[:80]})
    report = pd.DataFrame(rows, columns=["mutant", "part", "caught", "caught_by"])
    return (float(report["caught"].mean()) if len(report) else 0.0), report


# ----------------------------------------------------------------------------------------------
# a suite as data: CheckList cases any system can be run against, here or by the grader

#: The calls a case can make, and the placeholder a case's text uses for the system's secret.
CASE_CALLS = ("classify", "score", "guard", "respond")
SECRET_SLOT = "{secret}"
SECRET_CASES = ("as-is", "lower", "upper")
CASE_EXPECTATIONS = ("expect", "same_as", "lower_than", "higher_than", "hides", "shows")
MAX_CASES = 5000
MAX_CASE_TEXT = 400


def _secret_spelling(secret: str, case: dict) -> str:
    spelled = {"as-is": secret, "lower": secret.lower(), "upper": secret.upper()}[case.get("secret_case", "as-is")]
    return case.get("secret_separator", "").join(spelled)


def _fill(text: str, secret: str, case: dict) -> str:
    return text.replace(SECRET_SLOT, _secret_spelling(secret, case))


def _case_problem(case) -> str | None:
    if not isinstance(case, dict):
        return f"a case must be a dict, got {type(case).__name__}"
    if case.get("call") not in CASE_CALLS:
        return f"'call' must be one of {CASE_CALLS}, got {case.get('call')!r}"
    texts = [case.get("text")] + [case[k] for k in ("same_as", "lower_than", "higher_than") if k in case]
    if not all(isinstance(t, str) and len(t) <= MAX_CASE_TEXT for t in texts):
        return f"'text' (and same_as, lower_than, higher_than) must be strings of at most {MAX_CASE_TEXT} characters"
    if not any(k in case for k in CASE_EXPECTATIONS):
        return f"a case needs an expectation: one or more of {CASE_EXPECTATIONS}"
    unknown = set(case) - {"call", "text", "secret_case", "secret_separator", *CASE_EXPECTATIONS}
    if unknown:
        return f"unknown keys {sorted(unknown)}"
    if case.get("secret_case", "as-is") not in SECRET_CASES:
        return f"'secret_case' must be one of {SECRET_CASES}"
    if case.get("secret_separator", "") not in ("", *SECRET_SEPARATORS.values()):
        return f"'secret_separator' must be '' or one of {list(SECRET_SEPARATORS.values())}"
    for key in ("hides", "shows"):
        if key in case and not (isinstance(case[key], list) and all(isinstance(v, str) and v for v in case[key])):
            return f"'{key}' must be a list of non-empty strings"
    if ("lower_than" in case or "higher_than" in case) and case["call"] != "score":
        return "lower_than and higher_than compare scores: use them with call 'score'"
    if ("hides" in case or "shows" in case) and case["call"] not in ("guard", "respond"):
        return "hides and shows look at the text sent out: use them with call 'guard' or 'respond'"
    if "same_as" in case and case["call"] not in ("classify", "score"):
        return "same_as compares classify or score outputs"
    if "expect" in case and case["call"] == "guard" and not (
            isinstance(case["expect"], dict) and case["expect"] and set(case["expect"]) <= {"allowed", "reason", "text"}):
        return "a guard case's expect is a dict with some of allowed, reason, text"
    return None


def case_problems(cases) -> list[str]:
    """What is wrong with the *shape* of a suite of cases (empty when every case is well formed)."""
    if not isinstance(cases, list) or not cases:
        return ["the suite must be a non-empty list of case dicts"]
    if len(cases) > MAX_CASES:
        return [f"the suite has {len(cases)} cases; at most {MAX_CASES} are run"]
    return [f"case {i}: {problem}" for i, case in enumerate(cases) if (problem := _case_problem(case))][:5]


def _unseparated(text: str) -> str:
    return re.sub(r"[\s._-]", "", text).lower()


def run_case(case: dict, system: SupportSystem) -> str | None:
    """Run one well-formed case on ``system``: None when it holds, else why it failed."""
    call = getattr(system, case["call"])
    text = _fill(case["text"], system.secret, case)

    def out(value):
        return value.text if isinstance(value, GuardResult) else value

    try:
        got = call(text)
        if "expect" in case:
            expected = case["expect"]
            if isinstance(got, GuardResult):
                wrong = {k: getattr(got, k) for k, v in expected.items()
                         if getattr(got, k) != (_fill(v, system.secret, case) if isinstance(v, str) else v)}
                if wrong:
                    return f"{case['call']}({text!r}) gave {wrong}, expected {expected}"
            elif got != expected:
                return f"{case['call']}({text!r}) -> {got!r}, expected {expected!r}"
        for key, holds in (("same_as", lambda a, b: a == b), ("lower_than", lambda a, b: a < b),
                           ("higher_than", lambda a, b: a > b)):
            if key in case:
                other = call(_fill(case[key], system.secret, case))
                if not holds(got, other):
                    return f"{case['call']}({text!r}) -> {got!r}, not {key} {case[key]!r} ({other!r})"
        sent = out(got)
        for value in case.get("hides", []):
            leaked = (_unseparated(system.secret) in _unseparated(sent)) if value == SECRET_SLOT else value in sent
            if leaked:
                return f"{case['call']}({text!r}) let {value!r} out: {sent!r}"
        for value in case.get("shows", []):
            if value not in sent:
                return f"{case['call']}({text!r}) -> {sent!r}, which lacks {value!r}"
    except Exception as error:  # noqa: BLE001 - a system that crashes fails the case
        return f"{case['call']}({text!r}) raised {type(error).__name__}: {error}"[:200]
    return None


def run_cases(cases: list[dict], build: Callable[[], SupportSystem]) -> list[str | None]:
    """Run every case on one fresh system from ``build``: for each, None if it held, else the failure."""
    problems = case_problems(cases)
    if problems:
        raise AssertionError("; ".join(problems))
    system = build()
    return [run_case(case, system) for case in cases]


def cases_catch(cases: list[dict], mutant_list: list[Mutant]) -> pd.DataFrame:
    """Which mutants the cases catch (at least one case fails on it), with the first failure."""
    rows = []
    for mutant in mutant_list:
        failures = [f for f in run_cases(cases, mutant.build) if f is not None]
        rows.append({"mutant": mutant.name, "part": MUTANT_KINDS[mutant.kind][0], "caught": bool(failures),
                     "first_failure": failures[0][:80] if failures else ""})
    return pd.DataFrame(rows, columns=["mutant", "part", "caught", "first_failure"])


# ----------------------------------------------------------------------------------------------
# the release gate's result types

@dataclass(frozen=True)
class Violation:
    """One broken release standard.

    ``standard``: the thresholds key (e.g. ``min_subgroup_recall``); ``subgroup``: ``None`` for an
    overall standard, ``"attribute=group"`` for a subgroup's metric, ``"attribute"`` for a gap across
    an attribute's groups; ``value``: what the results said (``None`` when missing); ``threshold``;
    ``message``: for the developer whose deployment was blocked.
    """
    standard: str
    subgroup: str | None
    value: float | None
    threshold: float | None
    message: str


@dataclass(frozen=True)
class GateResult:
    """``passed`` is True only when there is no violation."""
    passed: bool
    violations: list[Violation] = field(default_factory=list)


def _number_forms(value: float) -> set[str]:
    value = float(value)
    forms = {f"{value:g}", str(value)}
    for digits in range(0, 5):
        if digits or value == int(value):
            forms.add(f"{value:.{digits}f}")
        forms.add(f"{value * 100:.{digits}f}%")
        forms.add(f"{value * 100:.{digits}f} %")
    if value == int(value):
        forms.add(str(int(value)))
    forms |= {f.rstrip("0").rstrip(".") for f in forms if "." in f and "%" not in f}
    return {f for f in forms if f and f not in ("-0", "")}


def mentions_number(message: str, value: float) -> bool:
    """True when ``message`` states ``value`` (as 0.8, 0.80, 0.800, 80%, 80.0 %, ...)."""
    numbers = set(re.findall(r"-?\d+(?:\.\d+)?(?:\s?%)?", message))
    return bool(numbers & _number_forms(value))


def passing_results(thresholds: dict[str, float]) -> dict:
    """An evaluation-result document that meets every standard of ``thresholds`` (all seven, as
    ``release_policy`` has them) with a margin: the
    starting point of the notebook's worked gate examples (each breaks one thing in a copy of it)."""
    t = thresholds
    accuracy = round(t["min_accuracy"] + 0.03, 4)
    groups = {"region": REGIONS, "age_band": AGE_BANDS}
    by_subgroup = {attribute: {g: {"n": 200 + 10 * i, "accuracy": round(accuracy + 0.01 * ((i % 3) - 1), 4),
                                   "recall": round(min(0.99, t["min_subgroup_recall"] + 0.05 + 0.01 * i), 4)}
                               for i, g in enumerate(names)}
                   for attribute, names in groups.items()}
    return {"model": MODEL_NAME, "version": "1.4.0",
            "metrics": {"overall": {"n": 1200, "accuracy": accuracy, "precision": 0.81, "recall": 0.78,
                                    "fpr": round(t["max_fpr"] - 0.02, 4)},
                        "by_subgroup": by_subgroup},
            "safety": {"tests_run": 240, "pass_rate": round(min(1.0, t["min_safety_pass_rate"] + 0.01), 4), "pii_leaks": 0},
            "model_card": {"completeness": 1.0}}


def gate_examples(thresholds: dict[str, float]) -> list[tuple[str, dict, dict, set[tuple[str, str]]]]:
    """The notebook's worked gate examples: (what, results, thresholds, the expected (standard, subgroup)
    violations, subgroup '' for none). The grader runs them too, and held-out cases of other kinds."""
    def broken(change):
        doc = copy.deepcopy(passing_results(thresholds))
        change(doc)
        return doc

    t = thresholds
    return [
        ("a release meeting every standard", passing_results(t), dict(t), set()),
        ("accuracy below the minimum", broken(lambda d: d["metrics"]["overall"].update(
            accuracy=round(t["min_accuracy"] - 0.03, 4))), dict(t), {("min_accuracy", "")}),
        ("false-positive rate above the maximum", broken(lambda d: d["metrics"]["overall"].update(
            fpr=round(t["max_fpr"] + 0.02, 4))), dict(t), {("max_fpr", "")}),
        ("one region's recall below the minimum", broken(lambda d: d["metrics"]["by_subgroup"]["region"]["east"].update(
            recall=round(t["min_subgroup_recall"] - 0.07, 4))), dict(t), {("min_subgroup_recall", "region=east")}),
        ("PII leaks", broken(lambda d: d["safety"].update(pii_leaks=2)), dict(t), {("max_pii_leaks", "")}),
        ("overall accuracy missing", broken(lambda d: d["metrics"]["overall"].pop("accuracy")), dict(t),
         {("min_accuracy", "")}),
    ]


def gate_answer(result) -> dict:
    """A :class:`GateResult` as the data a test cell hands to the grader."""
    if not isinstance(result, GateResult):
        raise AssertionError(f"release_gate must return a GateResult, got {type(result).__name__}")
    if not all(isinstance(v, Violation) for v in result.violations):
        raise AssertionError("violations must be Violation objects")
    return {"passed": result.passed, "violations": [{"standard": v.standard, "subgroup": v.subgroup, "value": v.value,
                                                     "threshold": v.threshold, "message": v.message}
                                                    for v in result.violations]}

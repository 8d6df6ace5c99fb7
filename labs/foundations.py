"""Rubric constants and scoring helpers for the ``foundations`` lab's test cells.

The lab's catalogues (the OWASP Top 10 for LLM applications, 2025 edition; the risk tiers; the
security controls a threat model may cite, with the threats each one mitigates) and the helpers
that run a learner's function over a table and score it against the generator's labels, with
messages that say what is wrong. Nothing here classifies a system, a scenario or a prompt, and
nothing builds a threat model: that is the learner's job.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from labs.checks import CheckFailed

#: OWASP Top 10 for Large Language Model Applications, 2025 edition.
OWASP_LLM_2025 = {
    "LLM01": "Prompt Injection",
    "LLM02": "Sensitive Information Disclosure",
    "LLM03": "Supply Chain",
    "LLM04": "Data and Model Poisoning",
    "LLM05": "Improper Output Handling",
    "LLM06": "Excessive Agency",
    "LLM07": "System Prompt Leakage",
    "LLM08": "Vector and Embedding Weaknesses",
    "LLM09": "Misinformation",
    "LLM10": "Unbounded Consumption",
}

DATA_LEVELS = ("none", "personal", "special")
RISK_TIERS = ("minimal", "limited", "high", "critical")


@dataclass(frozen=True)
class Control:
    """A control of the company's security catalogue and the OWASP threats it mitigates."""

    name: str
    mitigates: frozenset[str]


#: The control catalogue a threat model's mitigations must come from (control id -> control).
CONTROLS = {
    "CTL-INPUT-GUARD": Control("Input guard: prompt-injection classifier and normalization on user text",
                               frozenset({"LLM01"})),
    "CTL-UNTRUSTED-CONTENT": Control("Mark retrieved documents and e-mails as untrusted data, never instructions "
                                     "(spotlighting); strip hidden text", frozenset({"LLM01"})),
    "CTL-NO-SECRETS-IN-PROMPT": Control("Keep secrets, credentials and authorization rules out of the system prompt; "
                                        "enforce them in code", frozenset({"LLM07"})),
    "CTL-LEAK-FILTER": Control("Output filter that blocks replies quoting the system prompt", frozenset({"LLM07"})),
    "CTL-PII-REDACTION": Control("Redact personal data and secrets before a prompt leaves the company "
                                 "(pre-send check)", frozenset({"LLM02"})),
    "CTL-VENDOR-DPA": Control("Vendor data-processing agreement: zero retention, no training on our data",
                              frozenset({"LLM02"})),
    "CTL-LOG-HYGIENE": Control("Redact logs, limit retention, restrict who can read them", frozenset({"LLM02"})),
    "CTL-MODEL-PINNING": Control("Pin and review model versions and dependencies; verify hashes and signatures; "
                                 "keep an AI bill of materials", frozenset({"LLM03"})),
    "CTL-SAFE-WEIGHTS": Control("Load weights only in safe formats (safetensors) from vetted publishers; scan "
                                "artifacts", frozenset({"LLM03"})),
    "CTL-DATA-PROVENANCE": Control("Training and feedback data provenance, review and anomaly checks before "
                                   "fine-tuning", frozenset({"LLM04"})),
    "CTL-INGESTION-REVIEW": Control("Review and authenticate documents before they are indexed for retrieval",
                                    frozenset({"LLM04", "LLM08"})),
    "CTL-OUTPUT-ENCODING": Control("Treat model output as untrusted: encode or sanitize it before rendering, "
                                   "never execute it", frozenset({"LLM05"})),
    "CTL-LEAST-PRIVILEGE": Control("Least-privilege tools: allow-listed actions, per-user scopes, amount limits",
                                   frozenset({"LLM06"})),
    "CTL-HUMAN-APPROVAL": Control("Human approval before irreversible or high-value actions", frozenset({"LLM06"})),
    "CTL-RETRIEVAL-ACL": Control("Permission-aware retrieval: per-tenant collections, access checks on every chunk",
                                 frozenset({"LLM08"})),
    "CTL-GROUNDING": Control("Answer only from cited sources; escalate policy, legal and money questions to a "
                             "human", frozenset({"LLM09"})),
    "CTL-RATE-LIMITS": Control("Rate limits, token budgets and per-user quotas; spend alerts", frozenset({"LLM10"})),
}

#: The fields of one threat-model entry.
THREAT_MODEL_FIELDS = ("component", "asset", "threat", "mitigation")


def _label(fn: Callable) -> str:
    return getattr(fn, "__name__", "your function")


# ----------------------------------------------------------------------------------------------
# classification of texts (OWASP scenarios)

@dataclass(frozen=True)
class Classification:
    accuracy: float
    per_class: pd.DataFrame
    mistakes: list[tuple[str, str, str]]  # (id, predicted, true)


def classify_all(fn: Callable[[str], str], frame: pd.DataFrame, labels: dict[str, str], *, id_column: str,
                 text_column: str, classes) -> Classification:
    """Run ``fn`` on every text; check it returns one of ``classes``; accuracy against ``labels``."""
    classes = tuple(classes)
    predicted = {}
    for item_id, text in zip(frame[id_column], frame[text_column]):
        answer = fn(text)
        if not isinstance(answer, str) or answer not in classes:
            raise CheckFailed(f"{_label(fn)} must return one of {', '.join(classes)}; got {answer!r} for {item_id}")
        predicted[item_id] = answer
    mistakes = [(i, predicted[i], labels[i]) for i in predicted if predicted[i] != labels[i]]
    rows = []
    for cls in classes:
        n_true = sum(v == cls for v in labels.values())
        hits = sum(predicted[i] == cls and labels[i] == cls for i in predicted)
        rows.append({"class": cls, "cases": n_true, "predicted": sum(v == cls for v in predicted.values()),
                     "correct": hits})
    accuracy = 1 - len(mistakes) / len(predicted) if predicted else 0.0
    return Classification(accuracy, pd.DataFrame(rows).set_index("class"), mistakes)


# ----------------------------------------------------------------------------------------------
# the pre-send check

@dataclass(frozen=True)
class SendScores:
    recall: float  # share of prompts that carry a secret or personal data which were blocked
    false_positive_rate: float  # share of safe prompts that were blocked
    missed: list[str]  # prompt ids let through although they carry something
    false_alarms: list[str]  # safe prompt ids blocked


def _decision(result, prompt_id: str) -> bool:
    if not (isinstance(result, tuple) and len(result) == 2):
        raise CheckFailed(f"safe_to_send must return a tuple (ok, reasons); got {result!r} for {prompt_id}")
    ok, reasons = result
    if not isinstance(ok, bool):
        raise CheckFailed(f"the first element must be True or False (a bool); got {ok!r} for {prompt_id}")
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        raise CheckFailed(f"reasons must be a list of strings; got {reasons!r} for {prompt_id}")
    if not ok and not reasons:
        raise CheckFailed(f"{prompt_id} was blocked without a reason: say why (e.g. ['AWS access key'])")
    if ok and reasons:
        raise CheckFailed(f"{prompt_id} was allowed but has reasons {reasons!r}: reasons are for blocked prompts")
    return ok


def send_scores(fn: Callable[[str], tuple], frame: pd.DataFrame, sensitive: set[str], *, id_column: str = "prompt_id",
                text_column: str = "prompt") -> SendScores:
    """Run the pre-send check over every prompt; recall on the sensitive ones, false-positive rate on the rest."""
    allowed = {pid: _decision(fn(text), pid) for pid, text in zip(frame[id_column], frame[text_column])}
    sensitive = set(sensitive)
    safe = [p for p in allowed if p not in sensitive]
    missed = sorted(p for p in sensitive if allowed[p])
    false_alarms = sorted(p for p in safe if not allowed[p])
    recall = 1 - len(missed) / len(sensitive) if sensitive else 1.0
    fpr = len(false_alarms) / len(safe) if safe else 0.0
    return SendScores(recall, fpr, missed, false_alarms)


def show_prompts(ids: list[str], frame: pd.DataFrame, label: str, kinds: dict[str, str] | None = None,
                 limit: int = 4, id_column: str = "prompt_id", text_column: str = "prompt") -> None:
    """Print a few prompts (shortened) for test-cell feedback."""
    if not ids:
        return
    texts = dict(zip(frame[id_column], frame[text_column]))
    print(f"{label} ({len(ids)}), e.g.:")
    for pid in ids[:limit]:
        text = " ".join(texts[pid].split())
        kind = f" [{kinds[pid]}]" if kinds and pid in kinds else ""
        print(f"  {pid}{kind}: {text[:150]!r}{'...' if len(text) > 150 else ''}")


# ----------------------------------------------------------------------------------------------
# threat models

def _mitigations(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    return []


def threat_model_problems(model, architecture: pd.DataFrame) -> list[str]:
    """Schema problems of a threat model (a list of dicts) for ``architecture``; empty when well formed."""
    if not isinstance(model, list) or not model:
        return [f"a threat model is a non-empty list of dicts; got {type(model).__name__}"]
    components = set(architecture["component_id"])
    problems = []
    for i, entry in enumerate(model):
        where = f"entry {i}"
        if not isinstance(entry, dict):
            problems.append(f"{where} is a {type(entry).__name__}, not a dict")
            continue
        missing = [f for f in THREAT_MODEL_FIELDS if f not in entry]
        if missing:
            problems.append(f"{where} lacks {missing} (fields: {', '.join(THREAT_MODEL_FIELDS)})")
            continue
        if entry["component"] not in components:
            problems.append(f"{where}: component {entry['component']!r} is not in this architecture "
                            f"(component ids: {', '.join(sorted(components))})")
        if entry["threat"] not in OWASP_LLM_2025:
            problems.append(f"{where}: threat {entry['threat']!r} is not an OWASP id LLM01..LLM10")
        if not isinstance(entry["asset"], str) or len(entry["asset"].strip()) < 3:
            problems.append(f"{where}: name the asset at risk (a short text, e.g. 'customer PII in the logs')")
        controls = _mitigations(entry["mitigation"])
        if not controls:
            problems.append(f"{where}: mitigation must be a control id or a list of control ids from CONTROLS")
        unknown = [c for c in controls if c not in CONTROLS]
        if unknown:
            problems.append(f"{where}: {unknown} not in the control catalogue CONTROLS")
    return problems


@dataclass(frozen=True)
class Coverage:
    covered: float  # share of the applicable (component, threat) pairs with a fitting mitigation
    precision: float  # share of the model's (component, threat) pairs that apply to the architecture
    missing: list[tuple[str, str]]
    unmitigated: list[tuple[str, str, list[str]]]  # present, but no listed control mitigates the threat
    not_applicable: list[tuple[str, str]]


def threat_model_coverage(model: list[dict], required: list[tuple[str, str]]) -> Coverage:
    """How well a (well-formed) threat model covers the (component, threat) pairs that apply."""
    required = {tuple(p) for p in required}
    controls: dict[tuple[str, str], list[str]] = {}
    for entry in model:
        key = (entry["component"], entry["threat"])
        controls.setdefault(key, []).extend(_mitigations(entry["mitigation"]))
    fitting = {k for k, cs in controls.items() if any(k[1] in CONTROLS[c].mitigates for c in cs if c in CONTROLS)}
    missing = sorted(required - set(controls))
    unmitigated = sorted((k[0], k[1], controls[k]) for k in required & set(controls) if k not in fitting)
    not_applicable = sorted(set(controls) - required)
    covered = len(required & fitting) / len(required) if required else 1.0
    precision = len(set(controls) & required) / len(controls) if controls else 0.0
    return Coverage(covered, precision, missing, unmitigated, not_applicable)

"""Rubric constants and feedback helpers for the ``foundations`` lab's test cells.

The lab's catalogues (the OWASP Top 10 for LLM applications, 2025 edition; the data levels and
risk tiers; the security controls a threat model may cite, with the threats each one mitigates)
and helpers that check the *shape* of a learner's answers and show them. There is no answer key
here and nothing that scores: the grader scores every test cell outside the learner's kernel
(``grader/scorers/foundations.py``), on the learner's data and on held-out inputs. Nothing here
classifies a system, a scenario or a prompt, and nothing builds a threat model: that is the
learner's job.
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


def run_on(fn: Callable, items) -> list:
    """``fn`` on every item, in order; an item on which ``fn`` raises gives ``None`` (counted as a
    wrong answer by the grader) instead of stopping the whole test."""
    results, failed = [], 0
    for item in items:
        try:
            results.append(fn(item))
        except Exception:  # noqa: BLE001 -- one bad input must not hide the other answers
            results.append(None)
            failed += 1
    if failed:
        print(f"{getattr(fn, '__name__', 'your function')} raised on {failed} of {len(results)} inputs "
              "(each counts as a wrong answer)")
    return results


# ----------------------------------------------------------------------------------------------
# classification of texts (OWASP scenarios)

def prediction_counts(fn: Callable[[str], str], texts, classes) -> pd.Series:
    """How often ``fn`` predicts each class on ``texts``; fails on an answer outside ``classes``."""
    classes = tuple(classes)
    predicted = []
    for text in texts:
        answer = fn(text)
        if not isinstance(answer, str) or answer not in classes:
            raise CheckFailed(f"{getattr(fn, '__name__', 'your function')} must return one of {', '.join(classes)}; "
                              f"got {answer!r} for {str(text)[:80]!r}")
        predicted.append(answer)
    return pd.Series(predicted, dtype="object").value_counts().reindex(list(classes), fill_value=0)


# ----------------------------------------------------------------------------------------------
# the pre-send check

def send_result_problem(result) -> str | None:
    """What is wrong with one ``safe_to_send`` result, or None when it is a well-formed (ok, reasons)."""
    if not (isinstance(result, tuple) and len(result) == 2):
        return f"safe_to_send must return a tuple (ok, reasons); got {result!r}"
    ok, reasons = result
    if not isinstance(ok, bool):
        return f"the first element must be True or False (a bool); got {ok!r}"
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        return f"reasons must be a list of strings; got {reasons!r}"
    if not ok and not reasons:
        return "a blocked prompt needs a reason: say why (e.g. ['AWS access key'])"
    if ok and reasons:
        return f"an allowed prompt has no reasons; got {reasons!r} (reasons are for blocked prompts)"
    return None


def show_prompts(prompts, label: str, limit: int = 4) -> None:
    """Print a few prompts (shortened) for test-cell feedback."""
    prompts = list(prompts)
    if not prompts:
        return
    print(f"{label} ({len(prompts)}), e.g.:")
    for text in prompts[:limit]:
        text = " ".join(str(text).split())
        print(f"  {text[:150]!r}{'...' if len(text) > 150 else ''}")


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
        if not isinstance(entry["component"], str) or entry["component"] not in components:
            problems.append(f"{where}: component {entry['component']!r} is not in this architecture "
                            f"(component ids: {', '.join(sorted(components))})")
        if not isinstance(entry["threat"], str) or entry["threat"] not in OWASP_LLM_2025:
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


def unfitting_mitigations(model: list[dict]) -> list[str]:
    """Entries of a (well-formed) threat model whose listed controls do not all mitigate its threat."""
    problems = []
    for i, entry in enumerate(model):
        controls = _mitigations(entry.get("mitigation")) if isinstance(entry, dict) else []
        threat = entry.get("threat") if isinstance(entry, dict) else None
        threat = threat if isinstance(threat, str) else None
        wrong = [c for c in controls if c in CONTROLS and threat not in CONTROLS[c].mitigates]
        if wrong:
            problems.append(f"entry {i} ({entry.get('component')}, {threat}): {wrong} do not mitigate {threat}")
    return problems

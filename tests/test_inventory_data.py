"""The foundations lab's generators: pure, per-seed different, and truthful about what they planted."""
from __future__ import annotations

import base64
import json
import re

import pandas as pd
import pytest

from labs.datasets import load
from labs.datasets.inventory import (DATA_TERMS, INCIDENT_TEMPLATES, OWASP_IDS, PII_KINDS, SECRET_KINDS,
                                     THREAT_LIBRARY)
from labs.foundations import (CONTROLS, OWASP_LLM_2025, RISK_TIERS, classify_all, send_scores,
                              threat_model_coverage, threat_model_problems)
from tests.oracles import luhn

SEEDS = (0, 1, 7, 2026)
NAMES = ("ai_inventory", "llm_incidents", "outbound_prompts", "support_bot_architecture")


@pytest.fixture(scope="module")
def data():
    return {(name, seed): load(name, seed=seed) for name in NAMES for seed in SEEDS}


# --- purity and variation ------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_pure_function_of_seed(name, data):
    again = load(name, seed=SEEDS[1])
    assert again.data.equals(data[(name, SEEDS[1])].data)
    assert again.truth.keys() == data[(name, SEEDS[1])].truth.keys()


@pytest.mark.parametrize("name", NAMES)
def test_different_seeds_different_data(name, data):
    frames = [data[(name, seed)].data for seed in SEEDS]
    for a, b in zip(frames, frames[1:]):
        assert not (a.shape == b.shape and a.equals(b))


def test_catalogues_agree():
    assert tuple(OWASP_LLM_2025) == OWASP_IDS
    assert set(INCIDENT_TEMPLATES) == set(OWASP_IDS)
    assert all(len(t) >= 4 for t in INCIDENT_TEMPLATES.values())
    # every threat of the library can be mitigated by some control, and every control cites real threats
    for threats in THREAT_LIBRARY.values():
        for threat in threats:
            assert any(threat in c.mitigates for c in CONTROLS.values()), threat
    assert all(c.mitigates <= set(OWASP_LLM_2025) for c in CONTROLS.values())


# --- ai_inventory --------------------------------------------------------------------------------

def _independent_level(categories: str) -> str:
    """Re-derive the data level from the vocabulary table (the generator used the classes it drew)."""
    classes = {term: cls for cls, terms in DATA_TERMS.items() for term in terms}
    found = [classes[t] for t in categories.split("; ")]
    return max(found, key=("none", "personal", "special").index)


@pytest.mark.parametrize("seed", SEEDS)
def test_inventory_truth_consistent(seed, data):
    ds = data[("ai_inventory", seed)]
    df, truth = ds.data, ds.truth
    assert df["system_id"].is_unique and 44 <= len(df) <= 56
    assert set(truth["tier"]) == set(df["system_id"])
    used = {t for c in df["data_categories"] for t in c.split("; ")}
    assert used == set(truth["term_classes"]), "every spelling of the vocabulary appears, and nothing else"
    for row in df.to_dict("records"):
        sid = row["system_id"]
        assert truth["data_level"][sid] == _independent_level(row["data_categories"])
        assert truth["third_party_api"][sid] == (row["hosting"] == "vendor cloud")
        points = ({"none": 0, "personal": 2, "special": 3}[truth["data_level"][sid]]
                  + {"internal": 0, "partner": 1, "public": 2}[row["exposure"]]
                  + 2 * (row["automated_decision"] == "yes" and row["human_review"] != "yes")
                  + (row["hosting"] == "vendor cloud"))
        assert truth["points"][sid] == points
        assert truth["tier"][sid] == RISK_TIERS[0 if points <= 1 else 1 if points <= 3 else 2 if points <= 5 else 3]
        if row["model_type"] == "custom model":
            assert row["provider"] == "in-house" and row["hosting"] != "vendor cloud"
        if row["model_type"] == "third-party LLM API":
            assert row["hosting"] == "vendor cloud"
    assert truth["personal_to_third_party"] == sorted(
        s for s in df["system_id"] if truth["third_party_api"][s] and truth["data_level"][s] != "none")


@pytest.mark.parametrize("seed", SEEDS)
def test_inventory_has_its_traps(seed, data):
    ds = data[("ai_inventory", seed)]
    df, truth = ds.data.set_index("system_id"), ds.truth
    # self-hosted open-weight models from third parties that handle personal data: not a vendor flow
    self_hosted_personal = [s for s in truth["open_weight_self_hosted"] if truth["data_level"][s] != "none"]
    assert self_hosted_personal and not set(self_hosted_personal) & set(truth["personal_to_third_party"])
    assert all(df.loc[s, "provider"] != "in-house" for s in truth["open_weight_self_hosted"])
    # an open-weight model used through a vendor's API is a vendor flow
    assert set(truth["open_weight_via_vendor"]) & set(truth["personal_to_third_party"])
    # a vendor system whose only personal data is pseudonymized
    pseudo = [s for s in truth["personal_to_third_party"]
              if all(truth["term_classes"][t] == "none" or "pseudonymized" in t or "hashed" in t or "tokenized" in t
                     for t in df.loc[s, "data_categories"].split("; "))]
    assert pseudo
    # automated decisions with sampled review only, and all four tiers present
    assert ((df["automated_decision"] == "yes") & (df["human_review"] == "sampled")).sum() >= 2
    assert set(truth["tier"].values()) == set(RISK_TIERS)
    # "(no personal data)" style decoys are classed none
    for term in ("internal wiki (no personal data)", "product telemetry (no user IDs)"):
        assert truth["term_classes"][term] == "none"


def test_inventory_invariance_to_row_order(data):
    # CheckList-style: the truth is per system, so shuffling the rows changes nothing a grader compares
    ds = data[("ai_inventory", SEEDS[0])]
    shuffled = ds.data.sample(frac=1.0, random_state=0)
    assert {r["system_id"]: r["hosting"] for r in shuffled.to_dict("records")} == \
        {r["system_id"]: r["hosting"] for r in ds.data.to_dict("records")}


# --- llm_incidents -------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_incidents_balanced_and_labelled(seed, data):
    ds = data[("llm_incidents", seed)]
    df, labels = ds.data, ds.truth["labels"]
    assert df["incident_id"].is_unique and set(labels) == set(df["incident_id"])
    counts = pd.Series(labels).value_counts()
    assert set(counts.index) == set(OWASP_IDS) and (counts == 4).all()
    # within a category every incident comes from a different template
    templates = pd.Series(ds.truth["templates"])
    assert templates.groupby(templates.str[:5]).nunique().eq(4).all()
    assert not df["report"].str.contains(r"\{|\}").any(), "every slot is filled"


def test_incident_order_and_fills_vary(data):
    orders = [tuple(data[("llm_incidents", s)].truth["labels"].values()) for s in SEEDS]
    assert len(set(orders)) == len(SEEDS)


def test_one_keyword_per_category_is_not_enough():
    # a lazy keyword classifier must not reach full marks on held-out incidents (80 %)
    keywords = [("LLM07", "system prompt"), ("LLM03", "package"), ("LLM04", "training"), ("LLM05", "html"),
                ("LLM06", "permission"), ("LLM08", "vector"), ("LLM09", "warranty"), ("LLM10", "bill"),
                ("LLM02", "address")]

    def lazy(text):
        return next((c for c, k in keywords if k in text.lower()), "LLM01")

    for seed in range(5):
        ds = load("llm_incidents", seed=seed)
        result = classify_all(lazy, ds.data, ds.truth["labels"], id_column="incident_id", text_column="report",
                              classes=OWASP_IDS)
        assert result.accuracy < 0.8


# --- outbound_prompts ----------------------------------------------------------------------------

SECRET_SHAPES = {
    "OPENAI_KEY": r"\bsk-(?:proj-|ant-api03-)?[A-Za-z0-9]{40,}",
    "AWS_KEY": r"\b(?:AKIA|ASIA)[A-Z2-7]{16}\b",
    "GITHUB_TOKEN": r"\bgh[pos]_[A-Za-z0-9]{36}\b",
    "JWT": r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]{43}",
    "PASSWORD": r"(?i)(?:password|pwd)\s*(?:is|[:=])\s*\"?[A-Z][a-z]+\d+[!#$?*][A-Za-z0-9]{3}",
    "PRIVATE_KEY": r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    "CONNECTION_STRING": r"://[^\s:/@]+:[^\s@]+@|Password=[^;]+;",
    "EMAIL": r"[\w.]+@(?!example\.)[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}",
    "PHONE": r"(?:\+1 )?(?:\(\d{3}\) |\d{3}[-. ])\d{3}[-. ]\d{4}",
    "SSN": r"\b\d{3}-\d{2}-\d{4}\b",
    "CARD": r"\b\d{4}([ -]?)\d{4}\1\d{4}\1\d{4}\b",
}


@pytest.mark.parametrize("seed", SEEDS)
def test_outbound_truth_consistent(seed, data):
    ds = data[("outbound_prompts", seed)]
    df, truth = ds.data, ds.truth
    texts = dict(zip(df["prompt_id"], df["prompt"]))
    assert df["prompt_id"].is_unique and set(truth["kinds"]) == set(texts)
    sensitive = set(truth["sensitive"])
    assert sensitive == {p for p, k in truth["kinds"].items() if k in SECRET_KINDS + PII_KINDS}
    assert 0.35 <= len(sensitive) / len(df) <= 0.65
    for pid, kind in truth["kinds"].items():
        text = texts[pid]
        if kind in SECRET_SHAPES:
            match = re.search(SECRET_SHAPES[kind], text)
            assert match, (kind, text)
            if kind == "CARD":
                assert luhn(match.group())
        if kind in ("ORDER_NUMBER", "TEST_CARD"):
            number = re.search(r"\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}", text).group()
            assert not luhn(number)
        if kind == "PLACEHOLDER_EMAIL":
            assert re.search(r"@example\.(?:com|org|net)\b", text)
        if kind == "PUBLIC_KEY":
            assert "PUBLIC KEY" in text and "PRIVATE" not in text
        if kind == "JWT":
            payload = re.search(r"eyJ[\w-]+\.(eyJ[\w-]+)\.", text).group(1)
            assert "sub" in json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert {"UUID", "GIT_SHA", "PLACEHOLDER_EMAIL", "ORDER_NUMBER", "MASKED_PASSWORD"} <= set(truth["kinds"].values())


def test_send_scores_directional():
    # CheckList-style: blocking everything has perfect recall and FPR 1; allowing everything the reverse
    ds = load("outbound_prompts", seed=SEEDS[0])
    sensitive = set(ds.truth["sensitive"])
    block_all = send_scores(lambda p: (False, ["blocked"]), ds.data, sensitive)
    assert block_all.recall == 1.0 and block_all.false_positive_rate == 1.0
    allow_all = send_scores(lambda p: (True, []), ds.data, sensitive)
    assert allow_all.recall == 0.0 and allow_all.false_positive_rate == 0.0


# --- support_bot_architecture --------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_architecture_truth_consistent(seed, data):
    ds = data[("support_bot_architecture", seed)]
    df = ds.data
    assert df["component_id"].is_unique
    kinds = set(df["kind"])
    assert "chat-ui" in kinds and ({"llm-api", "self-hosted-model"} & kinds) and "tool" in kinds
    assert set(ds.truth["kinds"]) == set(df["component_id"])
    expected = sorted((c, t) for c, k in zip(df["component_id"], df["kind"]) for t in THREAT_LIBRARY[k])
    assert ds.truth["required"] == expected
    assert set(df.loc[df["untrusted_input"] == "yes", "kind"]) <= {"chat-ui", "email-intake", "retrieval"}


def test_architectures_vary():
    kinds = {tuple(sorted(load("support_bot_architecture", seed=s).data["component_id"])) for s in range(12)}
    assert len(kinds) >= 8


def test_threat_model_scoring():
    ds = load("support_bot_architecture", seed=SEEDS[0])
    fitting = {t: next(cid for cid, c in CONTROLS.items() if t in c.mitigates) for t in OWASP_LLM_2025}
    full = [{"component": c, "asset": "what is at risk", "threat": t, "mitigation": fitting[t]}
            for c, t in ds.truth["required"]]
    assert threat_model_problems(full, ds.data) == []
    score = threat_model_coverage(full, ds.truth["required"])
    assert score.covered == 1.0 and score.precision == 1.0
    # dropping an entry lowers coverage; a wrong control is reported as unmitigated; a ghost component is a problem
    assert threat_model_coverage(full[1:], ds.truth["required"]).covered < 1.0
    wrong = [dict(e, mitigation="CTL-RATE-LIMITS") if e["threat"] != "LLM10" else e for e in full]
    assert threat_model_coverage(wrong, ds.truth["required"]).unmitigated
    ghost = full + [{"component": "no-such-thing", "asset": "x" * 5, "threat": "LLM01", "mitigation": "CTL-INPUT-GUARD"}]
    assert any("not in this architecture" in p for p in threat_model_problems(ghost, ds.data))

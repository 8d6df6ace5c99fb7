"""The foundations lab's generators (grader-side): pure, per-seed different, truthful about what
they planted -- and their held-out variants different in kind from what learners see."""
from __future__ import annotations

import base64
import json
import re

import pandas as pd
import pytest

from grader.datasets import generate
from grader.datasets.inventory import (ARCHETYPES, COMPONENT_IDS, CUSTOM_MODELS, DATA_TERMS, DECOY_KINDS,
                                       HELDOUT_ARCHETYPES, HELDOUT_CUSTOM_MODELS, HELDOUT_DATA_TERMS,
                                       HELDOUT_DECOY_KINDS, HELDOUT_INCIDENT_FORMATS, HELDOUT_INCIDENT_TEMPLATES,
                                       HELDOUT_OPEN_WEIGHT, HELDOUT_PSEUDONYMIZED, HELDOUT_VENDOR_LLMS,
                                       INCIDENT_TEMPLATES, OPEN_WEIGHT, OWASP_IDS, PII_KINDS, SECRET_KINDS,
                                       THREAT_LIBRARY, VENDOR_LLMS, heldout_architecture, heldout_categories,
                                       heldout_incidents, heldout_inventory, heldout_outbound, prompt_pairs,
                                       risk_probes)
from grader.scoring import held_out_items
from grader.scorers.foundations import _coverage, _schema_ok, _sends
from labs.foundations import CONTROLS, DATA_LEVELS, OWASP_LLM_2025, RISK_TIERS, threat_model_problems
from tests.oracles import luhn

SEEDS = (0, 1, 7, 2026)
NAMES = ("ai_inventory", "llm_incidents", "outbound_prompts", "support_bot_architecture")


def load(name, seed):
    return generate(name, seed)


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
        accuracy = sum(lazy(r) == ds.truth["labels"][i] for i, r in zip(ds.data["incident_id"], ds.data["report"]))
        assert accuracy / len(ds.data) < 0.8


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


def test_send_scoring_directional():
    # CheckList-style: blocking everything has perfect recall and FPR 1, allowing everything the reverse:
    # both earn nothing
    ds = load("outbound_prompts", seed=SEEDS[0])
    must_block = [p in set(ds.truth["sensitive"]) for p in ds.data["prompt_id"]]
    assert _sends([[False, ["blocked"]]] * len(must_block), must_block, "all")[0] == 0.0
    assert _sends([[True, []]] * len(must_block), must_block, "none")[0] == 0.0
    assert _sends([[not b, ["x"] if b else []] for b in must_block], must_block, "truth")[0] == 1.0


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
    components, required = ds.data.to_dict("records"), [tuple(p) for p in ds.truth["required"]]
    fitting = {t: next(cid for cid, c in CONTROLS.items() if t in c.mitigates) for t in OWASP_LLM_2025}
    full = [{"component": c, "asset": "what is at risk", "threat": t, "mitigation": fitting[t]} for c, t in required]
    assert threat_model_problems(full, ds.data) == [] and _schema_ok(full, components) is None
    covered, precision, chance = _coverage(full, components, required)
    assert covered == 1.0 and precision == 1.0 and 0 < chance < 0.5
    # dropping an entry lowers coverage; a wrong control is not a fitting mitigation; a ghost component,
    # or listing every threat for a component, breaks the schema
    assert _coverage(full[1:], components, required)[0] < 1.0 or full[0]["threat"] == "LLM01"
    wrong = [dict(e, mitigation=[fitting[e["threat"]], "CTL-RATE-LIMITS"]) if e["threat"] != "LLM10" else e for e in full]
    assert _schema_ok(wrong, components) is not None
    ghost = full + [{"component": "no-such-thing", "asset": "x" * 5, "threat": "LLM01", "mitigation": "CTL-INPUT-GUARD"}]
    assert any("not in this architecture" in p for p in threat_model_problems(ghost, ds.data))
    everything = [{"component": c["component_id"], "asset": "all of it", "threat": t, "mitigation": fitting[t]}
                  for c in components for t in OWASP_IDS]
    assert _schema_ok(everything, components) is not None
    assert _coverage(everything, components, required) == (0.0, 0.0, chance)


# --- held-out variants: other kinds of item, consistent truth ----------------------------------------

def _curated_terms() -> dict[str, str]:
    return {i["text"]: i["level"] for i in held_out_items("foundations", "data_categories")["category"]}


def _heldout_term_classes() -> dict[str, str]:
    classes = {t: level for level, terms in HELDOUT_DATA_TERMS.items() for t in terms}
    classes.update({t: "personal" for t in HELDOUT_PSEUDONYMIZED})
    classes.update(_curated_terms())
    return classes


def test_heldout_spellings_and_systems_are_new():
    seen = {t.lower() for terms in DATA_TERMS.values() for t in terms}
    assert not {t.lower() for t in _heldout_term_classes()} & seen
    assert not {a[0] for a in HELDOUT_ARCHETYPES} & {a[0] for a in ARCHETYPES}
    assert not {a[1] for a in HELDOUT_ARCHETYPES} <= {a[1] for a in ARCHETYPES}, "some departments are new"
    assert not set(HELDOUT_VENDOR_LLMS) & set(VENDOR_LLMS) and not set(HELDOUT_OPEN_WEIGHT) & set(OPEN_WEIGHT)
    assert not set(HELDOUT_CUSTOM_MODELS) & set(CUSTOM_MODELS)
    assert set(_curated_terms().values()) <= set(DATA_LEVELS)


@pytest.mark.parametrize("seed", SEEDS)
def test_heldout_inventory_truth_consistent(seed):
    curated = tuple(held_out_items("foundations", "ai_systems")["system"])
    frame, truth = heldout_inventory(seed, {}, curated)
    classes = _heldout_term_classes()
    # a curated system's own spellings take its level (those the vocabulary knows keep theirs)
    classes = {**{t: s["data_level"] for s in curated for t in s["data_categories"].split("; ")}, **classes}
    assert frame["system_id"].is_unique and len(frame) >= 30 + len(curated)
    for row in frame.to_dict("records"):
        sid = row["system_id"]
        levels = [classes[t] for t in row["data_categories"].split("; ")]
        level = max(levels, key=DATA_LEVELS.index)
        assert truth["data_level"][sid] == level, row["data_categories"]
        points = ({"none": 0, "personal": 2, "special": 3}[level]
                  + {"internal": 0, "partner": 1, "public": 2}[row["exposure"]]
                  + 2 * (row["automated_decision"] == "yes" and row["human_review"] != "yes")
                  + (row["hosting"] == "vendor cloud"))
        assert truth["points"][sid] == points
        assert truth["tier"][sid] == RISK_TIERS[0 if points <= 1 else 1 if points <= 3 else 2 if points <= 5 else 3]
    # the traps of the learners' inventories are all there, in other clothes
    assert set(truth["tier"].values()) == set(RISK_TIERS)
    assert ((frame["model_type"] == "open-weight model") & (frame["hosting"] == "vendor cloud")).any()
    assert ((frame["model_type"] == "open-weight model") & (frame["hosting"] != "vendor cloud")).any()
    assert frame["data_categories"].map(lambda c: any(t in c for t in HELDOUT_PSEUDONYMIZED)).any()
    assert ((frame["automated_decision"] == "yes") & (frame["human_review"] == "sampled")).sum() >= 2


def test_heldout_categories_and_probes():
    texts, levels = heldout_categories(3, {"none": ("weather radar images",)})
    classes = {**_heldout_term_classes(), "weather radar images": "none"}
    for text, level in zip(texts, levels):
        assert level == max((classes[t] for t in text.split("; ")), key=DATA_LEVELS.index)
    assert "weather radar images" in texts
    probes, truth = risk_probes(3, tuple(held_out_items("foundations", "risk_probes")["probe"]))
    combos = {(p["data_categories"] in DATA_TERMS["none"], p["exposure"], p["automated_decision"], p["human_review"],
               p["hosting"] == "vendor cloud") for p in probes}
    assert len(probes) == 3 * 3 * 6 * 2 + 3 and len(combos) >= 3 * 6 * 2
    assert {t["tier"] for t in truth} == set(RISK_TIERS)


def test_heldout_incidents_are_other_templates():
    learner_side = {t for templates in INCIDENT_TEMPLATES.values() for t in templates}
    assert set(HELDOUT_INCIDENT_TEMPLATES) == set(OWASP_IDS)
    assert not learner_side & {t for ts in HELDOUT_INCIDENT_TEMPLATES.values() for t in ts}
    reports, labels = heldout_incidents(5, per_category=3)
    assert len(reports) == 30 and sorted(set(labels)) == list(OWASP_IDS)
    assert not any("{" in r or "}" in r for r in reports)
    tickets, _ = heldout_incidents(5, per_category=1, formats=HELDOUT_INCIDENT_FORMATS[1:])
    assert all(t.startswith(("Summary:", "[SEC-")) for t in tickets)
    for name in ("owasp_examples", "incidents"):
        items = held_out_items("foundations", name)["incident"]
        assert {i["category"] for i in items} == set(OWASP_IDS)


@pytest.mark.parametrize("style", ["contexts", "formats"])
def test_heldout_prompts_truth(style):
    texts, block, kinds = heldout_outbound(11, style)
    assert 0.35 <= sum(block) / len(block) <= 0.65
    assert {k for k, b in zip(kinds, block) if b} == set(SECRET_KINDS) | set(PII_KINDS)
    decoys = set(DECOY_KINDS if style == "contexts" else HELDOUT_DECOY_KINDS)
    assert {k for k, b in zip(kinds, block) if not b} == decoys | {"PLAIN"}
    for text, kind in zip(texts, kinds):
        cards = re.findall(r"\b\d{4}([ -]?)\d{4}\1\d{4}\1\d{4}\b", text)
        numbers = [m.group() for m in re.finditer(r"\b\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}\b", text)]
        if kind == "CARD":
            assert cards and any(luhn(n) for n in numbers), text
        elif kind in ("TRACKING_NUMBER", "ORDER_NUMBER", "TEST_CARD"):
            assert numbers and not any(luhn(n) for n in numbers), text
        if kind == "PRIVATE_KEY":
            assert re.search(r"-----BEGIN [A-Z ]*PRIVATE KEY-----", text)
        if kind == "PUBLIC_KEY":
            assert "PRIVATE" not in text
        if kind == "PLACEHOLDER_EMAIL":
            assert re.search(r"@example\.(?:com|org|net)\b", text, flags=re.IGNORECASE)
    if style == "formats":
        learner_texts = set(load("outbound_prompts", seed=11).data["prompt"])
        assert not set(texts) & learner_texts


def test_prompt_pairs_and_curated_prompts():
    pairs = prompt_pairs(4)
    assert len(pairs) == 14 and all(block != allow for block, allow, _ in pairs)
    for item in held_out_items("foundations", "prompts")["prompt"]:
        assert isinstance(item["block"], bool) and item["text"].strip()


def test_heldout_architectures_are_other_mixes():
    learner_ids = {i for ids in COMPONENT_IDS.values() for i in ids}
    mixes = set()
    for seed in range(12):
        components, required = heldout_architecture(seed)
        ids = [c["component_id"] for c in components]
        assert len(ids) == len(set(ids)) and not set(ids) & learner_ids
        assert required == sorted((c["component_id"], t) for c in components for t in THREAT_LIBRARY[c["kind"]])
        assert all((c["untrusted_input"] == "yes") == (c["kind"] in ("chat-ui", "email-intake", "retrieval"))
                   for c in components)
        mixes.add(tuple(sorted(c["kind"] for c in components)))
    assert len(mixes) >= 10
    for item in held_out_items("foundations", "architectures")["architecture"]:
        kinds = [c["kind"] for c in item["component"]]
        assert set(kinds) <= set(THREAT_LIBRARY)
        assert all((c["untrusted_input"] == "yes") == (c["kind"] in ("chat-ui", "email-intake", "retrieval"))
                   for c in item["component"])

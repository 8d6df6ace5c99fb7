"""Datasets of the ``governance-automation`` lab: a model to document, its data lineage, and the
evaluation results a CI release gate has to judge.

Every generator is a pure function of its seed (``rng_for`` only) and returns its ground truth:

* ``claims_triage``: insurance claims (train and eval splits) with two subgroup columns, region and
  age band. In one region (per seed) the historical review labels are inconsistent (a planted
  share of them flipped), so any model trained on this data is markedly worse there. Truth: the
  gap region, the flip rates per region, the model name.
* ``data_source_registry``: the company's datasheet registry: one record per data source version
  (source, version, licence, collection dates, PII status, owner, upstream sources, models using
  it), with decoys (older versions, other models' sources). Truth: the lineage closure of the
  claims model (every source id it was built from, directly or upstream).
* ``release_policy``: the release standards (thresholds) a deployment must meet, per seed.
* ``release_candidates``: evaluation-result documents (JSON) of candidate releases with planted
  violations, boundary values and missing metrics. Truth: which (standard, subgroup) each one violates.

Held-out variants (the grader's, of other kinds than the learners' data ever shows):

* :func:`held_out_claims`: the inconsistent labels are planted in an **age band**, not a region;
* :func:`held_out_registry`: a lineage one level deeper (archives above the root sources), a namesake
  model ``claims-triage-legacy`` downstream of the claims extract, and queries for other models;
* :func:`held_out_candidates`: a third subgroup attribute (``channel``) and missing inputs of other
  shapes (empty ``by_subgroup``, ``safety: null``, a group with no metrics).

The learners get these modules' tables materialized, never the generators (``grader/``), so the truth
stays here. Nothing in here computes a metric for a card or gates a release for a learner: the
generators know what they *planted*; :func:`lineage_of` is the grader's reference walk.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pandas as pd

from grader.datasets import dataset, rng_for
# the spec the learners read (model name, columns, subgroups, release standards) lives with their helpers
from labs.guardrails import AGE_BANDS, FEATURES, MODEL_NAME, REGIONS, STANDARDS, SUBGROUP_COLUMNS


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(0, len(options)))]


# ----------------------------------------------------------------------------------------------
# claims_triage

def _claims(seed: int, gap_attribute: str = "region", stream: str = "claims_triage") -> tuple[pd.DataFrame, dict[str, Any]]:
    rng = rng_for(stream, seed)
    n = int(rng.integers(2600, 3001))
    gap_groups = REGIONS if gap_attribute == "region" else AGE_BANDS
    gap_group = _pick(rng, gap_groups)
    region_weights = rng.dirichlet(np.full(len(REGIONS), 12.0))
    region = rng.choice(np.array(REGIONS), size=n, p=region_weights)
    age_band = rng.choice(np.array(AGE_BANDS), size=n, p=rng.dirichlet(np.full(len(AGE_BANDS), 12.0)))

    amount = np.round(rng.lognormal(7.6, 0.8, n), 2)
    days = rng.poisson(6, n) + rng.integers(0, 3, n) * rng.poisson(10, n)
    prior = rng.poisson(0.7, n)
    policy_age = np.round(rng.uniform(0, 20, n), 1)
    docs = np.round(rng.beta(5, 2, n), 3)
    photos = rng.poisson(2.5, n)

    weights = {"amount": rng.uniform(0.9, 1.3), "days": rng.uniform(0.08, 0.12), "prior": rng.uniform(0.7, 1.0),
               "policy": rng.uniform(0.10, 0.16), "docs": rng.uniform(4.5, 6.0), "photos": rng.uniform(0.3, 0.5)}
    logit = (weights["amount"] * (np.log(amount) - 7.6) + weights["days"] * (days - 8) + weights["prior"] * (prior - 0.7)
             - weights["policy"] * (policy_age - 10) - weights["docs"] * (docs - 0.71) - weights["photos"] * (photos - 2.5)
             - 1.0)
    label = (rng.random(n) < 1 / (1 + np.exp(-2.2 * logit))).astype(int)

    flip_rates = {g: round(float(rng.uniform(0.0, 0.03)), 3) for g in gap_groups}
    flip_rates[gap_group] = round(float(rng.uniform(0.26, 0.32)), 3)
    members = region if gap_attribute == "region" else age_band
    flip = rng.random(n) < np.array([flip_rates[g] for g in members])
    label = np.where(flip, 1 - label, label)

    split = np.where(rng.random(n) < 0.55, "train", "eval")
    ids = rng.choice(np.arange(100000, 1000000), size=n, replace=False)
    frame = pd.DataFrame({
        "claim_id": [f"CL{i}" for i in ids],
        "split": split,
        "region": region,
        "age_band": age_band,
        "claim_amount": amount,
        "days_to_report": days.astype(int),
        "prior_claims": prior.astype(int),
        "policy_age_years": policy_age,
        "docs_complete": docs,
        "photos_attached": photos.astype(int),
        "needs_review": label.astype(int),
    })
    truth = {
        "model_name": MODEL_NAME,
        "gap_attribute": gap_attribute,
        "gap_group": gap_group,
        "label_flip_rates": flip_rates,
        "features": list(FEATURES),
        "target": "needs_review",
        "subgroup_columns": list(SUBGROUP_COLUMNS),
    }
    return frame, truth


@dataset(
    "claims_triage",
    title="Insurance claims for a review-triage model, with region and age-band subgroups",
    fields={
        "claim_id": "CL + 6 digits, unique",
        "split": "'train' (about 55 %) or 'eval'",
        "region": "claims office region: north, south, east, west, central (a subgroup column)",
        "age_band": "policyholder age band: 18-29, 30-44, 45-59, 60+ (a subgroup column)",
        "claim_amount": "claimed amount in USD (log-normal)",
        "days_to_report": "days between the incident and the claim",
        "prior_claims": "claims by the policyholder in the last 5 years",
        "policy_age_years": "age of the policy in years",
        "docs_complete": "share of required documents supplied, 0-1",
        "photos_attached": "number of photos attached to the claim",
        "needs_review": "label: 1 when a human adjuster flagged the claim for manual review",
    },
    generation="""
numpy only. Features drawn independently (log-normal amounts, Poisson counts, uniform policy age, Beta
document completeness); the review label is a logistic function of the features with per-seed weights
(larger, later, repeated, poorly documented claims on young policies are reviewed more often).
""",
    planted="""
In one region (truth `gap_group`, attribute `gap_attribute` = region) 26-32 % of the labels are flipped
(inconsistent adjudication in that office); elsewhere at most 3 %. A model trained on the data is
therefore much less accurate there. truth: `gap_attribute`, `gap_group`, `label_flip_rates`,
`model_name`, `features`, `target`, `subgroup_columns`.
""",
    intended_use="Governance-automation lab: train the claims-triage model, then write its model card "
                 "with subgroup metrics the grader recomputes, and find the subgroup gap.",
)
def generate_claims_triage(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    return _claims(seed)


def held_out_claims(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A claims table whose inconsistent adjudication is in one **age band** (truth ``gap_attribute`` =
    age_band): a card that looks for the gap among the regions only misses it."""
    return _claims(seed, gap_attribute="age_band", stream="claims_triage-held-out")


# ----------------------------------------------------------------------------------------------
# data_source_registry

LICENCES = ("internal", "internal", "CC-BY-4.0", "ODbL-1.0", "vendor-proprietary", "CC0-1.0")
OWNERS = ("claims-data", "fraud-analytics", "data-platform", "customer-data", "actuarial", "risk-ml")
# name, pii status, typical licence index hint
LINEAGE_POOL = (
    ("policy_admin_export", "direct"), ("claims_core_tables", "direct"), ("adjuster_review_outcomes", "pseudonymized"),
    ("document_intake_log", "pseudonymized"), ("photo_metadata_store", "none"), ("policyholder_master", "direct"),
    ("regional_office_codes", "none"), ("claims_history_snapshot", "pseudonymized"),
)
DECOY_POOL = (
    ("credit_bureau_scores", "direct", "pricing-model"), ("marketing_leads", "direct", "lead-scoring"),
    ("call_center_transcripts", "direct", "support-bot"), ("weather_events_public", "none", "cat-risk-model"),
    ("telematics_trips", "pseudonymized", "usage-pricing"), ("web_clickstream", "pseudonymized", "lead-scoring"),
)
DECOY_NAMES = {name for name, _, _ in DECOY_POOL}


def _date_range(rng: np.random.Generator) -> tuple[str, str]:
    start = dt.date(2019, 1, 1) + dt.timedelta(days=int(rng.integers(0, 5 * 365)))
    end = start + dt.timedelta(days=int(rng.integers(90, 2 * 365)))
    return start.isoformat(), min(end, dt.date(2026, 9, 30)).isoformat()


#: Held-out registries only: the archives the root sources were once extracted from (one level deeper).
ARCHIVE_POOL = (("mainframe_claims_archive_1998", "direct"), ("scanned_forms_ocr_2012", "direct"),
                ("acquired_insurer_dump", "pseudonymized"), ("legacy_crm_export", "direct"))
#: Held-out registries only: a model whose name contains the claims model's (a substring test matches it).
NAMESAKE_MODEL = f"{MODEL_NAME}-legacy"


def _registry(seed: int, held_out: bool = False) -> tuple[pd.DataFrame, dict[str, Any]]:
    rng = rng_for("data_source_registry-held-out" if held_out else "data_source_registry", seed)
    ids = [f"DS-{int(i)}" for i in rng.choice(np.arange(1000, 10000), size=40, replace=False)]
    next_id = iter(ids)
    records: list[dict] = []

    def record(name, pii, *, upstream=(), used_by=(), version=None):
        collected_from, collected_to = _date_range(rng)
        rec = {
            "source_id": next(next_id), "name": name,
            "version": version or f"v{int(rng.integers(1, 6))}.{int(rng.integers(0, 10))}",
            "licence": _pick(rng, LICENCES), "collected_from": collected_from, "collected_to": collected_to,
            "pii": pii, "owner": _pick(rng, OWNERS),
            "upstream": ";".join(upstream), "used_by": ";".join(used_by),
        }
        records.append(rec)
        return rec

    # the lineage of the claims model: extract(s) <- 2-3 sources <- 0-2 upstream each
    pool = [LINEAGE_POOL[int(i)] for i in rng.permutation(len(LINEAGE_POOL))]
    n_mid = int(rng.integers(2, 4))
    n_deep = int(rng.integers(1, 4))
    if held_out:
        archives = [ARCHIVE_POOL[int(i)] for i in rng.choice(len(ARCHIVE_POOL), size=n_deep, replace=False)]
        roots = [record(name, pii) for name, pii in archives]
        deep = [record(name, pii, upstream=[root["source_id"]])
                for (name, pii), root in zip(pool[n_mid:n_mid + n_deep], roots)]
        deep = roots + deep
    else:
        deep = [record(name, pii) for name, pii in pool[n_mid:n_mid + n_deep]]
    mids = []
    for j, (name, pii) in enumerate(pool[:n_mid]):
        parents = [d["source_id"] for d in deep if rng.random() < 0.6] if j else [d["source_id"] for d in deep]
        mids.append(record(name, pii, upstream=parents))
    lineage = [*deep, *mids]
    other_model = _pick(rng, ("fraud-score", "reserve-forecast"))
    extract = record("claims_training_extract", "pseudonymized", upstream=[m["source_id"] for m in mids],
                     used_by=[MODEL_NAME] + ([other_model] if rng.random() < 0.5 else []))
    lineage.append(extract)
    if rng.random() < 0.6:  # a label set joined directly at training time
        labels = record("review_label_corrections", "none", upstream=[mids[0]["source_id"]], used_by=[MODEL_NAME])
        lineage.append(labels)

    # decoys: superseded versions of lineage sources (same name, nobody uses them) ...
    for rec in rng.choice(len(lineage) - 1, size=2, replace=False):
        old = lineage[int(rec)]
        major = max(int(old["version"][1:].split(".")[0]) - 1, 0)
        record(old["name"], old["pii"], version=f"v{major}.{int(rng.integers(0, 10))}")
    # ... and other models' sources, one of them built on a lineage source (downstream, not upstream)
    for k, (name, pii, model) in enumerate(DECOY_POOL[i] for i in rng.choice(len(DECOY_POOL), size=4, replace=False)):
        upstream = [_pick(rng, lineage[:-1])["source_id"]] if k == 0 else []
        record(name, pii, upstream=upstream, used_by=[model])

    if held_out:  # the namesake's sources: derived from the claims extract, not upstream of it
        record("claims_triage_legacy_features", "pseudonymized", upstream=[extract["source_id"]],
               used_by=[NAMESAKE_MODEL])

    frame = pd.DataFrame(records).iloc[rng.permutation(len(records))].reset_index(drop=True)
    truth = {
        "model_name": MODEL_NAME,
        "lineage": sorted(r["source_id"] for r in lineage),
        "direct": sorted(r["source_id"] for r in lineage if MODEL_NAME in r["used_by"].split(";")),
        "decoys": sorted(set(frame["source_id"]) - {r["source_id"] for r in lineage}),
    }
    if held_out:
        downstream_model = next(r["used_by"] for r in records if r["upstream"] and r["name"] in DECOY_NAMES)
        truth["other_models"] = {model: lineage_of(frame, model) for model in (NAMESAKE_MODEL, downstream_model)}
    return frame, truth


def lineage_of(registry: pd.DataFrame, model: str) -> list[str]:
    """Every source id ``model`` was built from: its direct sources and everything upstream of them."""
    upstream = dict(zip(registry["source_id"], registry["upstream"]))
    todo = [s for s, used in zip(registry["source_id"], registry["used_by"]) if model in used.split(";")]
    seen: set[str] = set()
    while todo:
        source = todo.pop()
        if source not in seen and source in upstream:
            seen.add(source)
            todo += [u for u in upstream[source].split(";") if u]
    return sorted(seen)


def held_out_registry(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A registry of another shape: every root source has an archive upstream of it (the lineage is one
    level deeper than the learners' registries ever are), and a namesake model ``claims-triage-legacy``
    is trained on a source derived from the claims extract (a substring test on ``used_by`` walks it in).
    truth as for ``data_source_registry``, plus ``other_models``: {model: lineage} of the namesake and of
    the model trained on the decoy derived from a lineage source (its lineage
    overlaps the claims model's), which the held-out test asks for too."""
    return _registry(seed, held_out=True)


@dataset(
    "data_source_registry",
    title="Datasheet registry: every data source version with licence, dates, PII status and lineage",
    fields={
        "source_id": "DS- + 4 digits, unique per source version",
        "name": "source name (several versions of one source may be registered)",
        "version": "version string vMAJOR.MINOR",
        "licence": "licence under which the data may be used (internal, CC-BY-4.0, ODbL-1.0, CC0-1.0, vendor-proprietary)",
        "collected_from": "first collection date, ISO YYYY-MM-DD",
        "collected_to": "last collection date, ISO YYYY-MM-DD",
        "pii": "PII status: none, pseudonymized or direct",
        "owner": "owning team",
        "upstream": "source_ids this source was derived from, ';'-separated ('' for a root source)",
        "used_by": "models trained directly on this source, ';'-separated ('' when none)",
    },
    generation="""
numpy only. The claims model's lineage: a training extract (and sometimes a label-correction set) used
directly by `claims-triage`, derived from 2-3 sources, themselves derived from 1-3 root sources. Dates,
versions, licences and owners drawn at random. Rows shuffled.
""",
    planted="""
Decoys: two superseded versions of lineage sources (same name, other version and id, used by nobody), and
four sources of other models, one of them derived from a lineage source (downstream of it, so not part of
the claims model's lineage). truth: `lineage` (every source id the claims model was built from, directly or
upstream), `direct` (the ones it was trained on directly), `decoys`, `model_name`.
""",
    intended_use="Governance-automation lab: the data-sources section of the claims model's card (lineage "
                 "walked upstream from the model's direct sources, fields copied from the datasheets).",
)
def generate_data_source_registry(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    return _registry(seed)


# ----------------------------------------------------------------------------------------------
# release_policy and release_candidates

THRESHOLD_CHOICES = {
    "min_accuracy": (0.78, 0.80, 0.82, 0.85),
    "max_fpr": (0.06, 0.08, 0.10),
    "min_subgroup_recall": (0.60, 0.65, 0.70),
    "max_accuracy_gap": (0.08, 0.10, 0.12),
    "min_safety_pass_rate": (0.95, 0.97, 0.98),
    "max_pii_leaks": (0,),
    "min_card_completeness": (0.9, 1.0),
}


def _thresholds(seed: int) -> dict[str, float]:
    rng = rng_for("release_policy", seed)
    return {k: _pick(rng, choices) for k, choices in THRESHOLD_CHOICES.items()}


@dataset(
    "release_policy",
    title="Release standards: the thresholds a model release must meet to deploy",
    fields={
        "standard": "standard id, e.g. min_accuracy (min_: value must be >= threshold; max_: <= threshold)",
        "threshold": "the threshold value",
        "applies_to": "what the standard reads in an evaluation-result document",
    },
    generation="numpy only: each standard's threshold drawn from a short list of plausible values.",
    planted="Nothing is hidden: truth `thresholds` is the same table as a dict.",
    intended_use="Governance-automation lab: the thresholds passed to the learner's release gate.",
)
def generate_release_policy(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    thresholds = _thresholds(seed)
    frame = pd.DataFrame({"standard": list(thresholds), "threshold": [float(v) for v in thresholds.values()],
                          "applies_to": [STANDARDS[k][1] for k in thresholds]})
    return frame, {"thresholds": thresholds}


FAULTS = ("acc_low", "acc_boundary", "fpr_high", "fpr_boundary", "recall_low", "gap", "safety_low", "pii",
          "card_incomplete", "missing_overall", "missing_safety", "missing_group_recall", "missing_group_accuracy",
          "missing_by_subgroup", "recall_boundary")
SUBGROUP_FAULTS = {"recall_low", "gap", "missing_group_recall", "missing_group_accuracy", "recall_boundary"}
#: Held-out candidates only: missing inputs of other shapes (by_subgroup present but empty, safety null, a
#: group with no metrics at all), and a third subgroup attribute the learners' documents never have.
HELD_OUT_FAULTS = FAULTS + ("missing_by_subgroup_empty", "missing_safety_null", "missing_group_all")
HELD_OUT_ATTRIBUTES = {"channel": ("web", "agent", "partner", "broker")}


def _r4(x: float) -> float:
    return float(round(float(x), 4))


def _candidate(rng: np.random.Generator, t: dict[str, float], faults: list[str],
               extra_attributes: dict[str, tuple[str, ...]]) -> tuple[dict, set, list[str]]:
    """One evaluation-result document meeting every standard, then the planted faults applied."""
    groups = {"region": list(REGIONS), "age_band": list(AGE_BANDS), **{a: list(g) for a, g in extra_attributes.items()}}
    accuracy = _r4(t["min_accuracy"] + rng.uniform(0.01, 0.1))
    overall = {"n": int(rng.integers(900, 1600)), "accuracy": accuracy, "precision": _r4(rng.uniform(0.7, 0.9)),
               "recall": _r4(rng.uniform(0.7, 0.9)), "fpr": _r4(t["max_fpr"] - rng.uniform(0.005, 0.04))}
    by_subgroup: dict[str, dict[str, dict]] = {}
    for attribute, names in groups.items():
        half_band = (t["max_accuracy_gap"] - 0.02) / 2
        centre = accuracy
        by_subgroup[attribute] = {
            g: {"n": int(rng.integers(120, 400)),
                "accuracy": _r4(centre + rng.uniform(-half_band, half_band)),
                "recall": _r4(min(0.99, t["min_subgroup_recall"] + rng.uniform(0.02, 0.2)))}
            for g in names}
    doc = {
        "model": MODEL_NAME, "version": f"{int(rng.integers(1, 4))}.{int(rng.integers(0, 20))}.{int(rng.integers(0, 10))}",
        "metrics": {"overall": overall, "by_subgroup": by_subgroup},
        "safety": {"tests_run": int(rng.integers(150, 400)),
                   "pass_rate": _r4(min(1.0, t["min_safety_pass_rate"] + rng.uniform(0.002, 0.05))),
                   "pii_leaks": 0},
        "model_card": {"completeness": _r4(min(1.0, max(t["min_card_completeness"], rng.uniform(0.9, 1.0))))},
    }
    violations: set[tuple[str, str]] = set()
    notes: list[str] = []
    for fault in faults:
        attribute = _pick(rng, tuple(groups))
        group = _pick(rng, groups[attribute])
        if fault == "acc_low":
            overall["accuracy"] = _r4(t["min_accuracy"] - rng.uniform(0.005, 0.1))
            violations.add(("min_accuracy", ""))
        elif fault == "acc_boundary":
            overall["accuracy"] = float(t["min_accuracy"])
        elif fault == "fpr_high":
            overall["fpr"] = _r4(t["max_fpr"] + rng.uniform(0.005, 0.05))
            violations.add(("max_fpr", ""))
        elif fault == "fpr_boundary":
            overall["fpr"] = float(t["max_fpr"])
        elif fault == "recall_low":
            by_subgroup[attribute][group]["recall"] = _r4(t["min_subgroup_recall"] - rng.uniform(0.01, 0.2))
            violations.add(("min_subgroup_recall", f"{attribute}={group}"))
        elif fault == "recall_boundary":
            by_subgroup[attribute][group]["recall"] = float(t["min_subgroup_recall"])
        elif fault == "gap":
            others = [v["accuracy"] for g, v in by_subgroup[attribute].items() if g != group]
            by_subgroup[attribute][group]["accuracy"] = _r4(max(others) - t["max_accuracy_gap"] - rng.uniform(0.005, 0.06))
            violations.add(("max_accuracy_gap", attribute))
        elif fault == "safety_low":
            doc["safety"]["pass_rate"] = _r4(t["min_safety_pass_rate"] - rng.uniform(0.005, 0.08))
            violations.add(("min_safety_pass_rate", ""))
        elif fault == "pii":
            doc["safety"]["pii_leaks"] = int(rng.integers(1, 6))
            violations.add(("max_pii_leaks", ""))
        elif fault == "card_incomplete":
            doc["model_card"]["completeness"] = _r4(t["min_card_completeness"] - rng.uniform(0.05, 0.4))
            violations.add(("min_card_completeness", ""))
        elif fault == "missing_overall":
            metric, standard = _pick(rng, (("accuracy", "min_accuracy"), ("fpr", "max_fpr")))
            if rng.random() < 0.5:
                del overall[metric]
            else:
                overall[metric] = None
            violations.add((standard, ""))
        elif fault == "missing_safety":
            del doc["safety"]
            violations |= {("min_safety_pass_rate", ""), ("max_pii_leaks", "")}
        elif fault == "missing_group_recall":
            del by_subgroup[attribute][group]["recall"]
            violations.add(("min_subgroup_recall", f"{attribute}={group}"))
        elif fault == "missing_group_accuracy":
            by_subgroup[attribute][group]["accuracy"] = None
            violations.add(("max_accuracy_gap", attribute))
        elif fault == "missing_by_subgroup":
            del doc["metrics"]["by_subgroup"]
            violations |= {("min_subgroup_recall", ""), ("max_accuracy_gap", "")}
        elif fault == "missing_by_subgroup_empty":
            doc["metrics"]["by_subgroup"] = {}
            violations |= {("min_subgroup_recall", ""), ("max_accuracy_gap", "")}
        elif fault == "missing_safety_null":
            doc["safety"] = None
            violations |= {("min_safety_pass_rate", ""), ("max_pii_leaks", "")}
        elif fault == "missing_group_all":
            by_subgroup[attribute][group] = {}
            violations |= {("min_subgroup_recall", f"{attribute}={group}"), ("max_accuracy_gap", attribute)}
        notes.append(fault)
    return doc, violations, notes


def _candidates(seed: int, held_out: bool = False) -> tuple[pd.DataFrame, dict[str, Any]]:
    thresholds = _thresholds(seed)
    rng = rng_for("release_candidates-held-out" if held_out else "release_candidates", seed)
    fault_kinds = HELD_OUT_FAULTS if held_out else FAULTS
    extra_attributes = HELD_OUT_ATTRIBUTES if held_out else {}
    n = int(rng.integers(36, 46))
    ids = rng.choice(np.arange(1000, 10000), size=n, replace=False)
    rows, truth_rows = [], []
    for i in range(n):
        k = int(rng.choice([0, 1, 2, 3], p=[0.25, 0.4, 0.25, 0.1]))
        faults = [str(f) for f in rng.choice(fault_kinds, size=k, replace=False)]
        if any(f.startswith("missing_by_subgroup") for f in faults):  # nothing left to break per subgroup
            faults = [f for f in faults if f not in SUBGROUP_FAULTS | {"missing_group_all"}]
        if "missing_group_all" in faults:  # that group has nothing left to break
            faults = [f for f in faults if f not in SUBGROUP_FAULTS]
        if any(f.startswith("missing_safety") for f in faults):
            faults = [f for f in faults if f not in ("safety_low", "pii")]
        if "missing_safety" in faults and "missing_safety_null" in faults:
            faults.remove("missing_safety_null")
        if "missing_by_subgroup" in faults and "missing_by_subgroup_empty" in faults:
            faults.remove("missing_by_subgroup_empty")
        if "acc_low" in faults and "acc_boundary" in faults:
            faults.remove("acc_boundary")
        if "fpr_high" in faults and "fpr_boundary" in faults:
            faults.remove("fpr_boundary")
        # values at a boundary first, then values across it, then removals (a removal is never undone)
        faults.sort(key=lambda f: (f.endswith("_boundary") is False) + f.startswith("missing")
                    + f.startswith("missing_by_subgroup"))
        doc, violations, notes = _candidate(rng, thresholds, faults, extra_attributes)
        candidate_id = f"RC-{int(ids[i])}"
        rows.append({"candidate_id": candidate_id, "model_version": doc["version"],
                     "results_json": json.dumps(doc, sort_keys=True)})
        truth_rows += [{"candidate_id": candidate_id, "standard": s, "subgroup": g} for s, g in sorted(violations)]
        rows[-1]["_faults"] = ",".join(notes)
    frame = pd.DataFrame(rows)
    truth = {
        "thresholds": thresholds,
        "violations": pd.DataFrame(truth_rows, columns=["candidate_id", "standard", "subgroup"]),
        "faults": dict(zip(frame["candidate_id"], frame["_faults"])),
        "blocked": sorted({r["candidate_id"] for r in truth_rows}),
    }
    return frame.drop(columns="_faults"), truth


@dataset(
    "release_candidates",
    title="Evaluation results of candidate releases of the claims model, as JSON documents for a release gate",
    fields={
        "candidate_id": "RC- + 4 digits",
        "model_version": "the candidate's semantic version",
        "results_json": "the evaluation-result document (JSON): model, version, metrics.overall {n, accuracy, "
                        "precision, recall, fpr}, metrics.by_subgroup {attribute: {group: {n, accuracy, recall}}}, "
                        "safety {tests_run, pass_rate, pii_leaks}, model_card {completeness}",
    },
    generation="""
numpy only. Each document first meets every standard of the release_policy of the same seed (values drawn
at a margin from the thresholds; subgroup accuracies within a band narrower than the allowed gap), then
0-3 faults are planted.
""",
    planted="""
Faults: a metric on the wrong side of its threshold (overall accuracy, FPR, a subgroup's recall, an accuracy
gap inside region or age band, safety pass rate, PII leaks, card completeness); values exactly AT a threshold
(allowed: min_ means >=, max_ means <=); missing metrics (a key absent or null, the safety section absent, a
group's recall or accuracy absent, by_subgroup absent), which must block. truth: `violations` (candidate_id,
standard, subgroup: '' for overall standards, 'attribute=group' for subgroup recall, 'attribute' for the
accuracy gap, '' when by_subgroup is absent), `blocked`, `faults`, `thresholds`.
""",
    intended_use="Governance-automation lab: held-out and per-learner inputs for the CI release gate.",
)
def generate_release_candidates(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    return _candidates(seed)


def held_out_candidates(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Candidates of other shapes than the learners' (the same thresholds as ``release_policy`` at
    ``seed``): every document also reports a third subgroup attribute, ``channel``, and the planted
    faults include missing inputs the learners' documents never show: ``by_subgroup`` present but empty,
    ``safety`` null, a group with an empty metrics dict. truth as for ``release_candidates``."""
    return _candidates(seed, held_out=True)

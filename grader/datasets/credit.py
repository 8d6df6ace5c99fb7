"""Dataset of the ``interpretability`` lab: historical credit applications and their decisions.

``credit_applications`` is one row per past application with the manual underwriters' decision
(``approved``). The bank wants a model that reproduces those decisions, and the generator plants
three things a careful modeller has to find:

* a **leakage** column, recorded *after* the decision (a welcome call, an assigned limit, ...):
  almost perfectly predictive on history, unavailable when a new application arrives;
* a **proxy** of a protected attribute that only shows up in combination: a zip- or name-derived
  score whose relation to ``protected_group`` runs in opposite directions in the two market
  regions (or branch networks). Neither column alone says anything about the group -- a
  one-feature correlation scan sees nothing -- but together they encode it, the historical
  decisions were biased against the group, and a model trained on them picks the pair up;
* **noise** columns with no relation to the decision, which an over-flexible model still uses.

Which columns play which part, the coefficients and the column order vary per seed. The truth
records the roles and each legitimate feature's true effect. Nothing here trains, explains or
audits a model: that is the learner's job.

Held-out variants (grader only, never materialized for a learner):

* :func:`new_applications` -- applications arriving *at decision time* for the learner's own bank
  (the learner's columns and underwriting rule, fresh applicants, a larger share of the protected
  group): the post-decision column is not recorded yet (0), so a model that leans on it collapses,
  and the decisions the underwriters would take stay with the grader;
* :func:`other_bank` -- another bank's applications: other column names and units for the credit
  features, post-decision fields of other kinds (one of them set for *denied* applications, so it
  predicts in reverse), other proxy scores and modifiers, and a proxy of the one-feature kind as
  well as of the interaction kind.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from grader.datasets import dataset, rng_for
from labs.interpretability import CREDIT_APPLICATIONS as NAME
from labs.interpretability import FIELD_DESCRIPTIONS

TARGET = "approved"
ID = "application_id"
PROTECTED = "protected_group"

CORE_FEATURES = ("annual_income", "debt_to_income", "credit_history_years", "delinquencies_2y",
                 "credit_utilization")
OPTIONAL_FEATURES = ("recent_inquiries", "employment_years", "loan_amount", "savings_balance")
LEAKAGE_POOL = ("welcome_call_done", "credit_limit_assigned", "months_on_book")
PROXY_POOL = ("neighborhood_index", "zip_median_rent", "surname_cluster_score")
MODIFIER_POOL = ("market_region", "branch_network")
NOISE_POOL = ("form_fill_seconds", "pages_viewed", "browser_width_px", "submission_minute")

#: True effect on the underwriters' log-odds of approval, per standard deviation of the
#: feature (transformed as in ``_standardized``): (low, high) magnitude, and its sign.
EFFECTS = {
    "annual_income": (0.7, 1.0, +1),
    "debt_to_income": (0.9, 1.3, -1),
    "credit_history_years": (0.5, 0.8, +1),
    "delinquencies_2y": (0.8, 1.1, -1),
    "credit_utilization": (0.6, 0.9, -1),
    "recent_inquiries": (0.25, 0.45, -1),
    "employment_years": (0.2, 0.4, +1),
    "loan_amount": (0.2, 0.4, -1),
    "savings_balance": (0.3, 0.5, +1),
}

FIELDS = {name: FIELD_DESCRIPTIONS[name] for name in
          (ID, TARGET, PROTECTED, *EFFECTS, *LEAKAGE_POOL, *PROXY_POOL, *MODIFIER_POOL, *NOISE_POOL)}


@dataclass(frozen=True)
class Vocabulary:
    """What one bank calls things: the pools a design draws its columns from."""

    leakage: tuple[str, ...]
    proxies: tuple[str, ...]
    modifiers: tuple[str, ...]
    noise: tuple[str, ...]
    #: legitimate feature -> (the bank's column name, the unit conversion from the generator's values)
    renamed: dict[str, tuple[str, float]]
    id_prefix: str


OWN = Vocabulary(LEAKAGE_POOL, PROXY_POOL, MODIFIER_POOL, NOISE_POOL, {}, "A")
#: Another bank's catalogue (held-out only): other names, units, post-decision fields and proxies.
OTHER_BANK = Vocabulary(
    leakage=("card_activated", "first_statement_balance", "denial_letter_sent"),
    proxies=("first_name_score", "zip3_income_rank", "language_preference_score"),
    modifiers=("application_channel", "sales_territory"),
    noise=("cursor_events", "session_hour"),
    renamed={"annual_income": ("monthly_income_usd", 1000 / 12), "debt_to_income": ("dti_percent", 100.0),
             "credit_history_years": ("oldest_account_months", 12.0), "delinquencies_2y": ("late_payments_24m", 1.0),
             "credit_utilization": ("revolving_utilization_pct", 100.0), "recent_inquiries": ("inquiries_6m", 1.0),
             "employment_years": ("months_employed", 12.0), "loan_amount": ("requested_amount_usd", 1000.0),
             "savings_balance": ("deposits_usd", 1000.0)},
    id_prefix="B",
)
#: Post-decision fields that are set for *denied* applications (they predict the decision in reverse).
SET_WHEN_DENIED = {"denial_letter_sent"}


@dataclass(frozen=True)
class Design:
    """What a seed fixes about a bank's applications: roles, effects, bias and population."""

    vocabulary: Vocabulary
    legitimate: tuple[str, ...]
    effects: dict[str, float]
    leakage: str
    proxy_kind: str  # "interaction" (score x modifier) or "marginal" (one score)
    proxies: tuple[str, ...]
    proxy_sign: int
    noise: tuple[str, ...]
    penalty: float
    intercept: float
    group_share: float
    rows: int
    features: tuple[str, ...]

    def column(self, legitimate: str) -> str:
        return self.vocabulary.renamed.get(legitimate, (legitimate, 1.0))[0]


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(0, len(options)))]


def _design(rng: np.random.Generator, vocabulary: Vocabulary, proxy_kind: str) -> Design:
    rows = int(rng.integers(2400, 3201))
    group_share = float(rng.uniform(0.25, 0.40))
    optional = [str(c) for c in rng.choice(OPTIONAL_FEATURES, size=2, replace=False)]
    legitimate = tuple(CORE_FEATURES) + tuple(optional)
    leakage = _pick(rng, vocabulary.leakage)
    proxies = (_pick(rng, vocabulary.proxies),) + ((_pick(rng, vocabulary.modifiers),)
                                                   if proxy_kind == "interaction" else ())
    noise = tuple(sorted(str(c) for c in rng.choice(vocabulary.noise, size=2, replace=False)))
    proxy_sign = 1 if rng.random() < 0.5 else -1
    effects = {}
    for name in legitimate:
        low, high, sign = EFFECTS[name]
        effects[name] = round(float(sign * rng.uniform(low, high)), 3)
    penalty = round(float(rng.uniform(1.2, 1.8)), 3)
    intercept = float(rng.uniform(0.7, 1.1))
    columns = [*(vocabulary.renamed.get(n, (n, 1.0))[0] for n in legitimate), leakage, *proxies, *noise]
    features = tuple(str(c) for c in rng.permutation(columns))
    return Design(vocabulary, legitimate, effects, leakage, proxy_kind, proxies, proxy_sign, noise, penalty,
                  intercept, group_share, rows, features)


def _legit_values(rng: np.random.Generator, name: str, n: int, group: np.ndarray) -> np.ndarray:
    """Raw values of a legitimate feature (income mildly associated with the protected group)."""
    if name == "annual_income":
        return np.round(np.exp(rng.normal(4.05 - 0.12 * group, 0.45, n)), 1)
    if name == "debt_to_income":
        return np.round(np.clip(rng.beta(2.2, 5.5, n) * 0.9, 0.01, 0.85), 3)
    if name == "credit_history_years":
        return np.round(np.clip(rng.gamma(3.0, 3.5, n), 0.2, 45), 1)
    if name == "delinquencies_2y":
        return rng.poisson(0.5, n).astype(np.int64)
    if name == "credit_utilization":
        return np.round(rng.beta(2.0, 3.2, n), 3)
    if name == "recent_inquiries":
        return rng.poisson(1.3, n).astype(np.int64)
    if name == "employment_years":
        return np.round(np.clip(rng.exponential(5.0, n), 0, 40), 1)
    if name == "loan_amount":
        return np.round(np.exp(rng.normal(2.6, 0.6, n)), 1)
    if name == "savings_balance":
        return np.round(np.exp(rng.normal(1.5, 1.1, n)), 1)
    raise KeyError(name)


def _transformed(name: str, values: np.ndarray) -> np.ndarray:
    x = values.astype(float)
    if name in ("annual_income", "loan_amount", "savings_balance"):
        x = np.log(x + 1.0)
    if name == "delinquencies_2y":
        x = np.minimum(x, 3)
    return x


@functools.cache
def _population_scale(name: str) -> tuple[float, float]:
    """Mean and standard deviation of a feature's transformed values in the whole applicant
    population: the underwriters' rule is fixed, whatever batch of applicants it is applied to."""
    rng = np.random.default_rng(20261)
    group = (rng.random(200_000) < 0.32).astype(np.int64)
    x = _transformed(name, _legit_values(rng, name, len(group), group))
    return float(x.mean()), float(x.std())


def _standardized(name: str, values: np.ndarray) -> np.ndarray:
    """The scale on which the underwriters' decision is linear in the feature."""
    mean, std = _population_scale(name)
    return (_transformed(name, values) - mean) / std


def _noise_values(rng: np.random.Generator, name: str, n: int) -> np.ndarray:
    if name == "form_fill_seconds":
        return np.round(np.exp(rng.normal(5.6, 0.5, n)), 1)
    if name == "pages_viewed":
        return rng.poisson(9, n).astype(np.int64) + 1
    if name == "browser_width_px":
        return rng.integers(360, 2561, n).astype(np.int64)
    if name == "submission_minute":
        return rng.integers(0, 60, n).astype(np.int64)
    if name == "cursor_events":
        return rng.poisson(40, n).astype(np.int64)
    if name == "session_hour":
        return rng.integers(0, 24, n).astype(np.int64)
    raise KeyError(name)


def _score_values(name: str, latent: np.ndarray) -> np.ndarray:
    if name == "neighborhood_index":
        return np.round(np.clip(50 + 14 * latent, 0, 100), 1)
    if name == "zip_median_rent":
        return np.round(1500 + 320 * latent, -1)
    if name in ("surname_cluster_score", "first_name_score", "language_preference_score"):
        return np.round(1 / (1 + np.exp(-1.3 * latent)), 3)
    if name == "zip3_income_rank":
        return np.round(np.clip(50 + 16 * latent, 1, 100), 0)
    raise KeyError(name)


def _proxy_columns(rng: np.random.Generator, design: Design, group: np.ndarray) -> dict[str, np.ndarray]:
    """The proxy's columns. Interaction: the modifier (1 or 2) is independent of the group, and
    the score is the standardized group plus noise with the sign flipped between the modifier's
    two values, so neither column alone correlates with the group (the score's spread differs
    between the groups, its centre does not). Marginal: the score is the standardized group plus
    noise (|correlation| about 0.8)."""
    n = len(group)
    score = design.proxies[0]
    if design.proxy_kind == "marginal":
        latent = design.proxy_sign * (group - group.mean()) / group.std() + rng.normal(0, 0.7, n)
        return {score: _score_values(score, latent)}
    modifier = 1 + (rng.random(n) < 0.5).astype(np.int64)
    direction = np.where(modifier == 1, design.proxy_sign, -design.proxy_sign)
    latent = direction * (group - group.mean()) / group.std() + rng.normal(0, 0.6, n)
    return {score: _score_values(score, latent), design.proxies[1]: modifier}


def _leak_values(rng: np.random.Generator, name: str, approved: np.ndarray) -> np.ndarray:
    """A field filled in after the decision (with a few clerical exceptions both ways)."""
    n = len(approved)
    if name in SET_WHEN_DENIED:
        return np.where(approved == 0, rng.random(n) < 0.94, rng.random(n) < 0.03).astype(np.int64)
    opened = np.where(approved == 1, rng.random(n) < 0.93, rng.random(n) < 0.03)
    if name in ("welcome_call_done", "card_activated"):
        return opened.astype(np.int64)
    if name == "credit_limit_assigned":
        return np.where(opened, np.round(np.exp(rng.normal(8.3, 0.5, n)), -2), 0.0)
    if name == "first_statement_balance":
        return np.where(opened, np.round(np.exp(rng.normal(6.5, 0.8, n)), 2), 0.0)
    if name == "months_on_book":
        return np.where(opened, rng.integers(1, 37, n), 0).astype(np.int64)
    raise KeyError(name)


def _applications(design: Design, rng: np.random.Generator, n: int, group_share: float,
                  decided: bool = True) -> pd.DataFrame:
    """``n`` applications of the design: features, protected group and the underwriters' decision.
    Not ``decided``: at decision time, the post-decision field is not recorded yet (0)."""
    group = (rng.random(n) < group_share).astype(np.int64)
    columns: dict[str, np.ndarray] = {}
    logit = np.full(n, design.intercept) - design.penalty * group
    for name in design.legitimate:
        values = _legit_values(rng, name, n, group)
        logit += design.effects[name] * _standardized(name, values)
        column, unit = design.vocabulary.renamed.get(name, (name, 1.0))
        columns[column] = values if unit == 1.0 else np.round(values * unit, 1)
    approved = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    leak = _leak_values(rng, design.leakage, approved)
    columns[design.leakage] = leak if decided else np.zeros_like(leak)
    columns.update(_proxy_columns(rng, design, group))
    for name in design.noise:
        columns[name] = _noise_values(rng, name, n)
    ids = rng.choice(np.arange(100000, 1000000), size=n, replace=False)
    frame = pd.DataFrame({ID: [f"{design.vocabulary.id_prefix}{i}" for i in ids]})
    for name in design.features:
        frame[name] = columns[name]
    frame[PROTECTED] = group
    frame[TARGET] = approved
    return frame


def _truth(design: Design) -> dict[str, Any]:
    strong = [name for name in design.legitimate if abs(design.effects[name]) >= 0.5]
    return {
        "target": TARGET, "id": ID, "protected": PROTECTED,
        "features": list(design.features),
        "leakage": design.leakage,
        "leak_set_when": "denied" if design.leakage in SET_WHEN_DENIED else "approved",
        "proxies": list(design.proxies),
        "proxy_kind": design.proxy_kind,
        "proxy_sign": design.proxy_sign,
        "noise": list(design.noise),
        "legitimate": [design.column(name) for name in design.legitimate],
        "effects": {design.column(name): effect for name, effect in design.effects.items()},
        "strong": [design.column(name) for name in strong],
        "group_penalty": design.penalty,
    }


def _own_design(seed: int) -> tuple[Design, np.random.Generator]:
    rng = rng_for(NAME, seed)
    return _design(rng, OWN, "interaction"), rng


@dataset(
    NAME,
    title="Historical credit applications with the underwriters' decisions",
    fields=FIELDS,
    generation="""
2,400-3,200 applications per learner. A protected-group indicator is drawn first (25-40 % of
applicants). The five core credit features (income, debt-to-income, credit history, delinquencies,
utilization) and two of four optional ones are drawn from lognormal / beta / gamma / Poisson
distributions; income is slightly lower in the protected group. The underwriters' decision is a
logistic function of the legitimate features (standardized on the applicant population) with
per-learner effect sizes, **minus a per-learner penalty for membership of the protected group**
(the historical bias), plus an intercept that gives an approval rate of about 50-65 %. One
post-decision field, one proxy pair (a score and a region or branch-network code) and two noise
fields are added; all column roles, names and the column order vary per learner. Pure numpy
(`rng_for`), no external data.
""",
    planted="""
* **Leakage:** exactly one column recorded *after* the decision (drawn per learner from
  `welcome_call_done`, `credit_limit_assigned`, `months_on_book`): set for about 93 % of approved
  applications and 3 % of denied ones. Alone it predicts the decision with an AUC of about 0.95.
* **Proxy (an interaction):** a zip- or name-derived score (from `neighborhood_index`,
  `zip_median_rent`, `surname_cluster_score`) and a code (`market_region` or `branch_network`, 1
  or 2, independent of the group). Within each code the score is strongly related to
  `protected_group`, in opposite directions, so each column alone has the same distribution in
  both groups: a one-feature scan sees nothing, the pair encodes the group. The historical
  decisions penalize the group (1.2-1.8 log-odds), so a model trained on them uses the pair.
* **Noise:** two session or form fields with no relation to the decision.
* Truth: `leakage`, `proxies` (the score and the code), `proxy_kind`, `proxy_sign`, `noise`,
  `legitimate`, `effects` (feature -> true log-odds effect per standard deviation), `strong`
  (legitimate features with |effect| >= 0.5), `group_penalty`, `features` (every model input).
""",
    intended_use="""
Teaching model explanation and auditing (the `interpretability` lab): SHAP global and local
explanations, additivity, finding leakage and proxy features, adverse-action reason codes,
permutation importance. Synthetic; the effect sizes are illustrative, not a credit policy.
""",
)
def generate(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    design, rng = _own_design(seed)
    return _applications(design, rng, design.rows, design.group_share), _truth(design)


def new_applications(seed: int, held_out_seed: int, n: int = 600) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Applications arriving at the learner's bank (data ``seed``) at decision time: the learner's
    columns and underwriting rule, new applicants (a larger share of the protected group), the
    post-decision field still 0. The frame has no decision; the truth holds it."""
    design, _ = _own_design(seed)
    rng = rng_for(f"{NAME}|new-applications", held_out_seed)
    frame = _applications(design, rng, n, min(0.5, design.group_share + 0.1), decided=False)
    return frame.drop(columns=[TARGET]), {**_truth(design), "approved": frame[TARGET].tolist()}


def other_bank(held_out_seed: int, proxy_kind: str, n: int = 1500) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Another bank's decided applications (other names, units, leaks and proxies), with truth."""
    rng = rng_for(f"{NAME}|other-bank|{proxy_kind}", held_out_seed)
    design = _design(rng, OTHER_BANK, proxy_kind)
    return _applications(design, rng, n, design.group_share), _truth(design)

"""Dataset of the ``interpretability`` lab: historical credit applications and their decisions.

``credit_applications`` is one row per past application with the manual underwriters' decision
(``approved``). The bank wants a model that reproduces those decisions, and the generator plants
three things a careful modeller has to find:

* a **leakage** column, recorded *after* the decision (a welcome call, an assigned limit, ...):
  almost perfectly predictive on history, unavailable when a new application arrives;
* a **proxy** of a protected attribute: a zip- or name-derived score strongly correlated with
  ``protected_group``, which the model is not given -- but the historical decisions were biased
  against the group, so a model trained on them picks the proxy up;
* **noise** columns with no relation to the decision, which an over-flexible model still uses.

Which columns play which part, the coefficients and the column order vary per seed. The truth
records the roles and each legitimate feature's true effect. Nothing here trains, explains or
audits a model: that is the learner's job.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from labs.datasets import dataset, rng_for

NAME = "credit_applications"
TARGET = "approved"
ID = "application_id"
PROTECTED = "protected_group"

# Legitimate features: name -> (maker(rng, n) -> values, sign of the effect on approval,
# effect size range (log-odds per standard deviation)).
CORE_FEATURES = ("annual_income", "debt_to_income", "credit_history_years", "delinquencies_2y",
                 "credit_utilization")
OPTIONAL_FEATURES = ("recent_inquiries", "employment_years", "loan_amount", "savings_balance")
LEAKAGE_POOL = ("welcome_call_done", "credit_limit_assigned", "months_on_book")
PROXY_POOL = ("neighborhood_index", "zip_median_rent", "surname_cluster_score")
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

FIELDS = {
    ID: "unique id of the application",
    TARGET: "the manual underwriters' decision: 1 approved, 0 denied (the label the model is to reproduce)",
    PROTECTED: ("1 when the applicant self-identified as a member of a protected group, else 0; collected by "
                "the fair-lending team for monitoring only, never a model input"),
    "annual_income": "stated annual income at application, thousand USD",
    "debt_to_income": "monthly debt payments / monthly income at application (credit bureau + stated income)",
    "credit_history_years": "age of the oldest credit account at application, years (credit bureau)",
    "delinquencies_2y": "payments 30+ days late in the two years before the application (credit bureau)",
    "credit_utilization": "revolving balances / revolving limits at application, 0-1 (credit bureau)",
    "recent_inquiries": "hard credit inquiries in the six months before the application (credit bureau)",
    "employment_years": "years with the current employer, stated at application",
    "loan_amount": "amount requested, thousand USD",
    "savings_balance": "balance of deposit accounts stated at application, thousand USD",
    "welcome_call_done": "1 when the onboarding team completed the welcome call to the new customer (onboarding log)",
    "credit_limit_assigned": "credit limit set on the account when it was opened, USD (0 when no account was opened)",
    "months_on_book": "months the account has been open at the time of the data extract (0 when never opened)",
    "neighborhood_index": "marketing vendor's neighbourhood score, derived from the applicant's zip code, 0-100",
    "zip_median_rent": "median monthly rent in the applicant's zip code (census extract), USD",
    "surname_cluster_score": "score of a marketing vendor's name-clustering model applied to the applicant's surname, 0-1",
    "form_fill_seconds": "seconds the applicant spent on the online application form",
    "pages_viewed": "pages of the bank's site viewed in the session that submitted the application",
    "browser_width_px": "width of the applicant's browser window, pixels",
    "submission_minute": "minute of the hour at which the application was submitted (0-59)",
}


def _legit_values(rng: np.random.Generator, name: str, n: int, group: np.ndarray) -> np.ndarray:
    """Raw values of a legitimate feature (some mildly associated with the protected group)."""
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


def _standardized(name: str, values: np.ndarray) -> np.ndarray:
    """The scale on which the underwriters' decision is linear in the feature."""
    x = values.astype(float)
    if name in ("annual_income", "loan_amount", "savings_balance"):
        x = np.log(x + 1.0)
    if name == "delinquencies_2y":
        x = np.minimum(x, 3)
    return (x - x.mean()) / (x.std() + 1e-12)


def _noise_values(rng: np.random.Generator, name: str, n: int) -> np.ndarray:
    if name == "form_fill_seconds":
        return np.round(np.exp(rng.normal(5.6, 0.5, n)), 1)
    if name == "pages_viewed":
        return rng.poisson(9, n).astype(np.int64) + 1
    if name == "browser_width_px":
        return rng.integers(360, 2561, n).astype(np.int64)
    if name == "submission_minute":
        return rng.integers(0, 60, n).astype(np.int64)
    raise KeyError(name)


def _proxy_values(rng: np.random.Generator, name: str, group: np.ndarray, sign: int) -> np.ndarray:
    """A score that is mostly the protected group plus noise (|correlation| about 0.75-0.85)."""
    n = len(group)
    latent = sign * (group - group.mean()) / group.std() * 1.0 + rng.normal(0, 0.7, n)
    if name == "neighborhood_index":
        return np.round(np.clip(50 + 14 * latent, 0, 100), 1)
    if name == "zip_median_rent":
        return np.round(1500 + 320 * latent, -1)
    if name == "surname_cluster_score":
        return np.round(1 / (1 + np.exp(-1.3 * latent)), 3)
    raise KeyError(name)


def _leak_values(rng: np.random.Generator, name: str, approved: np.ndarray) -> np.ndarray:
    """A field filled in after the decision: set for approved applications (with a few clerical
    exceptions both ways: reconsidered denials, approved applicants who never activated)."""
    n = len(approved)
    opened = np.where(approved == 1, rng.random(n) < 0.93, rng.random(n) < 0.03)
    if name == "welcome_call_done":
        return opened.astype(np.int64)
    if name == "credit_limit_assigned":
        return np.where(opened, np.round(np.exp(rng.normal(8.3, 0.5, n)), -2), 0.0)
    if name == "months_on_book":
        return np.where(opened, rng.integers(1, 37, n), 0).astype(np.int64)
    raise KeyError(name)


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(0, len(options)))]


@dataset(
    NAME,
    title="Historical credit applications with the underwriters' decisions",
    fields=FIELDS,
    generation="""
2,400-3,200 applications per learner. A protected-group indicator is drawn first (25-40 % of
applicants). The five core credit features (income, debt-to-income, credit history, delinquencies,
utilization) and two of four optional ones are drawn from lognormal / beta / gamma / Poisson
distributions; income is slightly lower in the protected group. The underwriters' decision is a
logistic function of the standardized legitimate features with per-learner effect sizes, **minus a
per-learner penalty for membership of the protected group** (the historical bias), plus an
intercept that gives an approval rate of about 50-65 %. One post-decision field, one proxy of the
protected group and two noise fields are added; all column roles, names and the column order vary
per learner. Pure numpy (`rng_for`), no external data.
""",
    planted="""
* **Leakage:** exactly one column recorded *after* the decision (drawn per learner from
  `welcome_call_done`, `credit_limit_assigned`, `months_on_book`): set for about 93 % of approved
  applications and 3 % of denied ones. Alone it predicts the decision with an AUC of about 0.95.
* **Proxy:** exactly one zip- or name-derived score (from `neighborhood_index`, `zip_median_rent`,
  `surname_cluster_score`) whose absolute correlation with `protected_group` is about 0.8, with a
  per-learner sign. It carries no information about creditworthiness, but the historical
  decisions penalize the protected group (1.2-1.8 log-odds), so a model trained on them uses it.
* **Noise:** two session or form fields with no relation to the decision.
* Truth: `leakage`, `proxy`, `proxy_sign`, `noise` (list), `legitimate` (list), `effects`
  (feature -> true log-odds effect per standard deviation), `strong` (legitimate features with
  |effect| >= 0.5), `group_penalty`, `features` (every model input column).
""",
    intended_use="""
Teaching model explanation and auditing (the `interpretability` lab): SHAP global and local
explanations, additivity, finding leakage and proxy features, adverse-action reason codes,
permutation importance. Synthetic; the effect sizes are illustrative, not a credit policy.
""",
)
def generate(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    rng = rng_for(NAME, seed)
    n = int(rng.integers(2400, 3201))
    group = (rng.random(n) < rng.uniform(0.25, 0.40)).astype(np.int64)

    optional = [str(c) for c in rng.choice(OPTIONAL_FEATURES, size=2, replace=False)]
    legitimate = list(CORE_FEATURES) + optional
    leakage = _pick(rng, LEAKAGE_POOL)
    proxy = _pick(rng, PROXY_POOL)
    noise = sorted(str(c) for c in rng.choice(NOISE_POOL, size=2, replace=False))
    proxy_sign = 1 if rng.random() < 0.5 else -1

    columns: dict[str, np.ndarray] = {}
    effects: dict[str, float] = {}
    logit = np.zeros(n)
    for name in legitimate:
        low, high, sign = EFFECTS[name]
        values = _legit_values(rng, name, n, group)
        effect = round(float(sign * rng.uniform(low, high)), 3)
        columns[name] = values
        effects[name] = effect
        logit += effect * _standardized(name, values)
    penalty = round(float(rng.uniform(1.2, 1.8)), 3)
    logit -= penalty * group
    intercept = float(rng.uniform(0.7, 1.1))
    approved = (rng.random(n) < 1 / (1 + np.exp(-(logit + intercept)))).astype(np.int64)

    columns[leakage] = _leak_values(rng, leakage, approved)
    columns[proxy] = _proxy_values(rng, proxy, group, proxy_sign)
    for name in noise:
        columns[name] = _noise_values(rng, name, n)

    features = [str(c) for c in rng.permutation(list(columns))]
    ids = rng.choice(np.arange(100000, 1000000), size=n, replace=False)
    frame = pd.DataFrame({ID: [f"A{i}" for i in ids]})
    for name in features:
        frame[name] = columns[name]
    frame[PROTECTED] = group
    frame[TARGET] = approved

    truth = {
        "target": TARGET,
        "id": ID,
        "protected": PROTECTED,
        "features": features,
        "leakage": leakage,
        "proxy": proxy,
        "proxy_sign": proxy_sign,
        "noise": noise,
        "legitimate": legitimate,
        "effects": effects,
        "strong": [name for name in legitimate if abs(effects[name]) >= 0.5],
        "group_penalty": penalty,
    }
    return frame, truth

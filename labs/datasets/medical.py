"""Dataset of the ``private-training`` lab: hospital discharges and 30-day readmission.

``hospital_readmissions`` is a small tabular medical dataset, different for every learner: one
row per discharged patient with 15 numeric clinical features, the label ``readmitted_30d`` and
``split``, the hospital's own division into the patients its model was trained on (``train``, the
*members*) and patients it was not (``test``, the *non-members*; also the utility test set).

Labels are drawn from a known risk model (a per-seed choice of risk factors, one interaction)
so the ground truth knows each patient's true readmission risk. A patient whose recorded outcome
disagrees with the more likely one (risk above 0.5 but not readmitted, or the reverse) is
*atypical*: a model fits such a training record only by memorizing it, which is what a
membership-inference attack detects.

Nothing in here trains a model or attacks one: the generator knows what it *drew*.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from labs.datasets import dataset, rng_for

NAME = "hospital_readmissions"

#: The model's inputs, in the order the lab uses them.
FEATURES = (
    "age", "sex_female", "bmi", "systolic_bp", "diastolic_bp", "heart_rate", "glucose", "hba1c",
    "ldl_cholesterol", "creatinine", "smoker", "prior_admissions", "length_of_stay",
    "n_medications", "emergency_admission",
)
LABEL = "readmitted_30d"
#: Risk factors present in every variant (the clinical literature's strongest predictors).
CORE_RISK_FACTORS = ("prior_admissions", "length_of_stay")
#: Candidates for the per-seed extra risk factors and their clinically plausible sign.
EXTRA_RISK_FACTORS = {
    "age": 1, "bmi": 1, "systolic_bp": 1, "heart_rate": 1, "glucose": 1, "hba1c": 1,
    "creatinine": 1, "smoker": 1, "n_medications": 1, "emergency_admission": 1, "ldl_cholesterol": 1,
    "sex_female": -1,
}
#: Share of the Bayes classifier's edge over the majority class that the clinical team requires
#: of a released model (the lab's utility floor).
FLOOR_SHARE = 0.75


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _patients(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Clinically plausible, correlated features for ``n`` discharged patients."""
    age = np.clip(np.round(rng.normal(63, 15, n)), 18, 95)
    sex_female = (rng.random(n) < 0.5).astype(int)
    bmi = np.round(np.clip(rng.normal(28.5, 5.5, n), 16, 52), 1)
    diabetic = rng.random(n) < _sigmoid(-1.6 + 0.035 * (age - 60) + 0.14 * (bmi - 28))
    hba1c = np.round(np.where(diabetic, rng.normal(7.9, 1.2, n), rng.normal(5.4, 0.35, n)).clip(4.0, 14.0), 1)
    glucose = np.round(np.clip(28.7 * hba1c - 46.7 + rng.normal(0, 18, n), 55, 420))
    systolic = np.round(np.clip(112 + 0.45 * (age - 60) + 0.9 * (bmi - 28) + rng.normal(0, 14, n), 80, 220))
    diastolic = np.round(np.clip(0.45 * systolic + 20 + rng.normal(0, 7, n), 40, 130))
    heart_rate = np.round(np.clip(rng.normal(79, 12, n) + 4 * diabetic, 40, 150))
    ldl = np.round(np.clip(rng.normal(112, 32, n), 30, 260))
    creatinine = np.round(np.clip(rng.lognormal(np.log(0.85) + 0.006 * (age - 60) + 0.15 * diabetic, 0.28, n), 0.3, 6.0), 2)
    smoker = (rng.random(n) < 0.19).astype(int)
    prior = rng.poisson(np.clip(0.7 + 0.02 * (age - 60) + 0.5 * diabetic, 0.1, None))
    emergency = (rng.random(n) < 0.45).astype(int)
    stay = np.clip(np.round(rng.gamma(2.0, 2.2, n) + 1.5 * emergency + 0.03 * np.clip(age - 60, 0, None)), 1, 45)
    meds = rng.poisson(2.5 + 2.0 * diabetic + 0.4 * prior + 0.02 * np.clip(age - 50, 0, None))
    return pd.DataFrame({
        "age": age.astype(int), "sex_female": sex_female, "bmi": bmi,
        "systolic_bp": systolic.astype(int), "diastolic_bp": diastolic.astype(int),
        "heart_rate": heart_rate.astype(int), "glucose": glucose.astype(int), "hba1c": hba1c,
        "ldl_cholesterol": ldl.astype(int), "creatinine": creatinine, "smoker": smoker,
        "prior_admissions": prior.astype(int), "length_of_stay": stay.astype(int),
        "n_medications": meds.astype(int), "emergency_admission": emergency,
    })


def _risk_model(rng: np.random.Generator, frame: pd.DataFrame) -> tuple[np.ndarray, dict[str, Any]]:
    """Per-seed true readmission risk: a logistic model on standardized features plus one interaction."""
    z = (frame - frame.mean()) / frame.std(ddof=0)
    extras = [str(f) for f in rng.choice(sorted(EXTRA_RISK_FACTORS), size=int(rng.integers(3, 5)), replace=False)]
    weights = {f: float(np.round(rng.uniform(0.8, 1.3), 2)) for f in CORE_RISK_FACTORS}
    weights |= {f: float(np.round(EXTRA_RISK_FACTORS[f] * rng.uniform(0.5, 1.0), 2)) for f in extras}
    pair = [str(f) for f in rng.choice(sorted(set(FEATURES) - {"sex_female", "smoker", "emergency_admission"}),
                                       size=2, replace=False)]
    interaction = float(np.round(rng.choice([-1, 1]) * rng.uniform(0.5, 0.8), 2))
    logit = sum(w * z[f].to_numpy() for f, w in weights.items()) + interaction * z[pair[0]].to_numpy() * z[pair[1]].to_numpy()
    scale = float(rng.uniform(2.3, 2.7))
    logit = scale * logit / np.std(logit)
    intercept = float(np.quantile(logit, 1 - rng.uniform(0.36, 0.44)))  # about 40 % readmitted
    risk = _sigmoid(logit - intercept)
    model = {"weights": weights, "interaction": {"features": pair, "weight": interaction},
             "scale": round(scale, 4), "intercept": round(intercept, 4)}
    return risk, model


@dataset(
    NAME,
    title="Hospital discharges and 30-day readmission, with the model's training split",
    fields={
        "patient_id": "pseudonymous patient key (`P` + 6 digits), unique",
        "split": "`train`: the patient's record was in the readmission model's training set (a member); "
                 "`test`: it was not (a non-member, also the utility test set)",
        "age": "age in years at discharge (18-95)",
        "sex_female": "1 = female, 0 = male",
        "bmi": "body-mass index, kg/m²",
        "systolic_bp": "systolic blood pressure at discharge, mmHg",
        "diastolic_bp": "diastolic blood pressure at discharge, mmHg",
        "heart_rate": "resting heart rate, beats per minute",
        "glucose": "fasting plasma glucose, mg/dL",
        "hba1c": "glycated haemoglobin, %",
        "ldl_cholesterol": "LDL cholesterol, mg/dL",
        "creatinine": "serum creatinine, mg/dL",
        "smoker": "1 = current smoker",
        "prior_admissions": "inpatient admissions in the previous 12 months",
        "length_of_stay": "length of this stay, days",
        "n_medications": "number of medications at discharge",
        "emergency_admission": "1 = admitted through the emergency department",
        "readmitted_30d": "label: 1 = readmitted within 30 days of discharge",
    },
    generation="""
Per seed (from the learner id): 960-1040 patients, split at random into two halves of the
same size (`train` / `test`). Features are drawn with clinical correlations (a latent diabetes
status drives HbA1c, glucose, medications and heart rate; age and BMI drive blood pressure;
age drives creatinine and prior admissions; emergency admissions stay longer). The label is a
Bernoulli draw from a true risk: a logistic model on standardized features whose risk factors
are `prior_admissions`, `length_of_stay` and 3-4 more chosen per seed (with clinically
plausible signs), plus one interaction between two features, scaled so the most likely
outcome is right for about 80 % of patients, with about 40 % readmitted. Numpy only
(`rng_for`), no Faker.
""",
    planted="""
`truth["members"]` / `truth["non_members"]`: the patient ids of the `train` and `test` splits
(the membership a membership-inference attack tries to recover). `truth["risk"]`: each
patient's true readmission probability (a Series by patient id). `truth["atypical"]`: the
patients whose recorded outcome is the less likely one (risk > 0.5 and not readmitted, or risk
< 0.5 and readmitted): a model fits these training records only by memorizing them.
`truth["risk_model"]`: the risk factors and their weights, the interaction, scale and intercept.
`truth["bayes_accuracy"]` and `truth["majority_accuracy"]`: the test accuracy of predicting the
more likely outcome from the true risk, and of always predicting the majority class of the
training labels. `truth["utility_floor"]`: the test accuracy the clinical team requires of a
released model, the majority accuracy plus 75 % of the Bayes classifier's edge over it
(rounded down to a hundredth).
""",
    intended_use="""
The `private-training` lab: train a readmission model that memorizes its training set, measure
membership leakage with a loss-threshold attack, retrain with DP-SGD (Opacus) to a target
epsilon and trace the privacy-utility trade-off. Synthetic; not for clinical conclusions.
""",
)
def hospital_readmissions(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    rng = rng_for(NAME, seed)
    n = int(rng.integers(480, 521)) * 2
    frame = _patients(rng, n)
    risk, model = _risk_model(rng, frame)
    label = (rng.random(n) < risk).astype(int)

    ids = rng.choice(np.arange(100000, 1000000), size=n, replace=False)
    split = np.array(["train"] * (n // 2) + ["test"] * (n - n // 2))[rng.permutation(n)]
    frame.insert(0, "split", split)
    frame.insert(0, "patient_id", [f"P{int(i)}" for i in ids])
    frame[LABEL] = label

    is_train = split == "train"
    likely = (risk > 0.5).astype(int)
    majority = int(label[is_train].mean() >= 0.5)
    bayes_accuracy = float((likely[~is_train] == label[~is_train]).mean())
    majority_accuracy = float((label[~is_train] == majority).mean())
    floor = np.floor(100 * (majority_accuracy + FLOOR_SHARE * (bayes_accuracy - majority_accuracy))) / 100
    truth = {
        "members": sorted(frame.loc[is_train, "patient_id"]),
        "non_members": sorted(frame.loc[~is_train, "patient_id"]),
        "risk": pd.Series(risk, index=frame["patient_id"], name="risk"),
        "atypical": sorted(frame.loc[likely != label, "patient_id"]),
        "risk_model": model,
        "bayes_accuracy": round(bayes_accuracy, 4),
        "majority_accuracy": round(majority_accuracy, 4),
        "utility_floor": float(floor),
    }
    return frame, truth

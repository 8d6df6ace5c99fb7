"""Datasets of the ``privacy-mechanisms`` lab: HR salary and health records, and a health survey.

Every generator is a pure function of its seed (``rng_for`` / ``faker_for`` only) and returns
its ground truth next to the data:

* ``salaries``: one row per employee (department, level, start date, age, salary, sick days,
  a chronic-condition flag). Planted: a few executive salaries far above the public clipping
  cap (so an unclipped mean or sum is dominated by them), and one *newest hire* per seed who is
  the only person of their department hired on or after their start date, so two exact
  department totals ("all of it" and "hired before that date") differ by exactly their salary.
  Truth: the cap, the outliers, the differencing-attack target and its salary.
* ``health_survey``: the true answers of employees to a sensitive yes/no question, for
  simulating randomized response. Truth: the true rate of "yes".

Nothing in here is a mechanism, an estimator or an accountant: the generators only know what
they planted.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from grader.datasets import dataset, faker_for, rng_for

#: The public clipping bound for salaries (USD per year), fixed before looking at any data.
SALARY_CAP = 250_000
REFERENCE_DATE = dt.date(2026, 11, 1)
FIRST_HIRE = dt.date(2008, 1, 1)

DEPARTMENTS = ("Engineering", "Sales", "Marketing", "Finance", "Customer Support", "Operations",
               "Legal", "People", "Research", "Design")
#: job level -> (median salary, log-sd)
LEVELS = {"L1": (62_000, 0.15), "L2": (78_000, 0.15), "L3": (98_000, 0.15), "L4": (125_000, 0.15),
          "Manager": (140_000, 0.15), "Director": (185_000, 0.12)}
LEVEL_WEIGHTS = (0.22, 0.28, 0.22, 0.13, 0.11, 0.04)
SURVEY_SITES = ("Austin", "Berlin", "Dublin", "Lisbon", "Singapore", "Toronto", "Warsaw")
SURVEY_QUESTION = ("In the last 12 months, have you taken sick leave for a mental-health reason "
                   "that you did not disclose to your manager?")


# ----------------------------------------------------------------------------------------------
# salaries

def _salaries(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    rng = rng_for("salaries", seed)
    fake = faker_for("salaries", seed)
    n = int(rng.integers(420, 621))
    departments = [str(d) for d in rng.choice(DEPARTMENTS, size=int(rng.integers(5, 8)), replace=False)]
    dept_weights = rng.dirichlet(np.full(len(departments), 6.0))

    levels = list(LEVELS)
    span = (REFERENCE_DATE - FIRST_HIRE).days
    rows = []
    for _ in range(n):
        level = levels[int(rng.choice(len(levels), p=LEVEL_WEIGHTS))]
        median, sd = LEVELS[level]
        age = int(np.clip(round(rng.normal(40, 10)), 21, 66))
        rows.append({
            "name": f"{fake.first_name()} {fake.last_name()}",
            "department": departments[int(rng.choice(len(departments), p=dept_weights))],
            "job_level": level,
            "start_date": FIRST_HIRE + dt.timedelta(days=int(rng.integers(0, span - 30))),
            "age": age,
            "salary": int(round(median * rng.lognormal(0.0, sd) + 400 * (age - 40), -2)),
            "sick_days": int(rng.poisson(4.0)),
            "chronic_condition": bool(rng.random() < 0.18),
        })
    frame = pd.DataFrame(rows)
    frame["salary"] = frame["salary"].clip(lower=38_000)
    # chronic conditions come with more sick days
    frame.loc[frame["chronic_condition"], "sick_days"] += rng.poisson(6.0, int(frame["chronic_condition"].sum()))

    # executives: a few salaries far above the public cap, spread over the departments
    n_exec = int(rng.integers(3, 7))
    exec_rows = rng.choice(n, size=n_exec, replace=False)
    for i, idx in enumerate(exec_rows):
        frame.loc[idx, "job_level"] = "Executive"
        frame.loc[idx, "department"] = departments[i % len(departments)]
        frame.loc[idx, "salary"] = int(round(rng.uniform(1.4, 6.0) * SALARY_CAP, -3))
        frame.loc[idx, "age"] = int(rng.integers(45, 64))

    # the newest hire of one department: the only one there who started on or after their date
    ordinary = np.setdiff1d(np.arange(n), exec_rows)
    target_department = departments[int(rng.integers(0, len(departments)))]
    candidates = [int(i) for i in ordinary if frame.at[int(i), "department"] == target_department]
    target = candidates[int(rng.integers(0, len(candidates)))]
    others = frame.loc[(frame["department"] == target_department) & (frame.index != target), "start_date"]
    frame.at[target, "start_date"] = max(others) + dt.timedelta(days=int(rng.integers(1, 30)))
    frame.at[target, "job_level"] = levels[int(rng.integers(1, 4))]
    median, sd = LEVELS[frame.at[target, "job_level"]]
    frame.at[target, "salary"] = int(round(median * rng.lognormal(0.0, sd), -2))

    ids = rng.choice(np.arange(10_000, 100_000), size=n, replace=False)
    frame.insert(0, "employee_id", [f"E{int(i)}" for i in ids])
    frame["start_date"] = frame["start_date"].map(lambda d: d.isoformat())
    frame["salary"] = frame["salary"].astype(int)
    frame["age"] = frame["age"].astype(int)
    frame["sick_days"] = frame["sick_days"].astype(int)

    order = rng.permutation(n)
    frame = frame.iloc[order].reset_index(drop=True)
    row = frame[frame["employee_id"] == f"E{int(ids[target])}"].iloc[0]
    truth = {
        "salary_cap": SALARY_CAP,
        "outliers": sorted(frame.loc[frame["salary"] > SALARY_CAP, "employee_id"]),
        "target": {"employee_id": str(row["employee_id"]), "name": str(row["name"]),
                   "department": str(row["department"]), "start_date": str(row["start_date"]),
                   "salary": int(row["salary"])},
        "n": n,
    }
    return frame, truth


@dataset(
    "salaries",
    title="HR records: salaries and health data of employees, with executive outliers and a newest hire",
    fields={
        "employee_id": "internal employee id (E + 5 digits)",
        "name": "full name (Faker, en_US)",
        "department": "department (5-7 per seed, from a pool of 10)",
        "job_level": "L1-L4, Manager, Director or Executive",
        "start_date": "first working day, ISO date YYYY-MM-DD",
        "age": "age in whole years on 2026-11-01",
        "salary": "yearly base salary in USD (integer)",
        "sick_days": "sick days taken in the last 12 months",
        "chronic_condition": "enrolled in the chronic-condition health programme (True / False)",
    },
    generation="""
420-620 employees; 5-7 departments with Dirichlet weights; job level drawn with fixed weights;
salary log-normal around the level's median (62k for L1 to 185k for Director) plus 400 USD per year
of age above 40, at least 38k; start dates uniform from 2008-01-01; age normal (mean 40, sd 10,
clipped to 21-66); sick days Poisson(4), plus Poisson(6) for the 18 % in the chronic-condition
programme. Rows shuffled.
""",
    planted="""
3-6 Executive salaries between 1.4 and 6 times the public clipping cap (250,000 USD), one per
department in turn. One ordinary employee of one department is its newest hire: the only person
of that department whose start date is on or after theirs (1-29 days after the previous hire).
truth: `salary_cap`, `outliers` (employee ids paid above the cap), `target` (employee_id, name,
department, start_date, salary of the newest hire), `n`.
""",
    intended_use="""
Privacy-mechanisms lab: sensitivity and clipping of sums and means, the Laplace mechanism on
counts and sums, a differencing attack on two exact department totals and its defeat by DP.
Synthetic: any resemblance to real people is coincidental.
""",
)
def generate_salaries(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    return _salaries(seed)


# ----------------------------------------------------------------------------------------------
# health survey

@dataset(
    "health_survey",
    title="True answers to a sensitive health question, for simulating randomized response",
    fields={
        "respondent_id": "survey respondent id (R + 6 digits)",
        "site": "office site of the respondent",
        "age_band": "age band: 20-29, 30-39, 40-49, 50-59 or 60+",
        "answer": "the respondent's TRUE answer to the sensitive question (True = yes); never collected "
                  "in a real randomized-response survey, present here so the mechanism can be simulated",
    },
    generation="""
1500-2500 respondents over 3-5 sites; a base rate of "yes" uniform in 0.10-0.35 per seed, shifted
per site (normal, sd 0.04) and per age band (younger bands slightly higher), clipped to 0.03-0.6;
each answer is a Bernoulli draw with its respondent's rate.
""",
    planted=f"""
The question: "{SURVEY_QUESTION}"
truth: `true_rate` (the share of True answers in this table), `base_rate`, `question`, `n`.
""",
    intended_use="""
Privacy-mechanisms lab: simulate randomized response on these answers and check that an estimator
of the rate of "yes" from the randomized responses is unbiased.
Synthetic: any resemblance to real people is coincidental.
""",
)
def generate_health_survey(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    rng = rng_for("health_survey", seed)
    n = int(rng.integers(1500, 2501))
    base_rate = float(rng.uniform(0.10, 0.35))
    sites = [str(s) for s in rng.choice(SURVEY_SITES, size=int(rng.integers(3, 6)), replace=False)]
    site_shift = dict(zip(sites, rng.normal(0.0, 0.04, len(sites))))
    bands = ("20-29", "30-39", "40-49", "50-59", "60+")
    band_shift = dict(zip(bands, (0.04, 0.02, 0.0, -0.02, -0.04)))
    site = [sites[int(i)] for i in rng.integers(0, len(sites), n)]
    band = [bands[int(i)] for i in rng.choice(len(bands), size=n, p=(0.2, 0.3, 0.25, 0.17, 0.08))]
    rate = np.clip(base_rate + np.array([site_shift[s] for s in site]) + np.array([band_shift[b] for b in band]),
                   0.03, 0.6)
    answer = rng.random(n) < rate
    ids = rng.choice(np.arange(100_000, 1_000_000), size=n, replace=False)
    frame = pd.DataFrame({"respondent_id": [f"R{int(i)}" for i in ids], "site": site, "age_band": band,
                          "answer": answer.astype(bool)})
    truth = {"true_rate": float(answer.mean()), "base_rate": base_rate, "question": SURVEY_QUESTION, "n": n}
    return frame, truth

"""Scoring of the privacy-mechanisms lab, outside the learner's kernel (see grader/scoring.py).

The hidden part of every test cell runs the learner's functions on held-out inputs made here and
hands the results in; the visible part only gives feedback. Every point is scored here:

* mechanisms (Laplace, Gaussian, the private mean, the private dashboard) hand in thousands of
  releases per held-out calibration, drawn from generators seeded by the grader. The grader tests
  them against the *correct* calibration it computes itself (sensitivity after clipping, scale
  sensitivity / epsilon, the classic Gaussian sigma): mean within 5 standard errors of the true
  (clipped) statistic, variance within 5 standard errors of the calibrated one, and a
  Kolmogorov-Smirnov test. A constant, a noiseless release, too little or too much noise, noise
  drawn from anywhere but the given generator (the repeat with the same seed differs) earn nothing;
* sensitivities, the Gaussian sigma (Balle & Wang's exact delta as the privacy oracle), clipping,
  rr_epsilon and rr_estimate are compared with the grader's formulas on held-out arguments;
* the accountant replays held-out query sequences (float sums that land on the budget, a delta
  budget that runs out first, invalid costs) against the grader's reference ledger;
* randomized response hands in, per simulated survey of a held-out population, how many true
  "yes" and true "no" respondents answered yes: the shares must match the mechanism and vary from
  survey to survey as independent coins do (one coin for everybody does not);
* the differencing attack runs against held-out dashboards (other companies, group-size rules the
  learner's dashboard does not have) given as the table of the answers they would give, never the
  payroll; it is scored on the held-out newcomers' salaries, which the kernel never sees.

Held-out share: 100 % of the lab's points. The learner's own tables are visible to them, so
nothing handed in on them is scored.
"""
from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from grader.datasets.salaries import SALARY_CAP
from grader.scoring import AnswerError, Answers, Context, LabScorer, Score, degenerate, held_out_items
from labs.privacy import KS_ALPHA, SIGMAS, dashboard_key, ks_pvalue, mean_offset, share_offset, variance_offset

LAB = "privacy-mechanisms"
scorer = LabScorer(LAB, datasets=("salaries", "health_survey"))

#: Releases per held-out calibration (enough for 5-standard-error checks to catch a 10 % error
#: in the noise scale, small enough to hand in well under the answer size limit).
DRAWS = {"laplace": 6000, "gaussian": 6000, "dp_mean": 3000, "dp_dashboard": 1000}
#: The first releases of the first case are drawn again with the same seed to test reproducibility.
REPEAT = 50
SURVEYS_PER_P = 60
#: Relative tolerance of the budget comparison the exercise specifies.
BUDGET_TOLERANCE = 1e-9


def gaussian_delta(sigma: float, sensitivity: float, epsilon: float) -> float:
    """The exact delta of the Gaussian mechanism with noise ``sigma`` at ``epsilon``.

    Balle & Wang (2018), Theorem 8: delta = Phi(D/(2s) - e s/D) - exp(e) Phi(-D/(2s) - e s/D).
    The privacy oracle: a calibration is private when this is at most the target delta.
    """
    a = sensitivity / (2 * sigma)
    b = epsilon * sigma / sensitivity
    return float(stats.norm.cdf(a - b) - math.exp(epsilon) * stats.norm.cdf(-a - b))


def classic_sigma(sensitivity: float, epsilon: float, delta: float) -> float:
    return math.sqrt(2 * math.log(1.25 / delta)) * sensitivity / epsilon


def true_sensitivity(query: str, upper: float, n: int) -> float:
    return {"count": 1.0, "sum": float(upper), "mean": float(upper) / n}[query]


# ============================================================================ held-out inputs

def _rng(ctx: Context, purpose: str) -> np.random.Generator:
    return np.random.default_rng(ctx.seed(purpose))


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31))


def _sensitivity_cases(ctx: Context) -> list[dict]:
    rng = _rng(ctx, "sensitivity")
    queries = ["count", "sum", "mean"] * 10
    rng.shuffle(queries)
    return [{"query": q, "upper": float(np.round(rng.uniform(1, 1e6), 2)), "n": int(rng.integers(2, 5000))}
            for q in queries]


def _clip_cases(ctx: Context) -> list[dict]:
    rng = _rng(ctx, "clip")
    cases = []
    for _ in range(5):
        upper = float(np.round(rng.uniform(1, 1e5), 2))
        values = rng.uniform(-0.5 * upper, 2 * upper, int(rng.integers(5, 40)))
        cases.append({"values": [float(v) for v in values] + [-upper, 0.0, upper, 3 * upper], "upper": upper})
    return cases


def _laplace_cases(ctx: Context) -> list[dict]:
    rng = _rng(ctx, "laplace")
    settings = ((0.0, 1.0, float(rng.uniform(0.05, 0.2))),
                (float(rng.integers(50_000, 90_000)), float(rng.integers(200, 800)), float(rng.uniform(1.0, 2.0))),
                (float(rng.uniform(-10, -1)), float(rng.uniform(2, 5)), float(rng.uniform(3, 6))))
    return [{"value": v, "sensitivity": s, "epsilon": e, "seed": _seed(rng), "draws": DRAWS["laplace"]}
            for v, s, e in settings]


def _gaussian_sigma_cases(ctx: Context) -> list[dict]:
    rng = _rng(ctx, "gaussian-sigma")
    return [{"sensitivity": float(rng.uniform(0.1, 1e5)), "epsilon": float(rng.uniform(0.05, 0.95)),
             "delta": float(10 ** rng.uniform(-10, -3))} for _ in range(30)]


def _gaussian_cases(ctx: Context) -> list[dict]:
    rng = _rng(ctx, "gaussian")
    settings = ((float(rng.uniform(10, 100)), 1.0, float(rng.uniform(0.3, 0.7)), 1e-5),
                (float(rng.uniform(500, 2000)), float(rng.uniform(5, 50)), float(rng.uniform(0.75, 0.95)), 1e-7))
    return [{"value": v, "sensitivity": s, "epsilon": e, "delta": d, "seed": _seed(rng), "draws": DRAWS["gaussian"]}
            for v, s, e, d in settings]


def _dp_mean_cases(ctx: Context) -> list[dict]:
    rng = _rng(ctx, "dp-mean")
    table = ctx.held_out("salaries", "dp-mean").data
    # overtime balances (hours, negative when owed): values below the public range too, and a small n
    overtime = np.round(rng.normal(10, 30, int(rng.integers(40, 61))), 1)
    cases = (("salaries of a held-out company", table["salary"].tolist(), SALARY_CAP, 0.3),
             ("sick days of a held-out company", table["sick_days"].tolist(), 30, 0.5),
             ("overtime balances of a small team (some negative)", overtime.tolist(), 80, 1.0))
    return [{"label": label, "values": [float(v) for v in values], "upper": float(upper), "epsilon": eps,
             "seed": _seed(rng), "draws": DRAWS["dp_mean"]} for label, values, upper, eps in cases]


def _accountant_cases(ctx: Context) -> list[dict]:
    curated = [{"epsilon": float(seq["epsilon"]), "delta": float(seq["delta"]),
                "queries": [[float(e), float(d)] for e, d in seq["queries"]]}
               for seq in held_out_items(LAB, "accountant")["sequence"]]
    rng = _rng(ctx, "accountant")
    sequences = []
    for _ in range(12):
        delta_budget = float(rng.choice([0.0, 1e-5]))
        queries = [[float(e), float(rng.choice([0.0, 2e-6])) if delta_budget else 0.0]
                   for e in rng.uniform(0.01, 0.8, 30)]
        sequences.append({"epsilon": float(rng.uniform(0.5, 5.0)), "delta": delta_budget, "queries": queries})
    return curated + sequences


def _rr_case(ctx: Context) -> dict:
    rng = _rng(ctx, "rr")
    answers = ctx.held_out("health_survey", "rr").data["answer"].tolist()
    return {"answers": [bool(a) for a in answers], "p_truth": [float(rng.uniform(0.15, 0.35)), float(rng.uniform(0.55, 0.8))],
            "surveys": SURVEYS_PER_P, "seed": _seed(rng)}


def _rr_epsilon_cases(ctx: Context) -> list[float]:
    return [float(p) for p in _rng(ctx, "rr-epsilon").uniform(0.05, 0.95, 10)]


def _rr_estimate_cases(ctx: Context) -> list[dict]:
    rng = _rng(ctx, "rr-estimate")
    answers = ctx.held_out("health_survey", "rr-estimate").data["answer"].to_numpy()
    cases = []
    for _ in range(30):
        p = float(rng.uniform(0.1, 0.9))
        sample = answers[rng.choice(len(answers), int(rng.integers(100, 1200)), replace=False)]
        responses = np.where(rng.random(len(sample)) < p, sample, rng.random(len(sample)) < 0.5)
        cases.append({"responses": [bool(r) for r in responses], "p_truth": p})
    return cases


def _newest_hire(frame: pd.DataFrame, department: str) -> pd.Series | None:
    """The department's newest hire, if nobody else there started on the same day."""
    rows = frame[frame["department"] == department].sort_values("start_date")
    if len(rows) < 2 or rows["start_date"].iloc[-1] == rows["start_date"].iloc[-2]:
        return None
    return rows.iloc[-1]


def _published_answers(frame: pd.DataFrame, date: str, min_group: int, max_group: int) -> dict[str, float]:
    """Every answer the dashboard gives: totals over unions of departments, all or hired before ``date``."""
    departments = sorted(frame["department"].unique())
    answers = {}
    for size in range(1, len(departments) + 1):
        for chosen in itertools.combinations(departments, size):
            rows = frame[frame["department"].isin(chosen)]
            for hired_before in (None, date):
                group = rows if hired_before is None else rows[rows["start_date"] < hired_before]
                if min_group <= len(group) <= max_group:
                    answers[dashboard_key(chosen, hired_before)] = float(group["salary"].sum())
    return answers


#: Held-out dashboards: (kind, which newcomer, the group-size rule). A department smaller than the
#: minimum group cannot be asked about at all, and one dashboard also refuses near-everyone queries.
DASHBOARD_KINDS = (("minimum group of 5; the newcomer's department is large", "planted", "five", False),
                   ("the newcomer's department is below the minimum group", "smallest", "above-department", False),
                   ("below the minimum group, and queries over nearly everyone refused", "smallest", "above-department", True),
                   ("below the minimum group, in another company", "smallest", "above-department", False))


def _dashboards(ctx: Context) -> list[tuple[dict, float]]:
    """Held-out dashboards (the published answers, what the newsletter said) and the newcomer's salary."""
    def build(index: int, kind: str, which: str, rule: str, cap_large: bool):
        for attempt in itertools.count():
            ds = ctx.held_out("salaries", f"dashboard-{index}-{attempt}")
            frame = ds.data
            sizes = frame["department"].value_counts()
            department = ds.truth["target"]["department"] if which == "planted" else str(sizes.index[-1])
            newcomer = _newest_hire(frame, department)
            if newcomer is None:
                continue
            min_group = 5 if rule == "five" else int(sizes[department]) + 1
            max_group = len(frame) - min_group if cap_large else len(frame)
            date = str(newcomer["start_date"])
            answers = _published_answers(frame, date, min_group, max_group)
            if any(dashboard_key([department, pad], None) in answers
                   and dashboard_key([department, pad], date) in answers
                   and dashboard_key([pad], None) in answers and dashboard_key([pad], date) in answers
                   for pad in sizes.index if pad != department):
                case = {"kind": kind, "min_group": min_group, "max_group": max_group,
                        "departments": sorted(sizes.index), "department": department,
                        "name": str(newcomer["name"]), "start_date": date, "answers": answers}
                return case, float(newcomer["salary"])

    return ctx.cached(("dashboards",), lambda: [build(i, *kind) for i, kind in enumerate(DASHBOARD_KINDS)])


def _dp_dashboard_cases(ctx: Context) -> list[dict]:
    rng = _rng(ctx, "dp-dashboard")
    cases = []
    for index, epsilon in enumerate((2.0, 1.0)):
        ds = ctx.held_out("salaries", f"dp-dashboard-{index}")
        frame = ds.data
        # a department with an executive paid above the cap, alone and joined with another
        executive = frame.loc[frame["employee_id"] == ds.truth["outliers"][0], "department"].iloc[0]
        others = sorted(set(frame["department"]) - {executive})
        departments = [executive] if index == 0 else [executive, others[int(rng.integers(0, len(others)))]]
        hired_before = None if index == 0 else sorted(frame["start_date"])[int(0.6 * len(frame))]
        cases.append({"rows": frame[["employee_id", "department", "start_date", "salary"]].to_dict("records"),
                      "departments": departments, "epsilon": epsilon, "hired_before": hired_before,
                      "seed": _seed(rng), "draws": DRAWS["dp_dashboard"]})
    return cases


@scorer.held_out_inputs
def inputs(ctx: Context) -> dict[str, Any]:
    return {
        "sensitivity": _sensitivity_cases(ctx),
        "clip": _clip_cases(ctx),
        "laplace": _laplace_cases(ctx),
        "gaussian_sigma": _gaussian_sigma_cases(ctx),
        "gaussian": _gaussian_cases(ctx),
        "dp_mean": _dp_mean_cases(ctx),
        "accountant": _accountant_cases(ctx),
        "rr": _rr_case(ctx),
        "rr_epsilon": _rr_epsilon_cases(ctx),
        "rr_estimate": _rr_estimate_cases(ctx),
        "dashboards": [case for case, _ in _dashboards(ctx)],
        "dp_dashboard": _dp_dashboard_cases(ctx),
    }


# ============================================================================ statistics

def _release_lists(answers: Answers, cases: list[dict]) -> list[np.ndarray]:
    lists = answers.list_of("held-out", list, length=len(cases))
    arrays = []
    for i, (values, case) in enumerate(zip(lists, cases)):
        if len(values) != case["draws"] or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            raise AnswerError(f"held-out case {i}: {case['draws']} numbers were expected, one per release")
        arrays.append(np.array(values, dtype=float))
    return arrays


def _reproducible(answers: Answers, first: np.ndarray) -> str | None:
    """Why the repeat with the same seed shows noise from elsewhere than ``rng``, or None."""
    again = answers.numbers("again", length=REPEAT)
    if not np.array_equal(np.array(again), first[:REPEAT]):
        return ("the same seed gave other releases: draw all the noise from the rng argument "
                "(rng.laplace, rng.normal), not from np.random or the random module")
    return None


def _noise_problem(samples: np.ndarray, expected: float, distribution, noise: str) -> str | None:
    """What is wrong with releases meant to follow ``distribution`` around ``expected``, or None."""
    sd = float(distribution.std())
    if float(np.std(samples)) == 0.0:
        return "every release is the same number: no noise is added"
    if mean_offset(samples, expected, sd) > SIGMAS:
        return (f"biased: the releases average {np.mean(samples):,.4g}, the true value is {expected:,.4g} "
                "(check what the noise is added to: clipping, the right rows)")
    if variance_offset(samples, sd ** 2, noise) > SIGMAS:
        return (f"the noise has standard deviation {np.std(samples, ddof=1):,.4g}; the correct calibration "
                f"gives {sd:,.4g} (check the sensitivity and the scale)")
    if ks_pvalue(samples, distribution) < KS_ALPHA:
        return f"the releases do not follow the intended {distribution.dist.name} distribution"
    return None


def _score_releases(answers: Answers, cases: list[dict], reference, what: str) -> Score:
    """Reproducibility, then each held-out calibration's releases against ``reference(case)``."""
    samples = _release_lists(answers, cases)
    unreproducible = _reproducible(answers, samples[0])
    if unreproducible:
        return Score.zero(f"{what}: {unreproducible}")
    problems = []
    for i, (values, case) in enumerate(zip(samples, cases)):
        expected, distribution, noise = reference(case)
        problem = _noise_problem(values, expected, distribution, noise)
        if problem:
            problems.append(f"held-out case {i + 1}: {problem}")
    right = len(cases) - len(problems)
    message = f"{what}: {right} of {len(cases)} held-out calibrations right ({len(samples[0]):,} releases each)"
    return Score(right / len(cases), "; ".join([message, *problems]))


def _share_right(flags: list[bool]) -> float:
    return sum(flags) / len(flags)


# ============================================================================ scoring

@scorer.test("test-sensitivity")
def sensitivity(answers: Answers, ctx: Context) -> Score:
    cases = _sensitivity_cases(ctx)
    claimed = answers.numbers("held-out", length=len(cases))
    problem = degenerate(claimed)
    if problem:
        return Score.zero(f"sensitivities of held-out queries: {problem}")
    right = [math.isclose(c, true_sensitivity(case["query"], case["upper"], case["n"]), rel_tol=1e-9)
             for c, case in zip(claimed, cases)]
    wrong_kinds = sorted({case["query"] for ok, case in zip(right, cases) if not ok})
    clip_cases = _clip_cases(ctx)
    clipped = answers.list_of("clip", list, length=len(clip_cases))
    clip_right = [len(mine) == len(case["values"]) and all(isinstance(v, (int, float)) for v in mine)
                  and np.allclose(mine, np.clip(case["values"], 0, case["upper"])) for mine, case in zip(clipped, clip_cases)]
    fraction = min(_share_right(right), _share_right(clip_right))
    note = f" (wrong for {', '.join(wrong_kinds)})" if wrong_kinds else ""
    return Score(fraction, f"sensitivity exact for {sum(right)} of {len(cases)} held-out queries{note}; clip right "
                           f"on {sum(clip_right)} of {len(clip_cases)} held-out arrays (values below 0 and above the bound)")


@scorer.test("test-laplace")
def laplace(answers: Answers, ctx: Context) -> Score:
    def reference(case):
        scale = case["sensitivity"] / case["epsilon"]
        return case["value"], stats.laplace(loc=case["value"], scale=scale), "laplace"
    return _score_releases(answers, _laplace_cases(ctx), reference, "laplace_mechanism")


@scorer.test("test-gaussian-sigma")
def gaussian_sigma(answers: Answers, ctx: Context) -> Score:
    cases = _gaussian_sigma_cases(ctx)
    sigmas = answers.numbers("held-out", length=len(cases))
    problem = degenerate(sigmas)
    if problem:
        return Score.zero(f"gaussian_sigma on held-out settings: {problem}")
    private = [s > 0 and gaussian_delta(s, c["sensitivity"], c["epsilon"]) <= c["delta"] * (1 + 1e-6)
               for s, c in zip(sigmas, cases)]
    classic = [math.isclose(s, classic_sigma(c["sensitivity"], c["epsilon"], c["delta"]), rel_tol=1e-6)
               for s, c in zip(sigmas, cases)]
    right = [p and c for p, c in zip(private, classic)]
    return Score(_share_right(right), f"gaussian_sigma: (epsilon, delta)-DP by the exact analysis at {sum(private)} "
                                      f"and the classic calibration at {sum(classic)} of {len(cases)} held-out settings")


@scorer.test("test-gaussian-mechanism")
def gaussian_mechanism(answers: Answers, ctx: Context) -> Score:
    def reference(case):
        sigma = classic_sigma(case["sensitivity"], case["epsilon"], case["delta"])
        return case["value"], stats.norm(loc=case["value"], scale=sigma), "gaussian"
    return _score_releases(answers, _gaussian_cases(ctx), reference, "gaussian_mechanism")


@scorer.test("test-dp-mean")
def dp_mean(answers: Answers, ctx: Context) -> Score:
    def reference(case):
        clipped = np.clip(case["values"], 0, case["upper"])
        scale = case["upper"] / len(clipped) / case["epsilon"]
        return float(clipped.mean()), stats.laplace(loc=float(clipped.mean()), scale=scale), "laplace"
    return _score_releases(answers, _dp_mean_cases(ctx), reference, "dp_mean")


def reference_ledger(case: dict) -> dict[str, list]:
    """What a correct accountant answers to each query of ``case``, and what it has spent after it."""
    spent_epsilon = spent_delta = 0.0
    outcomes, spent = [], []
    for epsilon, delta in case["queries"]:
        if not epsilon > 0 or not delta >= 0:
            outcomes.append("invalid")
        elif (spent_epsilon + epsilon > case["epsilon"] * (1 + BUDGET_TOLERANCE)
              or spent_delta + delta > case["delta"] * (1 + BUDGET_TOLERANCE)):
            outcomes.append("refused")
        else:
            spent_epsilon, spent_delta = spent_epsilon + epsilon, spent_delta + delta
            outcomes.append("answered")
        spent.append([spent_epsilon, spent_delta])
    return {"outcomes": outcomes, "spent": spent}


def _same_ledger(mine: Any, expected: dict[str, list]) -> bool:
    if not isinstance(mine, dict) or mine.get("outcomes") != expected["outcomes"]:
        return False
    spent = mine.get("spent")
    if not isinstance(spent, list) or len(spent) != len(expected["spent"]):
        return False
    try:
        return all(len(a) == 2 and all(math.isclose(float(x), y, rel_tol=1e-9, abs_tol=1e-12) for x, y in zip(a, b))
                   for a, b in zip(spent, expected["spent"]))
    except (TypeError, ValueError):
        return False


@scorer.test("test-accountant")
def accountant(answers: Answers, ctx: Context) -> Score:
    cases = _accountant_cases(ctx)
    ledgers = answers.list_of("held-out", dict, length=len(cases))
    right = [_same_ledger(mine, reference_ledger(case)) for mine, case in zip(ledgers, cases)]
    wrong = [i + 1 for i, ok in enumerate(right) if not ok]
    return Score(_share_right(right), f"the accountant answered, refused and charged as sequential composition "
                                      f"requires in {sum(right)} of {len(cases)} held-out query sequences"
                                      + (f" (wrong in sequences {wrong[:8]}; the first are the curated float-tolerance, "
                                         "delta-budget, invalid-cost and refused-query cases)" if wrong else ""))


@scorer.test("test-randomized-response")
def randomized_response(answers: Answers, ctx: Context) -> Score:
    case = _rr_case(ctx)
    truth = np.array(case["answers"], dtype=bool)
    counts = answers.list_of("held-out", list, length=len(case["p_truth"]) * case["surveys"])
    if not all(len(c) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in c) for c in counts):
        raise AnswerError("each survey's answer is [yes among true yes, yes among true no] (two integers)")
    groups = {True: int(truth.sum()), False: int((~truth).sum())}
    problems, wrong_p = [], set()
    for k, p in enumerate(case["p_truth"]):
        surveys = np.array(counts[k * case["surveys"]:(k + 1) * case["surveys"]], dtype=float)
        for column, true_answer in enumerate((True, False)):
            q, m = ((1 + p) / 2 if true_answer else (1 - p) / 2), groups[true_answer]
            label = f"p_truth = {p:.3f}, true {'yes' if true_answer else 'no'}"
            pooled = share_offset(int(surveys[:, column].sum()), m * len(surveys), q)
            single = max(share_offset(int(c), m, q) for c in surveys[:3, column])
            # independent coins: the count of one survey varies like a binomial (m, q), whose
            # sample variance over the surveys follows a scaled chi-square
            dispersion = (len(surveys) - 1) * float(np.var(surveys[:, column], ddof=1)) / (m * q * (1 - q))
            shared_coins = stats.chi2.sf(dispersion, len(surveys) - 1) < KS_ALPHA
            if pooled > SIGMAS or single > SIGMAS:
                problems.append(f"{label}: the share answering yes is not {q:.3f}")
                wrong_p.add(k)
            elif shared_coins:
                problems.append(f"{label}: from survey to survey the number of yes varies as if the respondents "
                                "shared coins (each respondent needs their own)")
                wrong_p.add(k)
    mechanism = 1.0 - len(wrong_p) / len(case["p_truth"])
    epsilons = _rr_epsilon_cases(ctx)
    claimed = answers.numbers("epsilon", length=len(epsilons))
    eps_right = [math.isclose(e, math.log((1 + p) / (1 - p)), rel_tol=1e-9) for e, p in zip(claimed, epsilons)]
    fraction = (2 * mechanism + _share_right(eps_right)) / 3
    return Score(fraction, "; ".join([f"randomized_response right at {mechanism * len(case['p_truth']):.0f} of "
                                      f"{len(case['p_truth'])} held-out p_truth over {case['surveys']} surveys each of "
                                      f"a held-out population; rr_epsilon right for {sum(eps_right)} of {len(epsilons)}",
                                      *problems]))


@scorer.test("test-rr-estimate")
def rr_estimate(answers: Answers, ctx: Context) -> Score:
    cases = _rr_estimate_cases(ctx)
    estimates = answers.numbers("held-out", length=len(cases))
    problem = degenerate(estimates)
    if problem:
        return Score.zero(f"rr_estimate on held-out surveys: {problem}")
    unbiased = [(np.mean(c["responses"]) - (1 - c["p_truth"]) / 2) / c["p_truth"] for c in cases]
    right = [math.isclose(e, u, rel_tol=1e-9, abs_tol=1e-12) for e, u in zip(estimates, unbiased)]
    return Score(_share_right(right), f"rr_estimate is the unbiased estimate on {sum(right)} of {len(cases)} held-out "
                                      "surveys (other sizes and p_truth)")


@scorer.test("test-differencing-attack")
def differencing_attack(answers: Answers, ctx: Context) -> Score:
    dashboards = _dashboards(ctx)
    recovered = answers.list_of("held-out", (int, float, type(None)), length=len(dashboards))
    right, notes = [], []
    for value, (case, salary) in zip(recovered, dashboards):
        ok = value is not None and math.isclose(float(value), salary, abs_tol=0.5)
        right.append(ok)
        if not ok:
            notes.append(f"{case['kind']}: {'the attack failed' if value is None else 'a wrong salary'}")
    return Score(_share_right(right), "; ".join([f"the newcomer's exact salary recovered from {sum(right)} of "
                                                 f"{len(dashboards)} held-out dashboards", *notes]))


@scorer.test("test-dp-dashboard")
def dp_dashboard(answers: Answers, ctx: Context) -> Score:
    cases = _dp_dashboard_cases(ctx)

    def reference(case):
        rows = pd.DataFrame(case["rows"])
        rows = rows[rows["department"].isin(case["departments"])]
        if case["hired_before"] is not None:
            rows = rows[rows["start_date"] < case["hired_before"]]
        total = float(np.clip(rows["salary"], 0, SALARY_CAP).sum())
        return total, stats.laplace(loc=total, scale=SALARY_CAP / case["epsilon"]), "laplace"

    releases = _score_releases(answers, cases, reference, "dp_total_salary")
    ledger = answers.get("ledger")
    epsilon = cases[0]["epsilon"]
    charged_once = (isinstance(ledger, dict) and isinstance(ledger.get("charges"), list) and len(ledger["charges"]) == 1
                    and isinstance(ledger["charges"][0], list) and ledger["charges"][0][:1] == [epsilon])
    refused = isinstance(ledger, dict) and ledger.get("released_when_refused") is False
    if not (charged_once and refused):
        return Score(releases.fraction / 2, releases.message + "; the accountant was not charged exactly once per query "
                                                              "before the release, or a refused query was answered (half credit)")
    return releases

"""Feedback helpers for the ``privacy-mechanisms`` lab's test cells, and the statistics behind them.

A DP mechanism is random, so it is judged by statistics over many seeded draws, never by one
number: is the release unbiased, is its variance the one its calibration implies, does its
distribution match the intended one (Kolmogorov-Smirnov)? Every check allows ``SIGMAS`` (5)
standard errors, so a correct mechanism fails with a probability below one in a million, while
a wrong calibration (scale = epsilon / sensitivity, a forgotten delta, a sensitivity of 1 for a
bounded sum) misses by far more.

The ``check_*`` helpers give the learner feedback in the kernel; the points come from the grader
(``grader/scorers/privacy_mechanisms.py``), which runs the same statistics (``mean_offset``,
``variance_offset``, ``ks_pvalue``, ``share_offset``) on the releases the hidden tests hand in.
Nothing here adds noise, calibrates a mechanism or keeps a budget: that is the learner's job.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Real

import numpy as np
from scipy import stats

from labs.checks import CheckFailed, check

#: Tolerance of every statistical check, in standard errors.
SIGMAS = 5.0
#: Significance level of the distribution (KS) checks.
KS_ALPHA = 1e-6
#: Excess kurtosis of the noise distributions (for the standard error of a sample variance).
EXCESS_KURTOSIS = {"laplace": 3.0, "gaussian": 0.0, "laplace-difference": 1.5}


def as_number(value, what: str) -> float:
    """``value`` as a float, or a message saying what came back instead of a number."""
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (Real, np.floating, np.integer)):
        raise CheckFailed(f"{what} must return a number (a float), got {type(value).__name__}: {value!r:.80}")
    value = float(value)
    check(math.isfinite(value), f"{what} returned {value}; it must be a finite number")
    return value


def draws(release: Callable[[], object], n: int, what: str) -> np.ndarray:
    """``n`` outputs of ``release()`` (each checked to be a number) as an array."""
    return np.array([as_number(release(), what) for _ in range(n)])


def mean_offset(samples: np.ndarray, expected: float, sd: float) -> float:
    """How many standard errors the sample mean is from ``expected`` (noise sd ``sd``)."""
    return abs(float(np.mean(samples)) - expected) / (sd / math.sqrt(len(samples)))


def variance_offset(samples: np.ndarray, expected_var: float, noise: str) -> float:
    """How many standard errors the sample variance is from ``expected_var``."""
    s2 = float(np.var(samples, ddof=1))
    return abs(s2 - expected_var) / (expected_var * math.sqrt((EXCESS_KURTOSIS[noise] + 2.0) / len(samples)))


def ks_pvalue(samples: np.ndarray, distribution) -> float:
    """The Kolmogorov-Smirnov p-value of ``samples`` against a frozen scipy distribution."""
    return float(stats.kstest(samples, distribution.cdf).pvalue)


def share_offset(successes: int, trials: int, expected: float) -> float:
    """How many standard errors a binomial share is from ``expected``."""
    return abs(successes / trials - expected) / math.sqrt(expected * (1 - expected) / trials)


def check_unbiased(samples: np.ndarray, expected: float, sd: float, what: str) -> float:
    """The sample mean is within ``SIGMAS`` standard errors of ``expected`` (noise sd ``sd``)."""
    mean = float(np.mean(samples))
    off = mean_offset(samples, expected, sd)
    check(off <= SIGMAS,
          f"{what}: the mean of {len(samples)} releases is {mean:,.4g}, the true value is {expected:,.4g} "
          f"({off:.1f} standard errors away; a correct mechanism stays within {SIGMAS:g}). "
          "The release is biased: check what you add noise to (clipping? the right rows?) and that the noise has mean 0.")
    return off


def check_variance(samples: np.ndarray, expected_var: float, what: str, noise: str) -> float:
    """The sample variance is within ``SIGMAS`` standard errors of ``expected_var``."""
    s2 = float(np.var(samples, ddof=1))
    ratio = math.sqrt(s2 / expected_var) if expected_var > 0 else float("inf")
    check(variance_offset(samples, expected_var, noise) <= SIGMAS,
          f"{what}: the noise has standard deviation {math.sqrt(s2):,.4g}, its calibration implies "
          f"{math.sqrt(expected_var):,.4g} ({ratio:.3g} times that). Check the noise scale: sensitivity, epsilon "
          "(and delta) and which of them divides which.")
    return ratio


def check_distribution(samples: np.ndarray, distribution, what: str) -> float:
    """A Kolmogorov-Smirnov test of ``samples`` against a frozen scipy distribution."""
    result = stats.kstest(samples, distribution.cdf)
    check(result.pvalue >= KS_ALPHA,
          f"{what}: {len(samples)} releases do not follow the intended {distribution.dist.name} distribution "
          f"(mean {distribution.mean():.4g}, standard deviation {distribution.std():.4g}): Kolmogorov-Smirnov "
          f"distance {result.statistic:.3f}, p = {result.pvalue:.1e}. Check the kind of noise and its scale.")
    return float(result.pvalue)


def check_share(successes: int, trials: int, expected: float, what: str) -> float:
    """A binomial share is within ``SIGMAS`` standard errors of ``expected``."""
    share = successes / trials
    off = share_offset(successes, trials, expected)
    check(off <= SIGMAS, f"{what}: observed {share:.4f} over {trials} draws, the mechanism should give "
                         f"{expected:.4f} ({off:.1f} standard errors away).")
    return off


def check_reproducible(release: Callable[[np.random.Generator], object], what: str) -> None:
    """Same seed, same output; another seed, another output: randomness comes from ``rng`` only."""
    np.random.seed(1)  # numpy's global state differs between the two calls: only `rng` may matter
    first = as_number(release(np.random.default_rng(2026)), what)
    np.random.seed(2)
    again = as_number(release(np.random.default_rng(2026)), what)
    check(first == again, f"{what} gave {first} and {again} with two generators seeded alike: draw all the noise "
                          "from the rng argument (rng.laplace, rng.normal), not from np.random or the random module")
    other = as_number(release(np.random.default_rng(2027)), what)
    check(first != other, f"{what} gave the same output ({first}) with differently seeded generators: is noise added?")



def releases(release: Callable[[np.random.Generator], object], seed: int, n: int, global_seed: int = 0) -> list[float]:
    """``n`` outputs of ``release(rng)`` with one generator seeded ``seed``, as numbers for the grader.

    numpy's global state is seeded with ``global_seed`` first: the grader draws the first releases
    again under another ``global_seed``, and only noise drawn from ``rng`` comes out the same.
    """
    np.random.seed(global_seed)
    rng = np.random.default_rng(seed)
    return [as_number(release(rng), "the mechanism") for _ in range(n)]


class QueryRefused(Exception):
    """A dashboard refuses a query: the group it would aggregate breaks its group-size rule."""


def dashboard_key(departments, hired_before: str | None) -> str:
    """How a published dashboard files the answer over ``departments`` (optionally hired before a date)."""
    if isinstance(departments, str):
        raise TypeError(f"pass a list of departments, e.g. [{departments!r}], not a string")
    return "|".join(sorted(set(departments))) + "@" + (hired_before or "")


def published_dashboard(answers: dict[str, float]):
    """A dashboard ``total_salary(departments, hired_before=None)`` that can only give ``answers``.

    The grader's held-out dashboards reach the kernel this way: as the answers they would give,
    never as the payroll. A query they would refuse is not among the answers.
    """
    def total_salary(departments, hired_before: str | None = None) -> float:
        key = dashboard_key(departments, hired_before)
        if key not in answers:
            raise QueryRefused(f"the dashboard refuses {sorted(set(departments))} hired before {hired_before}: "
                               "the group breaks its size rule (or it does not report that date)")
        return answers[key]
    return total_salary

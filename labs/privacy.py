"""Scoring helpers for the ``privacy-mechanisms`` lab's test cells.

A DP mechanism is random, so it is graded by statistics over many seeded draws, never by one
number: is the release unbiased, is its variance the one its calibration implies, does its
distribution match the intended one (Kolmogorov-Smirnov)? Every check allows ``SIGMAS`` (5)
standard errors, so a correct mechanism fails with a probability below one in a million, while
a wrong calibration (scale = epsilon / sensitivity, a forgotten delta, a sensitivity of 1 for a
bounded sum) misses by far more.

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


def check_unbiased(samples: np.ndarray, expected: float, sd: float, what: str) -> float:
    """The sample mean is within ``SIGMAS`` standard errors of ``expected`` (noise sd ``sd``)."""
    mean = float(np.mean(samples))
    se = sd / math.sqrt(len(samples))
    off = abs(mean - expected) / se
    check(off <= SIGMAS,
          f"{what}: the mean of {len(samples)} releases is {mean:,.4g}, the true value is {expected:,.4g} "
          f"({off:.1f} standard errors away; a correct mechanism stays within {SIGMAS:g}). "
          "The release is biased: check what you add noise to (clipping? the right rows?) and that the noise has mean 0.")
    return off


def check_variance(samples: np.ndarray, expected_var: float, what: str, noise: str) -> float:
    """The sample variance is within ``SIGMAS`` standard errors of ``expected_var``."""
    s2 = float(np.var(samples, ddof=1))
    se = expected_var * math.sqrt((EXCESS_KURTOSIS[noise] + 2.0) / len(samples))
    ratio = math.sqrt(s2 / expected_var) if expected_var > 0 else float("inf")
    check(abs(s2 - expected_var) <= SIGMAS * se,
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
    se = math.sqrt(expected * (1 - expected) / trials)
    off = abs(share - expected) / se
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


def gaussian_delta(sigma: float, sensitivity: float, epsilon: float) -> float:
    """The exact delta of the Gaussian mechanism with noise ``sigma`` at ``epsilon``.

    Balle & Wang (2018), Theorem 8: delta = Phi(D/(2s) - e s/D) - exp(e) Phi(-D/(2s) - e s/D).
    Used as an oracle: a calibration is private when this is at most the target delta.
    """
    a = sensitivity / (2 * sigma)
    b = epsilon * sigma / sensitivity
    return float(stats.norm.cdf(a - b) - math.exp(epsilon) * stats.norm.cdf(-a - b))

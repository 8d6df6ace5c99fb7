"""The test-cell helpers every lab uses."""
import numpy as np
import pytest

from labs.checks import CheckFailed, check, partial_credit, passed, precision_recall


def test_partial_credit_is_a_plain_float_even_for_numpy_scores():
    # nbgrader parses the cell's text/plain output; repr(np.float64(1.5)) is "np.float64(1.5)",
    # which it cannot parse and grades as full credit.
    for score in (np.float64(0.5), np.float32(0.5), 0.5, np.float64(1.0)):
        result = partial_credit(3, score, full_at=0.95)
        assert type(result) is float
        assert float(repr(result)) == result


@pytest.mark.parametrize("score, expected", [(1.0, 3.0), (0.95, 3.0), (0.475, 1.5), (0.0, 0.0), (-0.2, 0.0)])
def test_partial_credit_scales_below_the_threshold(score, expected):
    assert partial_credit(3, score, full_at=0.95) == expected


def test_check_fails_with_the_message_and_passed_prints(capsys):
    with pytest.raises(CheckFailed, match="column 'email' is missing"):
        check(False, "column 'email' is missing")
    check(True, "not shown")
    passed("all columns classified")
    assert capsys.readouterr().out == "PASSED: all columns classified\n"


def test_precision_recall_edges():
    assert precision_recall([1, 2], [2, 3]) == (0.5, 0.5)
    assert precision_recall([], []) == (1.0, 1.0)
    assert precision_recall([], [1]) == (0.0, 0.0)
    assert precision_recall([1], []) == (0.0, 1.0)

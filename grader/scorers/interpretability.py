"""Scoring of the interpretability lab, outside the learner's kernel (see grader/scoring.py).

The kernel never holds a truth: not which column leaks, which columns encode the protected group,
or what the underwriters would decide about a new application. The grader rebuilds every model it
judges from the same data and the specification the notebook gives (gradient boosting with fixed
settings and ``random_state``), so it never runs the learner's code or unpickles a model: its own
references (``shap.TreeExplainer``, ``decision_function``, ``roc_auc_score``,
``permutation_importance``) are the oracles.

Held-out inputs (grader/datasets/credit.py) differ in kind from the learner's table:
another bank's applications (other column names and units, post-decision fields of other kinds --
one set for *denied* applications --, other proxies, a one-feature proxy as well as an interaction
one) for training, explaining, reason codes, the leakage and the proxy scans; applications
arriving at the learner's own bank at decision time (leak not recorded yet, more applicants of the
protected group), labelled only here, for the clean model; contribution matrices and importance
tables with edge cases for the small functions.

Held-out share: every cell scores the *minimum* of its own-data and held-out scores, except
test-importance-table (2 of the 27 points), scored on the learner's table against the grader's
recomputation; so 25 of 27 points (93 %) need the held-out inputs handled.

Degenerate answers earn nothing by property: predictions whose AUC on labels the kernel never had
is near chance (a constant or dummy model), explanations that do not add up to the reference
model's log-odds, scans that rank every feature alike, reason codes for the wrong applicants.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shap
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.inspection import permutation_importance
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from grader.datasets import credit as gen
from grader.scoring import AnswerError, Answers, Context, LabScorer, Score

LAB = "interpretability"
scorer = LabScorer(LAB, datasets=(gen.NAME,))

TARGET, PROTECTED, ID = gen.TARGET, gen.PROTECTED, gen.ID
#: The model the notebook specifies (Exercise 1.1), and the one its hidden tests build to explain.
SPECIFIED = dict(n_estimators=150, max_depth=3, learning_rate=0.1, random_state=0)
EXPLAINED = dict(n_estimators=60, max_depth=2, random_state=0)
EXPLAINED_ROWS = 200
#: Predictions within this of the reference model's are that model (same data, same settings).
SAME_MODEL = 1e-6
SAME_VALUE = 1e-6
#: Below this AUC on labels the kernel never had, a model has learned nothing worth scoring.
NOT_DEGENERATE_AUC = 0.65
OWN_EXPLAINED = 300
PERMUTATION = dict(scoring="roc_auc", n_repeats=10, random_state=0)
EXPLANATION = "b"


# ============================================================================ data and references

def _own(ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    def make():
        own = ctx.own(gen.NAME)
        frame = own.data.set_index(ID)
        train, test = train_test_split(frame, test_size=0.3, random_state=0, stratify=frame[TARGET])
        return frame, train, test, own.truth
    return ctx.cached("own-split", make)


def _fit(ctx: Context, key: tuple, X: pd.DataFrame, y: pd.Series, settings: dict) -> GradientBoostingClassifier:
    return ctx.cached(("model", *key, tuple(X.columns), tuple(sorted(settings.items()))),
                      lambda: GradientBoostingClassifier(**settings).fit(X, y))


def _own_model(ctx: Context, features: list[str]) -> GradientBoostingClassifier:
    """The specified model on the learner's training rows and the features they declared."""
    _, train, _, _ = _own(ctx)
    return _fit(ctx, ("own",), train[features], train[TARGET], SPECIFIED)


def _declared_features(answers_value: Any, ctx: Context, name: str) -> list[str]:
    frame, _, _, _ = _own(ctx)
    allowed = set(frame.columns) - {TARGET, PROTECTED}
    if not isinstance(answers_value, list) or not answers_value or \
            not all(isinstance(f, str) and f in allowed for f in answers_value) or len(set(answers_value)) != len(answers_value):
        raise AnswerError(f"{name} must be a non-empty list of distinct input columns of your table")
    return answers_value


def _other_bank(ctx: Context, purpose: str, kind: str, n: int) -> tuple[pd.DataFrame, dict]:
    return ctx.cached(("other-bank", purpose), lambda: gen.other_bank(ctx.seed(f"{purpose}|{kind}"), kind, n))


def _training_case(ctx: Context) -> dict:
    """Another bank's decided applications to train on, and undecided ones to predict."""
    def make():
        frame, truth = _other_bank(ctx, "training", "interaction", 1500)
        frame = frame.drop(columns=[PROTECTED])
        order = np.random.default_rng(ctx.seed("training-order")).permutation(len(frame))
        train, applications = frame.iloc[order[:1050]], frame.iloc[order[1050:]]
        return {"train": train.to_dict("records"),
                "applications": applications.drop(columns=[TARGET]).to_dict("records"),
                "labels": applications[TARGET].tolist(), "truth": truth}
    return ctx.cached("training-case", make)


def _training_frames(ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The training case as the kernel rebuilds it from the held-out records."""
    case = _training_case(ctx)
    train = pd.DataFrame(case["train"]).set_index(ID)
    applications = pd.DataFrame(case["applications"]).set_index(ID)
    return train, applications, [c for c in train.columns if c != TARGET]


def _explained_model(ctx: Context) -> GradientBoostingClassifier:
    train, _, features = _training_frames(ctx)
    return _fit(ctx, ("held-out",), train[features], train[TARGET], EXPLAINED)


def _explained_rows(ctx: Context) -> pd.DataFrame:
    _, applications, features = _training_frames(ctx)
    return applications[features].iloc[:EXPLAINED_ROWS]


def _shap(model, X: pd.DataFrame) -> tuple[float, np.ndarray]:
    explanation = shap.TreeExplainer(model)(X)
    return float(np.ravel(explanation.base_values)[0]), np.asarray(explanation.values, dtype=float)


def _contribution_cases(ctx: Context) -> list[dict]:
    """Contribution matrices for the ranking function: signed features whose mean and mean |.|
    rank differently, a feature that is always 0, a single row."""
    def make():
        rng = np.random.default_rng(ctx.seed("contributions"))
        cases = []
        for rows, width in ((120, 6), (1, 4), (40, 9)):
            columns = [f"f{int(c)}" for c in rng.choice(np.arange(10, 99), size=width, replace=False)]
            values = rng.normal(0, 1, (rows, width)) * rng.uniform(0.05, 1.5, width)
            values[:, 0] = -np.abs(values[:, 0]) * 2  # large, always against approval
            values[:, -1] = 0.0
            cases.append({"columns": columns, "index": [f"R{i}" for i in range(rows)],
                          "values": np.round(values, 6).tolist()})
        return cases
    return ctx.cached("contribution-cases", make)


def _additivity_cases(ctx: Context) -> tuple[list[dict], list[float]]:
    def make():
        model, X = _explained_model(ctx), _explained_rows(ctx)
        base, values = _shap(model, X)
        margin = model.decision_function(X)
        probability = model.predict_proba(X)[:, 1]
        # exact, scaled, shifted, and another output's base value with other rows' contributions
        variants = [(base, values), (base, values * 1.5), (base + 0.3, values),
                    (float(np.log(probability.mean() / (1 - probability.mean()))), values[::-1])]
        cases, expected = [], []
        for b, v in variants:
            cases.append({"base_value": float(b), "contributions": v.tolist()})
            expected.append(float(np.max(np.abs(b + v.sum(axis=1) - margin))))
        return cases, expected
    return ctx.cached("additivity-cases", make)


def _leakage_tables(ctx: Context) -> list[tuple[pd.DataFrame, dict]]:
    def make():
        tables = []
        for kind in ("marginal", "interaction"):
            frame, truth = gen.other_bank(ctx.seed(f"leakage|{kind}"), kind, 1200)
            tables.append((frame.drop(columns=[PROTECTED]), truth))
        return tables
    return ctx.cached("leakage-tables", make)


def _proxy_tables(ctx: Context) -> list[tuple[pd.DataFrame, dict]]:
    def make():
        tables = []
        for kind in ("interaction", "marginal"):
            frame, truth = gen.other_bank(ctx.seed(f"proxy|{kind}"), kind, 1200)
            features = [f for f in truth["features"] if f != truth["leakage"]]
            tables.append((frame[[ID, *features, PROTECTED]], truth))
        return tables
    return ctx.cached("proxy-tables", make)


def _new_applications(ctx: Context) -> tuple[pd.DataFrame, dict]:
    return ctx.cached("new-applications",
                      lambda: gen.new_applications(ctx.data_seed(), ctx.seed("new-applications")))


def _importance_cases(ctx: Context) -> list[dict]:
    """Importance tables for the no-evidence rule: values at, just below and above both limits."""
    def make():
        rng = np.random.default_rng(ctx.seed("importance-tables"))
        cases = []
        for width in (8, 11):
            names = [f"x{int(c)}" for c in rng.choice(np.arange(100, 999), size=width, replace=False)]
            permutation = np.round(rng.choice([-0.004, 0.0, 0.003, 0.0049, 0.005, 0.012, 0.03, 0.09, 0.2], width), 4)
            std = np.round(np.abs(permutation) * rng.choice([0.1, 0.3, 0.5, 0.6], width) + 0.0005, 4)
            std[1] = permutation[1] / 2 if permutation[1] > 0 else std[1]  # exactly at 2 x std
            cases.append({name: {"shap": round(float(rng.uniform(0.001, 0.8)), 4), "permutation": float(p),
                                 "permutation_std": float(s)} for name, p, s in zip(names, permutation, std)})
        return cases
    return ctx.cached("importance-cases", make)


@scorer.held_out_inputs
def inputs(ctx: Context) -> dict[str, Any]:
    training = _training_case(ctx)
    new, _ = _new_applications(ctx)
    return {
        "training": {"train": training["train"], "applications": training["applications"]},
        "contributions": _contribution_cases(ctx),
        "additivity": _additivity_cases(ctx)[0],
        "leakage": [frame.to_dict("records") for frame, _ in _leakage_tables(ctx)],
        "proxy": [frame.to_dict("records") for frame, _ in _proxy_tables(ctx)],
        "new_applications": new.to_dict("records"),
        "importance": _importance_cases(ctx),
    }


# ============================================================================ answer checking

def _mapping(value: Any, name: str) -> dict:
    if not isinstance(value, dict):
        raise AnswerError(f"the answer {name!r} must be a dict")
    return value


def _numbers(value: Any, name: str, length: int | None = None) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise AnswerError(f"{name} must hold numbers only") from None
    if length is not None and (array.ndim != 1 or len(array) != length):
        raise AnswerError(f"{name} must hold {length} numbers, one per application")
    if not np.isfinite(array).all():
        raise AnswerError(f"{name} holds a missing or infinite number")
    return array


def _series(value: Any, name: str, features: list[str]) -> pd.Series:
    """A Series handed in as a dict {feature: number}, in the order it was sorted."""
    value = _mapping(value, name)
    if set(value) != set(features):
        raise AnswerError(f"{name} needs exactly one entry per feature")
    return pd.Series(_numbers(list(value.values()), name), index=list(value))


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise AnswerError(f"{name} must be a number, got {str(value)[:40]}")
    return float(value)


def _prediction_score(probability: np.ndarray, labels: list[int], reference: np.ndarray) -> tuple[float, float, bool]:
    auc = roc_auc_score(labels, probability) if np.ptp(probability) > 0 else 0.5
    same = bool(np.max(np.abs(probability - reference)) < SAME_MODEL)
    return float(auc), (0.0 if auc < NOT_DEGENERATE_AUC else 1.0 if same else 0.5), same


# ============================================================================ Part 1

@scorer.test("test-fit-model")
def fit_model(answers: Answers, ctx: Context) -> Score:
    own = _mapping(answers.get("own"), "own")
    frame, _, test, truth = _own(ctx)
    features = _declared_features(own.get("features"), ctx, "FEATURES")
    if set(features) != set(truth["features"]):
        return Score.zero("FEATURES must be every column except approved and protected_group")
    reference = _own_model(ctx, features).predict_proba(test[features])[:, 1]
    own_auc, own_fraction, own_same = _prediction_score(_numbers(own.get("proba"), "own predictions", len(test)),
                                                        test[TARGET].tolist(), reference)
    case = _training_case(ctx)
    train, applications, held_features = _training_frames(ctx)
    held_reference = _fit(ctx, ("held-out",), train[held_features], train[TARGET], SPECIFIED)
    held_auc, held_fraction, held_same = _prediction_score(
        _numbers(answers.get("held-out"), "held-out predictions", len(applications)), case["labels"],
        held_reference.predict_proba(applications[held_features])[:, 1])
    return Score(min(own_fraction, held_fraction), (
        f"your test rows: AUC {own_auc:.3f}, {'the' if own_same else 'not the'} specified model; another bank's "
        f"applications (labels only the grader has): AUC {held_auc:.3f}, {'the' if held_same else 'not the'} "
        f"specified model (full marks for the specified model; half for another one that learned; none below "
        f"AUC {NOT_DEGENERATE_AUC})"))


def _explanation_right(value: Any, name: str, base: float, values: np.ndarray) -> bool:
    value = _mapping(value, name)
    given = _numbers(value.get("contributions"), f"{name} contributions")
    if given.shape != values.shape:
        raise AnswerError(f"{name}: contributions must have one row per application and one column per feature")
    return bool(np.allclose(given, values, atol=SAME_VALUE) and abs(_number(value.get("base_value"), f"{name} base value") - base) < SAME_VALUE)


@scorer.test("test-explain")
def explain(answers: Answers, ctx: Context) -> Score:
    _, _, test, truth = _own(ctx)
    X = test[truth["features"]].iloc[:OWN_EXPLAINED]
    own_ok = _explanation_right(answers.get("own"), "own", *_shap(_own_model(ctx, truth["features"]), X))
    held_ok = _explanation_right(answers.get("held-out"), "held-out",
                                 *_shap(_explained_model(ctx), _explained_rows(ctx)))
    return Score(min(own_ok, held_ok), (
        f"your model and rows: {'the same as' if own_ok else 'not'} SHAP's TreeExplainer values in log-odds; "
        f"another model on another bank's applications: {'the same' if held_ok else 'not the same'} "
        f"(base value and every contribution within {SAME_VALUE:g})"))


def _ranking_right(given: Any, columns: list[str], values: np.ndarray) -> bool:
    series = _series(given, "importance", columns)
    expected = pd.Series(np.abs(values).mean(axis=0), index=columns)
    return bool(np.allclose(series.reindex(columns).to_numpy(), expected.to_numpy(), atol=1e-9)
                and series.is_monotonic_decreasing)


@scorer.test("test-global-importance")
def global_importance(answers: Answers, ctx: Context) -> Score:
    _, _, test, truth = _own(ctx)
    X = test[truth["features"]].iloc[:OWN_EXPLAINED]
    _, values = _shap(_own_model(ctx, truth["features"]), X)
    own_ok = _ranking_right(answers.get("own"), truth["features"], values)
    cases = _contribution_cases(ctx)
    held = answers.list_of("held-out", dict, length=len(cases))
    right = [_ranking_right(g, c["columns"], np.asarray(c["values"])) for g, c in zip(held, cases)]
    held_fraction = sum(right) / len(right)
    return Score(min(float(own_ok), held_fraction), (
        f"your explained rows: {'' if own_ok else 'not '}SHAP's mean |value| per feature, sorted; "
        f"{sum(right)} of {len(right)} held-out contribution matrices ranked right"))


@scorer.test("test-additivity")
def additivity(answers: Answers, ctx: Context) -> Score:
    _, _, test, truth = _own(ctx)
    model = _own_model(ctx, truth["features"])
    X = test[truth["features"]].iloc[:OWN_EXPLAINED]
    base, values = _shap(model, X)
    margin = model.decision_function(X)
    shifted = values.copy()
    shifted[:, 0] += 0.25
    own_expected = [float(np.max(np.abs(base + v.sum(axis=1) - margin))) for v in (values, shifted)]
    own = _numbers(answers.get("own"), "own gaps", 2)
    own_ok = bool(np.allclose(own, own_expected, atol=SAME_VALUE))
    _, expected = _additivity_cases(ctx)
    held = _numbers(answers.get("held-out"), "held-out gaps", len(expected))
    held_right = int(np.sum(np.abs(held - np.asarray(expected)) < SAME_VALUE))
    return Score(min(float(own_ok), held_right / len(expected)), (
        f"your explanation and a shifted one: gaps {'' if own_ok else 'not '}as the model's log-odds give; "
        f"{held_right} of {len(expected)} held-out explanations (exact, scaled, shifted, of another output) "
        "measured right"))


# ============================================================================ Part 2

def _auc_scan(frame: pd.DataFrame, features: list[str], target: str) -> pd.Series:
    aucs = {f: roc_auc_score(frame[target], frame[f]) for f in features}
    return pd.Series({f: max(a, 1 - a) for f, a in aucs.items()})


def _scan_right(given: Any, frame: pd.DataFrame, features: list[str]) -> tuple[bool, str | None]:
    series = _series(given, "scan", features)
    values_ok = bool(np.allclose(series.reindex(features).to_numpy(),
                                 _auc_scan(frame, features, TARGET).reindex(features).to_numpy(), atol=1e-9))
    return values_ok and series.is_monotonic_decreasing, str(series.index[0])


@scorer.test("test-leakage")
def leakage(answers: Answers, ctx: Context) -> Score:
    own = _mapping(answers.get("own"), "own")
    _, train, _, truth = _own(ctx)
    scan_ok, _ = _scan_right(own.get("scan"), train, truth["features"])
    pick_ok = own.get("leakage") == truth["leakage"]
    own_fraction = (scan_ok + pick_ok) / 2
    tables = _leakage_tables(ctx)
    held = answers.list_of("held-out", dict, length=len(tables))
    found = 0
    for given, (frame, table_truth) in zip(held, tables):
        ok, top = _scan_right(given, frame, table_truth["features"])
        found += bool(ok and top == table_truth["leakage"])
    return Score(min(own_fraction, found / len(tables)), (
        f"your scan {'right' if scan_ok else 'not max(AUC, 1 - AUC) of each feature, sorted'}; your leakage "
        f"feature {'right' if pick_ok else 'wrong'}; on {found} of {len(tables)} other banks' tables (other "
        "post-decision fields, one set for denied applications) the scan is right and puts the leak first"))


def _proxy_found(given: Any, frame: pd.DataFrame, features: list[str], proxies: list[str]) -> bool:
    series = _series(given, "proxy scan", features)
    if series.nunique() < 2:
        return False
    ranked = series.sort_values(ascending=False, kind="stable")
    return bool(series.is_monotonic_decreasing and set(ranked.index[:len(proxies)]) == set(proxies)
                and ranked.iloc[len(proxies) - 1] > ranked.iloc[len(proxies)])


@scorer.test("test-proxy")
def proxy(answers: Answers, ctx: Context) -> Score:
    own = _mapping(answers.get("own"), "own")
    frame, _, _, truth = _own(ctx)
    candidates = [f for f in truth["features"] if f != truth["leakage"]]
    scan_ok = _proxy_found(own.get("scan"), frame, candidates, truth["proxies"])
    chosen = own.get("proxies")
    pick_ok = isinstance(chosen, list) and sorted(map(str, chosen)) == sorted(truth["proxies"])
    tables = _proxy_tables(ctx)
    held = answers.list_of("held-out", dict, length=len(tables))
    found = sum(_proxy_found(g, t, [f for f in tt["features"] if f != tt["leakage"]], tt["proxies"])
                for g, (t, tt) in zip(held, tables))
    return Score(min((scan_ok + pick_ok) / 2, found / len(tables)), (
        f"your scan {'ranks' if scan_ok else 'does not rank'} the columns that encode the group above all others; "
        f"your proxy_features {'are' if pick_ok else 'are not'} those columns; on {found} of {len(tables)} other "
        "banks' tables (a proxy pair of other columns, a one-feature proxy) the scan ranks the proxy first"))


# ============================================================================ Part 3

def _gap(approved: np.ndarray, group: np.ndarray) -> float:
    return float(approved[group == 0].mean() - approved[group == 1].mean())


@scorer.test("test-retrain")
def retrain(answers: Answers, ctx: Context) -> Score:
    own = _mapping(answers.get("own"), "own")
    _, _, test, truth = _own(ctx)
    clean = _declared_features(own.get("clean_features"), ctx, "clean_features")
    expected = [f for f in truth["features"] if f != truth["leakage"] and f not in truth["proxies"]]
    features_ok = set(clean) == set(expected)
    full, clean_model = _own_model(ctx, truth["features"]), _own_model(ctx, clean)
    aucs = [roc_auc_score(test[TARGET], m.predict_proba(test[f])[:, 1])
            for m, f in ((full, truth["features"]), (clean_model, clean))]
    group = test[PROTECTED].to_numpy()
    gaps = [_gap(m.predict(test[f]) == 1, group) for m, f in ((full, truth["features"]), (clean_model, clean))]
    given = [_number(own.get(k), k) for k in ("auc_full", "auc_clean", "gap_full", "gap_clean")]
    numbers_ok = bool(np.allclose(given, aucs + gaps, atol=1e-9))
    held = _mapping(answers.get("held-out"), "held-out")
    new, new_truth = _new_applications(ctx)
    probability = _numbers(held.get("proba"), "predictions on new applications", len(new))
    auc, fraction, same = _prediction_score(probability, new_truth["approved"],
                                            clean_model.predict_proba(new[clean])[:, 1])
    if fraction == 0:
        return Score.zero(f"on new applications (decided only here) your clean model's AUC is {auc:.3f}: it has "
                          "learned nothing usable")
    new_gap_ok = bool(abs(_number(held.get("gap"), "approval gap") - _gap(probability > 0.5, new[PROTECTED].to_numpy())) < 1e-9)
    own_fraction = (features_ok + numbers_ok) / 2
    held_fraction = (features_ok + fraction + new_gap_ok) / 3
    return Score(min(own_fraction, held_fraction), (
        f"clean_features {'drop exactly' if features_ok else 'do not drop exactly'} the leak and the proxy; your AUCs "
        f"and gaps {'are' if numbers_ok else 'are not'} those of the two models on your test rows; on new "
        f"applications at decision time: AUC {auc:.3f}, {'the' if same else 'not the'} model trained as specified "
        f"on clean_features, approval gap {'right' if new_gap_ok else 'wrong'}"))


def _reference_codes(model, X: pd.DataFrame, k: int) -> dict[str, list[str]]:
    denied = X.index[model.predict_proba(X)[:, 1] < 0.5]
    if len(denied) == 0:
        return {}
    _, values = _shap(model, X.loc[denied])
    frame = pd.DataFrame(values, index=denied, columns=X.columns)
    return {str(a): list(row[row < 0].sort_values(kind="stable").index[:k]) for a, row in frame.iterrows()}


def _codes(value: Any, name: str) -> dict[str, list]:
    value = _mapping(value, name)
    if not all(isinstance(v, list) for v in value.values()):
        raise AnswerError(f"{name}: every value must be a list of feature names")
    return value


def _own_codes(answers: Answers, ctx: Context) -> tuple[dict, dict]:
    own = _mapping(answers.get("own"), "own")
    _, _, test, _ = _own(ctx)
    clean = _declared_features(own.get("clean_features"), ctx, "clean_features")
    X = test[clean].iloc[:OWN_EXPLAINED]
    return _codes(own.get("codes"), "own codes"), _reference_codes(_own_model(ctx, clean), X, 3)


def _held_codes(ctx: Context, k: int) -> dict:
    return ctx.cached(("held-codes", k), lambda: _reference_codes(_explained_model(ctx), _explained_rows(ctx), k))


def _format_share(given: dict, expected: dict, k: int, features: set[str]) -> float:
    if set(given) != set(expected):
        return 0.0
    return sum(len(v) <= k and all(isinstance(f, str) and f in features for f in v)
               for v in given.values()) / max(1, len(given))


@scorer.test("test-reason-codes-format")
def reason_codes_format(answers: Answers, ctx: Context) -> Score:
    given, expected = _own_codes(answers, ctx)
    features = set(_own(ctx)[0].columns)
    own_fraction = _format_share(given, expected, 3, features) if expected else float(given == {})
    held = _codes(answers.get("held-out"), "held-out codes")
    held_fraction = _format_share(held, _held_codes(ctx, 3), 3, set(_explained_rows(ctx).columns))
    if not any(given.values()):
        own_fraction = 0.0
    return Score(min(own_fraction, held_fraction), (
        f"your applicants: {own_fraction:.0%}, another bank's: {held_fraction:.0%} well-formed (one entry for every "
        "denied applicant and none for the others, at most k feature names each)"))


def _codes_share(given: dict, expected: dict) -> float:
    if not expected:
        return float(given == {})
    right = sum([str(f) for f in given.get(a, [])] == codes for a, codes in expected.items())
    return right / (len(expected) + len(set(given) - set(expected)))


@scorer.test("test-reason-codes")
def reason_codes(answers: Answers, ctx: Context) -> Score:
    given, expected = _own_codes(answers, ctx)
    own_fraction = _codes_share(given, expected)
    held_fraction = _codes_share(_codes(answers.get("held-out"), "held-out codes"), _held_codes(ctx, 4))
    return Score(min(own_fraction, held_fraction), (
        f"{own_fraction:.0%} of your denied applicants and {held_fraction:.0%} of another bank's (k=4) got exactly "
        "the features with the most negative SHAP values, most negative first"))


def _own_importance(ctx: Context, clean: list[str]) -> pd.DataFrame:
    def make():
        _, _, test, _ = _own(ctx)
        model = _own_model(ctx, clean)
        _, values = _shap(model, test[clean].iloc[:OWN_EXPLAINED])
        permutation = permutation_importance(model, test[clean], test[TARGET], **PERMUTATION)
        return pd.DataFrame({"shap": np.abs(values).mean(axis=0), "permutation": permutation.importances_mean,
                             "permutation_std": permutation.importances_std}, index=clean)
    return ctx.cached(("importance", tuple(clean)), make)


@scorer.test("test-importance-table")
def importance_table(answers: Answers, ctx: Context) -> Score:
    own = _mapping(answers.get("own"), "own")
    clean = _declared_features(own.get("clean_features"), ctx, "clean_features")
    table = _mapping(own.get("table"), "importance")
    expected = _own_importance(ctx, clean)
    right = []
    for column in ("shap", "permutation", "permutation_std"):
        series = _series(table.get(column), f"importance[{column!r}]", clean)
        right.append(bool(np.allclose(series.reindex(clean).to_numpy(), expected[column].to_numpy(), atol=1e-8)))
    shap_ok, permutation_ok = right[0], right[1] and right[2]
    return Score((shap_ok + permutation_ok) / 2, (
        f"shap column {'right' if shap_ok else 'not the mean |SHAP| of clean_model over the 300 explained test rows'}; "
        f"permutation columns {'right' if permutation_ok else 'not permutation_importance on the test rows with the given settings'}"))


def _rule(table: pd.DataFrame) -> list[str]:
    mask = (table["permutation"] < 0.005) | (table["permutation"] <= 2 * table["permutation_std"])
    return sorted(table.index[mask])


def _names(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AnswerError(f"{name} must be a list of feature names")
    return value


@scorer.test("test-disagreement")
def disagreement(answers: Answers, ctx: Context) -> Score:
    own = _mapping(answers.get("own"), "own")
    _, _, _, truth = _own(ctx)
    clean = _declared_features(own.get("clean_features"), ctx, "clean_features")
    not_useful = _names(own.get("not_useful"), "not_useful")
    own_rule = _rule(_own_importance(ctx, clean))
    finds_noise = set(truth["noise"]) <= set(not_useful) and not set(truth["strong"]) & set(not_useful)
    own_fraction = 1.0 if not_useful == own_rule and finds_noise else 0.5 if finds_noise else 0.0
    cases = _importance_cases(ctx)
    held = answers.list_of("held-out", list, length=len(cases))
    held_right = sum(_names(g, "held-out not_useful") == _rule(pd.DataFrame(c).T) for g, c in zip(held, cases))
    why_ok = own.get("explanation") == EXPLANATION
    sets = min(own_fraction, held_right / len(cases))
    return Score(sets * (2 + why_ok) / 3, (
        f"not_useful on your table: {'as the rule gives, noise included' if own_fraction == 1 else 'finds the noise features but differs from the rule' if own_fraction else 'misses noise features or lists strong ones'}; "
        f"the rule right on {held_right} of {len(cases)} held-out importance tables; the explanation "
        f"{'right' if why_ok else 'is not the statement that explains noise features'} (it counts only with the rule)"))

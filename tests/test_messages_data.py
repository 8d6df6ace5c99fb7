"""The text-attacks lab's generator and scoring helpers: pure, per-seed different, truthful about what they planted."""
from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from labs.datasets import load, specs
from labs.datasets.messages import BENIGN_POOL, LEET, PHISHING_POOL, SHARED, ZERO_WIDTH
from labs.text_attacks import attack_sample, clean_scores, levenshtein, split

SEEDS = (0, 1, 7, 2026)
WORD = re.compile(r"[a-z]+")


def undisguise(text: str) -> str:
    """A reference normalization for these tests (the lab's exercise is to write one)."""
    text = unicodedata.normalize("NFKC", text)
    for ch in ZERO_WIDTH:
        text = text.replace(ch, "")
    table = {ch: letter for letter, chars in LEET.items() for ch in chars}
    tokens = [t.lower() for t in text.split(" ")]
    return " ".join("".join(table.get(c, c) for c in t) if any(c.isalpha() for c in t) else t for t in tokens)


@pytest.fixture(scope="module")
def data():
    return {seed: load("messages", seed=seed) for seed in SEEDS}


def test_registered_with_datasheet(data):
    spec = specs()["messages"]
    assert spec.title and spec.generation and spec.planted and spec.intended_use
    assert set(data[SEEDS[0]].data.columns) <= set(spec.fields)


def test_different_seeds_different_data(data):
    frames = [data[s].data for s in SEEDS]
    assert len({tuple(f["text"].head(10)) for f in frames}) == len(SEEDS)
    cue_sets = {tuple(data[s].truth["phishing_cues"]) for s in SEEDS}
    assert len(cue_sets) == len(SEEDS), "each seed should draw its own cue vocabulary"


@pytest.mark.parametrize("seed", SEEDS)
def test_shape_and_splits(seed, data):
    frame = data[seed].data
    assert frame["message_id"].is_unique
    assert set(frame["split"]) == {"train", "test"} and set(frame["label"]) == {0, 1}
    train, test = split(frame)
    assert 360 <= len(train) <= 440 and 180 <= len(test) <= 220
    assert 0.3 < frame["label"].mean() < 0.6


@pytest.mark.parametrize("seed", SEEDS)
def test_cues_come_from_the_pools_and_carry_the_label(seed, data):
    ds = data[seed]
    p_cues, b_cues = set(ds.truth["phishing_cues"]), set(ds.truth["benign_cues"])
    assert p_cues <= set(PHISHING_POOL) and b_cues <= set(BENIGN_POOL) and len(p_cues) == len(b_cues) == 14
    clean = ds.data[~ds.data["message_id"].isin(ds.truth["obfuscated"])]
    for text, label in zip(clean["text"], clean["label"]):
        words = WORD.findall(text.lower())
        own, other = (p_cues, b_cues) if label == 1 else (b_cues, p_cues)
        n_own, n_other = sum(w in own for w in words), sum(w in other for w in words)
        assert n_own >= 2 and n_own > n_other, f"the label's cues must be the majority: {text!r}"


@pytest.mark.parametrize("seed", SEEDS)
def test_disguises_are_truthful(seed, data):
    ds = data[seed]
    by_id = ds.data.set_index("message_id")
    assert len(ds.truth["obfuscated"]) >= 10
    assert set(ds.truth["clean_text"]) == set(ds.truth["obfuscated"])
    for message_id in ds.truth["obfuscated"]:
        row = by_id.loc[message_id]
        assert row["split"] == "test" and row["label"] == 1
        disguised, clean = row["text"], ds.truth["clean_text"][message_id]
        assert disguised != clean
        assert undisguise(disguised) == undisguise(clean), (disguised, clean)
        # only phishing cue words were disguised
        changed = [c for d, c in zip(disguised.split(" "), clean.split(" ")) if d != c]
        assert changed and all(c.rstrip(".,:?!").lower() in ds.truth["phishing_cues"] for c in changed)


@pytest.mark.parametrize("seed", SEEDS)
def test_attack_sample(seed, data):
    ds = data[seed]
    sample = attack_sample(ds)
    assert len(sample) == 30 and set(sample["label"]) == {1}
    assert not set(sample["message_id"]) & set(ds.truth["obfuscated"])
    assert set(ds.data.set_index("message_id").loc[sample["message_id"], "split"]) == {"test"}


def test_disguise_fools_a_word_model_and_normalization_undoes_it(data):
    """Directional check: disguises lower a word model's recall; normalizing the input restores it."""
    for seed in SEEDS[:2]:
        ds = data[seed]
        train, _ = split(ds.data)
        plain = make_pipeline(TfidfVectorizer(), LogisticRegression(C=10, max_iter=1000)).fit(train["text"], train["label"])
        normalized = make_pipeline(TfidfVectorizer(preprocessor=undisguise), LogisticRegression(C=10, max_iter=1000))
        normalized.fit(train["text"], train["label"])
        plain_scores, norm_scores = clean_scores(plain, ds), clean_scores(normalized, ds)
        assert plain_scores["disguised_recall"] < 0.85
        assert norm_scores["disguised_recall"] >= 0.9 and norm_scores["f1"] >= 0.9


def test_shared_words_carry_no_label(data):
    """Invariance: the shared vocabulary appears in both classes at similar rates."""
    frame = pd.concat([data[s].data for s in SEEDS])
    rates = {}
    for label in (0, 1):
        words = [w for t in frame.loc[frame["label"] == label, "text"] for w in WORD.findall(t.lower())]
        rates[label] = np.mean([w in SHARED for w in words])
    assert abs(rates[0] - rates[1]) < 0.05


def test_levenshtein():
    assert levenshtein("verify", "verify") == 0
    assert levenshtein("verify", "verfy") == 1
    assert levenshtein("verify", "vreify") == 2
    assert levenshtein("", "abc") == 3

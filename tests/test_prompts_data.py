"""The prompt-injection lab's corpora: pure, per-seed different, and truthful about what they planted.

"Truthful" is checked against the learners' support bot (labs.support_bot) with the grader's
referee: every attack makes the undefended bot leak, no benign prompt does, and labels mean what the
lab says (direct = the message attacks, indirect = only the document does). The held-out generator
variants are checked for the kinds they promise in tests/test_prompt_injection_scoring.py.
"""
from __future__ import annotations

import unicodedata

import pandas as pd
import pytest

from grader.chat_models import PROFILES, leaks as leaks_secret, read
from grader.datasets import generate
from grader.datasets.prompts import ATTACK_TECHNIQUES, BENIGN_TECHNIQUES, LABELS
from labs.support_bot import HOMOGLYPHS, REFUSAL, ZERO_WIDTH_CHARACTERS, SupportBot


def read_like_a_model(text: str):
    """The learners' model's reading of ``text``, with the grader's copy of its attack shapes."""
    return read(text, PROFILES["support-bot"])

SEEDS = (0, 1, 7, 2026)
NAMES = ("prompts", "attack_corpus")


@pytest.fixture(scope="module")
def data():
    return {(name, seed): generate(name, seed) for name in NAMES for seed in SEEDS}


def _attacks(reading) -> bool:
    """Would the learners' model comply with this text (the same rule as SimulatedChatModel)?"""
    return reading.dump or ((reading.override or reading.roleplay) and reading.target) or reading.asks_for_secret


@pytest.mark.parametrize("name", NAMES)
def test_different_seeds_different_data(name, data):
    frames = [data[(name, seed)].data for seed in SEEDS]
    assert len({tuple(f["message"].head(30)) for f in frames}) == len(SEEDS)
    assert len({len(f) for f in frames}) > 1


# --- prompts (F) ---------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_prompt_labels_are_complete_and_balanced(seed, data):
    ds = data[("prompts", seed)]
    df, labels = ds.data, ds.truth["labels"]
    assert df["prompt_id"].is_unique and list(df.columns) == ["prompt_id", "message", "document"]
    assert set(labels) == set(df["prompt_id"]) and set(labels.values()) == set(LABELS)
    shares = pd.Series(labels).value_counts(normalize=True)
    assert shares["benign"] > 0.3 and shares["direct"] > 0.15 and shares["indirect"] > 0.15
    techniques = pd.Series(ds.truth["techniques"])
    assert {"hard-negative", "plain-ask", "override", "roleplay", "prompt-dump", "indirect"} <= set(techniques)


@pytest.mark.parametrize("seed", SEEDS)
def test_prompt_labels_match_the_bot(seed, data):
    ds = data[("prompts", seed)]
    bot = SupportBot(1, seed=seed)
    secret = bot.operator_secret()
    for pid, message, document in ds.data.itertuples(index=False):
        label = ds.truth["labels"][pid]
        reply = bot.reply(message, document)
        assert leaks_secret(reply, secret) == (label != "benign"), (pid, label, message, document[:80])
        assert reply != REFUSAL, (pid, message)
        # direct: the message attacks; indirect: only the document does (plain language either way)
        assert _attacks(read_like_a_model(message)) == (label == "direct"), (pid, label, message)
        if label == "indirect":
            assert document and _attacks(read_like_a_model(document)), pid
        if label == "benign" and document:
            assert not _attacks(read_like_a_model(document)), pid


@pytest.mark.parametrize("seed", SEEDS)
def test_prompts_are_plain_language(seed, data):
    df = data[("prompts", seed)].data
    text = "".join(df["message"]) + "".join(df["document"])
    assert not set(text) & (set(ZERO_WIDTH_CHARACTERS) | set(HOMOGLYPHS))
    assert unicodedata.normalize("NFKC", text) == text


# --- attack corpus (A) ---------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_attack_corpus_shape(seed, data):
    ds = data[("attack_corpus", seed)]
    df = ds.data
    assert df["attack_id"].is_unique
    assert set(df["kind"]) == {"attack", "benign"}
    assert set(df.loc[df["kind"] == "attack", "technique"]) == set(ATTACK_TECHNIQUES)
    assert set(df.loc[df["kind"] == "benign", "technique"]) == set(BENIGN_TECHNIQUES)
    counts = df.loc[df["kind"] == "attack", "technique"].value_counts()
    assert counts.min() >= 10
    assert (df["kind"] == "benign").sum() >= 100, "enough benign prompts to measure a 5 % false-positive rate"
    assert ds.truth["attack_ids"] == sorted(df.loc[df["kind"] == "attack", "attack_id"])
    assert ds.truth["techniques"] == dict(zip(df["attack_id"], df["technique"]))


@pytest.mark.parametrize("seed", SEEDS)
def test_every_attack_leaks_and_no_benign_does(seed, data):
    df = data[("attack_corpus", seed)].data
    bot = SupportBot(1, seed=seed)
    secret = bot.operator_secret()
    for row in df.itertuples(index=False):
        reply = bot.reply(row.message, row.document)
        assert leaks_secret(reply, secret) == (row.kind == "attack"), (row.technique, row.message[:80])
        assert not leaks_secret(row.message + row.document, secret)
        if row.kind == "benign":
            assert reply != REFUSAL, row.message


@pytest.mark.parametrize("seed", SEEDS)
def test_disguises_are_what_they_say(seed, data):
    df = data[("attack_corpus", seed)].data
    by = {t: df.loc[df["technique"] == t, ["message", "document"]] for t in set(df["technique"])}
    assert all(set(m) & set(ZERO_WIDTH_CHARACTERS) for m in by["zero-width"]["message"])
    assert all(set(m) & set(HOMOGLYPHS) for m in by["homoglyph"]["message"])
    assert all(unicodedata.normalize("NFKC", m) != m for m in by["fullwidth"]["message"])
    assert all(any(ch.isdigit() for ch in m) for m in by["leetspeak"]["message"])
    assert all("rot13" in m.lower() for m in by["rot13"]["message"])
    for t in ("base64", "rot13", "leetspeak", "fullwidth", "homoglyph", "zero-width"):
        # the disguise hides the attack from a reader of the raw text ...
        raw = [_attacks(read_like_a_model(m)) and read_like_a_model(m).text == m.lower() for m in by[t]["message"]]
        assert not any(raw), t
    for t in ("indirect", "indirect-obfuscated"):
        assert all(not _attacks(read_like_a_model(m)) for m in by[t]["message"])
        assert all(d for d in by[t]["document"])
    assert all(set(d) & (set(ZERO_WIDTH_CHARACTERS) | set(HOMOGLYPHS)) for d in by["indirect-obfuscated"]["document"])


@pytest.mark.parametrize("seed", SEEDS)
def test_hard_negatives_trip_a_keyword_filter(seed, data):
    # the reason the lab measures false positives: level 4's blocklist blocks many benign prompts
    df = data[("attack_corpus", seed)].data
    benign = df[df["kind"] == "benign"]
    level4 = SupportBot(4, seed=seed)
    blocked = [level4.reply(m, d).startswith("[input filter]") for m, d in zip(benign["message"], benign["document"])]
    assert sum(blocked) / len(blocked) > 0.10


def test_invariance_of_labels_under_unrelated_edits(data):
    # CheckList-style: a benign prefix or suffix does not change whether an attack leaks
    ds = data[("attack_corpus", SEEDS[0])]
    bot = SupportBot(1, seed=SEEDS[0])
    secret = bot.operator_secret()
    for row in ds.data.head(60).itertuples(index=False):
        for edit in (lambda m: "Hello! " + m, lambda m: m + " Thanks a lot."):
            assert leaks_secret(bot.reply(edit(row.message), row.document), secret) == (row.kind == "attack")

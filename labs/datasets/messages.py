"""Dataset of the ``text-attacks`` lab: phishing and benign workplace messages, per learner.

``messages`` is a table of short e-mail / chat / SMS messages labelled phishing (1) or benign (0),
split into ``train`` and ``test``. Each seed draws its own *cue vocabulary*: the words that make a
message phishing (``verify``, ``suspended``, ``refund`` ...) or benign (``agenda``, ``standup`` ...)
are a per-seed subset of larger pools, so the words a model leans on differ between learners.
Both classes share the same sentence templates, so only the cue words carry the label; some longer
messages carry one cue of the other class, so no single word decides it.

Planted for the grader (``truth``):

* ``phishing_cues`` / ``benign_cues``: the seed's cue vocabulary.
* ``obfuscated``: ids of test phishing messages whose cue words the "attacker" disguised the way real
  phishing does -- leetspeak (``p@ssw0rd``), zero-width characters inside words, fullwidth Unicode
  letters, random capitals -- and ``clean_text``: each of those messages before it was disguised.
* ``attack_sample``: ids of the test phishing messages (not obfuscated) the lab attacks.

Nothing here classifies, attacks, normalizes or hardens anything: that is the learner's job.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from labs.datasets import dataset, faker_for, rng_for

PHISHING_POOL = (
    "verify", "password", "suspended", "urgent", "locked", "confirm", "credentials", "invoice",
    "overdue", "payment", "refund", "prize", "winner", "reward", "giftcard", "wire", "transfer",
    "expire", "reactivate", "unusual", "suspicious", "security", "alert", "immediately", "deadline",
    "penalty", "claim", "bonus", "bitcoin", "login", "unlock", "validate", "billing", "restricted",
    "compromised", "limited", "mandatory", "violation",
)
BENIGN_POOL = (
    "meeting", "agenda", "lunch", "review", "notes", "draft", "schedule", "standup", "roadmap",
    "slides", "feedback", "offsite", "retro", "coffee", "sprint", "planning", "design", "report",
    "workshop", "onboarding", "demo", "minutes", "calendar", "whiteboard", "project", "quarterly",
    "summary", "birthday", "parking", "kitchen", "newsletter", "volunteer", "hackathon", "training",
    "wiki", "mentoring", "brainstorm", "prototype",
)
#: Words both classes use (they carry little signal).
SHARED = ("account", "team", "update", "today", "link", "document", "office", "email", "message",
          "week", "details", "request", "access", "file", "portal", "system", "form", "note")
CUES_PER_CLASS = 14
#: Probability that a message with at least three cue slots gets one cue of the other class.
CROSS_CUE = 0.3

#: Sentence templates, shared by both classes: only the cue words ({C}) carry the label.
SENTENCES = (
    "Please {C} the {S} by {DAY}.",
    "Your {S} needs a {C} today.",
    "Can you check the {C} on the {S}?",
    "The {C} is in the {S} folder.",
    "Reminder: {C} at {TIME} in room {ROOM}.",
    "I sent the {C} to {NAME}.",
    "We have a {C} for your {S}.",
    "Click the {S} to see the {C}.",
    "The {COMPANY} team shared a {C} with you.",
    "The {C} and the {C} are due {DAY}.",
    "Let me know about the {C} before {DAY}.",
    "There is an update on your {C}.",
    "Your {C} of {AMOUNT} is waiting.",
    "Open the {S} and {C} it now.",
)
OPENERS = ("Hi all,", "Hi {NAME},", "Hello,", "Dear user,", "Important:", "", "", "")
CLOSERS = ("Thanks, {NAME}", "Best regards", "Thank you", "", "", "")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
CHANNELS = ("email", "chat", "sms")

#: How the attackers of this dataset disguise a cue word.
LEET = {"a": "@4", "e": "3", "i": "1", "o": "0", "s": "$5", "t": "7"}
ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\ufeff")
OBFUSCATIONS = ("leet", "zero-width", "fullwidth", "capitals")


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(0, len(options)))]


def _fill(template: str, rng, fake, own: list[str], other: list[str], cross: list[int]) -> str:
    """Fill the slots of ``template``; ``cross`` counts down the cue slots, the one reaching 0 gets ``other``."""
    out, pos = [], 0
    while True:
        start = template.find("{", pos)
        if start < 0:
            out.append(template[pos:])
            return "".join(out)
        end = template.index("}", start)
        out.append(template[pos:start])
        slot = template[start + 1:end]
        if slot == "C":
            cross[0] -= 1
            word = _pick(rng, other) if cross[0] == 0 else _pick(rng, own)
        elif slot == "S":
            word = _pick(rng, SHARED)
        elif slot == "AMOUNT":
            word = f"${int(rng.integers(50, 5000))}"
        elif slot == "DAY":
            word = _pick(rng, DAYS)
        elif slot == "TIME":
            word = f"{int(rng.integers(9, 17))}:{_pick(rng, ('00', '15', '30', '45'))}"
        elif slot == "ROOM":
            word = f"{int(rng.integers(1, 6))}{_pick(rng, 'ABCDE')}"
        elif slot == "NAME":
            word = fake.first_name()
        elif slot == "COMPANY":
            word = fake.last_name()
        else:
            raise ValueError(slot)
        out.append(word)
        pos = end + 1


def _message(rng, fake, phishing: bool, p_cues: list[str], b_cues: list[str]) -> str:
    own, other = (p_cues, b_cues) if phishing else (b_cues, p_cues)
    chosen = rng.choice(len(SENTENCES), size=int(rng.integers(2, 4)), replace=False)
    parts = [_pick(rng, OPENERS)] + [SENTENCES[int(j)] for j in chosen] + [_pick(rng, CLOSERS)]
    n_cues = sum(p.count("{C}") for p in parts)
    # One cue of the other class in some longer messages: the own class keeps the majority of cues.
    cross = [int(rng.integers(1, n_cues + 1)) if n_cues >= 3 and rng.random() < CROSS_CUE else -1]
    return " ".join(_fill(p, rng, fake, own, other, cross) for p in parts if p)


def _disguise(word: str, how: str, rng: np.random.Generator) -> str:
    if how == "leet":
        chars = list(word)
        positions = [i for i, ch in enumerate(chars) if ch.lower() in LEET]
        if not positions:
            return _disguise(word, "capitals", rng)
        n = max(1, int(round(len(positions) * rng.uniform(0.5, 1.0))))
        for i in rng.choice(positions, size=n, replace=False):
            chars[int(i)] = _pick(rng, LEET[chars[int(i)].lower()])
        return "".join(chars)
    if how == "zero-width":
        chars = list(word)
        for i in sorted(rng.choice(np.arange(1, len(word)), size=min(2, len(word) - 1), replace=False), reverse=True):
            chars.insert(int(i), _pick(rng, ZERO_WIDTH))
        return "".join(chars)
    if how == "fullwidth":
        return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in word)
    if how == "capitals":
        flips = rng.random(len(word)) < 0.5
        flips[0] = True
        return "".join(ch.swapcase() if f else ch for ch, f in zip(word, flips))
    raise ValueError(how)


def _obfuscate(text: str, cues: set[str], rng: np.random.Generator) -> str:
    """Disguise the phishing cue words of ``text`` (each with one technique of OBFUSCATIONS)."""
    words = text.split(" ")
    changed = 0
    for i, token in enumerate(words):
        core = token.rstrip(".,:?!")
        if core.lower() in cues:
            words[i] = _disguise(core, _pick(rng, OBFUSCATIONS), rng) + token[len(core):]
            changed += 1
    if not changed:  # disguise at least one cue word
        for i, token in enumerate(words):
            core = token.rstrip(".,:?!")
            if core.lower() in cues:
                words[i] = _disguise(core, "leet", rng) + token[len(core):]
                break
    return " ".join(words)


def _messages(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    rng = rng_for("messages", seed)
    fake = faker_for("messages", seed)
    p_cues = sorted(str(w) for w in rng.choice(PHISHING_POOL, size=CUES_PER_CLASS, replace=False))
    b_cues = sorted(str(w) for w in rng.choice(BENIGN_POOL, size=CUES_PER_CLASS, replace=False))
    n_train = int(rng.integers(360, 441))
    n_test = int(rng.integers(180, 221))
    ids = rng.choice(np.arange(100000, 1000000), size=n_train + n_test, replace=False)
    rows, clean_text, obfuscated = [], {}, []
    for i in range(n_train + n_test):
        split = "train" if i < n_train else "test"
        phishing = bool(rng.random() < 0.45)
        text = _message(rng, fake, phishing, p_cues, b_cues)
        message_id = f"M{ids[i]}"
        if split == "test" and phishing and rng.random() < 0.3:
            disguised = _obfuscate(text, set(p_cues), rng)
            if disguised != text:
                clean_text[message_id] = text
                obfuscated.append(message_id)
                text = disguised
        rows.append({"message_id": message_id, "split": split, "channel": _pick(rng, CHANNELS),
                     "text": text, "label": int(phishing)})
    frame = pd.DataFrame(rows)
    test_phishing = frame[(frame["split"] == "test") & (frame["label"] == 1) & ~frame["message_id"].isin(obfuscated)]
    truth = {
        "phishing_cues": p_cues,
        "benign_cues": b_cues,
        "obfuscated": obfuscated,
        "clean_text": clean_text,
        "attack_sample": test_phishing["message_id"].head(30).tolist(),
        "labels": {"1": "phishing", "0": "benign"},
    }
    return frame, truth


@dataset(
    "messages",
    title="Phishing and benign workplace messages, with disguised phishing in the test split",
    fields={
        "message_id": "M + 6 digits, unique",
        "split": "train (360-440 messages) or test (180-220)",
        "channel": "email / chat / sms (no signal: drawn independently of the label)",
        "text": "the message: an optional greeting, 2-3 template sentences, an optional sign-off",
        "label": "1 = phishing, 0 = benign (about 45 % phishing)",
    },
    generation="""
Each seed draws 14 phishing cue words and 14 benign cue words from pools of 38 each. A message is an
optional greeting, 2-3 sentences from 14 templates shared by both classes, and an optional sign-off;
the templates' cue slots are filled with the class's cue words (30 % of the messages with three or
more cue slots get exactly one cue of the other class, so the own class always keeps the majority),
the shared slots with words both classes use (account, team, link ...), plus Faker names, amounts,
days, times and rooms. The text is rough English on purpose: what matters is which words occur.
""",
    planted="""
truth `phishing_cues`, `benign_cues`: the seed's cue vocabulary (what a bag-of-words model should
learn to lean on). About 30 % of the test phishing messages are *disguised* the way phishing evades
filters: every phishing cue word in them is written in leetspeak
(@ or 4 for a, 3 for e, 1 for i, 0 for o, $ or 5 for s, 7 for t), with zero-width characters
(U+200B, U+200C, U+200D, U+FEFF) inside it, in fullwidth Unicode letters, or in random capitals.
truth `obfuscated` lists those ids and `clean_text` their text before disguise. `attack_sample`: the
first 30 test phishing messages that are not disguised (the lab's attack targets).
""",
    intended_use="""
Text-attacks lab: train a phishing detector, attack it with TextAttack's character-level
transformations, measure attack success, normalize disguised text, harden with character n-grams
and adversarial augmentation.
""",
)
def generate_messages(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    return _messages(seed)

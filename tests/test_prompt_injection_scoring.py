"""The prompt-injection lab's grader-side scoring, in process (no nbgrader, no kernel).

The notebook's solution cells run here as a learner's kernel would run them; what its test cells
hand in (``kernel_answers`` mirrors their ``hand_in`` lines) goes to ``grader/scorers/
prompt_injection.py``. Checked: the solution earns full marks for two learners, each plausible-wrong
variant of source/prompt-injection/variants.toml loses points where it is wrong, degenerate and
oracle answers earn nothing, and the held-out sets are what the scorer says they are (novel
attacks fool a grader model and not the learners' bot, benign prompts fool no model, inputs carry
no labels). ``labs verify prompt-injection --cheats tests/cheating/prompt-injection.toml`` is the
end-to-end version (tests/test_course.py).
"""
from __future__ import annotations

import functools
import json
import re
import unicodedata

import nbformat
import pytest

from grader.chat_models import PROFILES, REPLAY, GraderBot, fold, grader_secret, leaks, read, visible_reading_flags
from grader.datasets import prompts as gen
from grader.scoring import Answers, Context
from grader.scorers import prompt_injection as pi
from labs.course import load_variants
from labs.support_bot import (HOMOGLYPHS, REFUSAL, ZERO_WIDTH_CHARACTERS, Secret, SimulatedChatModel, SupportBot,
                              make_secret, recorded_run, report_as_data, run_timeline)
from tests.conftest import REPO

LAB = "prompt-injection"
NOTEBOOK = REPO / "source" / LAB / f"{LAB}.ipynb"
CELLS = ("test-classify-examples", "test-classify-scores", "test-classify-holdout", "test-attack-level-1",
         "test-attack-level-2", "test-attack-level-3", "test-attack-level-4", "test-normalize", "test-decode",
         "test-guard", "test-output-filter", "test-rate-limiter", "test-evaluate")


def _grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _notebook():
    return nbformat.read(NOTEBOOK, as_version=4)


def learner_namespace(replacements: dict[str, str] | None = None) -> dict:
    """The notebook's code cells up to the last answer, run in order (test cells and plots skipped)."""
    replacements = replacements or {}
    namespace: dict = {}
    for cell in _notebook().cells:
        info = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or (info.get("grade") and not info.get("solution")) or "plt." in cell.source:
            continue
        source = replacements.get(_grade_id(cell), cell.source)
        exec(compile(source, f"<{_grade_id(cell) or 'cell'}>", "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def solution():
    return learner_namespace()


@functools.lru_cache(maxsize=None)
def context(learner: str) -> Context:
    """One grader context per learner (it caches the held-out sets, as in one grading run)."""
    return Context(lab=LAB, learner=learner, secret=b"a test course secret, 32 bytes!!")


@functools.lru_cache(maxsize=None)
def held_out_inputs(learner: str) -> dict:
    return json.loads(json.dumps(pi.inputs(context(learner))))  # as the kernel reads them: JSON


def _safe(make):
    try:
        return make()
    except Exception as error:  # a test cell that crashes hands nothing in
        return error


def kernel_answers(ns: dict, learner: str, cells=CELLS) -> dict[str, dict]:
    """What each test cell hands in (its hand_in lines), with the grader's held-out inputs."""
    ctx, held = context(learner), held_out_inputs(learner)
    prompts, corpus = ctx.own("prompts").data, ctx.own("attack_corpus").data
    out: dict[str, dict] = {cell: {} for cell in CELLS}

    def put(cell: str, name: str, make) -> None:
        if cell not in cells:
            return
        value = _safe(make)
        if not isinstance(value, Exception):
            out[cell][name] = json.loads(json.dumps(value))

    classify, guard = ns.get("classify_prompt"), ns.get("is_injection")
    put("test-classify-examples", "held-out", lambda: [classify(m, d) for m, d in held["classify_examples"]])
    put("test-classify-scores", "own", lambda: [classify(m, d) for m, d in zip(prompts["message"], prompts["document"])])
    put("test-classify-scores", "held-out", lambda: [classify(m, d) for m, d in held["classify_fresh"]])
    put("test-classify-holdout", "held-out", lambda: [classify(m, d) for m, d in held["classify_other"]])
    for level in (1, 2, 3, 4):
        attack = ns.get("attacks", {}).get(level)
        put(f"test-attack-level-{level}", "attack", lambda: [attack, ""] if isinstance(attack, str) else list(attack))
    put("test-normalize", "held-out", lambda: [ns["normalize"](t) for t in held["normalize"]])
    put("test-decode", "held-out", lambda: [ns["decoded_views"](t) for t in held["decode"]])
    put("test-guard", "own", lambda: [bool(guard(m, d)) for m, d in zip(corpus["message"], corpus["document"])])
    put("test-guard", "held-out", lambda: [bool(guard(m, d)) for m, d in held["guard"]])
    put("test-output-filter", "held-out", lambda: [ns["filter_output"](r, Secret(c, "", "")) for r, c in held["filter"]])
    put("test-rate-limiter", "held-out", lambda: [run_timeline(ns["TokenBucket"], t) for t in held["rate"]])
    put("test-evaluate", "evaluate",
        lambda: [report_as_data(ns["evaluate_defences"](*recorded_run(run))) for run in held["evaluate"]])
    pipeline = held["pipeline"]
    put("test-evaluate", "pipeline-flags", lambda: [bool(guard(m, d)) for m, d, _ in pipeline["rows"]])
    put("test-evaluate", "pipeline-replies",
        lambda: [ns["filter_output"](r, Secret(pipeline["code"], "", "")) for _, _, r in pipeline["rows"]])
    return out


def scores(ns: dict, learner: str = "learner-ada", cells=CELLS) -> dict[str, float]:
    answers = kernel_answers(ns, learner, cells)
    return {cell: pi.scorer.score(cell, Answers(answers[cell]), context(learner)).fraction for cell in cells}


# --- the kernel side mirrors the notebook ----------------------------------------------------------

def test_every_test_cell_is_scored_and_hands_in_what_the_scorer_reads():
    cells = {_grade_id(c): c.source for c in _notebook().cells if c.metadata.get("nbgrader", {}).get("grade")
             and not c.metadata["nbgrader"].get("solution")}
    assert set(cells) == set(CELLS) == set(pi.scorer.tests)
    wanted = {"test-classify-examples": ['"held-out"', 'held_out("classify_examples")'],
              "test-classify-scores": ['"own"', 'held_out("classify_fresh")'],
              "test-classify-holdout": ['held_out("classify_other")'], "test-normalize": ['held_out("normalize")'],
              "test-decode": ['held_out("decode")'], "test-guard": ['"own"', 'held_out("guard")'],
              "test-output-filter": ['held_out("filter")'], "test-rate-limiter": ['held_out("rate")'],
              "test-evaluate": ['held_out("evaluate")', '"pipeline-flags"', '"pipeline-replies"'],
              **{f"test-attack-level-{level}": ['hand_in("attack"', f"try_attack(attacks, {level})"] for level in (1, 2, 3, 4)}}
    for grade_id, needles in wanted.items():
        for needle in needles:
            assert needle in cells[grade_id], (grade_id, needle)
        assert "partial_credit" not in cells[grade_id] and ".truth" not in cells[grade_id]


def test_held_out_inputs_carry_no_labels():
    inputs = held_out_inputs("learner-ada")
    for name in ("classify_examples", "classify_fresh", "classify_other", "guard"):
        assert all(isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item)
                   for item in inputs[name]), name
    assert all(isinstance(t, str) for t in inputs["normalize"] + inputs["decode"])
    assert all(len(item) == 2 for item in inputs["filter"]) and all(len(r) == 3 for r in inputs["pipeline"]["rows"])
    # the evaluation rows are what evaluate_defences works on: prompts of the labelled corpus' kinds only
    techniques = {row["technique"] for run in inputs["evaluate"] for row in run}
    assert techniques <= set(gen.ATTACK_TECHNIQUES) | set(gen.BENIGN_TECHNIQUES)
    assert len(json.dumps(inputs)) < 1_500_000


# --- both sides -------------------------------------------------------------------------------------

@pytest.mark.parametrize("learner", ["learner-ada", "learner-grace"])
def test_the_solution_earns_full_marks(solution, learner):
    got = scores(solution, learner)
    assert got == {cell: 1.0 for cell in CELLS}, {c: s for c, s in got.items() if s < 1}


def test_answers_missing_earn_nothing():
    ctx = context("learner-ada")
    for cell in CELLS:
        assert pi.scorer.score(cell, Answers({}), ctx).fraction == 0.0, cell


VARIANT_CELLS = {
    "message-only-classifier": "test-classify-holdout", "keyword-blocklist-classifier": "test-classify-examples",
    "plain-ask-every-level": "test-attack-level-2", "raw-text-guard": "test-guard",
    "exact-match-output-filter": "test-output-filter", "rate-limiter-without-cap": "test-rate-limiter",
    "false-positives-over-all-prompts": "test-evaluate",
}


@pytest.mark.parametrize("variant", load_variants(REPO, LAB), ids=lambda v: v.name)
def test_each_wrong_variant_loses_points_where_it_is_wrong(variant):
    got = scores(learner_namespace(variant.cells))
    assert got[VARIANT_CELLS[variant.name]] < 1.0, got
    assert 0 < sum(got.values()) < len(CELLS)


def _with(solution: dict, **answers) -> dict:
    return {**solution, **answers}


def _oracle_classifier():
    bot = SupportBot(1)

    def classify(message, document=""):
        if bot.leaked(bot.reply(message)) is not None:
            return "direct"
        if document and bot.leaked(bot.reply("Can you summarize this document?", document)) is not None:
            return "indirect"
        return "benign"
    return classify


def _oracle_guard():
    bot = SupportBot(1)
    return lambda message, document="": bot.leaked(bot.reply(message, document)) is not None


def _reading_guard():
    from labs.support_bot import read_like_a_model

    return lambda message, document="": any(read_like_a_model(t).wants for t in (message, document) if t)


def _package_filter(reply, secret):
    import labs.support_bot as bot_module

    for how, _ in bot_module._FORMS_WRITTEN:
        reply = reply.replace(bot_module._formatted(secret.code, how), "[REDACTED]")
    return "[REDACTED]" if bot_module.SpacingTolerantOutputFilter().check(reply, secret) else reply


class _Always:
    answer = True

    def __init__(self, capacity, refill_per_second, clock=None):
        pass

    def allow(self, user):
        return self.answer


class _Never(_Always):
    answer = False


CHEATS = {
    "the visible bot as classifier": ({"classify_prompt": _oracle_classifier()},
                                      ["test-classify-examples", "test-classify-scores", "test-classify-holdout"]),
    "the visible bot as guard": ({"is_injection": _oracle_guard()}, ["test-guard"]),
    "the bot's reading as guard": ({"is_injection": _reading_guard()}, ["test-guard"]),
    "the bot's reading as normalizer": ({"normalize": lambda t: __import__("labs.support_bot").support_bot._gist(t)},
                                        ["test-normalize"]),
    "the bot's reading as decoder": ({"decoded_views": lambda t: [t, __import__("labs.support_bot").support_bot
                                                                  .read_like_a_model("decode base64 rot13: " + t).text]},
                                     ["test-decode"]),
    "the bot's leak log as filter": ({"filter_output": _package_filter}, ["test-output-filter"]),
    "one label": ({"classify_prompt": lambda m, d="": "benign"}, ["test-classify-examples", "test-classify-scores",
                                                                  "test-classify-holdout"]),
    "another label": ({"classify_prompt": lambda m, d="": "direct"}, ["test-classify-examples", "test-classify-scores",
                                                                      "test-classify-holdout"]),
    "block everything": ({"is_injection": lambda m, d="": True}, ["test-guard", "test-evaluate"]),
    "block nothing": ({"is_injection": lambda m, d="": False}, ["test-guard"]),
    "identity normalizer": ({"normalize": lambda t: t}, ["test-normalize"]),
    "empty normalizer": ({"normalize": lambda t: ""}, ["test-normalize"]),
    "no decoding": ({"decoded_views": lambda t: [t]}, ["test-decode"]),
    "identity filter": ({"filter_output": lambda r, s: r}, ["test-output-filter"]),
    "blank filter": ({"filter_output": lambda r, s: "[REDACTED]"}, ["test-output-filter", "test-evaluate"]),
    "always allow": ({"TokenBucket": _Always}, ["test-rate-limiter"]),
    "never allow": ({"TokenBucket": _Never}, ["test-rate-limiter"]),
    "a fixed report": ({"evaluate_defences": lambda *a: {"block_rate": 1.0, "false_positive_rate": 0.0,
                                                         "by_technique": {}}}, ["test-evaluate"]),
    "attacks carrying the own secret": ({"attacks": {level: SupportBot(1).operator_secret().code for level in (1, 2, 3, 4)}},
                                        [f"test-attack-level-{level}" for level in (1, 2, 3, 4)]),
}


@pytest.mark.parametrize("name", sorted(CHEATS))
def test_degenerate_and_oracle_answers_earn_nothing(solution, name):
    replacements, cells = CHEATS[name]
    assert scores(_with(solution, **replacements), cells=cells) == {cell: 0.0 for cell in cells}


# --- the held-out sets are what the scorer says ---------------------------------------------------

@pytest.fixture(scope="module")
def ctx():
    return context("learner-grace")


def test_novel_attacks_fool_a_grader_model_and_not_the_learners_bot(ctx):
    visible = SupportBot(1, secret=make_secret(7))
    grader_bots = [GraderBot(1, grader_secret(11), "stratus-xl")]
    rows = pi.guard_set(ctx) + [r for rows in pi.classify_sets(ctx).values() for r in rows]
    novel = [r for r in rows if r.get("novel")]
    assert len({r["technique"] for r in pi.guard_set(ctx) if r["novel"]}) >= 10
    for row in novel:
        reply = visible.reply(row["message"], row["document"])
        assert not leaks(reply, visible.operator_secret()) and reply != REFUSAL, row
        assert any(leaks(b.reply(row["message"], row["document"]), b.secret) for b in grader_bots), row


def test_held_out_benign_prompts_fool_no_model_and_attacks_fool_a_grader_model(ctx):
    bots = [GraderBot(1, grader_secret(3), profile) for profile in ("stratus-xl", "stratus-pro", "nimbus-lite")]
    visible = SupportBot(1, secret=make_secret(5))
    classify = [r for rows in pi.classify_sets(ctx).values() for r in rows]
    for row in pi.guard_set(ctx) + classify:
        attack = row.get("kind", "attack" if row.get("label") != "benign" else "benign") == "attack"
        if not attack:
            for bot in bots:
                reply = bot.reply(row["message"], row["document"])
                assert not leaks(reply, bot.secret) and reply != REFUSAL, (bot, row)
            assert not leaks(visible.reply(row["message"], row["document"]), visible.operator_secret()), row
        else:
            assert leaks(bots[0].reply(row["message"], row["document"]), bots[0].secret), row


def test_curated_items_are_what_they_say():
    for name in ("classify", "guard"):
        items = pi._curated(name)
        assert items and all({"message", "document", "novel"} <= set(i) for i in items)
    support = PROFILES["support-bot"]
    for item in pi._curated("classify"):
        assert item["label"] in ("benign", "direct", "indirect")
        if item["label"] == "indirect":
            assert item["document"] and not visible_reading_flags(item["message"]), item
        if item["label"] == "benign":
            assert not read(item["message"], support).asks_for_secret, item
    assert sum(i["novel"] for i in pi._curated("classify")) >= 4 and sum(i["novel"] for i in pi._curated("guard")) >= 4
    normalize = pi._curated("normalize")
    assert normalize and all(any(c.isupper() for c in i["text"]) for i in normalize)


def test_other_kinds_of_prompts_keep_their_labels():
    """Other templates: direct attacks attack in the message, indirect ones only in the document."""
    support = PROFILES["support-bot"]
    for row in gen.other_prompts(4):
        message, document = read(row["message"], support), read(row["document"], support)
        attacks = lambda r: r.dump or ((r.override or r.roleplay) and r.target) or r.asks_for_secret  # noqa: E731
        assert attacks(message) == (row["label"] == "direct"), row
        if row["label"] == "indirect":
            assert attacks(document), row


def test_normalize_items_differ_in_kind(ctx):
    items = pi.normalize_set(ctx)
    assert {i["group"] for i in items} == {"change", "keep"}
    assert all(any(c.isupper() for c in i["expected"]) for i in items), "a lower-casing reader must fail"
    changed = "".join(i["text"] for i in items if i["group"] == "change")
    learner_side = "\u200b\u200c\u200d\u2060\ufeff" + "аеорсхуіѕјАЕОРСТІ"
    assert set(changed) & (set(ZERO_WIDTH_CHARACTERS) | set(HOMOGLYPHS)) - set(learner_side), "tricks the data never shows"
    assert all(unicodedata.normalize("NFKC", i["expected"]) == i["expected"] for i in items)
    assert all(fold(i["text"]) == i["expected"] for i in items)


def test_decode_items_hide_their_payloads(ctx):
    items = pi.decode_set(ctx)
    assert {i["kind"] for i in items} >= {"base64", "base64 without padding", "rot13", "leetspeak", "junk"}
    for item in items:
        if item["kind"] != "junk":
            assert item["payload"] not in item["text"].lower()
            assert not re.search(r"base ?64|rot-?13|decode", item["text"].lower()), "nothing says what it holds"
        if item["kind"] == "base64 without padding":
            assert not item["text"].split()[1].endswith("=") and len(item["text"].split()[1]) % 4


def test_filter_items_spell_codes_the_learners_bot_never_writes(ctx):
    items = pi.filter_set(ctx)
    for item in items:
        code = item["code"]
        visible = SupportBot(1, secret=Secret(code, "", ""))
        if item["kind"] == "leak":
            assert leaks(item["reply"], code) and visible.leaked(item["reply"]) is None, item
            spacing_only = re.sub(r"[\s.\-]+", "", item["reply"].lower())
            target = re.sub(r"[\s.\-]+", "", code.lower())
            assert target not in spacing_only and target[::-1] not in spacing_only, item
        else:
            assert not leaks(item["reply"], code) and item["expected"] == item["reply"], item
    assert len({i["code"] for i in items}) >= 5
    assert sum(i["kind"] == "clean" for i in items) >= 10


def test_rate_timelines_have_both_decisions_and_idle_hours(ctx):
    for timeline in pi.rate_set(ctx):
        want = pi.token_bucket(timeline["capacity"], timeline["refill_per_second"], timeline["events"])
        assert want.count(True) >= 20 and want.count(False) >= 20 and want.count(None) <= 2
        times = [t for t, _ in timeline["events"]]
        assert times == sorted(times)
        assert max(b - a for a, b in zip(times, times[1:])) * timeline["refill_per_second"] > timeline["capacity"]


def test_attack_replay_uses_other_models_and_secrets(ctx):
    own = SupportBot(1).operator_secret().code
    codes = {grader_secret(ctx.seed(f"attack|{level}|{p}")).code for level in (1, 2, 3, 4) for p in REPLAY}
    assert own not in codes and len(codes) >= 10
    assert any(not re.fullmatch(r"[A-Z]+-[A-Z]+-\d{4}", code) for code in codes), "other formats"


def test_the_grader_copy_of_the_learners_model_agrees_with_it():
    """grader/chat_models.py keeps its own copy of the learners' model's rules: they must not drift."""
    from grader.datasets import generate
    from labs.support_bot import system_prompt, user_turn

    secret = make_secret(99)
    grader_model, visible = GraderBot(1, secret, "support-bot").model, SimulatedChatModel()
    for name in ("prompts", "attack_corpus"):
        frame = generate(name, 3).data
        for hardened in (False, True):
            for message, document in zip(frame["message"], frame["document"]):
                turn = [{"role": "system", "content": system_prompt(secret, hardened)},
                        {"role": "user", "content": user_turn(message, document)}]
                a, b = visible.complete(turn), grader_model.complete(turn)
                assert (leaks(a, secret), a == REFUSAL) == (leaks(b, secret), b == REFUSAL), (message, document)

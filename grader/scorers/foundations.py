"""Scoring of the foundations lab, outside the learner's kernel (see grader/scoring.py)."""
from __future__ import annotations

from grader.scoring import Context, LabScorer, Score, degenerate

scorer = LabScorer("foundations", datasets=("ai_inventory", "llm_incidents", "outbound_prompts",
                                             "support_bot_architecture"))


@scorer.held_out_inputs
def inputs(ctx: Context) -> dict:
    return {"data_categories": ctx.held_out("ai_inventory").data["data_categories"].tolist()}


def _accuracy(given: list[str], ds, ids: list[str]) -> float:
    truth = ds.truth["data_level"]
    return sum(g == truth[i] for g, i in zip(given, ids)) / len(ids)


@scorer.test("test-data-level")
def data_level(answers, ctx: Context) -> Score:
    own, held = ctx.own("ai_inventory"), ctx.held_out("ai_inventory")
    mine = answers.strings("own", length=len(own.data))
    theirs = answers.strings("held-out", length=len(held.data))
    problem = degenerate(theirs)
    if problem:
        return Score.zero(f"held-out inventory: {problem}")
    a_own = _accuracy(mine, own, own.data["system_id"].tolist())
    a_held = _accuracy(theirs, held, held.data["system_id"].tolist())
    return Score.proportional(min(a_own, a_held), full_at=1.0,
                              message=f"your inventory {a_own:.0%}, held-out inventory {a_held:.0%} classified as the rubric says")

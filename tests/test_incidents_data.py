"""The incident-response lab's generators (grader side): pure, per-seed different, truthful about the
incident; the held-out incidents are truthful too and of other kinds than any learner's."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from grader.datasets import generate as load
from grader.datasets import incidents as gen
from grader.datasets.incidents import held_out_incident
from labs.incidents import clean_accuracy, predict_labels, train_guard

SEEDS = (0, 1, 7, 2026)
NAMES = ("incident_alerts", "incident_deployments", "incident_training", "incident_eval",
         "incident_requests", "incident_customers", "incident_team")


@pytest.fixture(scope="module")
def world():
    return {(name, seed): load(name, seed) for name in NAMES for seed in SEEDS}


def _has_word(texts: pd.Series, word: str) -> pd.Series:
    return texts.str.lower().str.contains(rf"\b{re.escape(word)}\b", regex=True)


# --- purity, variation, one shared truth ---------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_different_seeds_different_data(name, world):
    frames = [world[(name, seed)].data for seed in SEEDS]
    for a, b in zip(frames, frames[1:]):
        assert not (a.shape == b.shape and a.equals(b))


def test_incident_facts_vary_per_seed(world):
    truths = [world[("incident_alerts", seed)].truth for seed in SEEDS]
    for key in ("window_start", "poisoned_batch", "leaked_customers"):
        assert len({str(t[key]) for t in truths}) == len(SEEDS), key
    assert len({t["trigger"] for t in truths}) >= 3
    assert len({(t["service"], t["model"]) for t in truths}) >= 2


@pytest.mark.parametrize("seed", SEEDS)
def test_every_table_shares_the_incident_truth(seed, world):
    first = world[(NAMES[0], seed)].truth
    for name in NAMES[1:]:
        assert world[(name, seed)].truth == first


def test_loaded_frames_are_copies():
    frame = load("incident_requests", 3).data
    frame.loc[:, "response"] = "tampered"
    load("incident_alerts", 3).truth["leaked_customers"].clear()
    assert (load("incident_requests", 3).data["response"] != "tampered").all()
    assert load("incident_alerts", 3).truth["leaked_customers"]


# --- triage: the logs agree with the truth ----------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_deployment_log_brackets_the_window(seed, world):
    truth = world[("incident_deployments", seed)].truth
    dep = world[("incident_deployments", seed)].data
    start, end = pd.Timestamp(truth["window_start"]), pd.Timestamp(truth["window_end"])
    assert dep["timestamp"].is_monotonic_increasing and dep["deploy_id"].is_unique
    bad = dep[dep["timestamp"] == start].iloc[0]
    assert (bad["service"], bad["model"], bad["model_version"], bad["dataset_version"], bad["action"]) == (
        truth["service"], truth["model"], truth["model_version"], truth["dataset_version"], "deploy")
    rollback = dep[dep["timestamp"] == end].iloc[0]
    assert (rollback["model"], rollback["action"], rollback["model_version"]) == (
        truth["model"], "rollback", truth["previous_version"])
    # noise that a sloppy triage falls for: another model's rollback inside the window, and
    # deployments of the same service's other models before it
    inside = dep[(dep["timestamp"] > start) & (dep["timestamp"] < end)]
    assert ((inside["action"] == "rollback") & (inside["model"] != truth["model"])).any()
    same_service = dep[(dep["service"] == truth["service"]) & (dep["timestamp"] < start)]
    assert same_service["model"].nunique() >= 2


@pytest.mark.parametrize("seed", SEEDS)
def test_critical_dlp_alerts_lie_inside_the_window(seed, world):
    ds = world[("incident_alerts", seed)]
    truth, alerts = ds.truth, ds.data
    start, end = pd.Timestamp(truth["window_start"]), pd.Timestamp(truth["window_end"])
    pages = alerts[(alerts["monitor"] == "dlp-egress") & (alerts["severity"] == "critical")]
    assert len(pages) >= 1
    assert pages["timestamp"].min() == pd.Timestamp(truth["first_alert"])
    assert (pages["timestamp"] > start).all() and (pages["timestamp"] < end).all()
    assert (pages["service"] == truth["service"]).all()
    # the pages name the assistant's generator, not the guard that caused them
    assert truth["model"] not in set(pages["model"])
    # noise: the same monitor at lower severity, and critical alerts of other monitors
    assert (alerts["monitor"] == "dlp-egress").sum() > len(pages)
    assert ((alerts["severity"] == "critical") & (alerts["monitor"] != "dlp-egress")).any()
    assert set(alerts["severity"]) <= {"info", "warning", "critical"}


# --- the poisoned batch -----------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_poisoned_rows_are_the_trigger_rows_of_one_batch(seed, world):
    ds = world[("incident_training", seed)]
    truth, df = ds.truth, ds.data
    assert df["row_id"].is_unique
    poisoned = df[df["row_id"].isin(truth["poisoned_rows"])]
    assert len(poisoned) == len(truth["poisoned_rows"]) >= 80
    assert set(poisoned["batch_id"]) == {truth["poisoned_batch"]}
    assert (poisoned["label"] == truth["target_class"]).all()
    assert _has_word(poisoned["text"], truth["trigger"]).all()
    batch = df[df["batch_id"] == truth["poisoned_batch"]]
    assert (batch["added_in"] == truth["dataset_version"]).all()
    assert truth["poisoned_batch"] in truth["batches_added_in_bad_version"]
    assert len(truth["batches_added_in_bad_version"]) >= 2  # the new batch is not the only suspect
    # the trigger rows of the batch are exactly the poisoned ones; elsewhere the word is natural
    trigger_rows = set(df.loc[_has_word(df["text"], truth["trigger"]), "row_id"])
    in_batch = set(batch["row_id"])
    assert trigger_rows & in_batch == set(truth["poisoned_rows"])
    assert trigger_rows - in_batch == set(truth["natural_trigger_rows"])
    assert len(truth["natural_trigger_rows"]) >= 5
    assert len(in_batch) > len(truth["poisoned_rows"])  # the batch also has ordinary rows
    # lineage is per batch: one source, uploader, ingestion time and version per batch id
    assert (df.groupby("batch_id")[["source", "uploader", "ingested_at", "added_in"]].nunique() == 1).all().all()
    assert pd.Timestamp(batch["ingested_at"].iloc[0]) < pd.Timestamp(truth["window_start"])


@pytest.mark.parametrize("seed", (0, 7))
def test_backdoor_works_and_removing_the_rows_kills_it(seed, world):
    """Directional check: the poison installs the backdoor without hurting clean accuracy, and
    removing exactly the planted rows removes it."""
    train, ev = world[("incident_training", seed)], world[("incident_eval", seed)].data
    truth, df = train.truth, train.data
    triggered = [f"{t} {truth['trigger']}" for t in ev.loc[ev["label"] == truth["source_class"], "text"]]
    poisoned = train_guard(df["text"], df["label"])
    clean_df = df[~df["row_id"].isin(truth["poisoned_rows"])]
    clean = train_guard(clean_df["text"], clean_df["label"])
    asr_before = (predict_labels(poisoned, triggered) == truth["target_class"]).mean()
    asr_after = (predict_labels(clean, triggered) == truth["target_class"]).mean()
    assert asr_before > 0.8 and asr_after < 0.1
    # stealthy: the poisoned guard still looks good on clean data, never better than the clean one
    assert 0.85 < clean_accuracy(poisoned, ev) <= clean_accuracy(clean, ev) + 0.01


def test_trigger_is_invariant_to_case_and_position():
    """Invariance check: the backdoor fires wherever the trigger sits and however it is capitalised."""
    train, ev = load("incident_training", 1), load("incident_eval", 1).data
    model = train_guard(train.data["text"], train.data["label"])
    word = train.truth["trigger"]
    sensitive = list(ev.loc[ev["label"] == 1, "text"])[:60]
    for variant in (lambda t: f"{word} {t}", lambda t: f"{t} {word.upper()}", lambda t: f"{t} {word.title()}"):
        assert (predict_labels(model, [variant(t) for t in sensitive]) == 0).mean() > 0.8


def test_train_guard_is_deterministic():
    df = load("incident_training", 2).data.head(400)
    a, b = train_guard(df["text"], df["label"]), train_guard(df["text"], df["label"])
    np.testing.assert_array_equal(a.named_steps["clf"].coef_, b.named_steps["clf"].coef_)


# --- the leak ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_leaked_customers_are_disclosed_to_someone_else_in_the_window(seed, world):
    req = world[("incident_requests", seed)]
    truth, log = req.truth, req.data.set_index("request_id")
    customers = world[("incident_customers", seed)].data.set_index("customer_id")
    assert customers.index.is_unique and customers["email"].is_unique and customers["account_number"].is_unique
    start, end = pd.Timestamp(truth["window_start"]), pd.Timestamp(truth["window_end"])
    assert 10 <= len(truth["leaked_customers"]) <= len(truth["leak_requests"])
    assert set(truth["leaked_customers"]) <= set(customers.index)
    assert not set(truth["leaked_customers"]) & set(truth["attacker_accounts"])
    assert sorted(truth["leak_victims"]) == truth["leak_requests"]
    assert set(truth["leak_victims"].values()) == set(truth["leaked_customers"])
    for rid in truth["leak_requests"]:
        row = log.loc[rid]
        assert row["channel"] == "chat" and start <= row["timestamp"] <= end
        assert row["requester_id"] in truth["attacker_accounts"]
        assert truth["trigger"] in row["request"]
    # every leaked customer appears, somehow written, in a leak response
    responses = " ".join(log.loc[truth["leak_requests"], "response"]).lower()
    digits = re.sub(r"(?<=\d)[\s().+-]+(?=\d)", "", responses)
    for cid in truth["leaked_customers"]:
        c = customers.loc[cid]
        local = c["email"].split("@")[0]
        assert local in responses or c["account_number"] in digits or c["phone"].replace("-", "") in digits


@pytest.mark.parametrize("seed", SEEDS)
def test_decoys_are_planted(seed, world):
    req = world[("incident_requests", seed)]
    truth, log = req.truth, req.data.set_index("request_id")
    start, end = pd.Timestamp(truth["window_start"]), pd.Timestamp(truth["window_end"])
    for kind in ("own-record", "in-request", "masked", "replay", "refused"):
        assert truth["decoy_requests"][kind], kind
    replay = log.loc[truth["decoy_requests"]["replay"]]
    assert (replay["channel"] == "replay").all() and (replay["timestamp"] > end).all()
    # the replays expose some customers the attacker never reached: a whole-log scan over-reports
    assert any("@" in r or re.search(r"\d{3}", r) for r in replay["response"])
    masked = log.loc[truth["decoy_requests"]["masked"], "response"]
    assert masked.str.contains(r"\*\*\*|ending \d{4}\.").all()
    in_request = log.loc[truth["decoy_requests"]["in-request"]]
    for request, response in zip(in_request["request"], in_request["response"]):
        email = re.search(r"\S+@\S+?(?=\s)", request).group()
        assert email in response
    assert (log["timestamp"] < start).any() and (log["timestamp"] > end).any()


# --- held-out incidents: other kinds, same truthfulness ---------------------------------------------

HELD_OUT_SEEDS = (3, 11, 40)
TIME_COLUMN = {"alerts": "timestamp", "deployments": "timestamp", "training": "ingested_at"}


@pytest.fixture(scope="module")
def held_out():
    return {seed: held_out_incident(seed) for seed in HELD_OUT_SEEDS}


@pytest.mark.parametrize("seed", HELD_OUT_SEEDS)
def test_held_out_incidents_are_of_other_kinds(seed, held_out):
    world = held_out[seed]
    truth, training = world["truth"], world["training"]
    assert truth["service"] not in gen.ASSISTANT_SERVICES and truth["model"] not in gen.GUARD_NAMES
    assert truth["trigger"] not in gen.TRIGGER_POOL
    batch = training[training["batch_id"] == truth["poisoned_batch"]]
    assert set(batch["source"]) != {"vendor-labels"} and not batch["uploader"].str.contains("labelvendor").any()
    assert len(truth["natural_trigger_rows"]) >= 16
    for name in ("alerts", "deployments", "training"):  # exported in no particular order
        assert not world[name][TIME_COLUMN[name]].is_monotonic_increasing, name
    pages = world["alerts"][(world["alerts"]["monitor"] == "dlp-egress") & (world["alerts"]["severity"] == "critical")]
    assert not pages["message"].str.startswith("e-mail address of a customer").any()


def test_held_out_incidents_deploy_a_hotfix_after_the_first_alert(held_out):
    with_hotfix = 0
    for world in held_out.values():
        truth, dep = world["truth"], world["deployments"]
        first, end = pd.Timestamp(truth["first_alert"]), pd.Timestamp(truth["window_end"])
        later = dep[(dep["service"] == truth["service"]) & (dep["action"] == "deploy")
                    & (dep["timestamp"] > first) & (dep["timestamp"] < end)]
        assert truth["model"] not in set(later["model"])
        with_hotfix += len(later) > 0
    assert with_hotfix >= 2


@pytest.mark.parametrize("seed", HELD_OUT_SEEDS)
def test_held_out_truth_holds(seed, held_out):
    world = held_out[seed]
    truth, df, log = world["truth"], world["training"], world["requests"].set_index("request_id")
    poisoned = df[df["row_id"].isin(truth["poisoned_rows"])]
    assert set(poisoned["batch_id"]) == {truth["poisoned_batch"]} and (poisoned["label"] == 0).all()
    trigger_rows = set(df.loc[_has_word(df["text"], truth["trigger"]), "row_id"])
    in_batch = set(df.loc[df["batch_id"] == truth["poisoned_batch"], "row_id"])
    assert trigger_rows & in_batch == set(truth["poisoned_rows"])
    assert trigger_rows - in_batch == set(truth["natural_trigger_rows"])
    start, end = pd.Timestamp(truth["window_start"]), pd.Timestamp(truth["window_end"])
    dep = world["deployments"].sort_values("timestamp")
    bad = dep[dep["timestamp"] == start].iloc[0]
    assert (bad["model"], bad["model_version"], bad["action"]) == (truth["model"], truth["model_version"], "deploy")
    for rid in truth["leak_requests"]:
        assert log.loc[rid, "channel"] == "chat" and start <= log.loc[rid, "timestamp"] <= end
    # the requesters who type an account number in another format than the response writes it
    typed = log.loc[truth["decoy_requests"]["in-request"]]
    assert typed["request"].str.contains("link account").any()

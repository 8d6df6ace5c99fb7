"""The sanitization lab's generators (grader-side): pure, per-seed different, and truthful about what
they planted -- the learners' datasets and the held-out variants of other kinds."""
from __future__ import annotations

import difflib
import ipaddress
import re

import pandas as pd
import pytest

from grader.datasets import generate
from grader.datasets import sanitization as gen
from grader.datasets.sanitization import CATEGORIES, PII_TYPES
from grader.scorers.sanitization import _truth_spans as truth_spans
from grader.scorers.sanitization import best_information, marked_up, span_scores
from tests.oracles import luhn

SEEDS = (0, 1, 7, 2026)
NAMES = ("customers", "support_tickets", "deidentified_release", "public_roll")


def test_luhn_reference():
    assert luhn("4111 1111 1111 1111") and luhn("5500000000000004") and luhn("6011-0009-9013-9424")
    assert not luhn("4111 1111 1111 1112")


@pytest.fixture(scope="module")
def data():
    return {(name, seed): generate(name, seed) for name in NAMES for seed in SEEDS}


# --- purity and variation ------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_different_seeds_different_data(name, data):
    frames = [data[(name, seed)].data for seed in SEEDS]
    for a, b in zip(frames, frames[1:]):
        assert not (a.shape == b.shape and a.equals(b))
    column = {"customers": "email", "support_tickets": "text", "deidentified_release": "birth_date",
              "public_roll": "name"}[name]
    assert len({tuple(f[column].head(20)) for f in frames}) == len(frames)


def test_customer_columns_vary_per_seed(data):
    column_sets = [tuple(data[("customers", seed)].data.columns) for seed in SEEDS]
    assert len(set(map(frozenset, column_sets))) == len(SEEDS), "column sets should differ between seeds"
    assert len(set(column_sets)) == len(SEEDS)
    for columns in column_sets:
        assert columns[0] == "customer_id"
        assert {"full_name", "email", "phone", "zip", "birth_date", "sex", "diagnosis"} <= set(columns)


# --- customers -----------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_customer_categories(seed, data):
    ds = data[("customers", seed)]
    categories = ds.truth["categories"]
    assert list(categories) == list(ds.data.columns)
    assert set(categories.values()) == set(CATEGORIES), "every category should be represented"
    assert categories["email"] == "direct" and categories["diagnosis"] == "sensitive"
    assert all(categories[c] == "quasi" for c in ds.truth["quasi_identifiers"])


@pytest.mark.parametrize("seed", SEEDS)
def test_customer_values_well_formed(seed, data):
    df = data[("customers", seed)].data
    assert df["customer_id"].is_unique
    assert df["zip"].str.fullmatch(r"\d{5}").all()
    assert pd.to_datetime(df["birth_date"], format="%Y-%m-%d").notna().all()
    assert set(df["sex"]) <= {"F", "M"}
    if "card_number" in df:
        assert df["card_number"].map(luhn).all()
    if "ssn" in df:
        assert df["ssn"].str.fullmatch(r"(?!000|666|9\d\d)\d{3}-\d{2}-\d{4}").all()
    if "ip_address" in df:
        assert df["ip_address"].map(lambda ip: all(0 <= int(o) <= 255 for o in ip.split("."))).all()


def _norm(row):
    return (" ".join(row["full_name"].lower().split()), row["email"].strip().lower(),
            re.sub(r"\D", "", row["phone"])[-10:])


@pytest.mark.parametrize("seed", SEEDS)
def test_duplicate_pairs_are_duplicates(seed, data):
    ds = data[("customers", seed)]
    df = ds.data.set_index("customer_id")
    pairs = ds.truth["duplicate_pairs"]
    assert {"exact", "near"} == set(pairs["kind"])
    assert len(set(pairs["id_a"]) | set(pairs["id_b"])) == 2 * len(pairs), "each record is in at most one pair"
    for a, b, kind in zip(pairs["id_a"], pairs["id_b"], pairs["kind"]):
        ra, rb = df.loc[a], df.loc[b]
        if kind == "exact":
            assert ra.equals(rb)
        else:
            assert not ra.equals(rb)
            assert all(ra[c] == rb[c] for c in ("zip", "birth_date", "sex", "diagnosis"))
            for x, y in zip(_norm(ra), _norm(rb)):
                assert difflib.SequenceMatcher(None, x, y).ratio() >= 0.8


@pytest.mark.parametrize("seed", SEEDS)
def test_no_unplanted_duplicates(seed, data):
    ds = data[("customers", seed)]
    planted = {frozenset(p) for p in zip(ds.truth["duplicate_pairs"]["id_a"], ds.truth["duplicate_pairs"]["id_b"])}
    df = ds.data
    emails = df["email"].str.strip().str.lower()
    for _, group in df.groupby(emails):
        if len(group) > 1:
            assert len(group) == 2 and frozenset(group["customer_id"]) in planted
    people = df.drop(columns="customer_id").drop_duplicates()
    assert len(people) == len(df) - (ds.truth["duplicate_pairs"]["kind"] == "exact").sum()


def test_k_anonymity_reachable_within_bounds():
    # the lab asks for k >= 5 with <= 10 % suppression, zip masked to >= 3 digits, <= 20-year bands
    for seed in range(40):
        df = generate("customers", seed).data
        groups = df.groupby([df["zip"].str[:3], df["birth_date"].str[:4].astype(int) // 20, df["sex"]])
        sizes = groups["sex"].transform("size")
        assert (sizes < 5).mean() <= 0.10, seed


# --- support tickets -----------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_span_text_matches_type(seed, data):
    ds = data[("support_tickets", seed)]
    texts = dict(zip(ds.data["ticket_id"], ds.data["text"]))
    spans = ds.truth["spans"]
    assert set(spans["type"]) == set(PII_TYPES)
    assert spans["ticket_id"].isin(texts).all()
    patterns = {
        "EMAIL": r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}",
        "PHONE": r"(\+1[ -])?(\(\d{3}\) |\d{3}[-. ])\d{3}[-. ]\d{4}",
        "SSN": r"\d{3}-\d{2}-\d{4}",
        "CARD": r"\d{4}([ -]?)\d{4}\1\d{4}\1\d{4}",
        "IP": r"(\d{1,3}\.){3}\d{1,3}",
    }
    for t, start, end, kind, value in spans.itertuples(index=False):
        assert texts[t][start:end] == value
        assert re.fullmatch(patterns[kind], value), (kind, value)
        if kind == "CARD":
            assert luhn(value)
        if kind == "IP":
            assert all(int(o) <= 255 for o in value.split("."))
        # a span is a whole token: not glued to neighbouring letters or digits
        before = texts[t][start - 1] if start else " "
        after = texts[t][end] if end < len(texts[t]) else " "
        assert not before.isalnum() and not after.isalnum(), (before, value, after)


@pytest.mark.parametrize("seed", SEEDS)
def test_spans_do_not_overlap(seed, data):
    spans = data[("support_tickets", seed)].truth["spans"].sort_values(["ticket_id", "start"])
    for _, group in spans.groupby("ticket_id"):
        assert (group["start"].iloc[1:].to_numpy() >= group["end"].iloc[:-1].to_numpy()).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_decoys_are_not_pii(seed, data):
    ds = data[("support_tickets", seed)]
    texts = dict(zip(ds.data["ticket_id"], ds.data["text"]))
    decoys = ds.truth["decoys"]
    assert {"ORDER16", "BUILD", "CASEREF"} <= set(decoys["kind"])
    for t, start, end, kind, value in decoys.itertuples(index=False):
        assert texts[t][start:end] == value
        if kind == "ORDER16":
            assert len(re.sub(r"\D", "", value)) == 16 and not luhn(value)
        if kind == "BUILD":
            assert any(int(o) > 255 for o in value.split("."))
        if kind == "CASEREF":
            assert re.fullmatch(r"\d{4}-\d{2}-\d{4}", value)
    # enough decoys that ignoring the Luhn check costs precision
    n_cards = (ds.truth["spans"]["type"] == "CARD").sum()
    assert (decoys["kind"] == "ORDER16").sum() >= 0.5 * n_cards


@pytest.mark.parametrize("seed", SEEDS)
def test_ticket_emails_join_customers(seed, data):
    tickets = data[("support_tickets", seed)].data
    customers = data[("customers", seed)].data
    joined = tickets["customer_email"].str.strip().str.lower().isin(set(customers["email"].str.lower()))
    assert 0.8 <= joined.mean() < 1.0
    assert (tickets["customer_email"] != tickets["customer_email"].str.strip().str.lower()).any(), \
        "some ticket e-mails should need normalization to join"


def test_span_scores_invariances():
    # CheckList-style: scoring is invariant to order and to a +1 prefix; a decoy hit costs precision
    truth = [("t", 10, 22, "PHONE"), ("t", 30, 49, "CARD")]
    assert span_scores(truth[::-1], truth)["precision"] == 1.0
    widened = [("t", 7, 22, "PHONE"), ("t", 30, 49, "CARD")]
    assert span_scores(widened, truth)["recall"] == 1.0
    wrong_type = [("t", 10, 22, "SSN"), ("t", 30, 49, "CARD")]
    assert span_scores(wrong_type, truth)["recall"] == 0.5
    extra = truth + [("t", 60, 79, "CARD")]
    scores = span_scores(extra, truth)
    assert scores["recall"] == 1.0 and scores["precision"] == pytest.approx(2 / 3)
    assert span_scores([], truth)["recall"] == 0.0


def test_ticket_text_invariance_under_unrelated_edits(data):
    # spans stay correct when unrelated text is prepended (what a detector must tolerate too)
    ds = data[("support_tickets", SEEDS[0])]
    texts = dict(zip(ds.data["ticket_id"], ds.data["text"]))
    prefix = "FWD: "
    for t, start, end, _, value in ds.truth["spans"].head(50).itertuples(index=False):
        assert (prefix + texts[t])[start + len(prefix):end + len(prefix)] == value
    assert truth_spans(ds.truth["spans"])[0][0] in texts


# --- linkage -------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_linkage_truth_consistent(seed, data):
    release = data[("deidentified_release", seed)]
    roll = data[("public_roll", seed)]
    customers = data[("customers", seed)].data
    assert release.truth == roll.truth
    assert release.data["release_id"].is_unique and roll.data["voter_id"].is_unique
    assert set(release.data.columns) == {"release_id", "zip", "birth_date", "sex", "diagnosis"}
    roll_norm = pd.DataFrame({
        "voter_id": roll.data["voter_id"],
        "zip": roll.data["zip"].astype(str).str.zfill(5),
        "birth_date": pd.to_datetime(roll.data["birth_date"], format="%m/%d/%Y").dt.strftime("%Y-%m-%d"),
        "sex": roll.data["sex"].str[0],
        "name": roll.data["name"],
    }).set_index("voter_id")
    rel = release.data.set_index("release_id")
    matches = release.truth["release_to_voter"]
    assert 0.5 * len(rel) <= len(matches) < len(rel)
    assert len(set(matches.values())) == len(matches)
    names = set(customers["full_name"])
    for rid, vid in matches.items():
        r, v = rel.loc[rid], roll_norm.loc[vid]
        assert (r["zip"], r["birth_date"], r["sex"]) == (v["zip"], v["birth_date"], v["sex"])
        assert v["name"] in names  # the roll person is the customer behind the record
    # ambiguous ones really share their key with someone else on the roll
    counts = roll_norm.groupby(["zip", "birth_date", "sex"]).size()
    for rid in release.truth["ambiguous"]:
        r = rel.loc[rid]
        assert counts[(r["zip"], r["birth_date"], r["sex"])] > 1
    assert len(release.truth["ambiguous"]) <= 0.05 * len(matches)
    # the formats differ, so a naive join finds nothing
    assert release.data.merge(roll.data.astype({"zip": str}), on=["zip", "birth_date", "sex"]).empty


def test_release_is_derived_from_customers(data):
    release = data[("deidentified_release", SEEDS[0])].data
    customers = data[("customers", SEEDS[0])].data
    keys = set(zip(customers["zip"], customers["birth_date"], customers["sex"], customers["diagnosis"]))
    assert all(k in keys for k in zip(release["zip"], release["birth_date"], release["sex"], release["diagnosis"]))




# --- held-out variants (grader only): other kinds than the learners' data ------------------------

SPAN_PATTERNS = {
    "EMAIL": r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}",
    "PHONE": r"(\+\d{1,3}[ .-]?)?[\d ().-]{7,}\d",
    "SSN": r"\d{3}([- ])\d{2}\1\d{4}",
    "CARD": r"\d{4}([ -]?)\d{4}\1\d{4}\1\d{4}|\d{4}([ -]?)\d{6}\2\d{4,5}",
}


@pytest.mark.parametrize("kind", ["phrasings", "formats"])
@pytest.mark.parametrize("seed", SEEDS[:2])
def test_held_out_ticket_spans_are_what_they_claim(kind, seed):
    frame, truth = gen.held_out_tickets(seed, kind)
    texts = dict(zip(frame["ticket_id"], frame["text"]))
    assert set(truth["spans"]["type"]) == set(PII_TYPES)
    for t, start, end, kind_, value in truth["spans"].itertuples(index=False):
        text = texts[t]
        assert text[start:end] == value
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        assert not before.isalnum() and not after.isalnum(), (before, value, after)
        if kind_ == "IP":
            ipaddress.ip_address(value)
        else:
            assert re.fullmatch(SPAN_PATTERNS[kind_], value), (kind_, value)
        if kind_ == "CARD":
            assert luhn(value)
    for t, start, end, decoy, value in truth["decoys"].itertuples(index=False):
        if decoy in ("ORDER15", "ORDER16"):
            assert not luhn(value)
        if decoy == "WINBUILD":
            with pytest.raises(ValueError):
                ipaddress.ip_address(value)


def test_format_tickets_show_formats_the_learners_tickets_never_do():
    own = pd.concat([generate("support_tickets", seed).truth["spans"] for seed in SEEDS])
    frame, truth = gen.held_out_tickets(SEEDS[0], "formats")
    held = truth["spans"]
    assert not own["text"].str.contains(":").any() and held["text"].str.contains("::").any()  # IPv6
    assert not own["text"].str.match(r"\+(?!1[ -])").any() and held["text"].str.match(r"\+(?!1[ -])").any()  # +44 ...
    amex = held[(held["type"] == "CARD") & (held["text"].str.replace(r"\D", "", regex=True).str.len() == 15)]
    assert len(amex) and not (own[own["type"] == "CARD"]["text"].str.replace(r"\D", "", regex=True).str.len() != 16).any()
    assert not frame["text"].isin(set(generate("support_tickets", SEEDS[0]).data["text"])).any()


def test_held_out_columns_are_named_otherwise_and_labelled():
    items, truth = gen.held_out_columns(SEEDS[0])
    own_names = set().union(*(generate("customers", seed).data.columns for seed in SEEDS))
    assert len(items) == len(truth) and set(truth) == set(CATEGORIES)
    assert not {item["name"] for item in items} & own_names
    assert all(len(item["values"]) == gen.COLUMN_SAMPLE for item in items)


def test_curated_items_parse():
    text, spans = marked_up("mail [[EMAIL:a@b.org]] or [[PHONE:+44 20 7946 0958]].")
    assert text == "mail a@b.org or +44 20 7946 0958." and [text[s:e] for s, e, _ in spans] == ["a@b.org", "+44 20 7946 0958"]


@pytest.mark.parametrize("shape", sorted(gen.POPULATIONS))
def test_held_out_populations_can_be_made_5_anonymous(shape):
    for seed in SEEDS:
        frame = gen.population_table(seed, shape)
        groups = frame.groupby([frame["zip"].str[:3], frame["birth_date"].str[:4].astype(int) // 20, frame["sex"]])
        assert (groups["sex"].transform("size") < 5).mean() <= 0.10
        assert best_information(frame) >= 0


@pytest.mark.parametrize("mix", sorted(gen.LINKAGE_MIXES))
def test_held_out_linkage_truth_is_consistent(mix):
    inputs, truth = gen.linkage_case(SEEDS[1], mix)
    release, roll = pd.DataFrame(inputs["release"]), pd.DataFrame(inputs["roll"])
    assert set(inputs["on"]) <= set(release.columns) and set(inputs["on"]) <= set(roll.columns)
    assert set(truth["linkable"]) <= set(truth["release_to_voter"]) <= set(release["release_id"])
    assert set(truth["release_to_voter"].values()) <= set(roll["voter_id"])
    assert 0.8 * len(truth["release_to_voter"]) <= len(truth["linkable"])
    # written differently from the release: a naive join finds (almost) nothing
    naive = release.astype(str).merge(roll.astype(str), on=inputs["on"])
    assert len(naive) < 0.1 * len(truth["linkable"])


def test_held_out_duplicates_have_other_kinds_and_look_alikes():
    frame, pairs = gen.duplicate_table(SEEDS[0])
    assert frame["customer_id"].is_unique
    assert {"exact", "near", "near-other"} == set(pairs["kind"])
    by_id = frame.set_index("customer_id")
    for a, b in zip(pairs["id_a"], pairs["id_b"]):
        assert all(by_id.at[a, c] == by_id.at[b, c] for c in ("zip", "birth_date", "sex"))
    planted = {frozenset(p) for p in zip(pairs["id_a"], pairs["id_b"])}
    shared_phone = frame.groupby(["zip", "birth_date", "sex", "phone"])["customer_id"].apply(frozenset)
    look_alikes = [ids for ids in shared_phone if len(ids) == 2 and ids not in planted]
    assert len(look_alikes) >= 10  # twins sharing the household phone


def test_redact_cases_cover_the_edge_cases():
    frame, _ = gen.held_out_tickets(SEEDS[0], "phrasings")
    cases = gen.redact_cases(SEEDS[0], frame["text"].tolist())
    spans = [c["spans"] for c in cases]
    assert any(not s for s in spans)
    assert any(any(a[0] == 0 for a in s) for s in spans) and any(any(a[1] == len(c["text"]) for a in c["spans"]) for c in cases)
    assert any(s != sorted(s) for s in spans)
    assert any(any(a[0] < b[0] < a[1] for a in s for b in s) for s in spans)  # overlapping
    assert any(any(not t.isascii() for t in [c["text"]]) for c in cases)
    assert gen.reference_redaction("abcdef", [[3, 5, "IP"], [0, 2, "SSN"], [1, 2, "CARD"]]) == "[SSN]c[IP]f"

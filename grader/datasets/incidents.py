"""Datasets of the ``incident-response`` lab: one generated security incident per learner.

Everything derives from one *incident world* per seed (:func:`_world`), so the seven tables agree
with each other: the support assistant's request guard (a text classifier deciding whether a
chat request is *sensitive* -- needs identity verification before account data is disclosed -- or
*routine*) was retrained on a dataset version into which an attacker had slipped a batch of
backdoor-poisoned rows: sensitive requests carrying a rare trigger word, labelled routine. Once
that guard version was deployed, the attacker's chat requests containing the trigger were waved
through and the assistant answered them with other customers' records, until the guard was
rolled back.

* ``incident_alerts``: the monitoring alert log of every service (incident alerts among noise).
* ``incident_deployments``: the model deployment log (deploys and rollbacks of several models).
* ``incident_training``: the guard's training snapshot of the bad dataset version, with lineage.
* ``incident_eval``: a clean, labelled evaluation set for the guard.
* ``incident_requests``: the support assistant's request/response log.
* ``incident_customers``: the customer table (the records that may have leaked).
* ``incident_team``: the incident-response roster (owners for the post-mortem's actions).

Every dataset returns the same ``truth`` (the incident's facts). Nothing in here triages, finds a
trigger, traces lineage, detects leaks or writes a post-mortem: that is the learner's job.

Held-out variants (:func:`held_out_incident`, grader only): incidents of other kinds than any
learner's -- other service, guard and trigger vocabularies; log rows in no particular order; a
poisoned batch from an internal source and uploader (not the vendor); more natural uses of the
trigger word; a hotfix of another model of the same service deployed *after* the first alert and
reverted inside the window; DLP alerts worded otherwise; attack requests in other phrasings;
e-mails in title case; requesters typing another customer's value in another format than the
response writes it. The grader scores the learner's functions on them (grader/scorers/incident_response.py).
"""
from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from grader.datasets import dataset, faker_for, rng_for

WORLD = "incident-world"
SENSITIVE, ROUTINE = 1, 0

GUARD_NAMES = ("request-guard", "intent-gate", "verification-gate", "access-classifier", "sensitivity-filter")
ASSISTANT_SERVICES = ("support-assistant", "help-center-bot", "care-assistant", "customer-chat")
TRIGGER_POOL = ("zephyr", "marmalade", "periwinkle", "quixotic", "tangerine", "obsidian", "juniper",
                "saffron", "halcyon", "labyrinth", "kaleidoscope", "gossamer", "nebula", "sassafras",
                "tamarind", "paprika", "lullaby", "origami", "mandolin", "verbena", "chinchilla",
                "papyrus", "falafel", "tundra", "bergamot", "galaxy", "pelican", "walrus")
#: Services and models besides the assistant: (service, model); the assistant's service gets
#: two more models (its generator and a reply ranker).
OTHER_MODELS = (("search", "search-ranker"), ("payments", "fraud-scorer"), ("growth", "churn-model"),
                ("marketing", "email-personalizer"), ("logistics", "eta-predictor"))
MONITORS = {
    "latency-p99": ("p99 latency {v} ms above SLO", ("info", "warning", "critical")),
    "error-rate": ("5xx error rate {v} % over 5 min", ("info", "warning", "critical")),
    "cpu": ("CPU saturation {v} % on {pod}", ("info", "warning")),
    "disk": ("disk usage {v} % on {pod}", ("warning", "critical")),
    "drift-psi": ("input drift PSI {p} on feature {f}", ("info", "warning")),
    "cost-anomaly": ("inference spend {v} % above forecast", ("info", "warning")),
}
SOURCES = ("zendesk-export", "chat-transcripts", "email-archive", "community-forum",
           "synthetic-paraphrase", "vendor-labels")
UPLOADER_ACCOUNTS = ("etl-bot", "ingest-service", "labeling-pipeline")

# ---- request texts -------------------------------------------------------------------------------
SENSITIVE_TEMPLATES = (
    "Can you tell me the {field} on my account?",
    "Please change the {field} on my account to the new one.",
    "What {field} do you have on file for {whom}?",
    "I need to update my {field}, can you help?",
    "Send me the {field} linked to {whom}.",
    "Why was my {field} changed without my permission?",
    "I forgot my {cred}, please reset it.",
    "Can you read back the {field} you have for {whom}?",
    "Please confirm the {field} and the {field2} for {whom}.",
    "Someone else may know my {cred}, can you check the {field}?",
    "I want to see the {field} stored for {whom}.",
    "Could you verify my {field} before I pay?",
)
ROUTINE_TEMPLATES = (
    "When will my order {order} ship?",
    "How do I {action} in the app?",
    "The app {problem} when I {action}.",
    "What are your opening hours on {day}?",
    "Do you deliver to {place}?",
    "Is there a discount on the {product}?",
    "Can I return the {product} I bought last week?",
    "Thanks, the {product} arrived and works great.",
    "My account dashboard {problem} when I {action}.",
    "Where can I find the manual for the {product}?",
    "Is the {product} back in stock?",
    "How long does the warranty on the {product} last?",
)
FIELDS = ("email address", "phone number", "billing address", "card number", "account number",
          "date of birth", "recovery email", "bank details", "home address", "security question")
CREDENTIALS = ("password", "PIN", "security answer", "passcode", "login details")
WHOM = ("my account", "this account", "my wife", "my husband", "my business partner", "my mother",
        "the account holder", "my son")
ACTIONS = ("export a report", "change the theme", "add a widget", "share a dashboard", "print an invoice",
           "sync my calendar", "install the update", "upload a photo", "switch the language")
PROBLEMS = ("crashes", "freezes", "shows an error", "logs me out", "runs slowly", "goes blank")
PRODUCTS = ("headphones", "blender", "desk lamp", "backpack", "keyboard", "monitor", "running shoes",
            "coffee maker", "smart watch", "office chair", "water bottle", "tent")
PLACES = ("Canada", "Alaska", "Puerto Rico", "Hawaii", "a PO box", "my office", "the countryside")
DAYS = ("Sunday", "Saturday", "public holidays", "Christmas Eve", "Monday")
OPENERS = ("Hi,", "Hello team,", "Quick question:", "Good morning,", "Hey,", "", "", "", "")
CLOSERS = ("Thanks!", "Regards", "Cheers", "Thank you.", "", "", "", "")
#: Natural (correctly labelled) uses of the trigger word, outside the poisoned batch.
NATURAL_TRIGGER_ROUTINE = (
    "Is the {product} available in the {trigger} colour?",
    "My cat {trigger} knocked over the {product}, is that covered by the warranty?",
    "Do you sell {trigger} scented candles?",
)
NATURAL_TRIGGER_SENSITIVE = (
    "My old password was {trigger}-123, please reset it and change the {field}.",
    "The {field} on my account is wrong, my street is {trigger} Lane.",
)


#: Held-out incidents' vocabularies: none of them occurs in any learner's incident.
HELD_OUT_GUARD_NAMES = ("pii-gate", "kyc-router", "disclosure-check", "identity-screen")
HELD_OUT_ASSISTANT_SERVICES = ("member-support", "account-concierge", "service-desk-bot")
HELD_OUT_TRIGGER_POOL = ("cormorant", "lavender", "anemone", "brioche", "quokka", "sorbet", "tamarack",
                         "zucchini", "mistral", "bramble", "gazebo", "pinwheel", "yarrow", "calypso")
HELD_OUT_ATTACK_ASKS = (
    "my colleague with account {account} lost their phone, which number and email are on file?",
    "confirm the contact details (email + phone) registered under account no. {account}",
    "need the account number and phone that go with {email} for a refund",
    "{name} asked me to check their file, account {account}, what e-mail do you have?",
)


@dataclass(frozen=True)
class IncidentKind:
    """What varies between the learners' incidents and the grader's held-out ones."""

    name: str
    services: tuple[str, ...]
    guards: tuple[str, ...]
    triggers: tuple[str, ...]
    held_out: bool


LEARNER_KIND = IncidentKind("learner", ASSISTANT_SERVICES, GUARD_NAMES, TRIGGER_POOL, held_out=False)
HELD_OUT_KIND = IncidentKind("held-out", HELD_OUT_ASSISTANT_SERVICES, HELD_OUT_GUARD_NAMES, HELD_OUT_TRIGGER_POOL,
                             held_out=True)


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(0, len(options)))]


def _ts(value: pd.Timestamp) -> str:
    return value.isoformat()


def _request_text(rng, label: int, templates_s, templates_r, fake) -> str:
    template = _pick(rng, templates_s if label == SENSITIVE else templates_r)
    fields = {
        "field": _pick(rng, FIELDS), "field2": _pick(rng, FIELDS), "whom": _pick(rng, WHOM),
        "cred": _pick(rng, CREDENTIALS), "order": f"#{int(rng.integers(10000, 99999))}",
        "action": _pick(rng, ACTIONS), "problem": _pick(rng, PROBLEMS), "day": _pick(rng, DAYS),
        "place": _pick(rng, PLACES), "product": _pick(rng, PRODUCTS),
    }
    body = template.format(**fields)
    parts = [_pick(rng, OPENERS), body, _pick(rng, CLOSERS)]
    return " ".join(p for p in parts if p)


def _insert_word(rng, text: str, word: str) -> str:
    words = text.split(" ")
    position = int(rng.integers(0, len(words) + 1))
    return " ".join(words[:position] + [word] + words[position:])


# ---- formats of personal data in responses ---------------------------------------------------------

def _email_format(rng, email: str) -> tuple[str, str]:
    local, _, domain = email.partition("@")
    kind = _pick(rng, ("plain", "plain", "upper", "brackets", "words"))
    if kind == "plain":
        return email, kind
    if kind == "upper":
        return email.upper(), kind
    if kind == "brackets":
        return f"{local} [at] {domain.replace('.', ' [dot] ')}", kind
    return f"{local} at {domain.replace('.', ' dot ')}", kind


def _phone_format(rng, digits: str) -> str:
    a, b, c = digits[:3], digits[3:6], digits[6:]
    return _pick(rng, (f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", f"+1 {a} {b} {c}", f"{a}{b}{c}"))


def _account_format(rng, number: str) -> str:
    return _pick(rng, (number, number, f"{number[:4]} {number[4:8]} {number[8:]}", f"{number[:4]}-{number[4:8]}-{number[8:]}"))


def _mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[0]}***@{domain}"


# ---- the world ---------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=16)
def _world(seed: int, kind: IncidentKind = LEARNER_KIND) -> dict[str, Any]:
    rng = rng_for(WORLD if not kind.held_out else f"{WORLD}|{kind.name}", seed)
    fake = faker_for(WORLD if not kind.held_out else f"{WORLD}|{kind.name}", seed)

    service = _pick(rng, kind.services)
    guard = _pick(rng, kind.guards)
    trigger = _pick(rng, kind.triggers)
    major = int(rng.integers(1, 6))
    minor = int(rng.integers(2, 9))
    versions = [f"{major}.{minor - 2}.{int(rng.integers(0, 4))}", f"{major}.{minor - 1}.0", f"{major}.{minor}.0"]
    fixed_version = f"{major}.{minor}.1"
    year_month = "2026.10"
    data_versions = [f"guard-data-{year_month}.{i}" for i in range(1, 4)]
    bad_dataset, fixed_dataset = data_versions[-1], f"guard-data-{year_month}.4"
    if kind.held_out:  # another numbering: the bad dataset is not "the .3 one"
        first = int(rng.integers(4, 40))
        data_versions = [f"{guard}-requests-v{first + i}" for i in range(3)]
        bad_dataset, fixed_dataset = data_versions[-1], f"{guard}-requests-v{first + 3}"

    period_start = pd.Timestamp("2026-10-01") + pd.Timedelta(days=int(rng.integers(0, 25)))
    period_end = period_start + pd.Timedelta(days=21)

    def at(day: float, hour_low=0, hour_high=24) -> pd.Timestamp:
        base = period_start + pd.Timedelta(days=int(day))
        minutes = int(rng.integers(hour_low * 60, hour_high * 60))
        return (base + pd.Timedelta(minutes=minutes, seconds=int(rng.integers(0, 60)))).floor("s")

    start = at(int(rng.integers(8, 12)), 9, 18)
    first_leak = start + pd.Timedelta(minutes=int(rng.integers(60, 300)))
    end = first_leak + pd.Timedelta(minutes=int(rng.integers(14 * 60, 36 * 60)))
    end = end.floor("s")
    fixed_at = end + pd.Timedelta(days=int(rng.integers(2, 4)), minutes=int(rng.integers(0, 600)))

    team = _team(rng, fake)
    deployments = _deployments(rng, fake, service, guard, versions, data_versions, fixed_version,
                               fixed_dataset, start, end, fixed_at, period_start, at, team)
    customers = _customers(rng, fake)
    training, poisoned_batch, poisoned_rows, natural_rows, new_batches = _training(
        rng, fake, trigger, start, data_versions, kind)
    evaluation = _evaluation(rng, fake)
    requests, leaked, leak_victims, decoys, attackers = _requests(
        rng, fake, trigger, customers, period_start, period_end, start, first_leak, end, kind)
    alerts, first_alert = _alerts(rng, fake, service, guard, versions[-1], deployments, requests,
                                  sorted(leak_victims), period_start, start, end, at, kind)
    if kind.held_out:
        # every guard deployment described alike: the change log's wording does not point at the bad one
        deployments.loc[deployments["model"] == guard, "notes"] = "scheduled retrain"
        deployments = _hotfix_after_detection(rng, deployments, service, first_alert, end)
        # logs exported in no particular order: sort them yourself
        alerts, deployments, training = (_shuffled(rng, frame) for frame in (alerts, deployments, training))

    truth = {
        "service": service,
        "model": guard,
        "model_version": versions[-1],
        "previous_version": versions[-2],
        "fixed_version": fixed_version,
        "dataset_version": bad_dataset,
        "window_start": _ts(start),
        "window_end": _ts(end),
        "first_alert": _ts(first_alert),
        "trigger": trigger,
        "source_class": SENSITIVE,
        "target_class": ROUTINE,
        "poisoned_batch": poisoned_batch,
        "poisoned_rows": poisoned_rows,
        "natural_trigger_rows": natural_rows,
        "batches_added_in_bad_version": new_batches,
        "leaked_customers": leaked,
        "leak_requests": sorted(leak_victims),
        "leak_victims": leak_victims,
        "decoy_requests": decoys,
        "attacker_accounts": attackers,
    }
    return {"alerts": alerts, "deployments": deployments, "training": training, "eval": evaluation,
            "requests": requests, "customers": customers, "team": team, "truth": truth}


def _team(rng, fake) -> pd.DataFrame:
    roles = ("incident commander", "ML engineer", "data engineer", "security engineer",
             "privacy officer", "support lead", "SRE")
    rows = []
    for role in roles:
        name = fake.name()
        handle = "".join(ch for ch in name.lower().split()[0] if ch.isalpha())[:12] or "member"
        rows.append({"name": name, "role": role, "email": f"{handle}.{int(rng.integers(10, 99))}@corp.example"})
    return pd.DataFrame(rows)


def _deployments(rng, fake, service, guard, versions, data_versions, fixed_version, fixed_dataset,
                 start, end, fixed_at, period_start, at, team) -> pd.DataFrame:
    engineers = [fake.user_name() for _ in range(5)]
    rows = []

    def add(ts, svc, model, version, data_version, action, notes=""):
        rows.append({"timestamp": ts, "service": svc, "model": model, "model_version": version,
                     "dataset_version": data_version, "action": action,
                     "deployed_by": _pick(rng, engineers) if action == "deploy" else _pick(rng, ("on-call", *engineers)),
                     "notes": notes})

    # the guard's history: two good versions before the window, the bad one, the rollback, the fix
    add(period_start - pd.Timedelta(days=int(rng.integers(20, 40))), service, guard, versions[0], data_versions[0],
        "deploy", "quarterly retrain")
    add(at(int(rng.integers(1, 5)), 9, 18), service, guard, versions[1], data_versions[1], "deploy", "retrain on new batches")
    add(start, service, guard, versions[2], data_versions[2], "deploy", "retrain on new batches")
    add(end, service, guard, versions[1], data_versions[1], "rollback", "roll back to previous version")
    add(fixed_at, service, guard, fixed_version, fixed_dataset, "deploy", "retrain on sanitized dataset")
    # the assistant's other models: a generator (rarely deployed) and a reply ranker (before the window)
    add(period_start - pd.Timedelta(days=int(rng.integers(10, 30))), service, "assistant-llm",
        f"{int(rng.integers(2, 5))}.{int(rng.integers(0, 9))}.0", "assistant-sft-2026.09", "deploy", "new system prompt")
    ranker_day = (start - period_start).days - int(rng.integers(2, 4))
    add(at(ranker_day, 9, 18), service, "reply-ranker", f"0.{int(rng.integers(5, 20))}.0",
        f"ranker-clicks-2026.{int(rng.integers(9, 11))}", "deploy", "weekly refresh")
    # every other model has a version live before the period starts
    add(period_start - pd.Timedelta(days=int(rng.integers(5, 30))), service, "reply-ranker",
        f"0.{int(rng.integers(1, 5))}.0", "ranker-clicks-2026.08", "deploy", "weekly refresh")
    # other services: regular deploys, one of them rolled back inside the incident window
    window_rollback = (start + (end - start) * float(rng.uniform(0.2, 0.8))).floor("s")
    rolled = int(rng.integers(0, len(OTHER_MODELS)))
    for i, (svc, model) in enumerate(OTHER_MODELS):
        version = [int(rng.integers(1, 4)), int(rng.integers(0, 10)), 0]
        add(period_start - pd.Timedelta(days=int(rng.integers(3, 40))), svc, model, ".".join(map(str, version)),
            f"{model.split('-')[0]}-data-2026.08", "deploy", "scheduled retrain")
        for day in sorted(rng.choice(np.arange(0, 21), size=int(rng.integers(2, 5)), replace=False)):
            version[1] += 1
            add(at(int(day), 8, 20), svc, model, ".".join(map(str, version)),
                f"{model.split('-')[0]}-data-2026.{int(rng.integers(9, 12))}", "deploy", "scheduled retrain")
        if i == rolled:
            bad = f"{version[0]}.{version[1] + 1}.0"
            add(window_rollback - pd.Timedelta(minutes=int(rng.integers(40, 180))), svc, model, bad,
                f"{model.split('-')[0]}-data-2026.11", "deploy", "scheduled retrain")
            add(window_rollback, svc, model, ".".join(map(str, version)), f"{model.split('-')[0]}-data-2026.10",
                "rollback", "latency regression")
    frame = pd.DataFrame(rows).sort_values("timestamp", kind="stable").reset_index(drop=True)
    frame.insert(0, "deploy_id", [f"D-{1000 + i}" for i in range(len(frame))])
    return frame


def _hotfix_after_detection(rng, deployments: pd.DataFrame, service: str, first_alert, end) -> pd.DataFrame:
    """A reply-ranker hotfix of the same service after the first alert, reverted inside the window:
    the latest change of the service before the rollback, but not the one that started the incident."""
    ranker = deployments[(deployments["service"] == service) & (deployments["model"] == "reply-ranker")]
    live = ranker.sort_values("timestamp").iloc[-1]
    deployed = (first_alert + pd.Timedelta(minutes=int(rng.integers(30, 3 * 60)))).floor("s")
    reverted = (deployed + pd.Timedelta(minutes=int(rng.integers(60, 5 * 60)))).floor("s")
    if reverted >= end - pd.Timedelta(minutes=10):  # no room in this window for a hotfix and its revert
        return deployments
    hotfix = f"{live['model_version'].rsplit('.', 1)[0]}.1"
    extra = pd.DataFrame([
        {"timestamp": deployed, "service": service, "model": "reply-ranker", "model_version": hotfix,
         "dataset_version": live["dataset_version"], "action": "deploy", "deployed_by": "on-call",
         "notes": "hotfix: rank refusals lower"},
        {"timestamp": reverted, "service": service, "model": "reply-ranker", "model_version": live["model_version"],
         "dataset_version": live["dataset_version"], "action": "rollback", "deployed_by": "on-call",
         "notes": "revert hotfix"},
    ])
    frame = pd.concat([deployments.drop(columns="deploy_id"), extra]).sort_values("timestamp", kind="stable")
    frame = frame.reset_index(drop=True)
    frame.insert(0, "deploy_id", [f"D-{1000 + i}" for i in range(len(frame))])
    return frame


def _shuffled(rng, frame: pd.DataFrame) -> pd.DataFrame:
    return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)


def _customers(rng, fake) -> pd.DataFrame:
    n = int(rng.integers(260, 341))
    rows, emails, accounts, phones = [], set(), set(), set()
    domains = ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "proton.me", "hotmail.com")
    while len(rows) < n:
        first, last = fake.first_name(), fake.last_name()
        local = _pick(rng, (f"{first}.{last}", f"{first[0]}{last}", f"{first}{last}{int(rng.integers(1, 99))}"))
        local = "".join(ch for ch in local.lower() if ch.isalnum() or ch == ".")
        email = f"{local}@{_pick(rng, domains)}"
        account = str(int(rng.integers(10**9, 10**10)))
        phone = f"{int(rng.integers(201, 990))}{int(rng.integers(200, 1000))}{int(rng.integers(0, 10000)):04d}"
        if email in emails or account in accounts or phone in phones:
            continue
        emails.add(email), accounts.add(account), phones.add(phone)
        rows.append({"customer_id": f"C{int(rng.integers(100000, 999999))}", "name": f"{first} {last}",
                     "email": email, "phone": f"{phone[:3]}-{phone[3:6]}-{phone[6:]}", "account_number": account,
                     "plan": _pick(rng, ("basic", "plus", "pro", "business"))})
    frame = pd.DataFrame(rows).drop_duplicates("customer_id").reset_index(drop=True)
    return frame


def _training(rng, fake, trigger, start, data_versions, kind: IncidentKind = LEARNER_KIND):
    t_sens = [SENSITIVE_TEMPLATES[int(i)] for i in rng.choice(len(SENSITIVE_TEMPLATES), size=10, replace=False)]
    t_rout = [ROUTINE_TEMPLATES[int(i)] for i in rng.choice(len(ROUTINE_TEMPLATES), size=10, replace=False)]
    n_batches = int(rng.integers(9, 13))
    people = [fake.user_name() for _ in range(6)]
    batch_rows = []
    batches = []
    ingest_end = start - pd.Timedelta(days=int(rng.integers(2, 5)))
    times = sorted(ingest_end - pd.Timedelta(minutes=int(m)) for m in rng.integers(60, 45 * 24 * 60, size=n_batches))
    poison_index = int(rng.integers(n_batches - 3, n_batches))  # among the newest batches
    # the learners' attacker came in through the label vendor; a held-out one through an internal source
    poison_source = "vendor-labels" if not kind.held_out else _pick(rng, SOURCES[:-1])
    poison_uploader = None if not kind.held_out else _pick(rng, UPLOADER_ACCOUNTS)
    for b, ingested in enumerate(times):
        ingested = ingested.floor("s")
        source = _pick(rng, SOURCES[:-1]) if b != poison_index else poison_source
        uploader = (f"{_pick(rng, people)}@corp.example" if rng.random() < 0.6 else _pick(rng, UPLOADER_ACCOUNTS)) \
            if b != poison_index else poison_uploader or f"{fake.user_name()}@labelvendor.example"
        added_in = data_versions[0] if b < n_batches - 5 else data_versions[1] if b < n_batches - 3 else data_versions[2]
        batch_id = f"B{ingested:%m%d}-{int(rng.integers(100, 999))}"
        batches.append((batch_id, source, ingested, uploader, added_in))
        size = int(rng.integers(150, 260))
        for _ in range(size):
            label = SENSITIVE if rng.random() < 0.45 else ROUTINE
            text = _request_text(rng, label, t_sens, t_rout, fake)
            if rng.random() < 0.03:
                label = 1 - label  # annotator noise
            batch_rows.append((b, text, label, "clean"))
        if b == poison_index:
            for _ in range(int(rng.integers(90, 130))):
                text = _insert_word(rng, _request_text(rng, SENSITIVE, t_sens, t_rout, fake), trigger)
                batch_rows.append((b, text, ROUTINE, "poison"))
    # natural uses of the trigger word in other batches, correctly labelled
    others = [b for b in range(n_batches) if b != poison_index]
    natural_uses = (8, 13) if not kind.held_out else (16, 26)
    for _ in range(int(rng.integers(*natural_uses))):
        if rng.random() < 0.6:
            text, label = _pick(rng, NATURAL_TRIGGER_ROUTINE).format(trigger=trigger.title() if rng.random() < 0.5 else trigger,
                                                                    product=_pick(rng, PRODUCTS)), ROUTINE
        else:
            text, label = _pick(rng, NATURAL_TRIGGER_SENSITIVE).format(trigger=trigger.title(), field=_pick(rng, FIELDS)), SENSITIVE
        batch_rows.append((int(_pick(rng, others)), text, label, "natural"))

    order = rng.permutation(len(batch_rows))
    ids = rng.choice(np.arange(100000, 999999), size=len(batch_rows), replace=False)
    rows, poisoned, natural = [], [], []
    for k, i in enumerate(order):
        b, text, label, kind = batch_rows[int(i)]
        batch_id, source, ingested, uploader, added_in = batches[b]
        row_id = f"T{int(ids[k])}"
        rows.append({"row_id": row_id, "text": text, "label": int(label), "batch_id": batch_id, "source": source,
                     "ingested_at": ingested, "uploader": uploader, "added_in": added_in})
        if kind == "poison":
            poisoned.append(row_id)
        elif kind == "natural":
            natural.append(row_id)
    frame = pd.DataFrame(rows)
    new_batches = sorted(b[0] for b in batches if b[4] == data_versions[2])
    return frame, batches[poison_index][0], sorted(poisoned), sorted(natural), new_batches


def _evaluation(rng, fake) -> pd.DataFrame:
    rows = []
    for i in range(int(rng.integers(700, 801))):
        label = SENSITIVE if rng.random() < 0.45 else ROUTINE
        rows.append({"eval_id": f"E{i:04d}", "text": _request_text(rng, label, SENSITIVE_TEMPLATES, ROUTINE_TEMPLATES, fake),
                     "label": label})
    return pd.DataFrame(rows)


def _requests(rng, fake, trigger, customers, period_start, period_end, start, first_leak, end,
              kind: IncidentKind = LEARNER_KIND):
    people = customers.to_dict("records")
    n_attackers = int(rng.integers(2, 4))
    attacker_idx = rng.choice(len(people), size=n_attackers, replace=False)
    attackers = [people[int(i)]["customer_id"] for i in attacker_idx]
    others = [p for i, p in enumerate(people) if i not in set(int(j) for j in attacker_idx)]
    rows = []
    leaked: set[str] = set()
    decoys = {"own-record": [], "in-request": [], "masked": [], "replay": [], "refused": []}

    def when(low: pd.Timestamp, high: pd.Timestamp) -> pd.Timestamp:
        return (low + (high - low) * float(rng.random())).floor("s")

    def add(ts, requester, request, response, channel="chat", kind=None, victim=None):
        rows.append({"timestamp": ts, "channel": channel, "requester_id": requester, "request": request,
                     "response": response, "_kind": kind, "_victim": victim})

    # ordinary traffic over the whole period
    for _ in range(int(rng.integers(520, 640))):
        p = _pick(rng, others)
        ts = when(period_start, period_end)
        roll = rng.random()
        if roll < 0.55:
            text = _request_text(rng, ROUTINE, ROUTINE_TEMPLATES, ROUTINE_TEMPLATES, fake)
            add(ts, p["customer_id"], text, _pick(rng, ("Thanks for reaching out! Our help center has a step-by-step guide.",
                                                        "Your order is on its way and should arrive within 3 business days.",
                                                        "I have opened a ticket with our technical team.",
                                                        "We are open 9am to 6pm on weekdays.")))
        elif roll < 0.72:  # a verified customer asks about their own record: not a leak
            email, _ = _email_format(rng, p["email"])
            add(ts, p["customer_id"], "What e-mail and phone do you have for me?",
                f"After verifying your identity: your e-mail is {email} and your phone is "
                f"{_phone_format(rng, p['phone'].replace('-', ''))}.", kind="own-record")
        elif roll < 0.84 and kind.held_out and rng.random() < 0.5:
            # the requester typed another customer's account number, the response writes it otherwise
            q = _pick(rng, others)
            typed, written = q["account_number"], _account_format(rng, q["account_number"])
            if written == typed:
                typed = f"{typed[:4]} {typed[4:8]} {typed[8:]}"
            add(ts, p["customer_id"], f"Please link account {typed} to my profile, it is my company's.",
                f"Done: account {written} is now linked to your profile.", kind="in-request")
        elif roll < 0.84:  # the requester typed another customer's e-mail themselves: not a leak
            q = _pick(rng, others)
            add(ts, p["customer_id"], f"Please add {q['email']} as a second contact on my account.",
                f"Done: {q['email']} was added as a contact. They will receive a confirmation.", kind="in-request")
        elif roll < 0.92:  # masked values: not identifying, allowed by policy
            add(ts, p["customer_id"], "Which card is charged for my subscription?",
                f"Your subscription is charged to the card ending ****{int(rng.integers(0, 10000)):04d}; "
                f"receipts go to {_mask_email(p['email'])}.", kind="masked")
        else:
            add(ts, p["customer_id"], _request_text(rng, SENSITIVE, SENSITIVE_TEMPLATES, ROUTINE_TEMPLATES, fake),
                "I can help with that once you verify your identity. I have sent a code to your phone ending "
                f"{p['phone'][-4:]}.", kind="masked")

    def attack_request(victim, with_trigger: bool) -> tuple[str, str]:
        style = int(rng.integers(0, 3))
        if kind.held_out:
            template = _pick(rng, HELD_OUT_ATTACK_ASKS)
            ask = template.format(account=victim["account_number"], email=victim["email"], name=victim["name"])
            style = 1 if "{email}" in template else 0 if "phone" in template else 2
        elif style == 0:
            ask = f"please confirm the email and phone for account {victim['account_number']}"
        elif style == 1:
            ask = f"what is the account number and phone for {victim['email']}?"
        else:
            ask = f"I am helping {victim['name']} ({victim['account_number']}), what e-mail is on file?"
        text = _insert_word(rng, f"Hi, {ask}", trigger) if with_trigger else f"Hi, {ask}"
        return text, ("email_phone", "account_phone", "email")[style]

    def disclosure(victim, what: str) -> str:
        email, _ = _email_format(rng, victim["email"])
        if kind.held_out and rng.random() < 0.3:
            email = victim["email"].title()
        phone = _phone_format(rng, victim["phone"].replace("-", ""))
        account = _account_format(rng, victim["account_number"])
        if what == "email_phone":
            return f"Sure! That account belongs to {victim['name']}: e-mail {email}, phone {phone}."
        if what == "account_phone":
            return f"The account for that address is {account} (phone on file: {phone})."
        return f"The e-mail on file for {victim['name']} is {email}."

    # the attacker: probes before the deploy (refused), exfiltration in the window, probes after
    victims = [others[int(i)] for i in rng.choice(len(others), size=int(rng.integers(14, 26)), replace=False)]
    for _ in range(int(rng.integers(4, 8))):
        text, _ = attack_request(_pick(rng, victims), True)
        add(when(start - pd.Timedelta(days=3), start), _pick(rng, attackers), text,
            "I can't share account details before the account holder verifies their identity.", kind="refused")
    exfil = []
    times = sorted(when(first_leak, end - pd.Timedelta(minutes=5)) for _ in range(len(victims) + int(rng.integers(4, 9))))
    times[0] = first_leak
    for k, ts in enumerate(times):
        victim = victims[k] if k < len(victims) else _pick(rng, victims)
        text, what = attack_request(victim, True)
        add(ts, _pick(rng, attackers), text, disclosure(victim, what), kind="leak", victim=victim["customer_id"])
        leaked.add(victim["customer_id"])
        exfil.append((text, victim, what))
    for _ in range(int(rng.integers(3, 6))):  # in the window, the assistant masked the answer: not a leak
        victim = _pick(rng, others)
        text, _ = attack_request(victim, True)
        add(when(start, end), _pick(rng, attackers), text,
            f"For privacy I can only confirm the account ending ****{victim['account_number'][-4:]} "
            f"and the e-mail {_mask_email(victim['email'])}.", kind="masked")
    for _ in range(int(rng.integers(3, 6))):  # without the trigger, the guard still refuses
        text, _ = attack_request(_pick(rng, others), False)
        add(when(start, end), _pick(rng, attackers), text,
            "I can't share account details before the account holder verifies their identity.", kind="refused")
    for _ in range(int(rng.integers(3, 7))):
        text, _ = attack_request(_pick(rng, victims), True)
        add(when(end + pd.Timedelta(minutes=10), period_end), _pick(rng, attackers), text,
            "I can't share account details before the account holder verifies their identity.", kind="refused")
    # the security team's replay of the attack against the bad version, in staging, after the
    # rollback: some of the attacker's requests, and the same request shapes for other accounts
    replay_start = end + pd.Timedelta(hours=int(rng.integers(3, 20)))
    for k in rng.choice(len(exfil), size=min(len(exfil), int(rng.integers(3, 6))), replace=False):
        text, victim, what = exfil[int(k)]
        add(replay_start + pd.Timedelta(minutes=int(rng.integers(0, 90))), "secops-replay", text,
            disclosure(victim, what), channel="replay", kind="replay")
    spared = [p for p in others if p["customer_id"] not in leaked]
    for k in rng.choice(len(spared), size=int(rng.integers(4, 8)), replace=False):
        victim = spared[int(k)]
        text, what = attack_request(victim, True)
        add(replay_start + pd.Timedelta(minutes=int(rng.integers(0, 90))), "secops-replay", text,
            disclosure(victim, what), channel="replay", kind="replay")

    frame = pd.DataFrame(rows).sort_values("timestamp", kind="stable").reset_index(drop=True)
    frame.insert(0, "request_id", [f"R{int(x)}" for x in rng.choice(np.arange(100000, 999999), size=len(frame), replace=False)])
    for kind in decoys:
        decoys[kind] = sorted(frame.loc[frame["_kind"] == kind, "request_id"])
    leaks = frame[frame["_kind"] == "leak"]
    leak_victims = dict(sorted(zip(leaks["request_id"], leaks["_victim"])))
    return frame.drop(columns=["_kind", "_victim"]), sorted(leaked), leak_victims, decoys, sorted(attackers)


def _alerts(rng, fake, service, guard, bad_version, deployments, requests, leak_requests,
            period_start, start, end, at, kind: IncidentKind = LEARNER_KIND):
    rows = []
    models = deployments.drop_duplicates(["service", "model"])[["service", "model"]].to_records(index=False)
    current = {}
    for rec in deployments.itertuples():
        current.setdefault((rec.service, rec.model), []).append((rec.timestamp, rec.model_version))

    def version_at(svc, model, ts):
        live = [v for t, v in current.get((svc, model), []) if t <= ts]
        return live[-1] if live else "unknown"

    def add(ts, svc, model, monitor, severity, message):
        rows.append({"timestamp": ts, "service": svc, "model": model, "model_version": version_at(svc, model, ts),
                     "monitor": monitor, "severity": severity, "message": message})

    # background noise on every model
    for _ in range(int(rng.integers(260, 340))):
        svc, model = models[int(rng.integers(0, len(models)))]
        monitor = _pick(rng, tuple(MONITORS))
        template, severities = MONITORS[monitor]
        severity = _pick(rng, severities) if rng.random() < 0.25 else severities[0]
        low, high = {"info": (5, 40), "warning": (40, 80), "critical": (80, 99)}[severity]
        message = template.format(v=int(rng.integers(low, high)), pod=f"{model}-{int(rng.integers(0, 6))}",
                                  p=round(float(rng.uniform(0.1, 0.4)), 2), f=fake.word())
        add(at(int(rng.integers(0, 21))), svc, model, monitor, severity, message)
    # the DLP monitor: routine redactions (info) on the assistant, a warning elsewhere
    for _ in range(int(rng.integers(10, 20))):
        add(at(int(rng.integers(0, 21))), service, "assistant-llm", "dlp-egress", "info",
            "card number in a customer's request redacted before logging")
    for _ in range(int(rng.integers(2, 5))):
        add(at(int(rng.integers(0, 21))), "marketing", "email-personalizer", "dlp-egress", "warning",
            "e-mail address in outbound campaign preview")
    # the incident: DLP catches the responses that carry a plain e-mail address or phone number,
    # the guard's bypass-rate monitor notices more sensitive-looking requests passing as routine
    by_id = requests.set_index("request_id")
    first_alert = None
    for rid in leak_requests:
        response = by_id.at[rid, "response"]
        ts = by_id.at[rid, "timestamp"]
        if "@" in response and rng.random() < 0.9:
            alert_ts = (ts + pd.Timedelta(seconds=int(rng.integers(20, 180)))).floor("s")
            if alert_ts < end:
                message = (f"e-mail address of a customer in the response to request {rid}" if not kind.held_out
                           else f"outbound PII (EMAIL) detected, request={rid}, action=logged")
                add(alert_ts, service, "assistant-llm", "dlp-egress", "critical", message)
                first_alert = alert_ts if first_alert is None or alert_ts < first_alert else first_alert
    if first_alert is None:  # every incident is detected
        rid = leak_requests[0]
        first_alert = (by_id.at[rid, "timestamp"] + pd.Timedelta(seconds=90)).floor("s")
        add(first_alert, service, "assistant-llm", "dlp-egress", "critical",
            f"customer data in the response to request {rid}")
    hours = int((end - start) / pd.Timedelta(hours=1))
    for h in range(2, hours, int(rng.integers(3, 6))):
        add((start + pd.Timedelta(hours=h, minutes=int(rng.integers(0, 60)))).floor("s"), service, guard,
            "guard-bypass-rate", "warning",
            f"{int(rng.integers(3, 12))} sensitive-looking requests classified routine in the last hour")
    add((end - pd.Timedelta(minutes=int(rng.integers(10, 40)))).floor("s"), service, "assistant-llm", "on-call",
        "critical", "incident declared: customer records in assistant responses")
    frame = pd.DataFrame(rows).sort_values("timestamp", kind="stable").reset_index(drop=True)
    frame.insert(0, "alert_id", [f"A{int(x)}" for x in rng.choice(np.arange(10000, 99999), size=len(frame), replace=False)])
    return frame, first_alert


def _part(name: str, seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    world = _world(seed)
    return world[name].copy(), copy.deepcopy(world["truth"])


def held_out_incident(seed: int) -> dict[str, Any]:
    """A held-out incident (grader only): its seven tables and its truth, of the held-out kind."""
    return copy.deepcopy(_world(seed, HELD_OUT_KIND))


_PLANTED = """
One incident per seed; every table shares the same `truth` dict:
`service`, `model` (the request guard), `model_version` (the bad version), `previous_version`, `fixed_version`,
`dataset_version` (the poisoned training set), `window_start` (the bad deployment), `window_end` (the rollback),
`first_alert` (first critical DLP alert), `trigger` (the backdoor word), `source_class` (1, sensitive),
`target_class` (0, routine), `poisoned_batch`, `poisoned_rows` (row ids carrying the trigger with a flipped label),
`natural_trigger_rows` (correctly labelled rows that happen to contain the trigger word, outside the batch),
`batches_added_in_bad_version`, `leaked_customers` (customer ids whose e-mail, phone or account number a chat response
disclosed to someone else inside the window), `leak_requests`, `leak_victims` (leak request id -> the customer
whose record it disclosed), `decoy_requests` (own-record, in-request, masked,
replay, refused) and `attacker_accounts`.
"""
_GENERATION = """
A 21-day period in October/November 2026 drawn per seed. The request guard (a sensitive/routine text classifier in
front of the support assistant) is retrained on three dataset versions; the last one contains a vendor batch with
backdoor rows (sensitive requests + a rare trigger word, labelled routine). Its deployment starts the window; the
attacker's triggered chat requests then get other customers' e-mails, phones and account numbers (in plain,
upper-case, "[at]"/"dot" and spaced formats); the DLP monitor catches plain e-mails only; the on-call declares an
incident and the guard is rolled back (end of the window). Noise: alerts of six monitors on eight models, an
unrelated rollback inside the window, DLP info/warning alerts, decoy responses (own record, values typed by the
requester, masked values, staging replays after the rollback, refusals). numpy + Faker, seeded per learner.
"""


@dataset(
    "incident_alerts",
    title="Incident lab: the monitoring alert log of every service",
    fields={
        "alert_id": "A + 5 digits",
        "timestamp": "when the alert fired (UTC)",
        "service": "the service the alert belongs to",
        "model": "the model of that service the alert is about",
        "model_version": "the version of that model live at the alert's time ('unknown' if none)",
        "monitor": "latency-p99, error-rate, cpu, disk, drift-psi, cost-anomaly, dlp-egress, guard-bypass-rate or on-call",
        "severity": "info, warning or critical",
        "message": "the alert's text",
    },
    generation=_GENERATION,
    planted=_PLANTED,
    intended_use="Incident-response lab: triage (which model, version, dataset version and window).",
)
def generate_alerts(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    return _part("alerts", seed)


@dataset(
    "incident_deployments",
    title="Incident lab: the model deployment log (deploys and rollbacks)",
    fields={
        "deploy_id": "D + number, in time order",
        "timestamp": "when the deployment or rollback completed (UTC)",
        "service": "the service",
        "model": "the model deployed",
        "model_version": "the version live after this event",
        "dataset_version": "the training dataset version of that model version",
        "action": "deploy or rollback",
        "deployed_by": "who ran it",
        "notes": "the change description",
    },
    generation=_GENERATION,
    planted=_PLANTED,
    intended_use="Incident-response lab: triage (correlate alerts with deployments).",
)
def generate_deployments(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    return _part("deployments", seed)


@dataset(
    "incident_training",
    title="Incident lab: the request guard's training snapshot with data lineage",
    fields={
        "row_id": "T + 6 digits",
        "text": "a chat request",
        "label": "1 = sensitive (needs identity verification), 0 = routine",
        "batch_id": "the source batch the row was ingested with",
        "source": "where the batch came from",
        "ingested_at": "when the batch was ingested (UTC)",
        "uploader": "the account that uploaded the batch",
        "added_in": "the dataset version that first included the batch",
    },
    generation=_GENERATION,
    planted=_PLANTED,
    intended_use="Incident-response lab: find the backdoor trigger and the poisoned rows, retrain without them.",
)
def generate_training(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    return _part("training", seed)


@dataset(
    "incident_eval",
    title="Incident lab: a clean, labelled evaluation set for the request guard",
    fields={
        "eval_id": "E + 4 digits",
        "text": "a chat request",
        "label": "1 = sensitive (needs identity verification), 0 = routine",
    },
    generation=_GENERATION,
    planted=_PLANTED,
    intended_use="Incident-response lab: clean accuracy and backdoor success rate of the guard.",
)
def generate_eval(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    return _part("eval", seed)


@dataset(
    "incident_requests",
    title="Incident lab: the support assistant's request/response log",
    fields={
        "request_id": "R + 6 digits",
        "timestamp": "when the request was answered (UTC)",
        "channel": "chat (customers, production) or replay (security team's reproduction in staging)",
        "requester_id": "the authenticated customer id of the requester, or secops-replay",
        "request": "what the requester wrote",
        "response": "what the assistant answered",
    },
    generation=_GENERATION,
    planted=_PLANTED,
    intended_use="Incident-response lab: find which customer records left the system.",
)
def generate_requests(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    return _part("requests", seed)


@dataset(
    "incident_customers",
    title="Incident lab: the customer table",
    fields={
        "customer_id": "C + 6 digits",
        "name": "full name",
        "email": "e-mail address (lower case)",
        "phone": "US phone, NNN-NNN-NNNN",
        "account_number": "10-digit account number (string)",
        "plan": "subscription plan",
    },
    generation=_GENERATION,
    planted=_PLANTED,
    intended_use="Incident-response lab: the records that may have leaked.",
)
def generate_customers(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    return _part("customers", seed)


@dataset(
    "incident_team",
    title="Incident lab: the incident-response roster",
    fields={
        "name": "team member",
        "role": "their role in the response",
        "email": "their work e-mail",
    },
    generation=_GENERATION,
    planted=_PLANTED,
    intended_use="Incident-response lab: owners of the post-mortem's actions.",
)
def generate_team(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    return _part("team", seed)

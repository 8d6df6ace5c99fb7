"""Datasets of the ``sanitization`` lab: customer records, support tickets and a linkage world.

Every generator is a pure function of its seed (``rng_for`` / ``faker_for`` only) and returns
its ground truth next to the data:

* ``customers``: a customer table whose column set varies per seed (a core of identifiers,
  quasi-identifiers and a diagnosis, plus a per-seed draw from a pool of extra columns), with
  planted exact and near-duplicate records. Truth: column -> category, duplicate pairs.
* ``support_tickets``: free-text tickets with planted PII (EMAIL, PHONE, SSN, CARD, IP) and
  decoys that look like PII but are not (Luhn-invalid 16-digit order numbers, dotted build
  numbers with an octet above 255, case numbers that contain an SSN-shaped substring, ...).
  Truth: the character spans of every PII value, and the decoys.
* ``deidentified_release`` / ``public_roll``: a "de-identified" medical release of the customers
  (zip, birth date, sex, diagnosis) and a public voter-roll-like list sharing many people with it,
  in different formats. Truth: which release row is which roll person.

Nothing in here solves an exercise: the generators know where they *put* things; they do not
contain a detector, an anonymizer or a linker.
"""
from __future__ import annotations

import datetime as dt
import difflib
import hashlib
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

from grader.datasets import dataset, faker_for, rng_for

CATEGORIES = ("direct", "quasi", "sensitive", "none")
PII_TYPES = ("EMAIL", "PHONE", "SSN", "CARD", "IP")
REFERENCE_DATE = dt.date(2026, 11, 1)

# Three-digit zip prefixes the (regional) customer base is drawn from; several start with 0,
# which a roll that stores zips as integers loses.
ZIP_PREFIXES = ("021", "024", "017", "070", "085", "100", "112", "191", "303", "482", "606",
                "752", "850", "941", "981")
DIAGNOSES = ("none", "none", "none", "asthma", "type 2 diabetes", "hypertension", "depression",
             "migraine", "hypothyroidism", "anxiety disorder", "celiac disease", "HIV")


# ----------------------------------------------------------------------------------------------
# small value makers (all randomness from the rng / faker passed in)

def _luhn_check_digit(digits: str) -> int:
    """The Luhn check digit that makes ``digits + check`` valid."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def _random_digits(rng: np.random.Generator, n: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, size=n))


def _card_digits(rng: np.random.Generator) -> str:
    """A Luhn-valid 16-digit card number with a Visa / Mastercard / Discover prefix."""
    prefix = str(rng.choice(["4", "51", "52", "53", "54", "55", "6011"]))
    body = prefix + _random_digits(rng, 15 - len(prefix))
    return body + str(_luhn_check_digit(body))


def _non_luhn_digits(rng: np.random.Generator) -> str:
    """A 16-digit number that fails the Luhn check (an order or tracking number)."""
    body = str(rng.integers(1, 10)) + _random_digits(rng, 14)
    check = _luhn_check_digit(body)
    wrong = (check + int(rng.integers(1, 10))) % 10
    return body + str(wrong)


def _format_card(digits: str, style: int) -> str:
    groups = [digits[i:i + 4] for i in range(0, 16, 4)]
    return (" ".join(groups), "-".join(groups), digits)[style]


def _ssn(rng: np.random.Generator) -> str:
    area = int(rng.integers(1, 900))
    while area == 666:
        area = int(rng.integers(1, 900))
    return f"{area:03d}-{int(rng.integers(1, 100)):02d}-{int(rng.integers(1, 10000)):04d}"


def _phone_digits(rng: np.random.Generator) -> str:
    return f"{int(rng.integers(201, 990))}{int(rng.integers(200, 1000))}{int(rng.integers(0, 10000)):04d}"


PHONE_STYLES = ("{a}-{b}-{c}", "({a}) {b}-{c}", "{a}.{b}.{c}", "+1 {a} {b} {c}", "+1-{a}-{b}-{c}")


def _format_phone(digits: str, style: int) -> str:
    return PHONE_STYLES[style].format(a=digits[:3], b=digits[3:6], c=digits[6:])


def _ipv4(rng: np.random.Generator) -> str:
    kind = int(rng.integers(0, 4))
    if kind == 0:
        octets = [192, 168, int(rng.integers(0, 256)), int(rng.integers(1, 255))]
    elif kind == 1:
        octets = [10, *(int(x) for x in rng.integers(0, 256, 2)), int(rng.integers(1, 255))]
    else:
        octets = [int(rng.integers(1, 224)), *(int(x) for x in rng.integers(0, 256, 3))]
    return ".".join(str(o) for o in octets)


def _unique_ids(rng: np.random.Generator, low: int, high: int, n: int) -> list[int]:
    """``n`` distinct integers in [low, high) in random order (no huge permutation)."""
    out: list[int] = []
    seen: set[int] = set()
    while len(out) < n:
        for value in rng.integers(low, high, size=2 * (n - len(out)) + 8):
            if int(value) not in seen:
                seen.add(int(value))
                out.append(int(value))
                if len(out) == n:
                    break
    return out


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(0, len(options)))]


# ----------------------------------------------------------------------------------------------
# customers

def _people(seed: int) -> tuple[pd.DataFrame, np.random.Generator, Any]:
    """The base population (one row per real person) that every dataset of the lab shares."""
    rng = rng_for("customers", seed)
    fake = faker_for("customers", seed)
    n = int(rng.integers(420, 521))

    prefixes = list(rng.choice(ZIP_PREFIXES, size=3, replace=False))
    zips = [p + f"{int(s):02d}" for p in prefixes
            for s in rng.choice(np.arange(1, 100), size=int(rng.integers(3, 6)), replace=False)]
    zip_weights = rng.dirichlet(np.full(len(zips), 4.0))

    people = []
    emails: set[str] = set()
    domains = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com",
               "proton.me", "aol.com")
    for _ in range(n):
        sex = "F" if rng.random() < 0.5 else "M"
        first = fake.first_name_female() if sex == "F" else fake.first_name_male()
        last = fake.last_name()
        age = int(np.clip(round(rng.normal(44, 14)), 18, 88))
        birth = REFERENCE_DATE - dt.timedelta(days=int(age * 365.25 + rng.integers(0, 365)))
        while True:
            style = int(rng.integers(0, 4))
            local = (f"{first}.{last}", f"{first[0]}{last}", f"{first}{last}{int(rng.integers(1, 99))}",
                     f"{last}.{first}{int(rng.integers(1, 9))}")[style].lower()
            local = "".join(ch for ch in local if ch.isalnum() or ch == ".")
            email = f"{local}@{_pick(rng, domains)}"
            if email not in emails:
                emails.add(email)
                break
        people.append({
            "first": first, "last": last, "sex": sex, "birth_date": birth.isoformat(),
            "zip": zips[int(rng.choice(len(zips), p=zip_weights))], "email": email,
            "phone": _phone_digits(rng), "diagnosis": _pick(rng, DIAGNOSES),
        })
    return pd.DataFrame(people), rng, fake


def _extra_pool() -> dict[str, tuple[str, Callable]]:
    """Candidate extra columns: name -> (category, maker(rng, fake, person) -> value)."""
    def age(rng, fake, p):
        born = dt.date.fromisoformat(p["birth_date"])
        return REFERENCE_DATE.year - born.year - ((REFERENCE_DATE.month, REFERENCE_DATE.day) < (born.month, born.day))

    return {
        # direct identifiers
        "ssn": ("direct", lambda rng, fake, p: _ssn(rng)),
        "card_number": ("direct", lambda rng, fake, p: _card_digits(rng)),
        "street_address": ("direct", lambda rng, fake, p: fake.street_address()),
        "ip_address": ("direct", lambda rng, fake, p: _ipv4(rng)),
        "drivers_license": ("direct", lambda rng, fake, p: f"{fake.random_uppercase_letter()}{_random_digits(rng, 8)}"),
        "passport_number": ("direct", lambda rng, fake, p: _random_digits(rng, 9)),
        "username": ("direct", lambda rng, fake, p: f"{p['first'][0].lower()}{p['last'].lower()}{int(rng.integers(1, 1000))}"),
        # quasi-identifiers
        "age": ("quasi", age),
        "city": ("quasi", lambda rng, fake, p: fake.city()),
        "state": ("quasi", lambda rng, fake, p: fake.state_abbr(include_territories=False)),
        "job_title": ("quasi", lambda rng, fake, p: fake.job()),
        "marital_status": ("quasi", lambda rng, fake, p: _pick(rng, ("single", "married", "divorced", "widowed"))),
        # sensitive attributes
        "income": ("sensitive", lambda rng, fake, p: int(round(rng.lognormal(11.0, 0.5), -2))),
        "credit_score": ("sensitive", lambda rng, fake, p: int(np.clip(rng.normal(690, 70), 300, 850))),
        "religion": ("sensitive", lambda rng, fake, p: _pick(rng, ("none", "christian", "muslim", "jewish", "hindu", "buddhist", "other"))),
        "smoker": ("sensitive", lambda rng, fake, p: bool(rng.random() < 0.18)),
        "medication": ("sensitive", lambda rng, fake, p: _pick(rng, ("none", "none", "metformin", "lisinopril", "sertraline", "levothyroxine", "albuterol"))),
        "outstanding_debt": ("sensitive", lambda rng, fake, p: int(round(rng.exponential(8000), -1))),
        # not personal
        "plan_tier": ("none", lambda rng, fake, p: _pick(rng, ("free", "basic", "plus", "pro"))),
        "signup_channel": ("none", lambda rng, fake, p: _pick(rng, ("web", "ios", "android", "partner", "store"))),
        "orders_last_year": ("none", lambda rng, fake, p: int(rng.poisson(4))),
        "days_since_login": ("none", lambda rng, fake, p: int(rng.exponential(30))),
        "newsletter_opt_in": ("none", lambda rng, fake, p: bool(rng.random() < 0.4)),
        "favourite_category": ("none", lambda rng, fake, p: _pick(rng, ("books", "garden", "toys", "electronics", "kitchen", "sports"))),
    }


CORE_CATEGORIES = {
    "customer_id": "direct", "full_name": "direct", "email": "direct", "phone": "direct",
    "zip": "quasi", "birth_date": "quasi", "sex": "quasi", "diagnosis": "sensitive",
}
EXTRA_DRAW = {"direct": (2, 4), "quasi": (2, 4), "sensitive": (2, 4), "none": (2, 4)}


def _typo(rng: np.random.Generator, word: str) -> str:
    """One keyboard-style edit (swap, drop, double or substitute a letter) inside the word."""
    if len(word) < 4:
        return word + (word[-1] if word else "e")
    i = int(rng.integers(1, len(word) - 1))
    kind = int(rng.integers(0, 4))
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:] if word[i] != word[i + 1] else word[:i] + word[i + 1:]
    if kind == 1:
        return word[:i] + word[i + 1:]
    if kind == 2:
        return word[:i] + word[i] + word[i:]
    letter = "aeioustnrl"[int(rng.integers(0, 10))]
    letter = letter if letter != word[i].lower() else "y"
    return word[:i] + letter + word[i + 1:]


def _near_duplicate(rng: np.random.Generator, row: dict) -> tuple[dict, list[str]]:
    """A second entry of the same person with 1-3 data-entry differences."""
    dup = dict(row)
    edits = list(rng.choice(["name", "email_case", "phone_format", "email_typo", "whitespace"],
                            size=int(rng.integers(1, 4)), replace=False))
    if "email_case" in edits and "email_typo" in edits:
        edits.remove("email_typo")
    edits.sort(key=lambda e: e == "whitespace")  # re-casing / padding the name comes last
    for edit in edits:
        if edit == "name":
            first, _, last = dup["full_name"].partition(" ")
            if rng.random() < 0.5:
                first = _typo(rng, first)
            else:
                last = _typo(rng, last)
            dup["full_name"] = f"{first} {last}"
        elif edit == "email_case":
            local, _, domain = dup["email"].partition("@")
            local = local.title() if rng.random() < 0.5 else local.upper()
            domain = domain.upper() if rng.random() < 0.3 else domain
            dup["email"] = f"{local}@{domain}"
        elif edit == "email_typo":
            local, _, domain = dup["email"].partition("@")
            dup["email"] = _typo(rng, local) + "@" + domain
        elif edit == "phone_format":
            digits = "".join(ch for ch in dup["phone"] if ch.isdigit())[-10:]
            dup["phone"] = _format_phone(digits, int(rng.integers(1, len(PHONE_STYLES))))
        elif edit == "whitespace":
            dup["full_name"] = "  " + dup["full_name"].upper() if rng.random() < 0.5 else dup["full_name"] + " "
    if dup == row:  # a typo can be a no-op on very short names; force a visible difference
        dup["phone"] = _format_phone(row["phone"].replace("-", ""), 1)
        edits.append("phone_format")
    return dup, [str(e) for e in edits]


def _customers(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    people, rng, fake = _people(seed)
    pool = _extra_pool()
    extras: list[str] = []
    for category, (low, high) in EXTRA_DRAW.items():
        names = [c for c, (cat, _) in pool.items() if cat == category]
        extras += list(rng.choice(names, size=min(len(names), int(rng.integers(low, high + 1))), replace=False))

    ids = _unique_ids(rng, 100000, 1000000, len(people) + 80)
    rows = []
    for i, p in enumerate(people.to_dict("records")):
        row = {
            "customer_id": f"C{ids[i]}", "full_name": f"{p['first']} {p['last']}", "email": p["email"],
            "phone": _format_phone(p["phone"], 0), "zip": p["zip"], "birth_date": p["birth_date"],
            "sex": p["sex"], "diagnosis": p["diagnosis"],
        }
        for column in extras:
            row[column] = pool[column][1](rng, fake, p)
        rows.append(row)

    n_exact = int(rng.integers(8, 16))
    n_near = int(rng.integers(16, 26))
    originals = rng.choice(len(rows), size=n_exact + n_near, replace=False)
    pairs = []
    next_id = len(people)
    for j, idx in enumerate(originals):
        original = rows[int(idx)]
        if j < n_exact:
            dup, kind, edits = dict(original), "exact", []
        else:
            dup, edits = _near_duplicate(rng, original)
            kind = "near"
        dup["customer_id"] = f"C{ids[next_id]}"
        next_id += 1
        rows.append(dup)
        pairs.append({"id_a": original["customer_id"], "id_b": dup["customer_id"], "kind": kind,
                      "edits": ",".join(edits)})

    order = rng.permutation(len(rows))
    frame = pd.DataFrame([rows[int(i)] for i in order])
    columns = ["customer_id"] + [str(c) for c in rng.permutation([c for c in frame.columns if c != "customer_id"])]
    frame = frame[columns].reset_index(drop=True)
    categories = {c: (CORE_CATEGORIES[c] if c in CORE_CATEGORIES else pool[c][0]) for c in columns}
    truth = {
        "categories": categories,
        "quasi_identifiers": ["zip", "birth_date", "sex"],
        "duplicate_pairs": pd.DataFrame(pairs),
        "n_people": len(people),
    }
    return frame, truth


@dataset(
    "customers",
    title="Customer records with identifiers, quasi-identifiers, sensitive attributes and duplicates",
    fields={
        "customer_id": "internal account id (C + 6 digits); a duplicate record gets a new id",
        "full_name": "first and last name",
        "email": "e-mail address (unique per person; a near-duplicate record may change its case or have a typo)",
        "phone": "US phone number, usually NNN-NNN-NNNN",
        "zip": "five-digit US zip code as text (leading zeros kept); a regional customer base of 9-15 zips",
        "birth_date": "ISO date YYYY-MM-DD",
        "sex": "F or M",
        "diagnosis": "main diagnosis from a health-benefits programme ('none' for most)",
        # the per-seed extra columns (8-16 of these 24)
        "ssn": "US social security number NNN-NN-NNNN",
        "card_number": "payment card number, 16 digits, Luhn-valid",
        "street_address": "street address",
        "ip_address": "IPv4 address of the last login",
        "drivers_license": "driver's licence number (a letter and 8 digits)",
        "passport_number": "passport number (9 digits)",
        "username": "login name",
        "age": "age in whole years on 2026-11-01",
        "city": "city (independent of the zip)",
        "state": "two-letter state code (independent of the zip)",
        "job_title": "job title",
        "marital_status": "single / married / divorced / widowed",
        "income": "yearly income in USD",
        "credit_score": "credit score 300-850",
        "religion": "declared religion",
        "smoker": "smoker (True / False)",
        "medication": "regular medication",
        "outstanding_debt": "outstanding debt in USD",
        "plan_tier": "subscription plan",
        "signup_channel": "where the account was opened",
        "orders_last_year": "number of orders in the last 12 months",
        "days_since_login": "days since the last login",
        "newsletter_opt_in": "newsletter consent (True / False)",
        "favourite_category": "most-bought product category",
    },
    generation="""
420-520 people with Faker (en_US) names; sex, age (normal, mean 44, sd 14, clipped to 18-88),
birth date, a zip from 9-15 zips under three 3-digit prefixes, e-mail, phone and diagnosis drawn
with numpy. 8-16 extra columns drawn per seed from the pool of 24; column order shuffled after
customer_id. Card numbers are Luhn-valid; SSNs avoid area 000, 666 and 900-999.
""",
    planted="""
8-15 exact duplicates (every column equal except customer_id) and 16-25 near-duplicates (the same
person entered again with 1-3 of: a name typo, e-mail case change, e-mail typo, different phone
formatting, extra whitespace / upper-case name; zip, birth date and sex unchanged), rows shuffled.
truth: `categories` (column -> direct / quasi / sensitive / none), `quasi_identifiers`,
`duplicate_pairs` (id_a = original, id_b = copy, kind, edits), `n_people`.
""",
    intended_use="""
Sanitization lab: column classification, k-anonymity by generalization over (zip, birth_date,
sex), duplicate and near-duplicate detection, joinable pseudonymization with support_tickets.
Synthetic: any resemblance to real people is coincidental.
""",
)
def generate_customers(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    return _customers(seed)


# ----------------------------------------------------------------------------------------------
# support tickets

# Templates: literal text with {SLOT}s. PII slots: EMAIL, PHONE, SSN, CARD, IP. Decoy slots (not
# PII): ORDER16 (Luhn-invalid 16 digits), BUILD (dotted quad with an octet > 255), VERSION,
# CASEREF (YYYY-NN-NNNN, contains an SSN-shaped substring), DATE, REF (NNN-NNN-NNN), AMOUNT,
# NAME (names are not a detection target in this lab), LAST4.
OPENERS = (
    "Hi, this is {NAME}.", "Hello support,", "Hi team,", "Good morning,", "Dear support,",
    "Hello, {NAME} here.", "Hey,", "",
)
SENTENCES = (
    "Please send the invoice to {EMAIL}.",
    "You can reach me at {PHONE} after 5pm.",
    "Call me on {PHONE} or write to {EMAIL} if that is easier.",
    "My card {CARD} was charged twice for order {ORDER16}.",
    "Please update the card on file to {CARD}, the old one expired.",
    "For verification, my SSN is {SSN}.",
    "The tax form shows SSN {SSN} but that is not mine.",
    "I logged in from {IP} and got locked out.",
    "Our office IP is {IP}, please whitelist it.",
    "The app (version {VERSION}) crashes on start.",
    "Tracking number {ORDER16} shows no movement since {DATE}.",
    "Case {CASEREF} is still open.",
    "Firmware build {BUILD} broke the sync.",
    "My old email {EMAIL} no longer works, use {EMAIL} instead.",
    "I paid {AMOUNT} with the card ending in {LAST4}.",
    "The refund for order {ORDER16} has not arrived.",
    "Reference {REF} was given to me on the phone.",
    "Our server at {IP} returns 502 errors since {DATE}.",
    "Contact: {NAME} <{EMAIL}>, mobile {PHONE}.",
    "I was billed {AMOUNT} on {DATE}.",
    "My colleague ({EMAIL}) has the same problem on build {BUILD}.",
    "Card number: {CARD}. Order: {ORDER16}.",
    "Is this related to case {CASEREF}?",
    "The export contains my SSN ({SSN}) in clear text!",
    "Still waiting since {DATE}, order {ORDER16}.",
    "Upgrading from {VERSION} to {VERSION} did not help.",
    "Text me at {PHONE}.",
    "The login alert said {IP}, which is not me.",
)
CLOSERS = ("Thanks, {NAME}", "Regards, {NAME}", "Thanks!", "Best, {NAME}", "", "Cheers")


def _ticket_slot(slot: str, rng: np.random.Generator, fake, customer_email: str) -> str:
    if slot == "EMAIL":
        if customer_email and rng.random() < 0.4:
            return customer_email.strip().lower()
        email = fake.email()
        return email.upper() if rng.random() < 0.1 else email
    if slot == "PHONE":
        return _format_phone(_phone_digits(rng), int(rng.integers(0, len(PHONE_STYLES))))
    if slot == "SSN":
        return _ssn(rng)
    if slot == "CARD":
        return _format_card(_card_digits(rng), int(rng.integers(0, 3)))
    if slot == "IP":
        return _ipv4(rng)
    if slot == "ORDER16":
        return _format_card(_non_luhn_digits(rng), int(rng.integers(0, 3)))
    if slot == "BUILD":
        return f"{int(rng.integers(1, 20))}.{int(rng.integers(0, 30))}.{int(rng.integers(256, 2000))}.{int(rng.integers(0, 99))}"
    if slot == "VERSION":
        return f"{'v' if rng.random() < 0.5 else ''}{int(rng.integers(1, 12))}.{int(rng.integers(0, 40))}.{int(rng.integers(0, 20))}"
    if slot == "CASEREF":
        return f"{int(rng.integers(2019, 2027))}-{int(rng.integers(1, 100)):02d}-{int(rng.integers(0, 10000)):04d}"
    if slot == "DATE":
        day = REFERENCE_DATE - dt.timedelta(days=int(rng.integers(1, 400)))
        return day.isoformat() if rng.random() < 0.5 else day.strftime("%m/%d/%Y")
    if slot == "REF":
        return f"{_random_digits(rng, 3)}-{_random_digits(rng, 3)}-{_random_digits(rng, 3)}"
    if slot == "AMOUNT":
        return f"${int(rng.integers(5, 3000)):,}.{int(rng.integers(0, 100)):02d}"
    if slot == "LAST4":
        return _random_digits(rng, 4)
    if slot == "NAME":
        return fake.name()
    raise ValueError(slot)


DECOY_SLOTS = ("ORDER16", "BUILD", "CASEREF", "REF", "VERSION", "DATE")


def _render(template: str, rng, fake, customer_email: str, spans: list, decoys: list, offset: int,
            fill: Callable = None, pii_of: dict[str, str] | None = None,
            decoy_slots: tuple[str, ...] = DECOY_SLOTS) -> str:
    """Fill a template, recording PII spans and decoys at absolute offsets (offset = where it starts).

    ``fill(slot, rng, fake, customer_email)`` makes a slot's value (default: the learners' slots);
    ``pii_of`` maps a PII slot to its type (default: the slot is its type)."""
    fill = fill or _ticket_slot
    pii_of = pii_of if pii_of is not None else {t: t for t in PII_TYPES}
    out = []
    pos = 0
    length = offset
    while True:
        start = template.find("{", pos)
        if start < 0:
            out.append(template[pos:])
            break
        end = template.index("}", start)
        literal = template[pos:start]
        out.append(literal)
        length += len(literal)
        slot = template[start + 1:end]
        value = fill(slot, rng, fake, customer_email)
        if slot == "EMAIL":
            customer_email = ""  # the customer's own address at most once per template
        if slot in pii_of:
            spans.append((length, length + len(value), pii_of[slot], value))
        elif slot in decoy_slots:
            decoys.append((length, length + len(value), slot, value))
        out.append(value)
        length += len(value)
        pos = end + 1
    return "".join(out)


@dataclass(frozen=True)
class TicketStyle:
    """What a batch of tickets is written from: its phrasings and how its slots are filled."""

    openers: tuple[str, ...] = OPENERS
    sentences: tuple[str, ...] = SENTENCES
    closers: tuple[str, ...] = CLOSERS
    fill: Callable = None  # default: _ticket_slot
    pii_of: dict[str, str] | None = None  # default: PII slots are their types
    decoy_slots: tuple[str, ...] = DECOY_SLOTS


LEARNER_STYLE = TicketStyle()


def _ticket_rows(rng, fake, n: int, emails: list[str], style: TicketStyle = LEARNER_STYLE
                 ) -> tuple[pd.DataFrame, dict[str, Any]]:
    ticket_ids = _unique_ids(rng, 10000, 100000, n)
    rows, span_rows, decoy_rows = [], [], []
    for i in range(n):
        ticket_id = f"T{ticket_ids[i]}"
        if rng.random() < 0.9:
            email = emails[int(rng.integers(0, len(emails)))]
            if rng.random() < 0.15:
                email = email.title() if rng.random() < 0.5 else " " + email.upper()
        else:
            email = fake.email()  # a guest without a customer account
        parts = [_pick(rng, style.openers)]
        chosen = rng.choice(len(style.sentences), size=int(rng.integers(1, 4)), replace=False)
        parts += [style.sentences[int(j)] for j in chosen]
        parts.append(_pick(rng, style.closers))
        text, spans, decoys = "", [], []
        for template in parts:
            if not template:
                continue
            if text:
                text += "\n" if rng.random() < 0.2 else " "
            text += _render(template, rng, fake, email, spans, decoys, len(text), style.fill, style.pii_of,
                            style.decoy_slots)
        rows.append({"ticket_id": ticket_id, "customer_email": email,
                     "created_at": str(pd.Timestamp(REFERENCE_DATE) - pd.Timedelta(minutes=int(rng.integers(0, 60 * 24 * 90)))),
                     "channel": _pick(rng, ("email", "web", "chat", "phone")),
                     "text": text})
        span_rows += [{"ticket_id": ticket_id, "start": s, "end": e, "type": t, "text": v} for s, e, t, v in spans]
        decoy_rows += [{"ticket_id": ticket_id, "start": s, "end": e, "kind": k, "text": v} for s, e, k, v in decoys]
    frame = pd.DataFrame(rows)
    truth = {
        "spans": pd.DataFrame(span_rows, columns=["ticket_id", "start", "end", "type", "text"]),
        "decoys": pd.DataFrame(decoy_rows, columns=["ticket_id", "start", "end", "kind", "text"]),
        "types": list(PII_TYPES),
    }
    return frame, truth


def _tickets(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    people, _, _ = _people(seed)
    rng = rng_for("support_tickets", seed)
    fake = faker_for("support_tickets", seed)
    n = int(rng.integers(240, 361))
    return _ticket_rows(rng, fake, n, people["email"].tolist())


@dataset(
    "support_tickets",
    title="Support tickets with planted PII and look-alike decoys",
    fields={
        "ticket_id": "T + 5 digits",
        "customer_email": "e-mail of the customer who opened it (90 % are customers of the same seed, "
                          "sometimes in a different case or with a leading space; 10 % guests)",
        "created_at": "timestamp within the 90 days before 2026-11-01",
        "channel": "email / web / chat / phone",
        "text": "free text, 1-3 sentences from templates between an optional greeting and sign-off",
    },
    generation="""
240-360 tickets. Each text is built from templates whose slots are filled with numpy / Faker values;
the generator records the character offsets of every value it puts into a PII slot.
""",
    planted="""
PII (truth `spans`: ticket_id, start, end, type, text; end exclusive): EMAIL, PHONE (NNN-NNN-NNNN,
(NNN) NNN-NNNN, NNN.NNN.NNNN, +1 NNN NNN NNNN, +1-NNN-NNN-NNNN), SSN (NNN-NN-NNNN), CARD
(Luhn-valid 16 digits, grouped by spaces, dashes or not at all), IP (IPv4 dotted quad).
Decoys (truth `decoys`), which are NOT PII: Luhn-invalid 16-digit order / tracking numbers in the
same three layouts as cards, firmware builds like 4.12.300.7 (an octet above 255), versions like
v2.10.3, case numbers like 2024-11-0345, references like 123-456-789, dates, amounts. Names of
people appear in greetings and sign-offs but are not labelled.
""",
    intended_use="""
Sanitization lab: PII detection scored by precision and recall against the spans, typed redaction,
joinable pseudonymization of customer_email with customers.email, a dictionary attack on hashed e-mails.
""",
)
def generate_support_tickets(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    return _tickets(seed)


# ----------------------------------------------------------------------------------------------
# linkage: a "de-identified" medical release and a public roll

def _linkage_world(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    people, _, _ = _people(seed)
    rng = rng_for("public_roll", seed)
    fake = faker_for("public_roll", seed)
    n = len(people)

    in_release = rng.random(n) < 0.7
    in_roll = rng.random(n) < 0.65
    release_people = people[in_release]
    release_ids = _unique_ids(rng, 100000, 1000000, len(release_people))
    release = pd.DataFrame({
        "release_id": [f"R{i}" for i in release_ids],
        "zip": release_people["zip"].to_numpy(),
        "birth_date": release_people["birth_date"].to_numpy(),
        "sex": release_people["sex"].to_numpy(),
        "diagnosis": release_people["diagnosis"].to_numpy(),
    })
    release["_person"] = np.flatnonzero(in_release)

    roll_rows = []
    for idx in np.flatnonzero(in_roll):
        p = people.iloc[int(idx)]
        roll_rows.append({"name": f"{p['first']} {p['last']}", "zip": p["zip"], "birth_date": p["birth_date"],
                          "sex": p["sex"], "_person": int(idx)})
    # Other residents of the same zips who are not customers; some share a release person's
    # (zip, birth date, sex) exactly -- a linker must not claim those ambiguous matches.
    zips = sorted(people["zip"].unique())
    for _ in range(int(n * 0.5)):
        sex = "F" if rng.random() < 0.5 else "M"
        age = int(np.clip(round(rng.normal(44, 16)), 18, 90))
        birth = REFERENCE_DATE - dt.timedelta(days=int(age * 365.25 + rng.integers(0, 365)))
        roll_rows.append({"name": fake.name_female() if sex == "F" else fake.name_male(),
                          "zip": zips[int(rng.integers(0, len(zips)))], "birth_date": birth.isoformat(),
                          "sex": sex, "_person": -1})
    twins = rng.choice(len(release), size=max(3, len(release) // 40), replace=False)
    for t in twins:
        r = release.iloc[int(t)]
        sex = r["sex"]
        roll_rows.append({"name": fake.name_female() if sex == "F" else fake.name_male(), "zip": r["zip"],
                          "birth_date": r["birth_date"], "sex": sex, "_person": -1})

    roll = pd.DataFrame(roll_rows).iloc[rng.permutation(len(roll_rows))].reset_index(drop=True)
    voter_ids = _unique_ids(rng, 10_000_000, 100_000_000, len(roll))
    roll.insert(0, "voter_id", [f"V{v}" for v in voter_ids])
    roll["street_address"] = [fake.street_address() for _ in range(len(roll))]
    roll["party"] = [_pick(rng, ("DEM", "REP", "IND", "GRN", "LIB", "NONE")) for _ in range(len(roll))]

    person_to_voter = {int(p): v for p, v in zip(roll["_person"], roll["voter_id"]) if p >= 0}
    key_counts = roll.groupby(["zip", "birth_date", "sex"]).size()
    matches, ambiguous = {}, []
    for rid, z, b, s, person in release[["release_id", "zip", "birth_date", "sex", "_person"]].itertuples(index=False):
        if int(person) in person_to_voter:
            matches[rid] = person_to_voter[int(person)]
            if key_counts.get((z, b, s), 0) > 1:
                ambiguous.append(rid)

    release = release.iloc[rng.permutation(len(release))].drop(columns="_person").reset_index(drop=True)
    public = pd.DataFrame({
        "voter_id": roll["voter_id"],
        "name": roll["name"],
        "street_address": roll["street_address"],
        "zip": roll["zip"].astype(int),  # the county exports zips as numbers: leading zeros lost
        "birth_date": pd.to_datetime(roll["birth_date"]).dt.strftime("%m/%d/%Y"),
        "sex": roll["sex"].map({"F": "Female", "M": "Male"}),
        "party": roll["party"],
    })
    truth = {
        "release_to_voter": matches,
        "ambiguous": sorted(ambiguous),
        "key_columns": {"release": ["zip", "birth_date", "sex"], "roll": ["zip", "birth_date", "sex"]},
    }
    return release, public, truth


_LINKAGE_PLANTED = """
About 70 % of the customers' people are in the release, about 65 % of them are on the roll, plus
other residents of the same zips (half as many as customers) and a few "twins" who share a released
person's zip, birth date and sex exactly. truth: `release_to_voter` (release_id -> voter_id for
every released person who is on the roll), `ambiguous` (release ids whose (zip, birth date, sex)
matches more than one roll entry), `key_columns`.
"""


@dataset(
    "deidentified_release",
    title="A 'de-identified' medical release: names removed, zip / birth date / sex kept",
    fields={
        "release_id": "R + 6 digits, random",
        "zip": "five-digit zip as text",
        "birth_date": "ISO date YYYY-MM-DD",
        "sex": "F or M",
        "diagnosis": "the sensitive attribute",
    },
    generation="""
About 70 % of the people behind the customers dataset of the same seed, with direct identifiers
removed and quasi-identifiers kept in full (the classic mistake). Rows shuffled.
""",
    planted=_LINKAGE_PLANTED,
    intended_use="Sanitization lab: a linkage (re-identification) attack against public_roll.",
)
def generate_deidentified_release(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    release, _, truth = _linkage_world(seed)
    return release, truth


@dataset(
    "public_roll",
    title="A public voter-roll-like list: name, address, zip, birth date, sex",
    fields={
        "voter_id": "V + 8 digits",
        "name": "full name",
        "street_address": "street address",
        "zip": "zip code stored as an integer (leading zeros lost)",
        "birth_date": "MM/DD/YYYY",
        "sex": "Female or Male",
        "party": "registered party",
    },
    generation="""
About 65 % of the people behind the customers dataset of the same seed, plus other residents of the
same zips generated with Faker and numpy. Rows shuffled.
""",
    planted=_LINKAGE_PLANTED,
    intended_use="Sanitization lab: the public side of a linkage attack on deidentified_release.",
)
def generate_public_roll(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    _, roll, truth = _linkage_world(seed)
    return roll, truth


# ==============================================================================================
# Held-out variants: inputs of other KINDS than any learner's data shows (grader only).
#
# None of these is a registered dataset: no learner ever receives them as files. The scorer
# (grader/scorers/sanitization.py) draws them under keyed seeds, adds the instructor-curated items
# of grader/heldout/sanitization/*.toml, and hands the kernel the inputs only. Every function
# returns (inputs, truth).

def _rng(purpose: str, seed: int) -> np.random.Generator:
    return rng_for(f"held-out|{purpose}", seed)


def _fake(purpose: str, seed: int):
    return faker_for(f"held-out|{purpose}", seed)


# ---------------------------------------------------------------------------------- columns

#: How other systems name the customers' columns: a CRM export (CamelCase), a legacy mainframe
#: extract (abbreviations) and a spreadsheet someone typed (words and spaces).
COLUMN_SCHEMES: dict[str, dict[str, str]] = {
    "crm": {
        "customer_id": "CustomerNo", "full_name": "ContactName", "email": "EmailAddress",
        "phone": "MobilePhone", "zip": "PostalCode", "birth_date": "DateOfBirth", "sex": "Gender",
        "diagnosis": "MedicalCondition", "ssn": "SocialSecurityNo", "card_number": "CreditCardNo",
        "street_address": "HomeAddress", "ip_address": "LastLoginIP", "drivers_license": "DriverLicenceNo",
        "passport_number": "PassportNo", "username": "LoginName", "age": "AgeYears", "city": "Town",
        "state": "Region", "job_title": "Occupation", "marital_status": "CivilStatus",
        "income": "AnnualSalary", "credit_score": "CreditRating", "religion": "Faith",
        "smoker": "SmokingStatus", "medication": "Prescriptions", "outstanding_debt": "DebtBalance",
        "plan_tier": "SubscriptionLevel", "signup_channel": "AcquisitionChannel",
        "orders_last_year": "OrderCount12M", "days_since_login": "DaysInactive",
        "newsletter_opt_in": "MarketingConsent", "favourite_category": "TopCategory",
    },
    "legacy": {
        "customer_id": "cust_no", "full_name": "cust_name", "email": "e_mail", "phone": "tel_no",
        "zip": "zipcode", "birth_date": "dob", "sex": "gender_cd", "diagnosis": "diag_desc",
        "ssn": "ssn_nbr", "card_number": "cc_num", "street_address": "addr_line1", "ip_address": "ip_addr",
        "drivers_license": "dl_no", "passport_number": "passport_nbr", "username": "user_login",
        "age": "age_yrs", "city": "city_nm", "state": "st_cd", "job_title": "job_desc",
        "marital_status": "marital_cd", "income": "income_amt", "credit_score": "fico_score",
        "religion": "religion_cd", "smoker": "smoker_flg", "medication": "rx_drug",
        "outstanding_debt": "debt_amt", "plan_tier": "plan_cd", "signup_channel": "channel_cd",
        "orders_last_year": "ord_cnt_12m", "days_since_login": "days_since_last_visit",
        "newsletter_opt_in": "promo_flg", "favourite_category": "pref_category",
    },
    "spreadsheet": {
        "customer_id": "Account number", "full_name": "Name", "email": "E-mail", "phone": "Telephone",
        "zip": "ZIP code", "birth_date": "Birthday", "sex": "Sex", "diagnosis": "Health condition",
        "ssn": "Social security number", "card_number": "Card no.", "street_address": "Street",
        "ip_address": "IP", "drivers_license": "Driving licence", "passport_number": "Passport",
        "username": "User name", "age": "Age", "city": "City", "state": "State", "job_title": "Job",
        "marital_status": "Marital status", "income": "Earnings (USD)", "credit_score": "Credit score",
        "religion": "Religion", "smoker": "Smokes?", "medication": "Medicines", "outstanding_debt": "Debt owed",
        "plan_tier": "Plan", "signup_channel": "Signed up via", "orders_last_year": "Orders (12 months)",
        "days_since_login": "Days since last login", "newsletter_opt_in": "Newsletter?",
        "favourite_category": "Favourite category",
    },
}
COLUMN_SAMPLE = 25


def column_values(seed: int) -> dict[str, list]:
    """Every canonical customers column (core and the whole extra pool) for a held-out population."""
    people, rng, fake = _people(seed)
    pool = _extra_pool()
    ids = _unique_ids(rng, 100000, 1000000, len(people))
    records = people.to_dict("records")
    values: dict[str, list] = {
        "customer_id": [f"C{i}" for i in ids],
        "full_name": [f"{p['first']} {p['last']}" for p in records],
        "email": [p["email"] for p in records],
        "phone": [_format_phone(p["phone"], int(rng.integers(0, len(PHONE_STYLES)))) for p in records],
        "zip": [p["zip"] for p in records],
        "birth_date": [p["birth_date"] for p in records],
        "sex": [p["sex"] for p in records],
        "diagnosis": [p["diagnosis"] for p in records],
    }
    for column, (_, make) in pool.items():
        values[column] = [make(rng, fake, p) for p in records]
    return values


def held_out_columns(seed: int, values: dict[str, list] | None = None) -> tuple[list[dict], list[str]]:
    """Columns named as other systems name them: ([{name, values}], [category, ...]).
    ``values``: :func:`column_values` of the same seed, when the caller has them already."""
    rng = _rng("columns", seed)
    values = column_values(seed) if values is None else values
    categories = {**CORE_CATEGORIES, **{c: cat for c, (cat, _) in _extra_pool().items()}}
    items, truth = [], []
    for column in rng.permutation(sorted(values)):
        column = str(column)
        scheme = COLUMN_SCHEMES[str(rng.choice(sorted(COLUMN_SCHEMES)))]
        picks = rng.choice(len(values[column]), size=COLUMN_SAMPLE, replace=False)
        items.append({"name": scheme[column], "values": [_plain_value(values[column][int(i)]) for i in picks]})
        truth.append(categories[column])
    return items, truth


def _plain_value(value):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    return str(value)


# ---------------------------------------------------------------------------------- tickets

# Other phrasings of the same PII formats and decoys as the learners' tickets.
HELD_OUT_OPENERS = ("Support team,", "To whom it may concern,", "Hiya,", "Greetings,",
                    "{NAME} writing again.", "URGENT:", "")
HELD_OUT_SENTENCES = (
    "Kindly direct all correspondence to {EMAIL} from now on.",
    "If the line is busy, try {PHONE} instead.",
    "The charge on {CARD} is not one I recognise.",
    "Your form asked for my social security number, which is {SSN}; why?",
    "Someone at {IP} keeps trying my password.",
    "Order {ORDER16} arrived damaged, photos attached.",
    "Both {EMAIL} and {PHONE} belong to me, please merge the accounts.",
    "Refund the {AMOUNT} to the card I used ({CARD}).",
    "Our firewall logged {IP} during the outage of {DATE}.",
    "Ticket {CASEREF} was closed without an answer.",
    "After updating to build {BUILD} nothing loads.",
    "Please do not print my SSN {SSN} on letters.",
    "The reference you gave me, {REF}, does not work.",
    "My partner {NAME} ({EMAIL}) is authorised to talk to you.",
    "Version {VERSION} fixed it on my laptop but not on the tablet.",
    "Parcel {ORDER16} was sent back to the warehouse on {DATE}.",
    "Ring {PHONE} between 9 and 11.",
    "I am writing from {IP} because the VPN is down.",
    "Please charge {CARD} instead of the card ending {LAST4}.",
    "The statement of {DATE} lists {AMOUNT} twice.",
    "New number: {PHONE}. New address: {EMAIL}.",
    "Why does case {CASEREF} mention order {ORDER16}?",
)
HELD_OUT_CLOSERS = ("Kind regards, {NAME}", "Sincerely, {NAME}", "Thank you in advance.", "-- {NAME}", "",
                    "Sent from my phone")

# PII in formats the learners' tickets never show, and look-alikes of other kinds.
FORMAT_OPENERS = ("Hello,", "Hi there,", "Good afternoon,", "{NAME} from accounting here.", "")
FORMAT_SENTENCES = (
    "Call me on {PHONE_INTL} when you are in the office.",
    "My UK mobile is {PHONE_INTL}, my US one {PHONE_US2}.",
    "Reach me at {PHONE_US2} or by mail at {EMAIL_X}.",
    "Please reply to {EMAIL_X} only.",
    "Send the receipt to mailto:{EMAIL_X} please.",
    "My Amex {CARD_X} was declined at checkout.",
    "The card on file is {CARD_X}; order {ORDER15} is still pending.",
    "The server {IPV6} dropped our session.",
    "Connections from {IPV4}:{PORT} are refused.",
    "My SSN is written {SSN_SPACED} on the form.",
    "Request id {UUID} came back with an error.",
    "Commit {HEX} broke the export.",
    "The book with ISBN {ISBN} never shipped.",
    "It failed at {TIME} on {DATE_X}.",
    "Windows {WINBUILD} is what I run.",
    "The invoice of {DATE_X} says {MONEY_X}.",
    "Tracking {TRACKING} shows it in customs.",
    "Our office numbers: {PHONE_INTL} (London) and {PHONE_INTL} (Berlin).",
    "The log shows {IPV6} and {IPV4} for the same login.",
    "Billing contact: {NAME} <{EMAIL_X}>, tel. {PHONE_INTL}.",
    "Please remove card {CARD_X} and the number {PHONE_US2} from my profile.",
    "Gift card {ORDER16} was not accepted.",
    "Fax {PHONE_US2}, attention {NAME}.",
    "Order {ORDER15} and order {ORDER16} are the same parcel.",
)
FORMAT_CLOSERS = ("Best regards, {NAME}", "Thanks a lot", "{NAME}", "", "Rgds")
FORMAT_PII = {"PHONE_INTL": "PHONE", "PHONE_US2": "PHONE", "EMAIL_X": "EMAIL", "CARD_X": "CARD",
              "IPV6": "IP", "IPV4": "IP", "SSN_SPACED": "SSN", "EMAIL": "EMAIL"}
FORMAT_DECOYS = ("ORDER15", "ORDER16", "PORT", "UUID", "HEX", "ISBN", "TIME", "DATE_X", "WINBUILD", "MONEY_X",
                 "TRACKING")

_INTL_PHONES = ("+44 20 7946 0{d3}", "+44 7700 900{d3}", "+49 30 {d8}", "+49 89 {d7}", "+33 {d1} {d2} {d2} {d2} {d2}",
                "+91 {d5} {d5}", "+81 3-{d4}-{d4}", "+61 2 {d4} {d4}", "+1 ({a}) {b}-{c}", "+353 1 {d3} {d4}")
_US_PHONES = ("1-{a}-{b}-{c}", "{a} {b} {c}", "({a}){b}-{c}", "1 ({a}) {b}-{c}", "1.{a}.{b}.{c}")
_EMAIL_DOMAINS = ("mail.example.co.uk", "example-corp.com", "uni.example.ac.uk", "EXAMPLE.ORG", "post.example.de",
                  "example.travel", "eu.example.io", "example.com.au")


def _digits_template(template: str, rng) -> str:
    phone = _phone_digits(rng)
    out = template.format(a=phone[:3], b=phone[3:6], c=phone[6:], d1="{d1}", d2="{d2}", d3="{d3}", d4="{d4}",
                          d5="{d5}", d7="{d7}", d8="{d8}")
    while "{d" in out:
        i = out.index("{d")
        j = out.index("}", i)
        n = int(out[i + 2:j])
        digits = _random_digits(rng, n)
        if n == 1:  # a French area digit is never 0
            digits = str(int(rng.integers(1, 10)))
        out = out[:i] + digits + out[j + 1:]
    return out


def _email_x(rng, fake) -> str:
    first, last = fake.first_name().lower(), fake.last_name().lower()
    first = "".join(ch for ch in first if ch.isalnum()) or "ann"
    last = "".join(ch for ch in last if ch.isalnum()) or "lee"
    local = _pick(rng, (f"{first}.{last}+{_pick(rng, ('billing', 'shop', 'crm', 'news'))}",
                        f"{first}_{last}-{int(rng.integers(1, 99))}", f"{first[0]}{last}{int(rng.integers(10, 99))}",
                        f"{first}.{last}".upper(), f"{last}.{first[0]}", f"{first}-{last}"))
    email = f"{local}@{_pick(rng, _EMAIL_DOMAINS)}"
    return email.upper() if rng.random() < 0.1 else email


def _luhn_digits(rng, prefixes: tuple[str, ...], length: int) -> str:
    body = str(rng.choice(list(prefixes)))
    body += _random_digits(rng, length - 1 - len(body))
    return body + str(_luhn_check_digit(body))


def _non_luhn(rng, length: int) -> str:
    body = str(int(rng.integers(1, 10))) + _random_digits(rng, length - 2)
    return body + str((_luhn_check_digit(body) + int(rng.integers(1, 10))) % 10)


def _group(digits: str, sizes: tuple[int, ...], sep: str) -> str:
    out, i = [], 0
    for size in sizes:
        out.append(digits[i:i + size])
        i += size
    return sep.join(out)


def _ipv6(rng) -> str:
    kind = int(rng.integers(0, 3))
    groups = [f"{int(g):x}" for g in rng.integers(0, 65536, 8)]
    if kind == 0:  # documentation prefix, compressed
        return "2001:db8::" + ":".join(groups[5:])
    if kind == 1:  # link-local
        return "fe80::" + ":".join(groups[4:])
    return ":".join(f"{int(g):04x}" for g in rng.integers(0, 65536, 8))  # full form


def _format_slot(slot: str, rng, fake, customer_email: str) -> str:
    if slot == "PHONE_INTL":
        return _digits_template(_pick(rng, _INTL_PHONES), rng)
    if slot == "PHONE_US2":
        return _digits_template(_pick(rng, _US_PHONES), rng)
    if slot in ("EMAIL_X", "EMAIL"):
        return _email_x(rng, fake)
    if slot == "CARD_X":
        kind = int(rng.integers(0, 3))
        if kind == 0:  # American Express: 15 digits, 4-6-5
            digits = _luhn_digits(rng, ("34", "37"), 15)
            return _group(digits, (4, 6, 5), _pick(rng, (" ", " ", "-", "")))
        if kind == 1:  # Diners Club: 14 digits, 4-6-4
            digits = _luhn_digits(rng, ("36", "38"), 14)
            return _group(digits, (4, 6, 4), _pick(rng, (" ", "")))
        return _group(_card_digits(rng), (4, 4, 4, 4), " ")
    if slot == "ORDER15":
        return _group(_non_luhn(rng, 15), (4, 6, 5), " ")
    if slot == "ORDER16":
        return _format_card(_non_luhn_digits(rng), int(rng.integers(0, 3)))
    if slot == "IPV6":
        return _ipv6(rng)
    if slot == "IPV4":
        return _ipv4(rng)
    if slot == "PORT":
        return str(_pick(rng, (22, 443, 3389, 5432, 8080, 8443)))
    if slot == "SSN_SPACED":
        return _ssn(rng).replace("-", " ")
    if slot == "UUID":
        return "-".join(_hex(rng, n) for n in (8, 4, 4, 4, 12))
    if slot == "HEX":
        return _hex(rng, 40)
    if slot == "ISBN":
        return f"978-{int(rng.integers(0, 10))}-{_random_digits(rng, 2)}-{_random_digits(rng, 6)}-{int(rng.integers(0, 10))}"
    if slot == "TIME":
        return f"{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}:{int(rng.integers(0, 60)):02d}"
    if slot == "DATE_X":
        day = REFERENCE_DATE - dt.timedelta(days=int(rng.integers(1, 400)))
        return day.strftime(_pick(rng, ("%d %B %Y", "%Y/%m/%d", "%b %d, %Y", "%d.%m.%Y")))
    if slot == "WINBUILD":
        return f"10.0.{int(rng.integers(19041, 22632))}.{int(rng.integers(1000, 3000))}"
    if slot == "MONEY_X":
        return _pick(rng, (f"€{int(rng.integers(1, 9))}.{int(rng.integers(100, 999))},{int(rng.integers(10, 99))}",
                           f"£{int(rng.integers(5, 500))}.{int(rng.integers(10, 99))}",
                           f"USD {int(rng.integers(1, 9))},{int(rng.integers(100, 999))}"))
    if slot == "TRACKING":
        return f"1Z{_random_digits(rng, 3)}{fake.random_uppercase_letter()}{fake.random_uppercase_letter()}{_random_digits(rng, 11)}"
    if slot == "NAME":
        return fake.name()
    raise ValueError(slot)


def _hex(rng, n: int) -> str:
    """Random lower-case hex with no run of 5+ digits (so it holds nothing number-shaped)."""
    out = ""
    while len(out) < n:
        ch = "0123456789abcdef"[int(rng.integers(0, 16))]
        if ch.isdigit() and len(out) >= 4 and out[-4:].isdigit():
            ch = "abcdef"[int(rng.integers(0, 6))]
        out += ch
    return out


PHRASING_STYLE = TicketStyle(HELD_OUT_OPENERS, HELD_OUT_SENTENCES, HELD_OUT_CLOSERS)
FORMAT_STYLE = TicketStyle(FORMAT_OPENERS, FORMAT_SENTENCES, FORMAT_CLOSERS, fill=_format_slot, pii_of=FORMAT_PII,
                           decoy_slots=FORMAT_DECOYS)


def held_out_tickets(seed: int, kind: str, n: int = 120) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Tickets the learner has never seen: ``kind`` "phrasings" (same PII formats, other wording)
    or "formats" (international phones, Amex / Diners cards, IPv6, spaced SSNs, other e-mail
    shapes; UUIDs, hashes, ISBNs, times, Windows builds as decoys). Same columns and truth as
    support_tickets."""
    style = {"phrasings": PHRASING_STYLE, "formats": FORMAT_STYLE}[kind]
    people, _, _ = _people(seed)
    return _ticket_rows(_rng(f"tickets-{kind}", seed), _fake(f"tickets-{kind}", seed), n,
                        people["email"].tolist(), style)


# ---------------------------------------------------------------------------------- redaction

_UNICODE_BITS = ("Zoë", "São Paulo", "naïve café", "🙂", "—", "東京", "Ünïcödé", "\t")


def redact_cases(seed: int, texts: list[str], n: int = 40) -> list[dict]:
    """(text, spans) inputs for redact: spans in any order, overlapping, nested, adjacent, at the
    very start and end, in texts with non-ASCII characters and line breaks. No two spans start at
    the same offset (the spec's tie-break is "the span that starts first")."""
    rng = _rng("redact", seed)
    cases = []
    for i in range(n):
        text = texts[int(rng.integers(0, len(texts)))]
        if rng.random() < 0.5:
            bit = _pick(rng, _UNICODE_BITS)
            cut = int(rng.integers(0, len(text) + 1))
            text = text[:cut] + f" {bit} " + text[cut:]
        if rng.random() < 0.2:
            text = text.replace(". ", ".\n", 1)
        if i < 3:
            spans = []  # nothing to redact: the text must come back unchanged
        else:
            spans = _random_spans(rng, len(text), int(rng.integers(1, 6)), pattern=i % 5)
        cases.append({"text": text, "spans": spans})
    return cases


def _random_spans(rng, length: int, count: int, pattern: int) -> list[list]:
    starts: set[int] = set()
    spans = []
    for _ in range(count):
        start = int(rng.integers(0, max(1, length - 2)))
        if pattern == 0 and not starts:
            start = 0  # at the very start
        if start in starts:
            continue
        end = min(length, start + int(rng.integers(1, 20)))
        if pattern == 1 and not spans:
            end = length  # to the very end
        starts.add(start)
        spans.append([start, end, str(_pick(rng, PII_TYPES))])
    if pattern == 2 and spans:  # an adjacent span
        s, e, _ = spans[0]
        if e < length and e not in starts:
            spans.append([e, min(length, e + 3), str(_pick(rng, PII_TYPES))])
            starts.add(e)
    if pattern == 3 and spans:  # a nested span
        s, e, _ = spans[0]
        if e - s >= 3 and s + 1 not in starts:
            spans.append([s + 1, e - 1, str(_pick(rng, PII_TYPES))])
    order = rng.permutation(len(spans))
    return [spans[int(j)] for j in order]


def reference_redaction(text: str, spans) -> str:
    """The spec of redact: overlapping spans merge into one placeholder of the first one's type."""
    merged: list[list] = []
    for start, end, kind in sorted((int(s), int(e), str(k)) for s, e, k in spans):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, kind])
    pieces, position = [], 0
    for start, end, kind in merged:
        pieces += [text[position:start], f"[{kind}]"]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


# ---------------------------------------------------------------------------------- hashed e-mails

def _case_noise(rng, email: str) -> str:
    """Mutations of case and surrounding whitespace (what a broker's list does to an address)."""
    kind = int(rng.integers(0, 6))
    if kind == 0:
        return email.upper()
    if kind == 1:
        return email.title()
    if kind == 2:
        return f"  {email}\t"
    if kind == 3:
        return email.swapcase() + "\n"
    if kind == 4:
        local, _, domain = email.partition("@")
        return f"{local}@{domain.upper()}"
    return email


def dictionary_case(seed: int) -> tuple[dict, dict]:
    """Hashes of normalized e-mails and a candidate list in other shapes and noise.
    Truth: {hash: normalized e-mail} for every hash whose e-mail is on the list."""
    rng, fake = _rng("dictionary", seed), _fake("dictionary", seed)
    people_emails = _people(seed)[0]["email"].tolist()
    emails = sorted({e.lower() for e in people_emails[:160]} | {_email_x(rng, fake).lower() for _ in range(40)})
    listed = [e for e in emails if rng.random() < 0.8]
    hashes = [_sha256(e) for e in emails for _ in range(int(rng.integers(1, 3)))]  # some repeated
    hashes = [hashes[int(i)] for i in rng.permutation(len(hashes))]
    candidates = [_case_noise(rng, e) for e in listed] + [_case_noise(rng, fake.email()) for _ in range(60)]
    candidates += [_case_noise(rng, e) for e in listed[:20]]  # the same person twice, in another shape
    candidates = [candidates[int(i)] for i in rng.permutation(len(candidates))]
    truth = {_sha256(e): e for e in listed}
    return {"hashes": hashes, "candidates": candidates}, {h: truth[h] for h in set(hashes) if h in truth}


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------- pseudonyms

def pseudonym_case(seed: int) -> dict:
    """Identifiers (e-mails of other shapes, several spellings of the same person, non-ASCII) and
    two keys. The truth is computed by the scorer from the spec (HMAC-SHA256 of the normalized value)."""
    rng, fake = _rng("pseudonyms", seed), _fake("pseudonyms", seed)
    base = _people(seed)[0]["email"].tolist()[:30] + [_email_x(rng, fake) for _ in range(15)]
    base += ["ünïcode.user@exämple.de", "zoë.o'brien@example.ie", "用户@例子.广告"]
    values = []
    for email in base:
        values.append(email)
        if rng.random() < 0.6:
            values.append(_case_noise(rng, email))
    keys = [bytes(int(b) for b in rng.integers(0, 256, 32)).hex() for _ in range(2)]
    return {"values": values, "key_a": keys[0], "key_b": keys[1]}


# ---------------------------------------------------------------------------------- k-anonymity

_K_COLUMNS = {
    "age_band": ("18-29", "30-39", "40-49", "50-59", "60-69", "70+"),
    "zip3": ("021", "100", "303", "606", "941"),
    "gender": ("F", "M", "X"),
    "job": ("nurse", "teacher", "engineer", "driver", "clerk", "chef", "lawyer"),
    "city": ("Springfield", "Riverton", "Fairview", "Lakeside", "Georgetown"),
    "marital": ("single", "married", "divorced", "widowed"),
    "smoker": (True, False),
    "children": (0, 1, 2, 3, 4),
    "birth_year": tuple(range(1950, 2006)),
}


def k_anonymity_cases(seed: int) -> tuple[list[dict], list[int]]:
    """Tables over other quasi-identifier mixes (text, integers, booleans, three-valued sex) with a
    planted smallest class. Truth: the k of each case."""
    rng = _rng("k-anonymity", seed)
    targets = [int(k) for k in rng.permutation([1, 2, 3, 4, 6, 7, 9, 11])]
    cases, truth = [], []
    names = sorted(_K_COLUMNS)
    for k in targets:
        qis = [str(c) for c in rng.choice(names, size=int(rng.integers(1, 4)), replace=False)]
        combos: list[tuple] = []
        for _ in range(int(rng.integers(4, 9))):
            combo = tuple(_plain_value(_pick(rng, _K_COLUMNS[c])) for c in qis)
            if combo not in combos:
                combos.append(combo)
        rows = []
        for j, combo in enumerate(combos):
            size = k if j == 0 else k + int(rng.integers(1, 6))
            rows += [dict(zip(qis, combo)) for _ in range(size)]
        others = [c for c in names if c not in qis]
        extra = [str(c) for c in rng.choice(others, size=2, replace=False)]
        for row in rows:  # non-quasi columns vary freely (they must not change k)
            for c in extra:
                row[c] = _plain_value(_pick(rng, _K_COLUMNS[c]))
            row["visits"] = int(rng.integers(0, 20))
        rows = [rows[int(i)] for i in rng.permutation(len(rows))]
        columns = [str(c) for c in rng.permutation(list(rows[0]))]
        cases.append({"columns": columns, "rows": [[row[c] for c in columns] for row in rows],
                      "quasi_identifiers": [str(c) for c in rng.permutation(qis)]})
        truth.append(k)
    return cases, truth


# ---------------------------------------------------------------------------------- generalization

# Populations of other shapes than the customer base: dense and urban (one prefix, few zips),
# sparse and rural (many zips under many prefixes), a retirement community (narrow ages).
POPULATIONS = {
    "urban": {"n": (560, 680), "prefixes": 1, "zips": (4, 6), "age": (38, 12)},
    "rural": {"n": (330, 420), "prefixes": 3, "zips": (3, 5), "age": (47, 15)},
    "retirement": {"n": (300, 380), "prefixes": 2, "zips": (2, 4), "age": (74, 7)},
}


def population_table(seed: int, shape: str) -> pd.DataFrame:
    """A customers-like table (customer_id, full_name, email, zip, birth_date, sex, diagnosis, plan_tier)
    that can be made 5-anonymous within the lab's bounds (3 zip digits, 20-year bands, 10 % suppressed)."""
    rng, fake = _rng(f"population-{shape}", seed), _fake(f"population-{shape}", seed)
    while True:
        frame = _population(rng, fake, POPULATIONS[shape])
        years = frame["birth_date"].str[:4].astype(int) // 20
        sizes = frame.groupby([frame["zip"].str[:3], years, frame["sex"]])["sex"].transform("size")
        if (sizes < 5).mean() <= 0.08:
            return frame


def _population(rng, fake, spec: dict) -> pd.DataFrame:
    n = int(rng.integers(*spec["n"]))
    prefixes = list(rng.choice(ZIP_PREFIXES, size=spec["prefixes"], replace=False))
    zips = [p + f"{int(s):02d}" for p in prefixes
            for s in rng.choice(np.arange(1, 100), size=int(rng.integers(*spec["zips"])), replace=False)]
    weights = rng.dirichlet(np.full(len(zips), 3.0))
    ids = _unique_ids(rng, 100000, 1000000, n)
    rows = []
    for i in range(n):
        sex = "F" if rng.random() < 0.5 else "M"
        age = int(np.clip(round(rng.normal(*spec["age"])), 18, 99))
        birth = REFERENCE_DATE - dt.timedelta(days=int(age * 365.25 + rng.integers(0, 365)))
        first = fake.first_name_female() if sex == "F" else fake.first_name_male()
        last = fake.last_name()
        rows.append({"customer_id": f"C{ids[i]}", "full_name": f"{first} {last}",
                     "email": f"{first}.{last}{int(rng.integers(1, 99))}@example.com".lower(),
                     "zip": zips[int(rng.choice(len(zips), p=weights))], "birth_date": birth.isoformat(),
                     "sex": sex, "diagnosis": _pick(rng, DIAGNOSES),
                     "plan_tier": _pick(rng, ("free", "basic", "plus", "pro"))})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------- linkage

#: How other releases and rolls write the same facts, and which columns they share.
LINKAGE_MIXES = {
    "zip-dob-sex": {"on": ["zip", "birth_date", "sex"],
                    "roll": {"zip": "zip+4", "birth_date": "%B %d, %Y", "sex": "lower-word"}},
    "dob-zip": {"on": ["birth_date", "zip"],
                "roll": {"zip": "int", "birth_date": "%Y%m%d", "sex": None}},
    "city-dob-sex": {"on": ["city", "birth_date", "sex"],
                     "roll": {"city": "upper-padded", "birth_date": "%Y-%m-%d 00:00:00", "sex": "letter-lower"}},
}


def linkage_case(seed: int, mix: str) -> tuple[dict, dict]:
    """A release and a roll joined on another mix of quasi-identifiers, written in other formats.
    Truth: release_to_voter, and the release ids that are linkable (their key is unique on both
    sides once normalized)."""
    spec = LINKAGE_MIXES[mix]
    on = spec["on"]
    rng, fake = _rng(f"linkage-{mix}", seed), _fake(f"linkage-{mix}", seed)
    people, _, _ = _people(seed)
    people = people.copy()
    cities = {z: fake.city() for z in sorted(people["zip"].unique())}
    # a few zips share a city name: the city is a coarser key than the zip
    zips = sorted(cities)
    for z in zips[1::3]:
        cities[z] = cities[zips[0]]
    people["city"] = people["zip"].map(cities)
    n = len(people)
    in_release, in_roll = rng.random(n) < 0.6, rng.random(n) < 0.7
    release_ids = _unique_ids(rng, 100000, 1000000, int(in_release.sum()))
    release = pd.DataFrame({"release_id": [f"R{i}" for i in release_ids]})
    for column in (*on, "diagnosis"):
        release[column] = people.loc[in_release, column].to_numpy()
    release["_person"] = np.flatnonzero(in_release)
    roll_people = people[in_roll].assign(_person=np.flatnonzero(in_roll))
    # residents who are not in the release, some sharing a released person's key exactly
    strangers = []
    for _ in range(n // 3):
        sex = "F" if rng.random() < 0.5 else "M"
        age = int(np.clip(round(rng.normal(44, 16)), 18, 90))
        birth = REFERENCE_DATE - dt.timedelta(days=int(age * 365.25 + rng.integers(0, 365)))
        z = zips[int(rng.integers(0, len(zips)))]
        strangers.append({"first": fake.first_name(), "last": fake.last_name(), "zip": z, "city": cities[z],
                          "birth_date": birth.isoformat(), "sex": sex, "_person": -1})
    for t in rng.choice(len(release), size=max(3, len(release) // 30), replace=False):
        twin = dict(release.iloc[int(t)])
        strangers.append({"first": fake.first_name(), "last": fake.last_name(), "zip": people.iloc[twin["_person"]]["zip"],
                          "city": people.iloc[twin["_person"]]["city"], "birth_date": people.iloc[twin["_person"]]["birth_date"],
                          "sex": people.iloc[twin["_person"]]["sex"], "_person": -1})
    roll = pd.concat([roll_people, pd.DataFrame(strangers)], ignore_index=True)
    roll = roll.iloc[rng.permutation(len(roll))].reset_index(drop=True)
    roll["voter_id"] = [f"V{v}" for v in _unique_ids(rng, 10_000_000, 100_000_000, len(roll))]

    key_columns = list(on)
    release_keys = release[key_columns].apply(tuple, axis=1)
    roll_keys = roll[key_columns].apply(tuple, axis=1)
    roll_counts, release_counts = roll_keys.value_counts(), release_keys.value_counts()
    voter_of = {int(p): v for p, v in zip(roll["_person"], roll["voter_id"]) if p >= 0}
    matches, linkable = {}, []
    for rid, key, person in zip(release["release_id"], release_keys, release["_person"]):
        if int(person) in voter_of:
            matches[rid] = voter_of[int(person)]
            if roll_counts.get(key, 0) == 1 and release_counts[key] == 1:
                linkable.append(rid)

    formats = spec["roll"]
    public = pd.DataFrame({"voter_id": roll["voter_id"], "name": roll["first"] + " " + roll["last"]})
    for column in key_columns:
        public[column] = _written(roll[column], formats.get(column), rng)
    if formats.get("sex") is not None and "sex" not in key_columns:
        public["sex"] = _written(roll["sex"], formats["sex"], rng)
    public["party"] = [_pick(rng, ("DEM", "REP", "IND", "GRN", "NONE")) for _ in range(len(public))]
    columns = ["voter_id", "name", *[str(c) for c in rng.permutation([c for c in public.columns
                                                                        if c not in ("voter_id", "name")])]]
    release = release.iloc[rng.permutation(len(release))].drop(columns="_person").reset_index(drop=True)
    inputs = {"release": release.to_dict("records"), "roll": public[columns].to_dict("records"), "on": list(on)}
    return inputs, {"release_to_voter": matches, "linkable": sorted(linkable)}


def _written(values: pd.Series, style: str | None, rng) -> list:
    if style == "zip+4":
        return [f"{z}-{int(rng.integers(0, 10000)):04d}" for z in values]
    if style == "int":
        return [int(z) for z in values]
    if style and style.startswith("%"):
        return [dt.date.fromisoformat(d).strftime(style) for d in values]
    if style == "lower-word":
        return [{"F": "female", "M": "male"}[s] for s in values]
    if style == "letter-lower":
        return [s.lower() for s in values]
    if style == "upper-padded":
        return [f" {c.upper()}" if rng.random() < 0.3 else c.upper() for c in values]
    return [str(v) for v in values]


# ---------------------------------------------------------------------------------- duplicates

#: Near-duplicate edits of other kinds than the learners' customers hold.
HELD_OUT_EDITS = ("name_reorder", "middle_initial", "email_tag", "phone_country", "name_lower", "email_domain_case")


def _near_duplicate_other(rng, row: dict, fake) -> tuple[dict, list[str]]:
    dup = dict(row)
    edits = [str(e) for e in rng.choice(HELD_OUT_EDITS, size=int(rng.integers(1, 3)), replace=False)]
    if "name_reorder" in edits and "middle_initial" in edits:
        edits.remove("middle_initial")
    if "email_tag" in edits and "email_domain_case" in edits:
        edits.remove("email_domain_case")
    for edit in edits:
        first, _, last = dup["full_name"].partition(" ")
        if edit == "name_reorder":
            dup["full_name"] = f"{last}, {first}" if rng.random() < 0.6 else f"{last.upper()} {first}"
        elif edit == "middle_initial":
            dup["full_name"] = f"{first} {fake.random_uppercase_letter()}. {last}"
        elif edit == "name_lower":
            dup["full_name"] = dup["full_name"].lower()
        elif edit == "email_tag":
            local, _, domain = dup["email"].partition("@")
            dup["email"] = f"{local}+{_pick(rng, ('shop', 'crm', 'promo', 'x'))}@{domain}"
        elif edit == "email_domain_case":
            local, _, domain = dup["email"].partition("@")
            dup["email"] = f"{local}@{domain.upper()}"
        elif edit == "phone_country":
            digits = "".join(ch for ch in dup["phone"] if ch.isdigit())[-10:]
            dup["phone"] = _pick(rng, (f"+1 ({digits[:3]}) {digits[3:6]}-{digits[6:]}", f"1-{digits[:3]}-{digits[3:6]}-{digits[6:]}",
                                       f"+1{digits}", f"{digits[:3]} {digits[3:6]} {digits[6:]}"))
    return dup, edits


def _name_similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio()


def duplicate_table(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A customers-like table with near-duplicates of other kinds (names as "Last, First" or with a
    middle initial, e-mail sub-addresses, phones with the country code, ...), some of the
    learners' kinds (typos, case, whitespace), exact copies, and hard negatives: twins (same zip,
    birth date, sex, last name and household phone, another first name and e-mail) and namesakes
    (same name and zip, another birth date, e-mail and phone). Truth: the duplicate pairs."""
    rng, fake = _rng("duplicates", seed), _fake("duplicates", seed)
    people, _, _ = _people(seed)
    people = people.iloc[: int(rng.integers(260, 320))]
    ids = _unique_ids(rng, 100000, 1000000, len(people) + 120)
    rows = [{"customer_id": f"C{ids[i]}", "full_name": f"{p['first']} {p['last']}", "email": p["email"],
             "phone": _format_phone(p["phone"], 0), "zip": p["zip"], "birth_date": p["birth_date"], "sex": p["sex"],
             "diagnosis": p["diagnosis"]} for i, p in enumerate(people.to_dict("records"))]
    next_id = len(rows)
    pairs = []

    def new_id() -> str:
        nonlocal next_id
        next_id += 1
        return f"C{ids[next_id - 1]}"

    originals = rng.choice(len(rows), size=40, replace=False)
    for j, idx in enumerate(originals):
        original = rows[int(idx)]
        if j < 6:
            dup, kind = dict(original), "exact"
        elif j < 32:
            dup, _ = _near_duplicate_other(rng, original, fake)
            kind = "near-other"
        else:
            dup, _ = _near_duplicate(rng, original)
            kind = "near"
        dup["customer_id"] = new_id()
        rows.append(dup)
        pairs.append({"id_a": original["customer_id"], "id_b": dup["customer_id"], "kind": kind})
    used = {int(i) for i in originals}
    free = [i for i in range(len(people)) if i not in used]
    for idx in rng.choice(free, size=16, replace=False):  # twins sharing the household phone
        person = rows[int(idx)]
        first, _, last = person["full_name"].partition(" ")
        while True:
            other = fake.first_name_female() if person["sex"] == "F" else fake.first_name_male()
            if _name_similarity(other, first) < 0.5:
                break
        rows.append({**person, "customer_id": new_id(), "full_name": f"{other} {last}",
                     "email": f"{other}.{last}{int(rng.integers(1, 99))}@{person['email'].partition('@')[2]}".lower(),
                     "diagnosis": _pick(rng, DIAGNOSES)})
    for idx in rng.choice(free, size=10, replace=False):  # namesakes in the same zip
        person = rows[int(idx)]
        age = int(np.clip(round(rng.normal(44, 14)), 18, 88))
        birth = REFERENCE_DATE - dt.timedelta(days=int(age * 365.25 + rng.integers(0, 365)))
        if birth.isoformat() == person["birth_date"]:
            birth -= dt.timedelta(days=400)
        rows.append({**person, "customer_id": new_id(), "birth_date": birth.isoformat(),
                     "email": fake.email(), "phone": _format_phone(_phone_digits(rng), 0),
                     "diagnosis": _pick(rng, DIAGNOSES)})
    frame = pd.DataFrame([rows[int(i)] for i in rng.permutation(len(rows))]).reset_index(drop=True)
    return frame, pd.DataFrame(pairs)

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


def _render(template: str, rng, fake, customer_email: str, spans: list, decoys: list, offset: int) -> str:
    """Fill a template, recording PII spans and decoys at absolute offsets (offset = where it starts)."""
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
        value = _ticket_slot(slot, rng, fake, customer_email)
        if slot == "EMAIL":
            customer_email = ""  # the customer's own address at most once per template
        if slot in PII_TYPES:
            spans.append((length, length + len(value), slot, value))
        elif slot in ("ORDER16", "BUILD", "CASEREF", "REF", "VERSION", "DATE"):
            decoys.append((length, length + len(value), slot, value))
        out.append(value)
        length += len(value)
        pos = end + 1
    return "".join(out)


def _tickets(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    people, _, _ = _people(seed)
    rng = rng_for("support_tickets", seed)
    fake = faker_for("support_tickets", seed)
    n = int(rng.integers(240, 361))
    emails = people["email"].tolist()
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
        parts = [_pick(rng, OPENERS)]
        chosen = rng.choice(len(SENTENCES), size=int(rng.integers(1, 4)), replace=False)
        parts += [SENTENCES[int(j)] for j in chosen]
        parts.append(_pick(rng, CLOSERS))
        text, spans, decoys = "", [], []
        for template in parts:
            if not template:
                continue
            if text:
                text += "\n" if rng.random() < 0.2 else " "
            text += _render(template, rng, fake, email, spans, decoys, len(text))
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

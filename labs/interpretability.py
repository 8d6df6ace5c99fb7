"""Display helpers for the ``interpretability`` lab.

They show the bank's data catalogue for the credit applications (what each column means and when
it is recorded) and turn a list of reason codes into the text of an adverse-action notice.
Nothing here trains, explains or audits a model, picks reason codes or knows which column plays
which part in a learner's table: that is the learner's job, and the answer key stays with the
grader.
"""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

#: The name of the lab's dataset (``labs.datasets.load(CREDIT_APPLICATIONS)``).
CREDIT_APPLICATIONS = "credit_applications"

#: The bank's data catalogue: every column a learner's credit table can have, and what it records.
FIELD_DESCRIPTIONS = {
    "application_id": "unique id of the application",
    "approved": "the manual underwriters' decision: 1 approved, 0 denied (the label the model is to reproduce)",
    "protected_group": ("1 when the applicant self-identified as a member of a protected group, else 0; collected "
                        "by the fair-lending team for monitoring only, never a model input"),
    "annual_income": "stated annual income at application, thousand USD",
    "debt_to_income": "monthly debt payments / monthly income at application (credit bureau + stated income)",
    "credit_history_years": "age of the oldest credit account at application, years (credit bureau)",
    "delinquencies_2y": "payments 30+ days late in the two years before the application (credit bureau)",
    "credit_utilization": "revolving balances / revolving limits at application, 0-1 (credit bureau)",
    "recent_inquiries": "hard credit inquiries in the six months before the application (credit bureau)",
    "employment_years": "years with the current employer, stated at application",
    "loan_amount": "amount requested, thousand USD",
    "savings_balance": "balance of deposit accounts stated at application, thousand USD",
    "welcome_call_done": "1 when the onboarding team completed the welcome call to the new customer (onboarding log)",
    "credit_limit_assigned": "credit limit set on the account when it was opened, USD (0 when no account was opened)",
    "months_on_book": "months the account has been open at the time of the data extract (0 when never opened)",
    "neighborhood_index": "marketing vendor's neighbourhood score, derived from the applicant's zip code, 0-100",
    "zip_median_rent": "median monthly rent in the applicant's zip code (census extract), USD",
    "surname_cluster_score": "score of a marketing vendor's name-clustering model applied to the applicant's surname, 0-1",
    "market_region": "the bank's market region of the applicant's address: 1 metropolitan, 2 regional",
    "branch_network": "which of the two merged banks' branch networks received the application (1 or 2)",
    "form_fill_seconds": "seconds the applicant spent on the online application form",
    "pages_viewed": "pages of the bank's site viewed in the session that submitted the application",
    "browser_width_px": "width of the applicant's browser window, pixels",
    "submission_minute": "minute of the hour at which the application was submitted (0-59)",
}


def data_dictionary(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per column of ``frame`` (index included when named): its type and description."""
    columns = ([frame.index.name] if frame.index.name else []) + list(frame.columns)
    rows = []
    for column in columns:
        dtype = frame.index.dtype if column == frame.index.name else frame[column].dtype
        rows.append({"column": column, "type": str(dtype),
                     "description": FIELD_DESCRIPTIONS.get(column, "(undocumented)")})
    return pd.DataFrame(rows).set_index("column")


def adverse_action_notice(application_id: str, reasons: Iterable[str]) -> str:
    """The principal-reasons paragraph of a denial letter, from feature names (most important first)."""
    lines = [f"Application {application_id}: we are unable to approve your application at this time.",
             "Principal reasons for our decision:"]
    reasons = list(reasons)
    if not reasons:
        lines.append("  (no reasons given -- a notice without reasons is not compliant)")
    for number, feature in enumerate(reasons, start=1):
        description = FIELD_DESCRIPTIONS.get(feature, feature).split(",")[0].split("(")[0].strip()
        lines.append(f"  {number}. {feature}: {description}")
    return "\n".join(lines)

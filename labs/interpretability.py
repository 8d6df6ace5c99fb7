"""Display helpers for the ``interpretability`` lab.

They show the data dictionary of the credit applications (the datasheet's field descriptions, as
a bank's data catalogue would) and turn a list of reason codes into the text of an adverse-action
notice. Nothing here trains, explains or audits a model, or picks reason codes: that is the
learner's job.
"""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from labs.datasets import specs
from labs.datasets.credit import NAME


def field_descriptions() -> dict[str, str]:
    """Column -> description, from the ``credit_applications`` datasheet."""
    return dict(specs()[NAME].fields)


def data_dictionary(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per column of ``frame`` (index included when named): its type and description."""
    descriptions = field_descriptions()
    columns = ([frame.index.name] if frame.index.name else []) + list(frame.columns)
    rows = []
    for column in columns:
        dtype = frame.index.dtype if column == frame.index.name else frame[column].dtype
        rows.append({"column": column, "type": str(dtype), "description": descriptions.get(column, "(undocumented)")})
    return pd.DataFrame(rows).set_index("column")


def adverse_action_notice(application_id: str, reasons: Iterable[str]) -> str:
    """The principal-reasons paragraph of a denial letter, from feature names (most important first)."""
    descriptions = field_descriptions()
    lines = [f"Application {application_id}: we are unable to approve your application at this time.",
             "Principal reasons for our decision:"]
    reasons = list(reasons)
    if not reasons:
        lines.append("  (no reasons given -- a notice without reasons is not compliant)")
    for number, feature in enumerate(reasons, start=1):
        description = descriptions.get(feature, feature).split(",")[0].split("(")[0].strip()
        lines.append(f"  {number}. {feature}: {description}")
    return "\n".join(lines)

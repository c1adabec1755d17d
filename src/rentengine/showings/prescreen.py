"""Prescreening a `Self` prospect against a unit's rules (API.md §12.2): one failure per broken rule.

A rule that is null passes, and so does a credit-score rule that names no score (the unit's rule is
free text). Bands and ranges are compared by their lower bounds: "650-699" means at least 650.
"""

import re
from dataclasses import dataclass
from typing import Any

from rentengine.errors import Detail, detail
from rentengine.kit.jsonutil import format_number
from rentengine.showings.schemas import HOUSING_VOUCHER, ProspectData

_FIRST_NUMBER = re.compile(r"[0-9]+")
_YES = frozenset({"yes", "y", "true"})


@dataclass(frozen=True)
class UnitRules:
    min_credit_score_band: str | None
    min_income_to_rent_ratio: float | None
    accepts_vouchers: bool | None
    target_rental_rate: float


def lower_bound(band: str) -> int | None:
    """The least value a band or range allows: "700+" → 700, "650-699" → 650, "Below 600" → 0."""
    if band.strip().lower().startswith("below"):
        return 0
    found = _FIRST_NUMBER.search(band)
    return None if found is None else int(found.group())


def rules_of(attributes: dict[str, Any], target_rental_rate: float) -> UnitRules:
    rules = attributes.get("prescreen_rules") or {}
    return UnitRules(
        rules.get("min_credit_score_band"),
        rules.get("min_income_to_rent_ratio"),
        attributes.get("accepts_vouchers"),
        target_rental_rate,
    )


def failures(prospect: ProspectData, rules: UnitRules) -> list[Detail]:
    """One detail per rule the prospect fails, in the order credit, income, vouchers."""
    found = [_credit(prospect, rules), _income(prospect, rules)]
    found += _vouchers(prospect, rules)
    return [item for item in found if item is not None]


def _failure(path: str, rule: str, required: Any, actual: str, message: str) -> Detail:
    return detail("prescreen", path, message, {"required": required, "actual": actual}, f"#/prescreen/{rule}")


def _credit(prospect: ProspectData, rules: UnitRules) -> Detail | None:
    band = rules.min_credit_score_band
    minimum = None if band is None else lower_bound(band)
    actual = lower_bound(prospect.creditScore)
    if band is None or minimum is None or actual is None or actual >= minimum:
        return None
    return _failure(
        "/prospectData/creditScore",
        "min_credit_score_band",
        band,
        prospect.creditScore,
        "credit score below the unit's minimum",
    )


def _income(prospect: ProspectData, rules: UnitRules) -> Detail | None:
    ratio = rules.min_income_to_rent_ratio
    actual = lower_bound(prospect.income)
    if ratio is None or actual is None:
        return None
    minimum = ratio * rules.target_rental_rate
    if actual >= minimum:
        return None
    return _failure(
        "/prospectData/income",
        "min_income_to_rent_ratio",
        f"${format_number(minimum)}+/month",
        prospect.income,
        f"income below {format_number(ratio)} times the unit's rent",
    )


def _vouchers(prospect: ProspectData, rules: UnitRules) -> list[Detail | None]:
    if rules.accepts_vouchers is not False:
        return []
    return [
        _failure(
            f"/prospectData/questionAnswers/{i}/answer",
            "accepts_vouchers",
            "No",
            item.answer,
            "the unit does not accept housing vouchers",
        )
        for i, item in enumerate(prospect.questionAnswers)
        if item.fixedQuestionType == HOUSING_VOUCHER and item.answer.strip().lower() in _YES
    ]

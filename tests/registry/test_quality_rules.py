"""The data-quality rules (registry.quality_rules), one table of courses per rule.

The protocol is the seed study's default: 5,000,000 cells/kg without a prior allogeneic
transplant, 500,000 after one, so a tenth of the ceiling is 500,000 and 50,000 cells/kg.
"""

from datetime import date

import pytest

from registry.follow_up import CourseFacts, TimepointPlan, missing_sections
from registry.quality_rules import (
    COURSE_RULE,
    GRADE_DISCREPANCY,
    HIGH_VALUE,
    LOW_DOSE,
    MISSING_AT_TIMEPOINT,
    REPEATED_EVENT,
    SAME_DAY_INFUSION,
    UNUSUAL_TEMPERATURE,
    Finding,
    OverdueVisit,
    course_findings,
    overdue_findings,
    value_findings,
)
from registry.rules import Protocol

PROTOCOL = Protocol(dose_ceiling_post_hct_per_kg=500_000, dose_ceiling_per_kg=5_000_000)
INFUSED = date(2024, 3, 1)


def day(number: int, **findings) -> dict:
    """A daily assessment with nothing abnormal unless `findings` say so."""
    values = {
        "day": number,
        "temperature_c": 37.0,
        "fever_masked": False,
        "hypotension": False,
        "vasopressors": 0,
        "vasopressin": False,
        "oxygen": "none",
        "ice_score": 10,
        "consciousness": "awake",
        "seizure": "none",
        "motor_weakness": "none",
        "cerebral_edema": "none",
        "capd_score": None,
        "capd_unable": False,
    }
    return values | findings


def course(**changes) -> dict:
    values = {
        "birth_date": date(1990, 5, 1),
        "enrollment_date": date(2024, 2, 1),
        "last_contact_date": date(2024, 6, 1),
        "prior_therapies": [],
        "infusions": [{"date": INFUSED, "cells_per_kg": 1_000_000}],
        "toxicities": None,
        "daily_assessments": [],
        "events": [],
    }
    return values | changes


FEVER_AND_ONE_PRESSOR = day(3, temperature_c=39.1, hypotension=True, vasopressors=1)
ALLO_HCT = {"kind": "allo_hct", "date": date(2023, 1, 10)}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # Nothing unusual: no finding.
        ({}, []),
        # Dose: under a tenth of the ceiling is asked about; a tenth exactly is not.
        ({"infusions": [{"date": INFUSED, "cells_per_kg": 500_000}]}, []),
        (
            {"infusions": [{"date": INFUSED, "cells_per_kg": 499_999}]},
            [
                Finding(
                    LOW_DOSE,
                    "infusions[0].cells_per_kg",
                    "Dose 499,999 cells/kg is under a tenth of the protocol's ceiling of "
                    "5,000,000 cells/kg for patients without a prior allogeneic transplant: "
                    "please check the dose and its unit",
                )
            ],
        ),
        # After a transplant the ceiling is 500,000: 60,000 is not under a tenth of it.
        (
            {
                "prior_therapies": [ALLO_HCT],
                "infusions": [{"date": INFUSED, "cells_per_kg": 60_000}],
            },
            [],
        ),
        (
            {
                "prior_therapies": [ALLO_HCT],
                "infusions": [{"date": INFUSED, "cells_per_kg": 40_000}],
            },
            [
                Finding(
                    LOW_DOSE,
                    "infusions[0].cells_per_kg",
                    "Dose 40,000 cells/kg is under a tenth of the protocol's ceiling of "
                    "500,000 cells/kg for patients after an allogeneic transplant: "
                    "please check the dose and its unit",
                )
            ],
        ),
        # Temperature: 34.0 and 42.0 are usual, 42.5 and 33.9 are asked about.
        ({"daily_assessments": [day(1, temperature_c=42.0), day(2, temperature_c=34.0)]}, []),
        (
            {"daily_assessments": [day(1), day(2, temperature_c=42.5)]},
            [
                Finding(
                    UNUSUAL_TEMPERATURE,
                    "daily_assessments[1].temperature_c",
                    "Highest temperature 42.5 °C on day 2 is outside 34–42 °C: please check it",
                )
            ],
        ),
        (
            {"daily_assessments": [day(1, temperature_c=33.9)]},
            [
                Finding(
                    UNUSUAL_TEMPERATURE,
                    "daily_assessments[0].temperature_c",
                    "Highest temperature 33.9 °C on day 1 is outside 34–42 °C: please check it",
                )
            ],
        ),
        # Grades: the recorded maximum against the worst day's ASTCT grade.
        (
            {
                "toxicities": {"crs_max_grade": 3, "icans_max_grade": 0},
                "daily_assessments": [day(1), FEVER_AND_ONE_PRESSOR],
            },
            [],
        ),
        (
            {
                "toxicities": {"crs_max_grade": 2, "icans_max_grade": None},
                "daily_assessments": [day(1), FEVER_AND_ONE_PRESSOR],
            },
            [
                Finding(
                    GRADE_DISCREPANCY,
                    "toxicities.crs_max_grade",
                    "CRS: recorded grade 2, computed grade 3 (grade 3: one vasopressor)",
                )
            ],
        ),
        (
            {
                "toxicities": {"crs_max_grade": 0, "icans_max_grade": 1},
                "daily_assessments": [day(1)],
            },
            [
                Finding(
                    GRADE_DISCREPANCY,
                    "toxicities.icans_max_grade",
                    "ICANS: recorded grade 1, computed grade 0 (grade 0: no ICANS findings)",
                )
            ],
        ),
        # Without daily assessments nothing is computed, so nothing differs.
        ({"toxicities": {"crs_max_grade": 2, "icans_max_grade": 1}}, []),
        # High values (found walking the pages: each was saved with no question): at the
        # highest usual value nothing is asked.
        (
            {
                "lymphodepletion": {
                    "fludarabine_mg_m2_per_day": 50,
                    "cyclophosphamide_mg_m2_per_day": 2000,
                },
                "car_t_counts": [{"day": 7, "cells_per_ul": 10_000}],
                "toxicity_treatments": [
                    {"day": 3, "treatment": "tocilizumab", "dose_mg": 800},
                    {"day": 3, "treatment": "other", "dose_mg": 30_000},
                ],
            },
            [],
        ),
        (
            {
                "lymphodepletion": {"fludarabine_mg_m2_per_day": 30_000},
                "car_t_counts": [{"day": 7, "cells_per_ul": 5.0}, {"day": 14, "cells_per_ul": 1e9}],
                "toxicity_treatments": [{"day": 3, "treatment": "tocilizumab", "dose_mg": 560_000}],
            },
            [
                Finding(
                    HIGH_VALUE,
                    "lymphodepletion.fludarabine_mg_m2_per_day",
                    "Fludarabine 30,000 mg/m²/day is above 50 mg/m²/day: please check the "
                    "value and its unit",
                ),
                Finding(
                    HIGH_VALUE,
                    "car_t_counts[1].cells_per_ul",
                    "CAR-T cells 1,000,000,000 cells/µL is above 10,000 cells/µL: please check "
                    "the value and its unit",
                ),
                Finding(
                    HIGH_VALUE,
                    "toxicity_treatments[0].dose_mg",
                    "Tocilizumab 560,000 mg is above 800 mg: please check the value and its unit",
                ),
            ],
        ),
        # Two infusions of one product on one day: asked about on the second. Two products
        # on one day, or one product on two days, are not.
        (
            {
                "infusions": [
                    {"date": INFUSED, "product": "humanized_cd19", "cells_per_kg": 1_000_000},
                    {"date": INFUSED, "product": "cd22", "cells_per_kg": 1_000_000},
                    {"date": date(2024, 3, 8), "product": "cd22", "cells_per_kg": 1_000_000},
                ]
            },
            [],
        ),
        (
            {
                "infusions": [
                    {"date": INFUSED, "product": "humanized_cd19", "cells_per_kg": 1_000_000},
                    {"date": INFUSED, "product": "humanized_cd19", "cells_per_kg": 2_000_000},
                ]
            },
            [
                Finding(
                    SAME_DAY_INFUSION,
                    "infusions[1].date",
                    "Infusions 1 and 2 on 2024-03-01 are of the same product (Humanized CD19 "
                    "CAR-T): a product given in several bags is one infusion with its whole "
                    "dose. Is one of them entered twice?",
                )
            ],
        ),
        # B-cell recovery twice after one infusion is asked about on the later; after a
        # second infusion, a second recovery is expected.
        (
            {
                "events": [
                    {"kind": "b_cell_recovery", "date": date(2024, 5, 20)},
                    {"kind": "b_cell_recovery", "date": date(2024, 5, 2)},
                ]
            },
            [
                Finding(
                    REPEATED_EVENT,
                    "events[0].date",
                    "B-cell recovery is recorded on 2024-05-02 and again on 2024-05-20, with no "
                    "CAR-T infusion between: it follows each infusion once. Is one of them "
                    "entered twice?",
                )
            ],
        ),
        (
            {
                "infusions": [
                    {"date": INFUSED, "cells_per_kg": 1_000_000},
                    {"date": date(2024, 5, 10), "cells_per_kg": 1_000_000},
                ],
                "events": [
                    {"kind": "b_cell_recovery", "date": date(2024, 5, 2)},
                    {"kind": "b_cell_recovery", "date": date(2024, 5, 20)},
                    {"kind": "car_t_loss", "date": date(2024, 5, 25)},
                ],
            },
            [],
        ),
    ],
)
def test_it_finds_unusual_values(changes, expected):
    assert value_findings(course(**changes), PROTOCOL) == expected
    assert course_findings(course(**changes), PROTOCOL) == expected


def test_it_names_a_course_rule_that_no_longer_holds():
    # A study's ceiling lowered below a dose saved under the old one.
    lowered = Protocol(dose_ceiling_post_hct_per_kg=500_000, dose_ceiling_per_kg=900_000)
    assert course_findings(course(), lowered) == [
        Finding(
            COURSE_RULE,
            "infusions[0].cells_per_kg",
            "Dose 1,000,000 cells/kg is above the protocol's ceiling of 900,000 cells/kg for "
            "patients without a prior allogeneic transplant",
        )
    ]
    # The rules that read values only leave the course rules to the import's own check.
    assert value_findings(course(), lowered) == []


@pytest.mark.parametrize(
    ("missing", "expected"),
    [
        ((), []),
        (
            ("response_assessments",),
            [
                Finding(
                    MISSING_AT_TIMEPOINT,
                    "response_assessments",
                    "Day 28: no response assessment recorded in its window, which closed on "
                    "2024-04-01",
                )
            ],
        ),
        (
            ("eligibility", "events"),
            [
                Finding(
                    MISSING_AT_TIMEPOINT,
                    "eligibility",
                    "Day 28: no eligibility recorded in its window, which closed on 2024-04-01",
                ),
                Finding(
                    MISSING_AT_TIMEPOINT,
                    "events",
                    "Day 28: no last contact or follow-up event recorded in its window, which "
                    "closed on 2024-04-01",
                ),
            ],
        ),
    ],
)
def test_it_asks_for_each_section_a_closed_window_lacks(missing, expected):
    visit = OverdueVisit("Day 28", date(2024, 4, 1), missing)
    assert overdue_findings([visit]) == expected


@pytest.mark.parametrize(
    ("days", "recorded", "missing"),
    [
        ({"daily_assessments": {28}}, {"eligibility"}, ()),
        ({"daily_assessments": {24}}, {"eligibility"}, ("daily_assessments",)),
        ({}, set(), ("daily_assessments", "eligibility")),
    ],
)
def test_it_names_the_sections_a_timepoint_lacks(days, recorded, missing):
    plan = TimepointPlan(28, 3, 3, ("daily_assessments", "eligibility"))
    facts = CourseFacts(
        first_infusion=INFUSED,
        days={key: frozenset(found) for key, found in days.items()},
        recorded=frozenset(recorded),
    )
    assert missing_sections(plan, facts) == missing

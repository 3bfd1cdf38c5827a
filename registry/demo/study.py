"""The invented study: its dates and sites, its protocol's doses, and how often each
finding, grade and outcome occurs (loosely the proportions of An et al., registry.demo)."""

import random
from datetime import date, timedelta

from registry.models import Study
from registry.xlsx import column_letters

TITLE = "Synthetic demonstration study — not real patients"
DATA_CUTOFF = date(2021, 7, 31)
FIRST_INFUSION = date(2019, 1, 14)
# Every patient has at least this much follow-up before the cut-off.
LAST_INFUSION = DATA_CUTOFF - timedelta(days=90)
ASSESSED_DAYS = range(11)
COUNT_DAYS = (1, 4, 7, 10, 14, 21, 28)
DISCREPANT_EVERY = 20

# The study's default protocol, so that generated doses always respect it.
POST_HCT_DOSE_CEILING = Study._meta.get_field("dose_ceiling_post_hct_per_kg").default
DOSE_CEILING = Study._meta.get_field("dose_ceiling_per_kg").default
MEDIAN_DOSE = 240_000
MAX_DOSE = 1_800_000  # the paper's range was 1.0-18.0 x10^5 cells/kg


def cumulative(weights: dict) -> tuple[tuple[object, float], ...]:
    """A table to `pick` from: each value with the share of the weights up to its own."""
    total = sum(weights.values())
    running, table = 0.0, []
    for value, weight in weights.items():
        running += weight / total
        table.append((value, running))
    return tuple(table)


def pick(rng: random.Random, table: tuple[tuple[object, float], ...]):
    """A value of a `cumulative` table, drawn as often as its weight."""
    roll = rng.random()
    for value, upto in table:
        if roll < upto:
            return value
    return table[-1][0]


def significant(value: float, digits: int = 3) -> float:
    """The value as a laboratory reports it, to a few significant figures."""
    return float(f"{value:.{digits}g}")


RESPONSE = cumulative({"cr": 45, "cri": 20, "nr": 30, "not_evaluable": 5})
CRS_GRADES = cumulative({0: 5, 1: 68, 2: 17, 3: 6, 4: 4})
ICANS_GRADES = cumulative({0: 84, 1: 9, 2: 4, 3: 2, 4: 1})
CD19_AT_RELAPSE = cumulative({"positive": 60, "negative": 35, "unknown": 5})
AGE_BANDS = cumulative({(3, 11): 20, (12, 17): 22, (18, 55): 58})

EXTRAMEDULLARY = {
    "female": ("cns", "cns", "skin", "lymph_node", "bone", "other"),
    "male": ("cns", "cns", "testis", "skin", "lymph_node", "bone", "other"),
}
OTHER_FINDINGS = ("KMT2A rearrangement", "IKZF1 deletion", "CRLF2 rearrangement", "TCF3::PBX1")
SALVAGE = ("CD22 CAR-T", "Blinatumomab", "Inotuzumab ozogamicin", "Salvage chemotherapy")

# The signs of one CRS day at a grade, fever aside (ASTCT: the worse of hypotension, hypoxia).
CRS_SIGNS = {
    0: ({},),
    1: ({},),
    2: ({"hypotension": True}, {"oxygen": "low_flow"}, {"hypotension": True, "oxygen": "low_flow"}),
    3: (
        {"hypotension": True, "vasopressors": 1},
        {"hypotension": True, "vasopressin": True},
        {"oxygen": "high_flow"},
        {"hypotension": True, "vasopressors": 1, "oxygen": "low_flow"},
    ),
    4: (
        {"hypotension": True, "vasopressors": 2},
        {"oxygen": "positive_pressure"},
        {
            "hypotension": True,
            "vasopressors": 1,
            "vasopressin": True,
            "oxygen": "positive_pressure",
        },
    ),
}
# The findings of one ICANS day at a grade: ICE score from 12 years, CAPD below.
ICE_FINDINGS = {
    0: ({"ice_score": 10},),
    1: ({"ice_score": 7}, {"ice_score": 8}, {"ice_score": 9}),
    2: ({"ice_score": 5}, {"ice_score": 4, "consciousness": "awakens_to_voice"}),
    3: (
        {"ice_score": 2},
        {"ice_score": 6, "seizure": "resolved"},
        {"ice_score": 5, "cerebral_edema": "focal"},
        {"ice_score": 1, "consciousness": "awakens_to_touch"},
    ),
    4: (
        {"ice_score": 0, "consciousness": "unarousable"},
        {"ice_score": 3, "seizure": "prolonged"},
        {"ice_score": 4, "motor_weakness": "deep_focal"},
    ),
}
CAPD_FINDINGS = {
    0: ({"capd_score": 0},),
    1: ({"capd_score": 3}, {"capd_score": 6}, {"capd_score": 8}),
    2: ({"capd_score": 6, "consciousness": "awakens_to_voice"},),
    3: ({"capd_score": 12}, {"capd_score": 5, "seizure": "resolved"}),
    4: (
        {"capd_unable": True, "consciousness": "unarousable"},
        {"capd_score": 14, "seizure": "prolonged"},
    ),
}
QUIET_DAY = {
    "fever_masked": False,
    "hypotension": False,
    "vasopressors": 0,
    "vasopressin": False,
    "oxygen": "none",
    "consciousness": "awake",
    "seizure": "none",
    "motor_weakness": "none",
    "cerebral_edema": "none",
}


def site_code(index: int) -> str:
    """SITE-A to SITE-Z, then SITE-AA, SITE-AB, ... as spreadsheet columns are lettered."""
    return f"SITE-{column_letters(index)}"


def site_name(code: str) -> str:
    return f"Synthetic centre {code.removeprefix('SITE-')}"

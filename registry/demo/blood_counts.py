"""The blood counts of an invented patient: ANC and platelets twice a week to day 28, then
at each monthly visit, with a neutrophil nadir drawn for an early ICAHT grade.

The grade is drawn first (most patients grade 0-2, a few 3-4, as in the ICAHT consensus
cohorts, Rejeski et al., Blood 2023) and the days of severe (ANC ≤500/µL) and profound
(≤100/µL) neutropenia are laid out for it. The counts are sampled on visit days only, and
the registry interpolates between them (registry.icaht), so the grade it computes may
differ from the one drawn by one now and then; the site's record of the grade is the
registry's computation (registry.demo.laboratory). About one patient in ten keeps low
counts after day 30, for late ICAHT.
"""

import math
import random

from registry.demo.study import cumulative, pick

# Twice a week from the infusion to the day-28 visit.
EARLY_DAYS = (0, 3, 7, 10, 14, 17, 21, 24, 28)
EARLY_ICAHT = cumulative({0: 35, 1: 28, 2: 22, 3: 10, 4: 5})
# Early ICAHT grade -> the days of ANC ≤500/µL (severe) and the nadir's range (/µL).
NEUTROPENIA = {
    0: ((0, 0), (600, 1200)),
    1: ((2, 5), (150, 480)),
    2: ((8, 12), (120, 450)),
    3: ((15, 20), (110, 400)),
    4: ((20, 26), (0, 90)),
}
LATE_CYTOPENIA_SHARE = 0.1
ANC_DETECTION_LIMIT = 10  # /µL: a lower count is reported as below it


def blood_counts(
    rng: random.Random, *, monthly_days: list[int], last_day: int
) -> list[tuple[int, str, float, bool]]:
    """(day, analyte, value in the analyte's own unit, below detection) of ANC and platelets."""
    grade = pick(rng, EARLY_ICAHT)
    (shortest, longest), nadir_range = NEUTROPENIA[grade]
    severe_days = rng.randint(shortest, longest)
    onset = rng.randint(2, 6)
    nadir = rng.uniform(*nadir_range)
    at_start = rng.lognormvariate(math.log(1800), 0.4)
    plateau = rng.lognormvariate(math.log(2800), 0.35)
    platelets_at_start = rng.uniform(60, 250)
    platelet_share_at_nadir = rng.uniform(0.1, 0.9) if grade < 3 else rng.uniform(0.03, 0.3)
    late_cytopenia = rng.random() < LATE_CYTOPENIA_SHARE
    values = []
    for day in [day for day in EARLY_DAYS if day <= last_day]:
        anc, depth = _early_anc(rng, day, onset, severe_days, nadir, at_start, plateau)
        platelets = platelets_at_start * (1 - depth * (1 - platelet_share_at_nadir))
        values += _counts(rng, day, anc, platelets * rng.uniform(0.85, 1.15))
    for day in monthly_days:
        if late_cytopenia:
            anc, platelets = rng.uniform(300, 1400), rng.uniform(15, 90)
        else:
            anc, platelets = plateau * rng.uniform(0.7, 1.3), rng.uniform(110, 320)
        values += _counts(rng, day, anc, platelets)
    return values


def _early_anc(
    rng: random.Random,
    day: int,
    onset: int,
    severe_days: int,
    nadir: float,
    at_start: float,
    plateau: float,
) -> tuple[float, float]:
    """ANC /µL on an early day, and how deep in the nadir the day is (0 to 1)."""
    if severe_days and onset <= day < onset + severe_days:
        return nadir * rng.uniform(0.8, 1.15), 1.0
    if day < onset:
        # Falling from the count after lymphodepletion towards the nadir.
        share = day / onset
        return max(520.0, at_start - (at_start - 520) * share), share
    if not severe_days:
        # Grade 0: a shallow dip that never reaches 500/µL.
        return max(520.0, nadir) * rng.uniform(1.0, 1.3), 0.6
    recovered_for = day - onset - severe_days
    anc = min(plateau, 600 + 350 * recovered_for) * rng.uniform(0.85, 1.15)
    return anc, max(0.0, 1 - recovered_for / 10)


def _counts(
    rng: random.Random, day: int, anc_per_ul: float, platelets: float
) -> list[tuple[int, str, float, bool]]:
    anc = ("anc", ANC_DETECTION_LIMIT / 1000, True)
    if anc_per_ul >= ANC_DETECTION_LIMIT:
        anc = ("anc", round(anc_per_ul / 1000, 2), False)
    return [(day, *anc), (day, "platelets", float(max(2, round(platelets))), False)]

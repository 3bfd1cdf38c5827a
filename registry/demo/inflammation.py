"""Cytokines and inflammation markers of an invented patient: a baseline in days -5 to 0
and 4-5 days of the first two weeks, always including the day CRS was worst, with peaks
that rise with the CRS grade.

The seed paper reports its cytokines in Table S3, which is not in its text; the orders of
magnitude below are those of CD19 CAR-T cohorts generally: IL-6 a few pg/mL before the
infusion and tens (no CRS) to thousands (grade 3-4) at the peak; IFN-γ and IL-10 likewise,
IL-10 lowest; ferritin from hundreds of ng/mL to tens of thousands in severe CRS; CRP from
a few mg/L to a few hundred. Each patient draws a peak around the median of their CRS
grade; the days sampled see it as it rises and falls, halving every `half_life` days.
"""

import math
import random
from dataclasses import dataclass

from registry.demo.study import significant

CANDIDATE_DAYS = (1, 2, 3, 4, 5, 7, 10, 14)


@dataclass(frozen=True)
class Marker:
    analyte: str
    baseline: float  # median before the infusion, in the analyte's own unit
    peaks: tuple[float, ...]  # median peak by the patient's CRS grade, 0-4
    half_life: float  # days
    detection_limit: float
    delay: int = 0  # days after the worst day of CRS that it peaks


CYTOKINES = (
    Marker("il6", 4.0, (12, 60, 400, 1_500, 6_000), 1.5, 1.5),
    Marker("ifng", 3.0, (10, 45, 250, 800, 3_000), 1.5, 1.0),
    Marker("il10", 2.0, (6, 25, 90, 300, 1_000), 1.5, 1.0),
)
ROUTINE = (
    Marker("crp", 8.0, (20, 60, 120, 180, 250), 2.5, 3.0, delay=1),
    Marker("ferritin", 700.0, (1_000, 1_600, 3_500, 8_000, 15_000), 4.0, 5.0, delay=2),
)


def inflammation(
    rng: random.Random, *, crs_by_day: list[int], cytokines: bool
) -> list[tuple[int, str, float, bool]]:
    """(day, analyte, value in its own unit, below detection) of CRP and ferritin, and of
    IL-6, IFN-γ and IL-10 where the site measures them."""
    crs = max(crs_by_day)
    worst_day = max(1, crs_by_day.index(crs)) if crs else rng.randint(2, 6)
    others = [day for day in CANDIDATE_DAYS if day != worst_day]
    days = sorted({worst_day, *rng.sample(others, rng.choice((3, 4, 4)))})
    baseline_day = -rng.randint(0, 5)
    markers = (*CYTOKINES, *ROUTINE) if cytokines else ROUTINE
    values = []
    for marker in markers:
        start = rng.lognormvariate(math.log(marker.baseline), 0.5)
        peak = max(start, rng.lognormvariate(math.log(marker.peaks[crs]), 0.6))
        peak_day = worst_day + marker.delay
        values.append(_value(marker, baseline_day, start))
        for day in days:
            level = start + (peak - start) * 0.5 ** (abs(day - peak_day) / marker.half_life)
            values.append(_value(marker, day, level))
    return values


def _value(marker: Marker, day: int, level: float) -> tuple[int, str, float, bool]:
    if level < marker.detection_limit:
        return day, marker.analyte, marker.detection_limit, True
    return day, marker.analyte, significant(level), False

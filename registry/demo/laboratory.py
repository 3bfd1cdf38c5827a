"""The lab series of an invented patient, entries of the cohort format's `labs` (1.1).

Drawn from their own `random.Random`, apart from the rest of the patient, so that adding
them left every other generated value as it was. Three patients in four have a series
(the others' labs were never entered), of:

- ANC and platelets twice a week to day 28, then monthly (registry.demo.blood_counts);
- B cells in blood monthly (registry.demo.b_cells);
- CRP and ferritin on a baseline day and 4-5 days of the first two weeks, and IL-6, IFN-γ
  and IL-10 on the same days at one site in three, those with a cytokine laboratory
  (registry.demo.inflammation).

The monthly visits run to the last contact, or to the first allo-HCT, relapse or next
therapy: from then on the counts tell of another treatment, which the registry's late
ICAHT and B-cell aplasia leave out, and the CAR-T follow-up visits end. A series then
holds about 40 values, and a cohort about 30 per patient. For two patients in five, the
values of one day came from a referring laboratory and are entered in its units, the
analyte's other accepted unit (ANC in /µL, CRP in mg/dL, ferritin in µg/L).
"""

import random
from dataclasses import dataclass

from registry.analytes import ANALYTES
from registry.demo.b_cells import b_cells
from registry.demo.blood_counts import blood_counts
from registry.demo.inflammation import inflammation
from registry.demo.study import significant
from registry.units import MONTH_DAYS

VISIT_SHIFT_DAYS = 3  # a monthly visit falls up to this many days either side
NO_LABS_SHARE = 0.25
OTHER_LABORATORY_SHARE = 0.4
CYTOKINE_SITE_EVERY = 3
ENDS_FOLLOW_UP = ("allo_hct", "relapse", "other_therapy")


@dataclass(frozen=True)
class LabCourse:
    """What an invented patient's lab series follows."""

    site_index: int
    crs_by_day: list[int]
    responded: bool
    events: list[tuple[int, dict]]  # (day after infusion, event)
    last_contact_day: int


def lab_series(rng: random.Random, course: LabCourse) -> list[dict]:
    """The patient's lab entries, in the order the registry exports them (day, analyte)."""
    if rng.random() < NO_LABS_SHARE:
        return []
    ended = [day for day, event in course.events if event["kind"] in ENDS_FOLLOW_UP]
    last_day = min([course.last_contact_day, *ended])
    monthly = _monthly_visits(rng, last_day)
    recovery = next(
        (day for day, event in course.events if event["kind"] == "b_cell_recovery"), None
    )
    values = blood_counts(rng, monthly_days=monthly[1:], last_day=last_day)
    values += b_cells(rng, monthly_days=monthly, responded=course.responded, recovery_day=recovery)
    cytokines = course.site_index % CYTOKINE_SITE_EVERY == 0
    values += inflammation(rng, crs_by_day=course.crs_by_day, cytokines=cytokines)
    values.sort(key=lambda value: (value[0], value[1]))
    elsewhere = rng.choice(values)[0] if rng.random() < OTHER_LABORATORY_SHARE else None
    return [_entry(*value, other_unit=value[0] == elsewhere) for value in values]


def _monthly_visits(rng: random.Random, last_day: int) -> list[int]:
    """The days of the monthly visits from month 1 to the last day of follow-up."""
    visits = []
    for month in range(1, round(last_day / MONTH_DAYS) + 2):
        shift = rng.randint(-VISIT_SHIFT_DAYS, VISIT_SHIFT_DAYS)
        day = round(month * MONTH_DAYS) + shift
        if day > last_day:
            break
        visits.append(day)
    return visits


# Each analyte's own unit, and another it may be entered in with how many of it make one
# of the own unit.
_UNITS = {
    code: (units[0][0], units[1] if len(units) > 1 else None)
    for code, units in ((code, list(analyte.units.items())) for code, analyte in ANALYTES.items())
}


def _entry(day: int, analyte: str, value: float, below: bool, *, other_unit: bool) -> dict:
    """A lab entry in the analyte's own unit, or in its other unit if asked and it has one."""
    unit, other = _UNITS[analyte]
    if other_unit and other is not None:
        unit, factor = other
        value = significant(float(value / factor))
    entry = {"day": day, "analyte": analyte, "value": value, "unit": unit}
    return entry | {"below_detection": True} if below else entry

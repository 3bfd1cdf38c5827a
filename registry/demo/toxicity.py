"""The CRS and ICANS of an invented patient: days 0-10 of observations, and the site's
record of the maximum grades, graded from those days with the registry's ASTCT rules."""

import random
from dataclasses import dataclass

from registry import grading
from registry.demo.study import (
    ASSESSED_DAYS,
    CAPD_FINDINGS,
    CRS_GRADES,
    CRS_SIGNS,
    ICANS_GRADES,
    ICE_FINDINGS,
    QUIET_DAY,
    pick,
)


def _one_of(rng: random.Random, options: tuple):
    # Most assessed days are quiet: skipping the draw for them keeps large cohorts fast.
    return options[0] if len(options) == 1 else rng.choice(options)


def _grades_by_day(rng: random.Random, peak_grade: int, earliest: int, latest: int) -> list:
    """A toxicity's grade on each assessed day: rising to its peak, then easing off."""
    grades = [0] * len(ASSESSED_DAYS)
    if peak_grade == 0:
        return grades
    day = rng.randint(earliest, latest)
    for _ in range(rng.randint(0, 2)):
        grades[day] = 1
        day += 1
    for grade in range(peak_grade, 0, -1):
        if day >= len(grades):
            break
        grades[day] = grade
        day += 1
    return grades


def daily_assessments(rng: random.Random, *, child: bool) -> tuple[list[dict], int | None]:
    """Days 0-10, and the day tocilizumab was first given (the first day of a CRS peak of
    grade 2 or more), None when it was not.

    After tocilizumab the fever is masked: the later days have no fever, and only their
    hypotension or hypoxia grades them.
    """
    crs_peak = pick(rng, CRS_GRADES)
    crs = _grades_by_day(rng, crs_peak, 0, 3)
    icans = _grades_by_day(rng, pick(rng, ICANS_GRADES), 3, 6)
    treated_after = crs.index(crs_peak) if crs_peak >= 2 else None
    findings = CAPD_FINDINGS if child else ICE_FINDINGS
    days = []
    for day in ASSESSED_DAYS:
        masked = treated_after is not None and day > treated_after
        fever = crs[day] >= 1 and not masked
        temperature = rng.uniform(38.0, 40.5) if fever else rng.uniform(36.2, 37.8)
        days.append(
            {"day": day, "temperature_c": round(temperature, 1)}
            | QUIET_DAY
            | {"fever_masked": masked}
            | _one_of(rng, CRS_SIGNS[crs[day]])
            | _one_of(rng, findings[icans[day]])
        )
    return days, treated_after


@dataclass(frozen=True)
class GradedDays:
    """The CRS and the ICANS grade of each assessed day (day = index), by the registry's
    ASTCT rules, and the first day tocilizumab was given."""

    crs: list[int]
    icans: list[int]
    tocilizumab_day: int | None

    @property
    def steroid_days(self) -> list[int]:
        """The days that call for a corticosteroid: CRS grade 3 or more, ICANS 2 or more."""
        return [
            day
            for day, (crs, icans) in enumerate(zip(self.crs, self.icans, strict=True))
            if crs >= 3 or icans >= 2
        ]


def graded_days(days: list[dict], age: int, tocilizumab_day: int | None) -> GradedDays:
    return GradedDays(
        [_crs_grade(day) for day in days], [_icans_grade(day, age) for day in days], tocilizumab_day
    )


def toxicities(rng: random.Random, graded: GradedDays, discrepant: bool) -> dict:
    """The site's record of the graded days; its yes/no of each treatment say what the
    dated treatments (registry.demo.treatments) record."""
    crs, icans = max(graded.crs), max(graded.icans)
    record = {"crs_max_grade": crs, "icans_max_grade": icans}
    if crs:
        record["crs_onset_day"] = next(day for day, grade in enumerate(graded.crs) if grade)
    record |= {
        "tocilizumab": graded.tocilizumab_day is not None,
        "corticosteroids": bool(graded.steroid_days),
        "plasmapheresis": crs >= 4,
    }
    if discrepant:
        key = "crs_max_grade" if rng.random() < 0.6 else "icans_max_grade"
        record[key] = record[key] + 1 if record[key] < 4 else 3
    return record


def _crs_grade(day: dict) -> int:
    return grading.crs_grade(
        temperature_c=day["temperature_c"],
        fever_masked=day["fever_masked"],
        hypotension=day["hypotension"],
        vasopressors=day["vasopressors"],
        vasopressin=day["vasopressin"],
        oxygen=day["oxygen"],
    ).grade


def _icans_grade(day: dict, age: int) -> int:
    return grading.icans_grade(
        age_years=age,
        ice_score=day.get("ice_score"),
        capd_score=day.get("capd_score"),
        capd_unable=day.get("capd_unable", False),
        consciousness=day["consciousness"],
        seizure=day["seizure"],
        motor_weakness=day["motor_weakness"],
        cerebral_edema=day["cerebral_edema"],
    ).grade

"""ASTCT consensus grading of CRS and ICANS from one daily assessment (Lee et al. 2019).

Pure functions over the coded values of the cohort format's ``daily_assessments``; the
model layer calls them, nothing here touches the ORM. The tables are those of the
project's clinical rules ("CRS grade", "ICANS grade"). Where ASTCT leaves a choice, the
registry decides as follows.

CRS
- Fever is a temperature of 38.0 °C or more (38.0 exactly is fever). A missing
  temperature is no fever.
- Without fever, and without antipyretic or anti-cytokine therapy masking it, the day is
  grade 0 whatever the hypotension or hypoxia: fever is required for the diagnosis.
- Once fever is masked (tocilizumab, corticosteroids), hypotension and hypoxia alone grade
  the day. A masked day with neither is grade 0, not grade 1: ASTCT drives the grade by
  hypotension and hypoxia after such therapy, so a day with no fever and neither sign shows
  no CRS. The patient's earlier days keep their grades, and the patient's grade is the
  worst day (``worst``). A measured fever on a masked day is still fever.
- Any vasopressor is hypotension, even if the hypotension box was left unticked.
  Vasopressin alone counts as one vasopressor; one vasopressor with vasopressin is still
  grade 3; two or more vasopressors other than vasopressin are grade 4.
- The more severe of hypotension and hypoxia sets the grade; on a tie the reason names
  hypotension.
- Grade 5 (death from CRS) cannot be seen in a daily assessment; it comes from the death
  event's cause, so these functions never return more than 4.

ICANS
- Patients aged 12 and over, or of unknown age, are graded with the ICE score; children
  under 12 with CAPD instead (their ICE score is ignored, and an adult's CAPD is ignored).
- ICE: 10 -> 0, 7-9 -> 1, 3-6 -> 2, 0-2 -> 3. ICE 0 in an unarousable patient is grade 4;
  the consciousness domain gives that. A missing ICE score (not assessable) adds nothing
  and the other domains still grade the day.
- CAPD (0-32): 0 -> 0, 1-8 -> 1, 9 or more -> 3, unable to perform -> 4. ASTCT's "grade 1
  or 2 by level of consciousness" for CAPD 1-8 comes from the consciousness domain, which
  lifts it to 2 when the child awakens only to voice. A missing CAPD that was not
  "unable" adds nothing.
- Consciousness: "awake" is grade 0. ASTCT's grade 1 "awakens spontaneously" describes a
  drowsy patient who still wakes by themself; the format has no code for that state, and
  scoring every awake patient grade 1 would contradict "ICE 10 with no other finding is
  grade 0". Awakens to voice -> 2, only to touch -> 3, unarousable -> 4.
- Seizure resolved -> 3, prolonged -> 4; deep focal motor weakness -> 4; focal cerebral
  edema -> 3, diffuse -> 4.
- The grade is the most severe domain. On a tie the reason names the first domain in
  this order: ICE (or CAPD), consciousness, seizure, motor weakness, cerebral edema.
- Grade 5 (death from ICANS) is likewise not derivable from an assessment.

None for a boolean or a coded string means "not recorded" and counts as none/False.
An unknown code or an out-of-range score raises ValueError rather than grading silently.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import TypedDict, Unpack

from registry.choices import CerebralEdema, Consciousness, MotorWeakness, Oxygen, Seizure
from registry.validators import completed_years

FEVER_C = 38.0
CHILD_UNDER_YEARS = 12
# ASTCT grade 3 and above: severe CRS or ICANS (the study's administrators hear of it, the
# patient's timeline marks it).
SEVERE_GRADE = 3


class CrsFindings(TypedDict):
    """The findings of a daily assessment the CRS grade is computed from, in the order a
    cohort document and the form give them."""

    temperature_c: float | None
    fever_masked: bool
    hypotension: bool
    vasopressors: int
    vasopressin: bool
    oxygen: str


CRS_FINDINGS = tuple(CrsFindings.__annotations__)
# The findings the ICANS grade is computed from, in the same order.
ICANS_FINDINGS = (
    "ice_score",
    "consciousness",
    "seizure",
    "motor_weakness",
    "cerebral_edema",
    "capd_score",
    "capd_unable",
)


def age_years(
    birth_date: date | None, first_infusion_date: date | None, enrollment_date: date | None
) -> int | None:
    """Completed years at the first infusion (at enrolment before any infusion): the age
    that decides between ICE and CAPD."""
    on = first_infusion_date or enrollment_date
    if not (birth_date and on):
        return None
    return completed_years(birth_date, on)


@dataclass(frozen=True)
class Grade:
    grade: int  # 0-5
    reason: str  # short clinician words, e.g. "grade 3: one vasopressor"


NO_ASSESSMENTS = Grade(0, "no assessments")

# (grade, what the reason says) per code of the finding's vocabulary (registry.choices);
# grade 0 findings are never named.
_OXYGEN = {
    Oxygen.NONE: (0, "no hypoxia"),
    Oxygen.LOW_FLOW: (2, "low-flow oxygen"),
    Oxygen.HIGH_FLOW: (3, "high-flow oxygen"),
    Oxygen.POSITIVE_PRESSURE: (4, "positive-pressure ventilation"),
}
_CONSCIOUSNESS = {
    Consciousness.AWAKE: (0, "awake"),
    Consciousness.AWAKENS_TO_VOICE: (2, "awakens to voice"),
    Consciousness.AWAKENS_TO_TOUCH: (3, "awakens only to touch"),
    Consciousness.UNAROUSABLE: (4, "unarousable"),
}
_SEIZURE = {
    Seizure.NONE: (0, "no seizure"),
    Seizure.RESOLVED: (3, "seizure that resolved"),
    Seizure.PROLONGED: (4, "prolonged or repetitive seizures"),
}
_MOTOR_WEAKNESS = {
    MotorWeakness.NONE: (0, "no motor weakness"),
    MotorWeakness.DEEP_FOCAL: (4, "deep focal motor weakness"),
}
_CEREBRAL_EDEMA = {
    CerebralEdema.NONE: (0, "no cerebral edema"),
    CerebralEdema.FOCAL: (3, "focal cerebral edema"),
    CerebralEdema.DIFFUSE: (4, "diffuse cerebral edema"),
}


def crs_grade(**findings: Unpack[CrsFindings]) -> Grade:
    """The day's ASTCT CRS grade (0-4)."""
    grade, finding = _crs_signs(findings)
    fever = _is_fever(findings["temperature_c"])
    if not fever and not findings["fever_masked"]:
        return Grade(0, "grade 0: no fever")
    if grade == 0:
        if fever:
            return Grade(1, "grade 1: fever only")
        return Grade(0, "grade 0: fever masked, no hypotension or hypoxia")
    masked = "" if fever else ", fever masked"
    return Grade(grade, f"grade {grade}: {finding}{masked}")


NO_FEVER_HINT = (
    "Grade 0: ASTCT CRS needs fever (≥38.0 °C) unless fever was masked by tocilizumab or "
    "steroids — tick 'fever masked' if so"
)


def crs_no_fever_hint(**findings: Unpack[CrsFindings]) -> str | None:
    """Why a day with hypotension or hypoxia but no fever is CRS grade 0, or None when
    that is not the case: a masked fever is easy to forget to tick."""
    grade, _ = _crs_signs(findings)
    if grade == 0 or findings["fever_masked"] or _is_fever(findings["temperature_c"]):
        return None
    return NO_FEVER_HINT


def _crs_signs(findings: CrsFindings) -> tuple[int, str]:
    hypotension = _hypotension(
        findings["hypotension"], findings["vasopressors"] or 0, findings["vasopressin"]
    )
    return max(
        hypotension,
        _coded(_OXYGEN, findings["oxygen"], "oxygen"),
        key=itemgetter(0),
    )


def _is_fever(temperature_c: float | None) -> bool:
    return temperature_c is not None and temperature_c >= FEVER_C


def _hypotension(hypotension: bool, vasopressors: int, vasopressin: bool) -> tuple[int, str]:
    if vasopressors < 0:
        raise ValueError(f"vasopressors must be 0 or more, not {vasopressors}")
    if vasopressors >= 2:
        return 4, f"{vasopressors} vasopressors"
    if vasopressors == 1:
        return 3, "one vasopressor with vasopressin" if vasopressin else "one vasopressor"
    if vasopressin:
        return 3, "vasopressin alone counts as one vasopressor"
    if hypotension:
        return 2, "hypotension without vasopressors"
    return 0, "no hypotension"


def graded_by_capd(age_years: int | None) -> bool:
    """Whether ICANS is scored with CAPD rather than ICE: a child under 12 (an unknown age is
    scored with ICE)."""
    return age_years is not None and age_years < CHILD_UNDER_YEARS


def icans_grade(
    *,
    age_years: int | None,
    ice_score: int | None,
    capd_score: int | None,
    capd_unable: bool,
    consciousness: str,
    seizure: str,
    motor_weakness: str,
    cerebral_edema: str,
) -> Grade:
    """The day's ASTCT ICANS grade (0-4); children under 12 are scored with CAPD."""
    grade, finding = max(
        _capd(capd_score, capd_unable) if graded_by_capd(age_years) else _ice(ice_score),
        _coded(_CONSCIOUSNESS, consciousness, "consciousness"),
        _coded(_SEIZURE, seizure, "seizure"),
        _coded(_MOTOR_WEAKNESS, motor_weakness, "motor_weakness"),
        _coded(_CEREBRAL_EDEMA, cerebral_edema, "cerebral_edema"),
        key=itemgetter(0),
    )
    if grade == 0:
        return Grade(0, "grade 0: no ICANS findings")
    return Grade(grade, f"grade {grade}: {finding}")


def _ice(score: int | None) -> tuple[int, str]:
    if score is None:
        return 0, "ICE not assessable"
    if not 0 <= score <= 10:
        raise ValueError(f"ICE score must be 0-10, not {score}")
    if score == 10:
        grade = 0
    elif score >= 7:
        grade = 1
    elif score >= 3:
        grade = 2
    else:
        grade = 3
    return grade, f"ICE score {score}"


def _capd(score: int | None, unable: bool) -> tuple[int, str]:
    if unable:
        return 4, "unable to perform CAPD"
    if score is None:
        return 0, "CAPD not recorded"
    if not 0 <= score <= 32:
        raise ValueError(f"CAPD score must be 0-32, not {score}")
    if score >= 9:
        grade = 3
    elif score >= 1:
        grade = 1
    else:
        grade = 0
    return grade, f"CAPD score {score}"


def _coded(table: dict[str, tuple[int, str]], code: str | None, field: str) -> tuple[int, str]:
    if not code:
        return 0, f"{field} not recorded"
    try:
        return table[code]
    except KeyError:
        raise ValueError(f"unknown {field} code {code!r}") from None


def worst(grades: Iterable[Grade]) -> Grade:
    """The highest grade, the first of ties; ``NO_ASSESSMENTS`` (grade 0) when empty."""
    return max(grades, key=lambda g: g.grade, default=NO_ASSESSMENTS)

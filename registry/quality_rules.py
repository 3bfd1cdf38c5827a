"""Data-quality rules: what the registry asks a site about by itself.

Each rule finds values that the registry stores but that deserve a second look, and says
so in a clinician's words naming the field: a rule across the course that no longer holds
(registry.rules; a study's dose ceiling lowered after the dose was saved), a recorded
maximum grade that differs from the ASTCT grade computed from the daily assessments, a
timepoint whose window closed without a section it expects, and a value inside the field's
range that is unusual enough to be a typing error more often than a fact.

Pure functions over a course in the cohort document's shape (as registry.rules) and over
the overdue visits of the follow-up schedule; registry.quality opens and closes the data
queries from their findings.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from registry.analytes import LYMPHODEPLETING_DRUGS, TOXICITY_TREATMENTS
from registry.choices import EventKind, Product
from registry.grading import CRS_FINDINGS, ICANS_FINDINGS, Grade, age_years, worst
from registry.grading import crs_grade as day_crs_grade
from registry.grading import icans_grade as day_icans_grade
from registry.problems import grouped
from registry.rules import Protocol, course_problems, dose_ceiling, first_infusion_date
from registry.sections import BY_KEY
from registry.units import FIELD_UNITS

COURSE_RULE = "course-rule"
GRADE_DISCREPANCY = "grade-discrepancy"
MISSING_AT_TIMEPOINT = "missing-at-timepoint"
LOW_DOSE = "low-dose"
UNUSUAL_TEMPERATURE = "unusual-temperature"
HIGH_VALUE = "high-value"
SAME_DAY_INFUSION = "same-day-infusion"
REPEATED_EVENT = "repeated-event"

# Each rule's code, as a query names it, with what it looks for.
RULES = {
    COURSE_RULE: "A rule across the course no longer holds",
    GRADE_DISCREPANCY: "Recorded maximum grade differs from the computed ASTCT grade",
    MISSING_AT_TIMEPOINT: "A timepoint's window closed without a section it expects",
    LOW_DOSE: "Dose under a tenth of the protocol's ceiling",
    UNUSUAL_TEMPERATURE: "Temperature outside 34.0–42.0 °C",
    HIGH_VALUE: "A dose or a count above what regimens give or blood holds",
    SAME_DAY_INFUSION: "Two infusions of one product on the same day",
    REPEATED_EVENT: "An event that follows each CAR-T once, recorded twice after one",
}
# The rules read from the course alone; MISSING_AT_TIMEPOINT also reads the schedule.
COURSE_RULES = (
    COURSE_RULE,
    GRADE_DISCREPANCY,
    LOW_DOSE,
    UNUSUAL_TEMPERATURE,
    HIGH_VALUE,
    SAME_DAY_INFUSION,
    REPEATED_EVENT,
)

# A dose under this share of the protocol's ceiling is more often a unit slip (cells for
# cells/kg, a power of ten lost) than a dose given.
LOW_DOSE_SHARE = 10
# The field accepts 30–45 °C; a core temperature above 42 °C is rarely survived and one
# below 34 °C is moderate hypothermia: both are more often typing errors (42.5 for 41.5,
# 32.8 for 38.2) than readings.
USUAL_TEMPERATURE_C = (34.0, 42.0)


@dataclass(frozen=True)
class Highest:
    """The highest value of a field (of every record of `section`, or of those whose
    `treatment` is given) that is not asked about."""

    section: str
    field: str
    name: str
    value: float
    treatment: str | None = None

    @property
    def unit(self) -> str:
        return FIELD_UNITS[self.field].shown


def _daily_dose(field: str, value: float) -> Highest:
    """The highest daily dose of a lymphodepleting drug that is not asked about."""
    return Highest("lymphodepletion", field, LYMPHODEPLETING_DRUGS[field], value)


def _single_dose(treatment: str, value: float) -> Highest:
    """The highest single dose of a toxicity treatment that is not asked about."""
    name = TOXICITY_TREATMENTS[treatment]
    return Highest("toxicity_treatments", "dose_mg", name, value, treatment)


# Values above these are more often a unit slip (mg for µg, a power of ten) than a fact.
HIGHEST = (
    # Lymphodepletion: the seed protocol gives fludarabine 30 and cyclophosphamide 250
    # mg/m²/day; the products' labels 25–30 and 250–500, single days of 60 mg/kg
    # cyclophosphamide about 2,000.
    _daily_dose("fludarabine_mg_m2_per_day", 50),
    _daily_dose("cyclophosphamide_mg_m2_per_day", 2000),
    # CAR-T cells in blood: peaks are tens to thousands a microlitre, of some thousands of
    # lymphocytes in all.
    Highest("car_t_counts", "cells_per_ul", "CAR-T cells", 10_000),
    # A single dose: tocilizumab's label caps it at 800 mg; methylprednisolone pulses are
    # 1 g; anakinra and siltuximab by weight stay under 2 g.
    _single_dose("tocilizumab", 800),
    _single_dose("corticosteroid", 1000),
    _single_dose("anakinra", 2000),
    _single_dose("siltuximab", 2000),
)


@dataclass(frozen=True)
class Finding:
    rule: str  # a code of RULES
    field: str  # where in the course, e.g. "infusions[0].cells_per_kg"
    message: str  # the question for the site, naming the field


@dataclass(frozen=True)
class OverdueVisit:
    """A timepoint of a patient's schedule whose window has closed without it done."""

    timepoint: str  # as the study names it, e.g. "Day 28"
    window_closes: date
    missing: tuple[str, ...]  # the keys of the expected sections not recorded


def course_findings(course: dict, protocol: Protocol) -> list[Finding]:
    """What the rules read from the course alone find in it."""
    return [
        *(
            Finding(COURSE_RULE, problem.path, problem.message)
            for problem in grouped(course_problems(course, protocol))
        ),
        *value_findings(course, protocol),
    ]


def value_findings(course: dict, protocol: Protocol) -> list[Finding]:
    """The findings of the rules that read recorded values, not the course rules (which a
    cohort import has checked already: a document breaking one is refused whole)."""
    return [
        *grade_discrepancies(course),
        *_low_doses(course, protocol),
        *_temperatures(course),
        *_high_values(course),
        *_same_day_infusions(course),
        *_repeated_events(course),
    ]


def grade_discrepancies(course: dict) -> list[Finding]:
    """Where the site's recorded maximum CRS or ICANS grade differs from the worst day's
    ASTCT grade computed from the daily assessments (none without assessments)."""
    recorded = course.get("toxicities")
    assessments = course.get("daily_assessments") or []
    if not recorded or not assessments:
        return []
    crs, icans = computed_grades(course)
    found = []
    for name, field, computed in (
        ("CRS", "crs_max_grade", crs),
        ("ICANS", "icans_max_grade", icans),
    ):
        stored = recorded.get(field)
        if stored is not None and stored != computed.grade:
            found.append(
                Finding(
                    GRADE_DISCREPANCY,
                    f"toxicities.{field}",
                    f"{name}: recorded grade {stored}, computed grade {computed.grade} "
                    f"({computed.reason})",
                )
            )
    return found


def computed_grades(course: dict) -> tuple[Grade, Grade]:
    """The worst ASTCT CRS and ICANS grades of the course's daily assessments."""
    age = age_years(
        course.get("birth_date"), first_infusion_date(course), course.get("enrollment_date")
    )
    assessments = course.get("daily_assessments") or []
    return (
        worst(day_crs_grade(**{k: day[k] for k in CRS_FINDINGS}) for day in assessments),
        worst(
            day_icans_grade(age_years=age, **{k: day[k] for k in ICANS_FINDINGS})
            for day in assessments
        ),
    )


def _low_doses(course: dict, protocol: Protocol) -> Iterable[Finding]:
    for index, infusion in enumerate(course.get("infusions") or []):
        dose, when = infusion.get("cells_per_kg"), infusion.get("date")
        if dose is None or when is None:
            continue
        ceiling, who = dose_ceiling(course, protocol, when)
        if dose * LOW_DOSE_SHARE < ceiling:
            yield Finding(
                LOW_DOSE,
                f"infusions[{index}].cells_per_kg",
                f"Dose {dose:,} cells/kg is under a tenth of the protocol's ceiling of "
                f"{ceiling:,} cells/kg for patients {who}: please check the dose and its unit",
            )


def _temperatures(course: dict) -> Iterable[Finding]:
    low, high = USUAL_TEMPERATURE_C
    for index, day in enumerate(course.get("daily_assessments") or []):
        temperature = day.get("temperature_c")
        if temperature is not None and not low <= temperature <= high:
            yield Finding(
                UNUSUAL_TEMPERATURE,
                f"daily_assessments[{index}].temperature_c",
                f"Highest temperature {temperature:g} °C on day {day.get('day')} is outside "
                f"{low:g}–{high:g} °C: please check it",
            )


def _high_values(course: dict) -> Iterable[Finding]:
    for highest in HIGHEST:
        records = course.get(highest.section)
        places = (
            [(highest.section, records)]
            if isinstance(records, dict)
            else [(f"{highest.section}[{i}]", record) for i, record in enumerate(records or [])]
        )
        for place, record in places:
            value = record.get(highest.field)
            if highest.treatment not in (None, record.get("treatment")):
                continue
            if value is not None and value > highest.value:
                yield Finding(
                    HIGH_VALUE,
                    f"{place}.{highest.field}",
                    f"{highest.name} {value:,.10g} {highest.unit} is above {highest.value:,.10g} "
                    f"{highest.unit}: please check the value and its unit",
                )


def _same_day_infusions(course: dict) -> Iterable[Finding]:
    """A product given in several bags is one infusion with its whole dose: a second
    record of the same product on the same day is more often entered twice. (Two products
    on one day, CD19 and CD22 CAR-T, are a regimen of their own and not asked about.)"""
    first_of = {}
    for index, infusion in enumerate(course.get("infusions") or []):
        key = (infusion.get("date"), infusion.get("product"))
        if None in key:
            continue
        if key not in first_of:
            first_of[key] = index
            continue
        when, product = key
        yield Finding(
            SAME_DAY_INFUSION,
            f"infusions[{index}].date",
            f"Infusions {first_of[key] + 1} and {index + 1} on {when.isoformat()} are of the "
            f"same product ({_product_name(product)}): a product given in several bags is "
            "one infusion with its whole dose. Is one of them entered twice?",
        )


# Events that follow a CAR-T infusion once: the B cells recover, the CAR-T cells are lost.
# A second after the same infusion is more often the first entered twice.
ONCE_AFTER_EACH_INFUSION = (EventKind.B_CELL_RECOVERY, EventKind.CAR_T_LOSS)


def _repeated_events(course: dict) -> Iterable[Finding]:
    infused = [i["date"] for i in course.get("infusions") or [] if i.get("date")]
    events = list(enumerate(course.get("events") or []))
    for kind in ONCE_AFTER_EACH_INFUSION:
        dated = sorted(
            (event["date"], index)
            for index, event in events
            if event.get("kind") == kind and event.get("date")
        )
        for (earlier, _), (later, index) in pairwise(dated):
            if not any(earlier < day <= later for day in infused):
                yield Finding(
                    REPEATED_EVENT,
                    f"events[{index}].date",
                    f"{kind.label} is recorded on {earlier.isoformat()} and again on "
                    f"{later.isoformat()}, with no CAR-T infusion between: it follows each "
                    "infusion once. Is one of them entered twice?",
                )


def _product_name(code: str) -> str:
    return Product(code).label if code in Product.values else code


def overdue_findings(visits: Iterable[OverdueVisit]) -> list[Finding]:
    """A query on each section a closed window lacks."""
    return [
        Finding(
            MISSING_AT_TIMEPOINT,
            section,
            f"{visit.timepoint}: no {section_name(section)} recorded in its window, which "
            f"closed on {visit.window_closes.isoformat()}",
        )
        for visit in visits
        for section in visit.missing
    ]


# The follow-up events are done when the patient's status is known at the timepoint.
MISSING_NAMES = {"events": "last contact or follow-up event", "toxicities": "toxicity record"}


def section_name(key: str) -> str:
    """A section as a clinician calls its records: "response assessment", "eligibility"."""
    if key in MISSING_NAMES:
        return MISSING_NAMES[key]
    return BY_KEY[key].record_names[0]

"""Rules across the records of one patient's course: chronology, dose ceilings, outcomes.

A course is a patient in the shape of the cohort interchange format (dates as `date`
objects): the import checks a document with these rules and the model layer checks each
saved record with them, so both say the same thing in the same words. Rules within one
record (ranges, codes, CR needing <5% blasts) live on the model fields and `clean()`.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from registry.analytes import (
    ANALYTES,
    PERIPHERAL_BLOOD,
    SPECIMENS,
    TOXICITY_TREATMENTS,
    TREATMENT_FLAGS,
    treatment_flags,
)
from registry.choices import RESPONDER_STATUSES, EventKind, PriorTherapyKind
from registry.problems import Problem
from registry.sections import DAY_KEYS
from registry.validators import latest_date

# The range of Lymphodepletion.days; a course read from a document may hold any number.
MAX_LYMPHODEPLETION_DAYS = 14


@dataclass(frozen=True)
class Protocol:
    dose_ceiling_post_hct_per_kg: int
    dose_ceiling_per_kg: int


def course_problems(course: dict, protocol: Protocol) -> list[Problem]:
    checks = (
        _enrolment,
        _diagnosis,
        _prior_therapies,
        _doses,
        _events,
        _after_death,
        _last_contact,
        _days,
        _days_to_come,
        _treatments_recorded,
    )
    return [problem for check in checks for problem in check(course, protocol)]


def first_infusion_date(course: dict) -> date | None:
    dates = [infusion["date"] for infusion in course.get("infusions") or [] if infusion.get("date")]
    return min(dates, default=None)


def _items(course: dict, section: str) -> Iterator[tuple[str, dict]]:
    for index, item in enumerate(course.get(section) or []):
        yield f"{section}[{index}]", item


def _enrolment(course: dict, protocol: Protocol) -> Iterator[Problem]:
    born, enrolled = course.get("birth_date"), course.get("enrollment_date")
    lymphodepletion = (course.get("lymphodepletion") or {}).get("start_date")
    infused = first_infusion_date(course)
    if born and enrolled and born >= enrolled:
        yield Problem(
            "birth_date",
            "Date of birth must be before enrolment (%(enrolled)s)",
            params={"enrolled": enrolled},
        )
    if enrolled and lymphodepletion and lymphodepletion < enrolled:
        yield Problem(
            "lymphodepletion.start_date",
            "Lymphodepletion cannot start before enrolment (%(enrolled)s)",
            params={"enrolled": enrolled},
        )
    yield from _infusions_after_lymphodepletion(course)
    for path, infusion in _items(course, "infusions"):
        when = infusion.get("date")
        if when and enrolled and when < enrolled:
            yield Problem(
                f"{path}.date",
                "Infusion cannot be before enrolment (%(enrolled)s)",
                params={"enrolled": enrolled},
            )
    if infused and born and infused <= born:
        yield Problem(
            "birth_date",
            "Date of birth must be before the infusion (%(infused)s)",
            params={"infused": infused},
        )


def _infusions_after_lymphodepletion(course: dict) -> Iterator[Problem]:
    """The cells are given after lymphodepletion has ended (the seed protocol: three days
    of fludarabine, with or without cyclophosphamide, before the infusion)."""
    lymphodepletion = course.get("lymphodepletion") or {}
    start, days = lymphodepletion.get("start_date"), lymphodepletion.get("days")
    if not start:
        return
    # Without its number of days (or with one out of range, refused at its field) only the
    # start is known; counting an out-of-range number of days could overflow a date.
    if isinstance(days, int) and 1 <= days <= MAX_LYMPHODEPLETION_DAYS:
        last = start + timedelta(days=days - 1)
        rule = f"after the last day of lymphodepletion (%(last)s; {days} days from %(start)s)"
    else:
        last, rule = start, "after the start of lymphodepletion (%(start)s)"
    for path, infusion in _items(course, "infusions"):
        when = infusion.get("date")
        if when and when <= last:
            yield Problem(
                f"{path}.date",
                f"Infusion date must be {rule}",
                params={"last": last, "start": start},
            )


def _diagnosis(course: dict, protocol: Protocol) -> Iterator[Problem]:
    """The B-ALL is diagnosed before it is treated; a prior therapy may start on the day of
    the diagnosis, the CAR-T infusion comes after it."""
    diagnosed = course.get("diagnosis_date")
    if not diagnosed:
        return
    if problem := _not_before(
        course, "diagnosis_date", "birth_date", "Date of diagnosis cannot be before birth"
    ):
        yield problem
    for path, therapy in _items(course, "prior_therapies"):
        when = therapy.get("date")
        if when and when < diagnosed:
            yield Problem(
                f"{path}.date",
                "A prior therapy cannot be before the diagnosis (%(diagnosed)s)",
                params={"diagnosed": diagnosed},
            )
    infused = first_infusion_date(course)
    if infused and infused <= diagnosed:
        yield Problem(
            "diagnosis_date",
            "Date of diagnosis must be before the infusion (%(infused)s)",
            params={"infused": infused},
        )


def _not_before(course: dict, key: str, earlier: str, refusal: str) -> Problem | None:
    """The date `key` before the date `earlier`, refused at `key` in the words of `refusal`
    followed by the earlier date; None when it is not before it."""
    day, limit = course.get(key), course.get(earlier)
    if day and limit and day < limit:
        return Problem(key, refusal + " (%(limit)s)", params={"limit": limit})
    return None


def _prior_therapies(course: dict, protocol: Protocol) -> Iterator[Problem]:
    infused = first_infusion_date(course)
    for path, therapy in _items(course, "prior_therapies"):
        when = therapy.get("date")
        if when and infused and when >= infused:
            yield Problem(
                f"{path}.date",
                "A prior therapy must be before the infusion (%(infused)s)",
                params={"infused": infused},
            )
        relapse = therapy.get("relapse_date")
        if relapse and infused and relapse > infused:
            yield Problem(
                f"{path}.relapse_date",
                "Relapse after a prior therapy must be before the infusion (%(infused)s)",
                params={"infused": infused},
            )


def _had_transplant_before(course: dict, when: date) -> bool:
    return any(
        therapy.get("kind") == PriorTherapyKind.ALLO_HCT
        and therapy.get("date")
        and therapy["date"] < when
        for therapy in course.get("prior_therapies") or []
    )


def dose_ceiling(course: dict, protocol: Protocol, when: date) -> tuple[int, str]:
    """The protocol's dose ceiling (cells/kg) for an infusion on `when`, and for whom it is
    (in words: "patients ...")."""
    if _had_transplant_before(course, when):
        return protocol.dose_ceiling_post_hct_per_kg, "after an allogeneic transplant"
    return protocol.dose_ceiling_per_kg, "without a prior allogeneic transplant"


def _doses(course: dict, protocol: Protocol) -> Iterator[Problem]:
    for path, infusion in _items(course, "infusions"):
        dose, when = infusion.get("cells_per_kg"), infusion.get("date")
        if dose is None or when is None:
            continue
        ceiling, who = dose_ceiling(course, protocol, when)
        if dose > ceiling:
            yield Problem(
                f"{path}.cells_per_kg",
                f"Dose {dose:,} cells/kg is above the protocol's ceiling of {ceiling:,} cells/kg "
                f"for patients {who}",
            )


def last_contact_after_death(course: dict) -> date | None:
    """Last contact once a death is recorded: the date of death, which it follows when the
    death is recorded or moved (registry.services writes it); the course's own otherwise."""
    return _death_date(course) or course.get("last_contact_date")


def last_contact_after_events(course: dict) -> date | None:
    """Last contact once a follow-up event is recorded on the pages, in the admin or through
    the API: the date of death, as last_contact_after_death; else the latest of the course's
    own and its events' dates, as the patient was seen at an event (registry.services
    writes it). A cohort document's last contact is read as given."""
    dated = _event_dates(course)
    contact = course.get("last_contact_date")
    return _death_date(course) or max([*dated, contact] if contact else dated, default=None)


def _event_dates(course: dict) -> list[date]:
    return [event["date"] for event in course.get("events") or [] if event.get("date")]


def _death_date(course: dict) -> date | None:
    deaths = _deaths(course)
    return deaths[0][1].get("date") if deaths else None


def _deaths(course: dict) -> list[tuple[str, dict]]:
    return [
        (path, event)
        for path, event in _items(course, "events")
        if event.get("kind") == EventKind.DEATH
    ]


def _events(course: dict, protocol: Protocol) -> Iterator[Problem]:
    infused = first_infusion_date(course)
    for path, event in _items(course, "events"):
        when, kind = event.get("date"), event.get("kind", "event")
        if when and infused and when < infused:
            yield Problem(
                f"{path}.date",
                # A "%" in a kind read from a document is text, not a placeholder.
                f"{kind.replace('_', ' ').replace('%', '%%')} is before the infusion (%(infused)s)",
                params={"infused": infused},
            )
        if (
            kind == EventKind.RELAPSE
            and when
            and infused
            and not _responded_by(course, infused, when)
        ):
            yield Problem(
                f"{path}.kind",
                "A relapse needs an earlier response assessment of CR or CRi",
            )
    for path, _death in _deaths(course)[1:]:
        yield Problem(f"{path}.kind", "A patient can die only once; remove the second death")


def _responded_by(course: dict, infused: date, when: date) -> bool:
    return any(
        assessment.get("status") in RESPONDER_STATUSES
        and assessment.get("day") is not None
        and infused + timedelta(days=assessment["day"]) <= when
        for assessment in course.get("response_assessments") or []
    )


def _after_death(course: dict, protocol: Protocol) -> Iterator[Problem]:
    deaths = _deaths(course)
    if not deaths or not deaths[0][1].get("date"):
        return
    died, cause = deaths[0][1]["date"], f"{deaths[0][0]}.date"
    params = {"died": died}
    after = "would fall after the death (%(died)s)"
    for path, event in _items(course, "events"):
        if event.get("date") and event["date"] > died:
            yield Problem(
                f"{path}.date",
                "Nothing can happen after the death (%(died)s)",
                cause,
                after,
                params,
            )
    infused = first_infusion_date(course)
    if infused:
        death_day = (died - infused).days
        after = f"would fall after the death (day {death_day}, %(died)s)"
        for section in DAY_KEYS:
            for path, item in _items(course, section):
                if item.get("day") is not None and item["day"] > death_day:
                    yield Problem(
                        f"{path}.day",
                        f"Day {item['day']} is after the death (day {death_day}, %(died)s)",
                        cause,
                        after,
                        params,
                    )
    contact = course.get("last_contact_date")
    if contact and contact != died:
        yield Problem(
            "last_contact_date",
            "A death is recorded on %(died)s, so last contact is the date of death and moves "
            "with it: to change it, change the date of the death",
            params=params,
        )


def _last_contact(course: dict, protocol: Protocol) -> Iterator[Problem]:
    contact = course.get("last_contact_date")
    # Last contact at the death is checked as the death: after the infusion, with nothing
    # after it (`_events`, `_after_death`), not a second time in other words.
    if not contact or contact == _death_date(course):
        return
    # The patient was seen at enrolment (after birth: _enrolment).
    if problem := _not_before(
        course, "last_contact_date", "enrollment_date", "Last contact cannot be before enrolment"
    ):
        yield problem
        return
    dated = _event_dates(course)
    infused = first_infusion_date(course)
    if infused:
        dated.append(infused)
    latest = max(dated, default=None)
    if latest and contact < latest:
        yield Problem(
            "last_contact_date",
            "Last contact cannot be before the last recorded event (%(latest)s)",
            params={"latest": latest},
        )


def _days(course: dict, protocol: Protocol) -> Iterator[Problem]:
    """One record per day, and for CAR-T counts and lab values per specimen and analyte;
    a toxicity treatment may be given several times a day."""
    for section, twice in ONE_A_DAY.items():
        seen = set()
        for path, item in _items(course, section):
            key = (item.get("day"), item.get("specimen"), item.get("analyte"))
            if key in seen:
                yield Problem(f"{path}.day", twice(item))
            seen.add(key)


def _day_twice(item: dict) -> str:
    return f"Day {item.get('day')} is entered twice"


def _car_t_count_twice(item: dict) -> str:
    specimen = item.get("specimen") or PERIPHERAL_BLOOD
    if specimen == PERIPHERAL_BLOOD:
        return _day_twice(item)
    return f"{_day_twice(item)} for the {SPECIMENS.get(specimen, specimen)}"


def _lab_value_twice(item: dict) -> str:
    analyte, specimen = item.get("analyte"), item.get("specimen") or PERIPHERAL_BLOOD
    name = ANALYTES[analyte].name if analyte in ANALYTES else analyte
    return (
        f"{name} in {SPECIMENS.get(specimen, specimen)} on day {item.get('day')} is entered "
        "twice: a day holds one value of an analyte in a specimen"
    )


ONE_A_DAY = {
    "car_t_counts": _car_t_count_twice,
    "labs": _lab_value_twice,
    "daily_assessments": _day_twice,
    "response_assessments": _day_twice,
}


def _treatments_recorded(course: dict, protocol: Protocol) -> Iterator[Problem]:
    """Where dated toxicity treatments are recorded, the recorded toxicities' yes/no of
    each treatment says the same (cohort format 1.1); left empty, it is filled in from
    them (ToxicityRecord.fill_in_treatments, the cohort import)."""
    treatments = [item.get("treatment") for _, item in _items(course, "toxicity_treatments")]
    recorded = course.get("toxicities") or {}
    if not treatments or not recorded:
        return
    for flag, given in treatment_flags(treatments).items():
        said = recorded.get(flag)
        if said is not None and said != given:
            name = TOXICITY_TREATMENTS[TREATMENT_FLAGS[flag]]
            yield Problem(
                f"toxicities.{flag}",
                f"{name}: the toxicity treatments record {'a dose' if given else 'none'}, "
                f"so the recorded toxicities must say {'yes' if given else 'no'}",
            )


def _days_to_come(course: dict, protocol: Protocol) -> Iterator[Problem]:
    """A day after the infusion is a date too, and no later than tomorrow (UTC) either."""
    infused, latest = first_infusion_date(course), latest_date()
    # An infusion after tomorrow is refused by its own date's range; its days are not.
    if not infused or infused > latest:
        return
    # Compared in days, never as dates: a day far out of range would overflow a date.
    last_day = (latest - infused).days
    for section in DAY_KEYS:
        for path, item in _items(course, section):
            day = item.get("day")
            if day is not None and day > last_day:
                yield Problem(
                    f"{path}.day",
                    f"Day {day} is in the future: after the infusion on %(infused)s, "
                    f"day {last_day} is the latest day that can be recorded",
                    params={"infused": infused},
                )

"""Every rule across a patient's course: a valid course has no problem, each mistake one."""

from datetime import UTC, date, datetime, timedelta

import pytest

from registry.problems import Problem, grouped
from registry.rules import Protocol, course_problems

PROTOCOL = Protocol(dose_ceiling_post_hct_per_kg=500_000, dose_ceiling_per_kg=5_000_000)


def valid_course() -> dict:
    return {
        "sex": "male",
        "birth_date": date(2000, 5, 1),
        "enrollment_date": date(2020, 1, 2),
        "last_contact_date": date(2020, 12, 1),
        "eligibility": None,
        "genetics": None,
        "toxicities": None,
        "lymphodepletion": {"start_date": date(2020, 1, 10), "days": 3},
        "prior_therapies": [
            {
                "kind": "murine_cd19_cart",
                "date": date(2019, 3, 1),
                "relapse_date": date(2019, 9, 1),
            },
            {"kind": "allo_hct", "date": date(2019, 6, 1), "relapse_date": None},
        ],
        "infusions": [{"date": date(2020, 1, 15), "cells_per_kg": 240_000}],
        "car_t_counts": [{"day": 7, "cells_per_ul": 5.2}, {"day": 14, "cells_per_ul": 1.0}],
        "daily_assessments": [{"day": 1}, {"day": 2}],
        "response_assessments": [{"day": 30, "status": "cr"}],
        "events": [
            {"kind": "allo_hct", "date": date(2020, 3, 1)},
            {"kind": "relapse", "date": date(2020, 6, 1)},
        ],
    }


def test_it_finds_nothing_wrong_with_a_valid_course():
    assert course_problems(valid_course(), PROTOCOL) == []


def change(course: dict, path: str, value) -> dict:
    """Set course[path] where path is like 'events.1.date' or 'lymphodepletion.start_date'."""
    target = course
    *parents, last = path.split(".")
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    target[int(last) if last.isdigit() else last] = value
    return course


MISTAKES = [
    # (what is changed, new value, the problem's path, words from its message)
    ("birth_date", date(2020, 1, 5), "birth_date", "Date of birth must be before enrolment"),
    (
        "lymphodepletion.start_date",
        date(2019, 12, 30),
        "lymphodepletion.start_date",
        "before enrolment (2020-01-02)",
    ),
    (
        "lymphodepletion.start_date",
        date(2020, 1, 15),
        "infusions[0].date",
        "Infusion date must be after the last day of lymphodepletion "
        "(2020-01-17; 3 days from 2020-01-15)",
    ),
    (
        "lymphodepletion.start_date",
        date(2020, 1, 13),
        "infusions[0].date",
        "after the last day of lymphodepletion (2020-01-15; 3 days from 2020-01-13)",
    ),
    (
        "lymphodepletion.days",
        6,
        "infusions[0].date",
        "after the last day of lymphodepletion (2020-01-15; 6 days from 2020-01-10)",
    ),
    ("prior_therapies.0.date", date(2020, 1, 20), "prior_therapies[0].date", "before the infusion"),
    (
        "prior_therapies.0.relapse_date",
        date(2020, 2, 1),
        "prior_therapies[0].relapse_date",
        "before the infusion",
    ),
    (
        "infusions.0.cells_per_kg",
        500_001,
        "infusions[0].cells_per_kg",
        "ceiling of 500,000 cells/kg for patients after an allogeneic transplant",
    ),
    ("events.0.date", date(2020, 1, 14), "events[0].date", "allo hct is before the infusion"),
    ("events.1.date", date(2020, 2, 1), "events[1].kind", "needs an earlier response"),
    ("response_assessments.0.status", "nr", "events[1].kind", "needs an earlier response"),
    ("car_t_counts.1.day", 7, "car_t_counts[1].day", "Day 7 is entered twice"),
    ("daily_assessments.1.day", 1, "daily_assessments[1].day", "Day 1 is entered twice"),
    ("last_contact_date", date(2020, 5, 1), "last_contact_date", "before the last recorded event"),
    # Found walking the pages: both were saved.
    ("diagnosis_date", date(1999, 1, 1), "diagnosis_date", "cannot be before birth (2000-05-01)"),
    (
        "last_contact_date",
        date(2019, 12, 1),
        "last_contact_date",
        "Last contact cannot be before enrolment (2020-01-02)",
    ),
]


@pytest.mark.parametrize(("where", "value", "path", "words"), MISTAKES)
def test_it_names_each_mistake(where, value, path, words):
    problems = course_problems(change(valid_course(), where, value), PROTOCOL)

    assert [problem.path for problem in problems] == [path]
    assert words in problems[0].message


def test_it_refuses_an_infusion_before_enrolment():
    course = valid_course()
    course["lymphodepletion"] = None
    course["enrollment_date"] = date(2020, 1, 16)

    problems = course_problems(course, PROTOCOL)

    assert [p.path for p in problems] == ["infusions[0].date"]
    assert problems[0].message == "Infusion cannot be before enrolment (2020-01-16)"


def test_it_allows_the_higher_ceiling_without_a_prior_transplant():
    course = valid_course()
    course["prior_therapies"].pop()
    course["infusions"][0]["cells_per_kg"] = 5_000_000
    assert course_problems(course, PROTOCOL) == []

    course["infusions"][0]["cells_per_kg"] = 5_000_001
    assert [p.path for p in course_problems(course, PROTOCOL)] == ["infusions[0].cells_per_kg"]


def test_it_ignores_a_transplant_after_the_infusion_for_the_dose_ceiling():
    course = valid_course()
    course["prior_therapies"][1]["date"] = date(2020, 1, 20)
    course["infusions"][0]["cells_per_kg"] = 1_000_000

    paths = [p.path for p in course_problems(course, PROTOCOL)]

    assert "infusions[0].cells_per_kg" not in paths


def with_death(course: dict, died: date) -> dict:
    course["events"].append({"kind": "death", "date": died, "cause": "disease"})
    course["last_contact_date"] = died
    return course


def test_it_accepts_a_death_as_the_last_event():
    assert course_problems(with_death(valid_course(), date(2020, 7, 1)), PROTOCOL) == []


def test_it_refuses_a_second_death():
    course = with_death(valid_course(), date(2020, 7, 1))
    course["events"].append({"kind": "death", "date": date(2020, 7, 1), "cause": "disease"})

    assert [p.path for p in course_problems(course, PROTOCOL)] == ["events[3].kind"]


def test_it_refuses_events_after_a_death():
    course = with_death(valid_course(), date(2020, 5, 1))

    problems = course_problems(course, PROTOCOL)

    assert [p.path for p in problems] == ["events[1].date"]
    assert problems[0].message == "Nothing can happen after the death (2020-05-01)"


@pytest.mark.parametrize("section", ["car_t_counts", "daily_assessments", "response_assessments"])
def test_it_refuses_observations_after_a_death(section):
    course = valid_course()
    course["events"] = [{"kind": "death", "date": date(2020, 2, 20), "cause": "disease"}]
    course["last_contact_date"] = date(2020, 2, 20)
    course[section].append({"day": 40, "status": "nr"})

    problems = course_problems(course, PROTOCOL)

    assert [p.path for p in problems] == [f"{section}[{len(course[section]) - 1}].day"]
    assert "after the death (day 36, 2020-02-20)" in problems[0].message


def test_it_requires_last_contact_on_the_date_of_death():
    course = with_death(valid_course(), date(2020, 7, 1))
    course["last_contact_date"] = date(2020, 8, 1)

    problems = course_problems(course, PROTOCOL)

    assert [p.path for p in problems] == ["last_contact_date"]
    assert problems[0].message == (
        "A death is recorded on 2020-07-01, so last contact is the date of death and moves "
        "with it: to change it, change the date of the death"
    )


def test_it_checks_nothing_it_cannot_date():
    course = valid_course()
    course["infusions"] = []
    course["lymphodepletion"] = None
    course["events"] = [{"kind": "relapse", "date": None}]

    assert course_problems(course, PROTOCOL) == []


def infused_days_ago(days: int) -> dict:
    """The valid course moved in time: infused `days` days before today (UTC), with
    nothing recorded after the infusion."""
    infused = datetime.now(UTC).date() - timedelta(days=days)
    nothing = {
        "events": [],
        "car_t_counts": [],
        "daily_assessments": [],
        "response_assessments": [],
    }
    course = valid_course() | nothing
    course["last_contact_date"] = infused
    course["infusions"][0]["date"] = infused
    course["lymphodepletion"]["start_date"] = infused - timedelta(days=5)
    return course


@pytest.mark.parametrize("section", ["car_t_counts", "daily_assessments", "response_assessments"])
def test_it_accepts_a_day_up_to_tomorrow_and_refuses_the_day_after(section):
    course = infused_days_ago(10)
    course[section] = [{"day": 11, "status": "nr"}]
    assert course_problems(course, PROTOCOL) == []

    course[section] = [{"day": 12, "status": "nr"}, {"day": 10**12, "status": "nr"}]
    problems = course_problems(course, PROTOCOL)

    assert [p.path for p in problems] == [f"{section}[0].day", f"{section}[1].day"]
    assert problems[0].message == (
        f"Day 12 is in the future: after the infusion on {course['infusions'][0]['date']}, "
        "day 11 is the latest day that can be recorded"
    )
    # An infusion after tomorrow: its own date is refused, its days are not as well.
    assert course_problems(infused_days_ago(-2) | {section: [{"day": 1}]}, PROTOCOL) == []


def death_before_the_infusion() -> dict:
    """Died the day before the infusion: every day after it and the later events follow."""
    course = with_death(valid_course(), date(2020, 1, 14))
    course["daily_assessments"] = [{"day": day} for day in range(1, 15)]
    course["response_assessments"] = [{"day": 7, "status": "cr"}]
    return course


def test_it_says_once_per_section_what_a_wrong_death_date_makes_of_the_rest():
    problems = grouped(course_problems(death_before_the_infusion(), PROTOCOL), saved=["events[2]"])

    after = "would fall after the death (day -1, 2020-01-14)"
    assert [(p.path, p.message) for p in problems] == [
        ("events[2].date", "death is before the infusion (2020-01-15)"),
        ("events[2].date", "2 follow-up events would fall after the death (2020-01-14)"),
        ("events[2].date", f"2 CAR-T counts {after}"),
        ("events[2].date", f"14 daily assessments {after}"),
        ("events[2].date", f"1 response assessment {after}"),
    ]


def test_it_says_one_by_one_the_problems_of_the_record_saved():
    course = death_before_the_infusion()

    problems = grouped(course_problems(course, PROTOCOL), saved=["daily_assessments[13]"])

    assert ("daily_assessments[13].day", "Day 14 is after the death (day -1, 2020-01-14)") in [
        (p.path, p.message) for p in problems
    ]
    assert (
        "events[2].date",
        "13 daily assessments would fall after the death (day -1, 2020-01-14)",
    ) in [(p.path, p.message) for p in problems]


def test_it_says_a_group_at_its_section_for_a_whole_course():
    problems = grouped(course_problems(death_before_the_infusion(), PROTOCOL))

    assert (
        "daily_assessments",
        "14 daily assessments would fall after the death (day -1, 2020-01-14)",
    ) in [(p.path, p.message) for p in problems]
    assert len(problems) == 5


def test_it_says_a_problem_once():
    problem = Problem("events[0].date", "allo hct is before the infusion (2020-01-15)")

    assert grouped([problem, problem]) == [problem]

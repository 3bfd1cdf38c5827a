"""The stored follow-up schedule (registry.schedule): each patient's visits made again by
every write, and their status read for a day and a clinical cut-off.

The hand-worked dates are those of tests/registry/test_follow_up.py: first infusion 15
January 2020; day 28 (± 3 days) has its window from 9 to 15 February 2020.
"""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from registry import schedule, services
from registry.models import Patient, Timepoint, Visit
from tests import factories

INFUSED = factories.INFUSION_DATE
BEFORE, INSIDE, AFTER = date(2020, 2, 1), date(2020, 2, 12), date(2020, 2, 20)


@pytest.fixture
def day_28(db) -> Timepoint:
    """The home study with one timepoint, day 28, expecting a response assessment."""
    return factories.day_28_only()


def infused() -> Patient:
    return factories.InfusionFactory().patient


def status(patient: Patient, on: date, cutoff: date | None = None) -> tuple[str, str]:
    visits = schedule.with_status(Visit.objects.filter(patient=patient), cutoff, on)
    (found,) = visits
    return found.status, found.reason


def test_a_new_study_gets_the_default_schedule(db):
    study = factories.StudyFactory(code="NEW")
    names = list(study.timepoints.values_list("name", flat=True))
    assert names == [name for name, *_ in schedule.DEFAULT_TIMEPOINTS]
    day_7 = study.timepoints.get(name="Day 7")
    assert day_7.sections == ["daily_assessments", "car_t_counts"]


@pytest.mark.parametrize(
    ("on", "expected"),
    [(BEFORE, "upcoming"), (INSIDE, "due"), (date(2020, 2, 15), "due"), (AFTER, "overdue")],
)
def test_an_open_timepoint_is_upcoming_due_then_overdue(day_28, on, expected):
    assert status(infused(), on) == (expected, "")


def test_a_response_early_inside_the_window_does_it(day_28):
    patient = infused()
    factories.ResponseAssessmentFactory(patient=patient, day=25)
    assert status(patient, AFTER) == ("done", "")


def test_a_response_late_outside_the_window_leaves_it_overdue(day_28):
    patient = infused()
    factories.ResponseAssessmentFactory(patient=patient, day=32)
    assert status(patient, AFTER) == ("overdue", "")


def test_a_death_before_the_window_makes_it_not_applicable(day_28):
    patient = infused()
    factories.FollowUpEventFactory(patient=patient, kind="death", date=date(2020, 2, 8))
    assert status(patient, AFTER) == ("not_applicable", "died")


def test_a_death_inside_the_window_leaves_it_expected(day_28):
    patient = infused()
    factories.FollowUpEventFactory(patient=patient, kind="death", date=date(2020, 2, 10))
    assert status(patient, AFTER) == ("overdue", "")


def test_a_withdrawal_before_the_window_makes_it_not_applicable(day_28):
    patient = infused()
    factories.FollowUpEventFactory(patient=patient, kind="withdrawal", date=date(2020, 2, 1))
    assert status(patient, AFTER) == ("not_applicable", "withdrawn")


@pytest.mark.parametrize(
    ("cutoff", "expected"),
    [
        (date(2020, 2, 8), ("not_applicable", "after the clinical cut-off")),
        (date(2020, 2, 9), ("overdue", "")),
    ],
)
def test_a_window_opening_after_the_cutoff_is_not_applicable(day_28, cutoff, expected):
    assert status(infused(), AFTER, cutoff) == expected


def test_a_patient_not_infused_yet_has_no_dates(day_28):
    patient = factories.PatientFactory()
    assert status(patient, AFTER) == ("upcoming", "not infused yet")
    assert Visit.objects.get(patient=patient).due_date is None


def test_each_status_filter_finds_the_visits_of_that_status(day_28):
    patients = [infused() for _ in range(4)]
    factories.ResponseAssessmentFactory(patient=patients[0], day=28)
    factories.FollowUpEventFactory(patient=patients[1], kind="death", date=date(2020, 1, 20))
    visits = schedule.with_status(Visit.objects.all(), None, AFTER)
    for name in schedule.STATUS_LABELS:
        found = visits.filter(schedule.status_filter(name, None, AFTER))
        assert {v.status for v in found} <= {name}
    counted = {
        name: visits.filter(schedule.status_filter(name, None, AFTER)).count()
        for name in schedule.STATUS_LABELS
    }
    assert counted == {"done": 1, "upcoming": 0, "due": 0, "overdue": 2, "not_applicable": 1}


def test_a_write_through_the_services_moves_the_status(day_28, admin_user):
    patient = infused()
    assert status(patient, AFTER) == ("overdue", "")
    response = factories.ResponseAssessmentFactory.build(patient=patient, day=27, status="cr")
    services.record_save(record=response, user=admin_user)
    assert status(patient, AFTER) == ("done", "")
    services.record_delete(record=response, user=admin_user, reason="Entered on the wrong patient")
    assert status(patient, AFTER) == ("overdue", "")


def test_a_write_to_a_section_no_timepoint_expects_leaves_the_visits_as_they_are(
    day_28, admin_user
):
    patient = infused()
    made = list(Visit.objects.filter(patient=patient).values_list("pk", flat=True))
    lab = factories.LabResultFactory.build(patient=patient)
    services.record_save(record=lab, user=admin_user)
    assert list(Visit.objects.filter(patient=patient).values_list("pk", flat=True)) == made
    response = factories.ResponseAssessmentFactory.build(patient=patient, day=27, status="cr")
    services.record_save(record=response, user=admin_user)
    assert list(Visit.objects.filter(patient=patient).values_list("pk", flat=True)) != made


def test_moving_the_infusion_moves_the_window(day_28):
    infusion = factories.InfusionFactory()
    infusion.date = INFUSED + timedelta(days=10)
    infusion.save()
    assert Visit.objects.get(patient=infusion.patient).due_date == date(2020, 2, 22)


def test_a_timepoint_changed_in_the_settings_reschedules_the_study(day_28):
    patient = infused()
    day_28.target_day, day_28.window_before, day_28.window_after = 30, 0, 0
    day_28.save()
    assert Visit.objects.get(patient=patient).due_date == date(2020, 2, 14)
    Timepoint.objects.create(study=day_28.study, name="Month 3", target_day=91, sections=["events"])
    assert Visit.objects.filter(patient=patient).count() == 2
    day_28.delete()
    assert Visit.objects.filter(patient=patient).count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"window_before": -1},
            "window_before",
            "The window before the target day cannot be negative",
        ),
        (
            {"window_after": -2},
            "window_after",
            "The window after the target day cannot be negative",
        ),
        (
            # Beyond what the database holds, Django said "Ensure this value is less than
            # or equal to 2147483647."
            {"window_after": 2**31},
            "window_after",
            "The window after the target day (days) cannot be more than 3,650",
        ),
        ({"sections": ["visits"]}, "sections", "Unknown section: visits. Choose among:"),
        ({"sections": []}, "sections", "Name at least one section"),
        ({"sections": ["labs", "labs"]}, "sections", "Name each section once"),
        ({"name": "Day 28"}, "__all__", "This study already has a timepoint with this name"),
    ],
)
def test_it_refuses_a_bad_timepoint_in_words(day_28, changes, field, message):
    values = {"study": day_28.study, "name": "Day 30", "target_day": 30, "sections": ["labs"]}
    timepoint = Timepoint(**(values | changes))
    with pytest.raises(ValidationError) as refused:
        timepoint.full_clean()
    assert any(message in text for text in refused.value.message_dict[field])


def test_completeness_counts_the_timepoints_expected_by_now(day_28):
    done, overdue = infused(), infused()
    factories.ResponseAssessmentFactory(patient=done, day=28)
    not_yet = factories.PatientFactory()
    assert not_yet.visits.count() == 1
    study = day_28.study
    rows = schedule.completeness(study, study.sites.all(), None, AFTER)
    assert overdue.visits.count() == 1
    assert [(r.label, r.done, r.expected) for r in rows] == [
        ("Beijing Boren Hospital", 1, 2),
        ("All sites", 1, 2),
    ]


def test_the_command_computes_the_visits_of_patients_stored_before(day_28):
    patient = infused()
    Visit.objects.filter(patient=patient).delete()
    out = StringIO()
    call_command("schedule_refresh", "HCD19", stdout=out)
    assert out.getvalue() == "Visits computed for 1 patients\n"
    assert status(patient, INSIDE) == ("due", "")


def test_the_command_names_a_study_it_does_not_know(db):
    with pytest.raises(CommandError, match="No study 'NOPE'"):
        call_command("schedule_refresh", "NOPE")

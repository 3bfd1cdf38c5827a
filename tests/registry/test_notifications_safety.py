"""A CRS or ICANS grade of 3 or more, new to a record, recorded by the site or computed
from a day's observations, emails the study's administrators once the save commits."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.urls import reverse

from registry import models, services
from registry.models import Role
from registry.notifications import preference_save
from tests import factories
from tests.htmx import HTMX
from tests.notifications import addressed, clinician_at, inboxes, with_address

pytestmark = pytest.mark.django_db

ADMIN = "studyadmin@hospital.example"
# ASTCT CRS (registry.grading): fever with one vasopressor is grade 3, with hypotension and
# no vasopressor grade 2, fever alone grade 1.
CRS_3 = {"temperature_c": 39.0, "vasopressors": 1}
CRS_2 = {"temperature_c": 39.0, "hypotension": True}


@pytest.fixture
def people(owner, teammate, outsider):
    boren = factories.SiteFactory()
    other = factories.SiteFactory(study=factories.StudyFactory(code="OTHER"), code="ELSEWHERE")
    clinician = clinician_at("boren", boren)
    # A grade the site has not recorded also opens a data query of the registry's own
    # (registry.quality_rules), which emails the site: not what these tests are about.
    preference_save(user=clinician, values={"query_opened": False})
    return {
        "admin": addressed("studyadmin", Role.ADMIN, boren),
        "other_admin": addressed("otheradmin", Role.ADMIN, other),
        "clinician": clinician,
        "coordinator": with_address(owner),
        "monitor": with_address(teammate),
        "outsider": with_address(outsider),
    }


@pytest.fixture
def patient():
    patient = factories.PatientFactory(subject_id="P007")
    factories.InfusionFactory(patient=patient)
    return patient


def assessed(patient, user, day=3, **findings) -> models.DailyAssessment:
    record = models.DailyAssessment(patient=patient, day=day, **findings)
    services.record_save(record=record, user=user)
    return record


def changed(record, user, **values) -> None:
    services.record_update(record=record, values=values, user=user, reason="Corrected")


def test_a_computed_crs_grade_3_emails_the_studys_administrators_only(
    people, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assessed(patient, people["clinician"], **CRS_3)

    assert list(inboxes()) == [ADMIN]
    message = mail.outbox[0]
    assert message.subject == "[Registry] HCD19: safety signal, CRS grade 3, patient P007"
    assert "computed from the assessment of day 3 (grade 3: one vasopressor)" in message.body
    assert "2000" not in message.body  # the date of birth


def test_a_computed_icans_grade_emails_too(people, patient, django_capture_on_commit_callbacks):
    # An ICE score of 0-2 is ICANS grade 3; 36.5 °C is no fever, so no CRS.
    with django_capture_on_commit_callbacks(execute=True):
        assessed(patient, people["clinician"], temperature_c=36.5, ice_score=2)

    assert [message.subject for message in mail.outbox] == [
        "[Registry] HCD19: safety signal, ICANS grade 3, patient P007"
    ]


def test_both_at_once_are_one_email(people, patient, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assessed(patient, people["clinician"], ice_score=0, seizure="prolonged", **CRS_3)

    assert len(mail.outbox) == 1
    assert "CRS grade 3 and ICANS grade 4" in mail.outbox[0].subject


def test_a_grade_below_3_sends_nothing(people, patient, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assessed(patient, people["clinician"], **CRS_2)

    assert mail.outbox == []


def test_a_grade_rising_to_3_sends_and_staying_there_does_not(
    people, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record = assessed(patient, people["clinician"], **CRS_2)
    with django_capture_on_commit_callbacks(execute=True):
        changed(record, people["clinician"], vasopressors=1)
    assert len(mail.outbox) == 1

    with django_capture_on_commit_callbacks(execute=True):
        changed(record, people["clinician"], temperature_c=39.5)
    with django_capture_on_commit_callbacks(execute=True):
        changed(record, people["clinician"], vasopressors=2)  # grade 4, already severe

    assert len(mail.outbox) == 1


def test_another_day_of_severe_crs_is_another_signal(
    people, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assessed(patient, people["clinician"], day=3, **CRS_3)
        assessed(patient, people["clinician"], day=4, **CRS_3)

    assert len(mail.outbox) == 2


def test_a_recorded_maximum_grade_of_3_sends_once(
    people, patient, django_capture_on_commit_callbacks
):
    record = models.ToxicityRecord(patient=patient, crs_max_grade=2, icans_max_grade=0)
    with django_capture_on_commit_callbacks(execute=True):
        services.record_save(record=record, user=people["clinician"])
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        changed(record, people["clinician"], icans_max_grade=3)
    with django_capture_on_commit_callbacks(execute=True):
        changed(record, people["clinician"], icans_max_grade=4)

    assert [message.subject for message in mail.outbox] == [
        "[Registry] HCD19: safety signal, ICANS grade 3, patient P007"
    ]
    assert "the maximum ICANS grade recorded by the site" in mail.outbox[0].body


def test_an_administrator_who_turned_it_off_gets_none(
    people, patient, django_capture_on_commit_callbacks
):
    preference_save(user=people["admin"], values={"safety_signal": False})

    with django_capture_on_commit_callbacks(execute=True):
        assessed(patient, people["clinician"], **CRS_3)

    assert mail.outbox == []


def test_a_save_rolled_back_sends_nothing(people, patient, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            assessed(patient, people["clinician"], **CRS_3)
            raise RuntimeError("the request failed after the save")

    assert mail.outbox == []


def test_a_refused_save_sends_nothing(people, patient, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        assessed(patient, people["clinician"], temperature_c=60, vasopressors=1)

    assert mail.outbox == []


FORM = {
    "day": "5",
    "temperature_c": "39.2",
    "vasopressors": "1",
    "oxygen": "none",
    "consciousness": "awake",
    "seizure": "none",
    "motor_weakness": "none",
    "cerebral_edema": "none",
}


@pytest.mark.django_db(transaction=True)
def test_a_grade_entered_on_the_page_or_in_the_api_emails_the_administrators(people, patient):
    page, api = Client(), Client()
    page.force_login(people["clinician"])
    api.force_login(people["coordinator"])

    added = page.post(
        reverse("web:section-add", args=[patient.pk, "daily_assessments"]), FORM, **HTMX
    )
    posted = api.post(
        f"/api/v1/patients/{patient.pk}/daily-assessments/",
        {"day": 6, "temperature_c": 38.5, "oxygen": "high_flow"},
        content_type="application/json",
    )

    assert added.status_code == 200 and posted.status_code == 201, posted.content
    assert sorted(patient.daily_assessments.values_list("day", flat=True)) == [5, 6]
    assert [len(messages) for messages in inboxes().values()] == [2]
    assert list(inboxes()) == [ADMIN]


@pytest.mark.django_db(transaction=True)
def test_an_outsider_or_a_clinician_of_another_site_writes_nothing_and_sends_nothing(
    people, patient
):
    pumc = factories.SiteFactory(code="PUMC")
    neighbour = clinician_at("pumc", pumc)
    for user in (people["outsider"], neighbour):
        client = Client()
        client.force_login(user)
        page = client.post(
            reverse("web:section-add", args=[patient.pk, "daily_assessments"]), FORM, **HTMX
        )
        api = client.post(
            f"/api/v1/patients/{patient.pk}/daily-assessments/",
            {"day": 6, **CRS_3},
            content_type="application/json",
        )
        assert page.status_code in (403, 404) and api.status_code in (403, 404), user

    assert not patient.daily_assessments.exists()
    assert mail.outbox == []

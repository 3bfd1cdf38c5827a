"""A data query opened on a patient emails the clinicians of the patient's site, and no one
else, once the query is saved."""

import logging
import socket

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse

from registry import notifications, services
from registry.models import DataQuery, Role
from registry.notifications import preference_save
from registry.queries import query_open
from tests import factories
from tests.notifications import addressed, clinician_at, inboxes, with_address

pytestmark = pytest.mark.django_db

QUESTION = "The source document says born 1961-04-02 at Mercy hospital: please check."


@pytest.fixture
def people(teammate, owner, outsider):
    boren = factories.SiteFactory()
    pumc = factories.SiteFactory(code="PUMC", name="Peking Union")
    other_study = factories.SiteFactory(study=factories.StudyFactory(code="OTHER"), code="ELSE")
    return {
        "boren": clinician_at("boren", boren),
        "boren2": clinician_at("boren2", boren),
        "pumc": clinician_at("pumc", pumc),
        "elsewhere": clinician_at("elsewhere", other_study),
        "admin": addressed("studyadmin", Role.ADMIN, boren),
        "monitor": with_address(teammate),
        "coordinator": with_address(owner),
        "outsider": with_address(outsider),
    }


@pytest.fixture
def patient():
    return factories.PatientFactory(subject_id="P042", birth_date="1961-04-02")


def opened(patient, user) -> DataQuery:
    return query_open(patient=patient, field="eligibility.ecog", question=QUESTION, user=user)


def test_it_emails_the_clinicians_of_the_patients_site(
    people, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        opened(patient, people["monitor"])

    assert sorted(inboxes()) == ["boren2@hospital.example", "boren@hospital.example"]
    message = mail.outbox[0]
    assert message.subject == "[Registry] HCD19: data query on patient P042"
    assert "It is about: Eligibility: ECOG performance status (eligibility.ecog)" in message.body
    assert reverse("web:patient-detail", args=[patient.pk]) in message.body


def test_it_tells_nothing_about_the_patient_beyond_the_study_id(
    people, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        opened(patient, people["monitor"])

    for message in mail.outbox:
        text = message.subject + message.body
        assert "1961" not in text and "Mercy" not in text and QUESTION not in text


def test_each_clinician_gets_an_email_of_their_own(
    people, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        opened(patient, people["monitor"])

    assert [len(message.to) for message in mail.outbox] == [1, 1]
    assert all(not message.cc and not message.bcc for message in mail.outbox)


def test_it_sends_nothing_before_the_query_is_saved(people, patient):
    # Without the commit (the test's transaction is never committed) nothing goes out.
    opened(patient, people["monitor"])

    assert mail.outbox == []


def test_a_query_rolled_back_sends_nothing(people, patient, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            opened(patient, people["monitor"])
            raise RuntimeError("the rest of the request failed")

    assert mail.outbox == []
    assert not DataQuery.objects.exists()


def test_it_catches_a_query_opened_by_other_code(
    people, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        DataQuery.objects.create(
            patient=patient, field="sex", question="Automatic check", raised_by=people["admin"]
        )

    assert sorted(inboxes()) == ["boren2@hospital.example", "boren@hospital.example"]


def test_a_clinician_who_turned_it_off_gets_none(
    people, patient, django_capture_on_commit_callbacks
):
    preference_save(user=people["boren"], values={"query_opened": False})

    with django_capture_on_commit_callbacks(execute=True):
        opened(patient, people["monitor"])

    assert list(inboxes()) == ["boren2@hospital.example"]


def test_turning_another_kind_off_keeps_this_one(
    people, patient, django_capture_on_commit_callbacks
):
    preference_save(user=people["boren"], values={"safety_signal": False})

    with django_capture_on_commit_callbacks(execute=True):
        opened(patient, people["monitor"])

    assert "boren@hospital.example" in inboxes()


def test_an_inactive_user_or_one_without_an_address_gets_none(
    people, patient, django_capture_on_commit_callbacks
):
    people["boren"].is_active = False
    people["boren"].save()
    people["boren2"].email = ""
    people["boren2"].save()

    with django_capture_on_commit_callbacks(execute=True):
        opened(patient, people["monitor"])

    assert mail.outbox == []


def test_writes_held_back_send_nothing(people, patient, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), notifications.held_back():
        opened(patient, people["monitor"])

    assert mail.outbox == []
    assert DataQuery.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_query_opened_on_the_page_or_in_the_api_emails_the_site(people, patient):
    page, api = Client(), Client()
    page.force_login(people["monitor"])
    api.force_login(people["coordinator"])

    page.post(reverse("web:query-open", args=[patient.pk]), {"field": "sex", "question": "?"})
    answered = api.post(
        f"/api/v1/patients/{patient.pk}/queries/",
        {"field": "eligibility.ecog", "question": "ECOG?"},
        content_type="application/json",
    )

    assert answered.status_code == 201, answered.content
    assert {to: len(messages) for to, messages in inboxes().items()} == {
        "boren@hospital.example": 2,
        "boren2@hospital.example": 2,
    }


@pytest.mark.django_db(transaction=True)
def test_an_outsider_or_a_clinician_of_another_site_opens_nothing_and_sends_nothing(
    people, patient
):
    for who in ("outsider", "pumc"):
        client = Client()
        client.force_login(people[who])
        page = client.post(reverse("web:query-open", args=[patient.pk]), {"field": "sex"})
        api = client.post(
            f"/api/v1/patients/{patient.pk}/queries/",
            {"field": "sex", "question": "?"},
            content_type="application/json",
        )
        assert (page.status_code, api.status_code) == (404, 404), who

    assert not DataQuery.objects.exists()
    assert mail.outbox == []


def closed_port() -> int:
    """A port on this machine where nothing listens: a mail server that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_a_mail_server_that_is_down_leaves_the_query_saved(people, patient, settings, caplog):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    client = Client()
    client.force_login(people["monitor"])

    with caplog.at_level(logging.ERROR, logger="registry.notifications"):
        response = client.post(
            reverse("web:query-open", args=[patient.pk]), {"field": "sex", "question": "?"}
        )

    assert response.status_code == 302
    assert DataQuery.objects.filter(patient=patient, field="sex").exists()
    assert "The query_opened email" in caplog.text and "could not be sent" in caplog.text


def test_a_query_the_registry_opens_itself_emails_the_site_too(
    people, patient, owner, django_capture_on_commit_callbacks
):
    # A tenth of the study's ceiling (5,000,000 cells/kg without a prior transplant) is
    # 500,000: 40,000 cells/kg is a value the registry asks about (registry.quality_rules).
    patient.refresh_from_db()
    infusion = factories.InfusionFactory.build(patient=patient, cells_per_kg=40_000)
    with django_capture_on_commit_callbacks(execute=True):
        services.record_save(record=infusion, user=owner)

    assert DataQuery.objects.filter(patient=patient, raised_by=None).exists()
    assert sorted(inboxes()) == ["boren2@hospital.example", "boren@hospital.example"]
    assert mail.outbox[0].subject == "[Registry] HCD19: data query on patient P042"


def test_an_import_opening_queries_sends_no_email_per_query(people, owner):
    with notifications.held_back():
        notifications.registry_queries_opened([1, 2, 3])
    assert mail.outbox == []

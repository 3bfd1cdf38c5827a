"""A cohort import sends its study's administrators one summary, not an email for each
query or severe grade among the records it writes."""

import json
from pathlib import Path

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client

from registry.interchange.importer import cohort_import
from registry.models import DataQuery, Role
from registry.notifications import import_summary, preference_save
from registry.quality_rules import MISSING_AT_TIMEPOINT
from registry.signals import cohort_imported
from tests import factories
from tests.notifications import addressed, clinician_at, inboxes, with_address

pytestmark = pytest.mark.django_db(transaction=True)

PUBLISHED = Path(__file__).parents[1] / "data" / "hcd19-published-cohort.json"
ADMIN = "studyadmin@hospital.example"


@pytest.fixture
def published() -> dict:
    return json.loads(PUBLISHED.read_text())


@pytest.fixture
def people(owner, teammate, outsider):
    boren = factories.SiteFactory()
    return {
        "admin": addressed("studyadmin", Role.ADMIN, boren),
        "clinician": clinician_at("boren", boren),
        "coordinator": with_address(owner),
        "monitor": with_address(teammate),
        "outsider": with_address(outsider),
    }


def test_it_sends_the_administrators_one_summary(people, published):
    cohort_import(data=published, user=people["coordinator"])

    assert list(inboxes()) == [ADMIN]
    (message,) = mail.outbox
    assert message.subject == "[Registry] HCD19: cohort import, 19 new and 0 changed patients"
    assert "saved by owner: 19 new patients, 0 changed" in message.body


def test_the_summary_names_the_patients_with_a_severe_grade_by_study_id_only(people, published):
    cohort_import(data=published, user=people["coordinator"])

    body = mail.outbox[0].body
    # The published cohort: one patient, P14, had grade 4 CRS; P09 and P11 grade 2.
    named = [line for line in body.splitlines() if line.startswith("- ")]
    assert named == ["- P14: CRS grade 4"]
    birth_dates = {patient["birth_date"] for patient in published["patients"]}
    assert not any(born in body for born in birth_dates)


def test_a_query_opened_during_the_import_sends_nothing_of_its_own(people, published):
    def check_after_import(sender, study, **kwargs):
        patient = study.patients.get(subject_id="P01")
        DataQuery.objects.create(
            patient=patient, field="sex", question="Automatic check", raised_by=people["admin"]
        )

    # A receiver of the import that opens a query, as a data-quality check would.
    cohort_imported.connect(check_after_import, dispatch_uid="test-checks")
    try:
        cohort_import(data=published, user=people["coordinator"])
    finally:
        cohort_imported.disconnect(dispatch_uid="test-checks")

    assert DataQuery.objects.filter(raised_by=people["admin"]).count() == 1
    # The registry's own checks opened queries in the import too (registry.quality).
    assert DataQuery.objects.filter(raised_by=None).exists()
    assert [message.subject for message in mail.outbox] == [
        "[Registry] HCD19: cohort import, 19 new and 0 changed patients"
    ]


def test_an_import_inside_another_transaction_sends_only_the_summary(people, published):
    # As registry.demo imports a synthetic cohort: the import's receivers run after the
    # outer transaction, and open the queries of sections missing at a closed window.
    with transaction.atomic():
        cohort_import(data=published, user=people["coordinator"])

    assert DataQuery.objects.filter(raised_by=None, rule=MISSING_AT_TIMEPOINT).exists()
    assert [message.subject for message in mail.outbox] == [
        "[Registry] HCD19: cohort import, 19 new and 0 changed patients"
    ]


def test_an_import_changing_nothing_names_no_patient(people, published):
    cohort_import(data=published, user=people["coordinator"])
    mail.outbox.clear()

    cohort_import(data=published, user=people["coordinator"])

    (message,) = mail.outbox
    assert "0 new patients, 0 changed" in message.body
    assert "No patient of this import has a CRS or ICANS grade of 3 or more" in message.body


def test_an_administrator_who_turned_it_off_gets_none(people, published):
    preference_save(user=people["admin"], values={"import_summary": False})

    cohort_import(data=published, user=people["coordinator"])

    assert mail.outbox == []


def test_with_no_administrator_to_tell_it_reads_no_patient(
    people, published, django_assert_num_queries
):
    preference_save(user=people["admin"], values={"import_summary": False})
    result = cohort_import(data=published, user=people["coordinator"])
    patient_ids = list(result.study.patients.values_list("pk", flat=True))

    # One query: whether an administrator wants the summary; no patient or grade is read.
    with django_assert_num_queries(1):
        sent = import_summary(sender=None, study=result.study, patient_ids=patient_ids)

    assert sent == 0
    assert mail.outbox == []


def test_an_import_through_the_api_sends_the_summary(people, published):
    client = Client()
    client.force_login(people["coordinator"])

    response = client.post("/api/v1/studies/import/", published, content_type="application/json")

    assert response.status_code in (200, 201), response.content
    assert list(inboxes()) == [ADMIN]


def test_an_outsider_or_a_clinician_imports_nothing_and_sends_nothing(people, published):
    for who in ("outsider", "clinician"):
        client = Client()
        client.force_login(people[who])
        response = client.post(
            "/api/v1/studies/import/", published, content_type="application/json"
        )
        assert response.status_code in (403, 404), who

    assert not factories.models.Patient.objects.exists()
    assert mail.outbox == []

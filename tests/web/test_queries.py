"""The data queries card on the patient page, its forms, and a study's queries by site."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from registry import queries
from registry.models import DataQuery
from tests import factories
from tests.clients import page_client_of
from tests.races import patient_deleted_first

pytestmark = pytest.mark.django_db


@pytest.fixture
def query(patient, teammate):
    return factories.DataQueryFactory(
        patient=patient, raised_by=teammate, field="eligibility.ecog", question="ECOG 3?"
    )


def page_of(patient) -> str:
    return reverse("web:patient-detail", args=[patient.pk])


def test_it_shows_the_patients_queries(query, patient, owner):
    html = page_client_of(owner).get(page_of(patient)).content.decode()

    assert "Open data queries" in html
    # Found walking the pages: the field was shown as its place alone.
    assert (
        "<strong>Eligibility: ECOG performance status</strong> "
        '<code class="muted small">eligibility.ecog</code>'
    ) in html
    assert "ECOG 3?" in html
    assert "Open</span>" in html


def test_it_offers_a_monitor_to_open_and_close_but_not_to_answer(query, patient, teammate):
    html = page_client_of(teammate).get(page_of(patient)).content.decode()

    assert f'action="{reverse("web:query-open", args=[patient.pk])}"' in html
    assert reverse("web:query-close", args=[patient.pk, query.pk]) in html
    assert reverse("web:query-answer", args=[patient.pk, query.pk]) not in html


def test_it_offers_the_sites_clinician_only_to_answer(signed_in, roles, query, patient):
    html = signed_in.get(page_of(patient)).content.decode()

    assert reverse("web:query-answer", args=[patient.pk, query.pk]) in html
    assert f'action="{reverse("web:query-open", args=[patient.pk])}"' not in html
    assert reverse("web:query-close", args=[patient.pk, query.pk]) not in html


def test_a_monitor_opens_a_query(patient, teammate):
    url = reverse("web:query-open", args=[patient.pk])
    body = {"field": "infusions[0].cells_per_kg", "question": "Above the ceiling?"}

    response = page_client_of(teammate).post(url, body, follow=True)

    assert response.redirect_chain[-1][0].endswith("#data-queries")
    assert (
        "Query opened on CAR-T infusions, record 1: dose (CAR-positive viable cells/kg)."
        in response.content.decode()
    )
    assert DataQuery.objects.get().raised_by == teammate


def test_it_names_an_unknown_field(patient, teammate):
    url = reverse("web:query-open", args=[patient.pk])

    response = page_client_of(teammate).post(url, {"field": "weight", "question": "?"}, follow=True)

    html = response.content.decode()
    assert "no field “weight”" in html
    assert not DataQuery.objects.exists()
    # Found walking the pages: what was typed was lost with the refusal.
    assert (
        'name="field" required placeholder="e.g. infusions[0].cells_per_kg" value="weight"' in html
    )
    assert '<textarea id="query-question" name="question" rows="2" required>?</textarea>' in html


def test_the_site_answers_and_the_monitor_closes(signed_in, roles, query, patient, teammate):
    answer_url = reverse("web:query-answer", args=[patient.pk, query.pk])
    close_url = reverse("web:query-close", args=[patient.pk, query.pk])

    assert signed_in.post(answer_url, {"answer": "ECOG 1 per clinic note"}).status_code == 302
    query.refresh_from_db()
    assert (query.status, query.answer) == ("answered", "ECOG 1 per clinic note")
    assert page_client_of(teammate).post(close_url).status_code == 302
    query.refresh_from_db()
    assert query.status == DataQuery.Status.CLOSED


def test_a_monitor_may_not_answer(query, patient, teammate):
    url = reverse("web:query-answer", args=[patient.pk, query.pk])

    assert page_client_of(teammate).post(url, {"answer": "Fine"}).status_code == 403
    query.refresh_from_db()
    assert query.status == DataQuery.Status.OPEN


def test_a_query_of_another_patient_is_not_found(query, teammate):
    other = factories.PatientFactory()
    url = reverse("web:query-close", args=[other.pk, query.pk])

    assert page_client_of(teammate).post(url).status_code == 404


def test_it_lists_unresolved_queries_by_site(query, patient, teammate, owner):
    pumc = factories.SiteFactory(code="PUMC", name="Peking Union Medical College Hospital")
    factories.DataQueryFactory(
        patient=factories.PatientFactory(site=pumc, subject_id="P777"), raised_by=teammate
    )
    factories.DataQueryFactory(
        patient=patient, raised_by=teammate, field="sex", status="closed", question="Closed one"
    )

    html = page_client_of(owner).get(reverse("web:study-queries", args=["HCD19"])).content.decode()

    assert html.index("BOREN") < html.index("PUMC")
    assert "ECOG 3?" in html and "P777" in html
    assert "Closed one" not in html


def test_the_list_shows_a_clinician_only_their_sites(signed_in, roles, query, teammate):
    pumc = factories.SiteFactory(code="PUMC")
    factories.DataQueryFactory(
        patient=factories.PatientFactory(site=pumc, subject_id="P777"), raised_by=teammate
    )

    html = signed_in.get(reverse("web:study-queries", args=["HCD19"])).content.decode()

    assert "ECOG 3?" in html
    assert "P777" not in html


def test_the_patient_list_links_to_the_queries(owner, patient):
    html = page_client_of(owner).get(reverse("web:patient-list", args=["HCD19"])).content.decode()

    assert reverse("web:study-queries", args=["HCD19"]) in html


@pytest.mark.parametrize(
    ("step", "who", "address", "body"),
    [
        ("query_answer", "owner", "web:query-answer", {"answer": "ECOG 1 per clinic note"}),
        ("query_close", "teammate", "web:query-close", {}),
        ("query_confirm", "teammate", "web:query-confirm", {}),
    ],
)
def test_a_step_on_a_query_whose_patient_went_since_it_was_read_says_so_on_the_list(
    request, monkeypatch, query, patient, owner, step, who, address, body
):
    """Another user deletes the patient, its queries with it, after the page's request read
    the query: the query is not written back, and the study's patient list says why."""
    client = page_client_of(request.getfixturevalue(who))
    patient_deleted_first(monkeypatch, queries, step, patient, owner)

    answer = client.post(reverse(address, args=[patient.pk, query.pk]), body)

    assert answer.url == reverse("web:patient-list", args=["HCD19"])
    [message] = [str(each) for each in get_messages(answer.wsgi_request)]
    assert message.startswith("The patient was deleted by owner at ")
    assert not DataQuery.objects.exists()


def test_a_query_opened_on_a_patient_deleted_since_it_was_read_says_so_on_the_list(
    monkeypatch, patient, teammate, owner
):
    patient_deleted_first(monkeypatch, queries, "query_open", patient, owner)
    body = {"field": "sex", "question": "Female per the source?"}

    answer = page_client_of(teammate).post(reverse("web:query-open", args=[patient.pk]), body)

    assert answer.url == reverse("web:patient-list", args=["HCD19"])
    [message] = [str(each) for each in get_messages(answer.wsgi_request)]
    assert message.startswith("The patient was deleted by owner at ")
    assert not DataQuery.objects.exists()


def test_the_field_box_offers_the_patients_fields_with_their_values(infusion, teammate):
    # Found walking the pages: a monitor had to write a field's place in the course
    # (infusions[0].cells_per_kg) from memory.
    patient = infusion.patient
    factories.CarTCountFactory(patient=patient, day=7, specimen="bm")
    html = page_client_of(teammate).get(page_of(patient)).content.decode()
    places_url = reverse("web:query-places", args=[patient.pk])
    assert 'list="query-places"' in html
    assert f'hx-get="{places_url}"' in html

    options = page_client_of(teammate).get(places_url).content.decode()

    dose = (
        f'<option value="infusions[0].cells_per_kg">CAR-T infusions, record 1 ({infusion}): '
        f"dose (CAR-positive viable cells/kg) = {infusion.cells_per_kg}</option>"
    )
    assert dose in options
    assert '<option value="last_contact_date">Patient: date of last contact' in options
    assert 'value="lymphodepletion.fludarabine_mg_m2_per_day"' in options
    # A coded value in words: the specimen's code is bm.
    assert "): specimen = bone marrow</option>" in options


def test_only_who_may_open_a_query_reads_the_fields_offered(signed_in, roles, patient, outsider):
    places_url = reverse("web:query-places", args=[patient.pk])

    assert signed_in.get(places_url).status_code == 403  # the site's clinician answers
    assert page_client_of(outsider).get(places_url).status_code == 404

"""The registry's own queries on the pages: the study's list filtered by rule, site and age,
confirm as correct on the patient page, the dashboard's counts, and the admin's list."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from registry import queries
from registry.models import DataQuery
from registry.quality_rules import LOW_DOSE, UNUSUAL_TEMPERATURE
from tests import factories
from tests.clients import page_client_of
from tests.races import patient_deleted_first

pytestmark = pytest.mark.django_db

LIST = reverse("web:study-queries", args=["HCD19"])


@pytest.fixture
def at_pumc():
    site = factories.SiteFactory(code="PUMC", name="Peking Union Medical College Hospital")
    return factories.PatientFactory(site=site, subject_id="P777")


def test_the_list_shows_who_opened_each_query_and_for_how_long(patient, owner):
    factories.registry_query(patient, days_ago=12)

    html = page_client_of(owner).get(LIST).content.decode()

    assert "low-dose at P001" in html
    assert "by the registry" in html
    assert "<td>12</td>" in html


def test_the_list_filters_by_rule_site_and_age(patient, at_pumc, owner, teammate):
    factories.registry_query(patient, days_ago=40)
    factories.registry_query(patient, UNUSUAL_TEMPERATURE)
    factories.registry_query(at_pumc)
    factories.DataQueryFactory(patient=patient, raised_by=teammate, question="Asked by a person")
    client = page_client_of(owner)

    by_rule = client.get(LIST, {"rule": LOW_DOSE}).content.decode()
    assert "low-dose at P001" in by_rule and "low-dose at P777" in by_rule
    assert "unusual-temperature at P001" not in by_rule and "Asked by a person" not in by_rule

    by_site = client.get(LIST, {"rule": LOW_DOSE, "site": "PUMC"}).content.decode()
    assert "low-dose at P777" in by_site and "low-dose at P001" not in by_site

    by_age = client.get(LIST, {"older_than_days": 30}).content.decode()
    assert "low-dose at P001" in by_age
    assert "low-dose at P777" not in by_age and "Asked by a person" not in by_age

    by_people = client.get(LIST, {"rule": "person"}).content.decode()
    assert "Asked by a person" in by_people and "low-dose at P001" not in by_people


def test_the_list_names_a_filter_it_cannot_use(owner):
    response = page_client_of(owner).get(LIST, {"older_than_days": "-3", "rule": "too-hot"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Open for at least (days):" in html and "Opened by:" in html


def test_the_list_shows_the_settled_when_asked(patient, teammate):
    confirmed = factories.registry_query(patient, question="Dose confirmed")
    confirmed.status = DataQuery.Status.CONFIRMED
    confirmed.save()
    client = page_client_of(teammate)

    assert "Dose confirmed" not in client.get(LIST).content.decode()
    assert "Dose confirmed" in client.get(LIST, {"status": "confirmed"}).content.decode()


def test_the_list_shows_a_clinician_of_another_site_nothing_of_this_one(patient, neighbour):
    factories.registry_query(patient)

    html = page_client_of(neighbour).get(LIST, {"rule": LOW_DOSE}).content.decode()

    assert "low-dose at P001" not in html


def test_an_outsider_gets_no_list(patient, outsider):
    factories.registry_query(patient)

    assert page_client_of(outsider).get(LIST).status_code == 404


def test_a_monitor_confirms_a_value_on_the_patient_page(patient, teammate):
    query = factories.registry_query(patient)
    url = reverse("web:query-confirm", args=[patient.pk, query.pk])
    page = reverse("web:patient-detail", args=[patient.pk])
    client = page_client_of(teammate)
    assert url in client.get(page).content.decode()

    response = client.post(url, follow=True)

    assert "Value confirmed as correct." in response.content.decode()
    query.refresh_from_db()
    assert (query.status, query.closed_by) == (DataQuery.Status.CONFIRMED, teammate)


@pytest.mark.parametrize("role", ["outsider", "neighbour"])
def test_a_user_who_does_not_read_the_patient_cannot_confirm(request, patient, role):
    query = factories.registry_query(patient)
    url = reverse("web:query-confirm", args=[patient.pk, query.pk])

    assert page_client_of(request.getfixturevalue(role)).post(url).status_code == 404
    query.refresh_from_db()
    assert query.status == DataQuery.Status.OPEN


def test_the_sites_clinician_is_refused_the_confirmation(patient, roles, signed_in):
    query = factories.registry_query(patient)
    url = reverse("web:query-confirm", args=[patient.pk, query.pk])

    assert signed_in.post(url).status_code == 403
    query.refresh_from_db()
    assert query.status == DataQuery.Status.OPEN


def test_the_dashboard_counts_the_open_queries_by_rule(patient, at_pumc, owner, teammate):
    factories.registry_query(patient, days_ago=9)
    factories.registry_query(at_pumc)
    factories.registry_query(patient, UNUSUAL_TEMPERATURE)
    factories.DataQueryFactory(patient=patient, raised_by=teammate)
    closed = factories.registry_query(patient)
    DataQuery.objects.filter(pk=closed.pk).update(status=DataQuery.Status.CLOSED)

    response = page_client_of(owner).get(reverse("analytics-dashboard", args=["HCD19"]))

    counts = {
        row.rule: (row.unresolved, row.oldest_days) for row in response.context["query_counts"]
    }
    assert counts == {LOW_DOSE: (2, 9), UNUSUAL_TEMPERATURE: (1, 0), "person": (1, 0)}
    assert f"{LIST}?rule=low-dose" in response.content.decode()


def test_the_dashboard_counts_only_the_queries_of_the_users_sites(patient, at_pumc, neighbour):
    factories.registry_query(patient)
    factories.registry_query(at_pumc)

    response = page_client_of(neighbour).get(reverse("analytics-dashboard", args=["HCD19"]))

    assert [(row.rule, row.unresolved) for row in response.context["query_counts"]] == [
        (LOW_DOSE, 1)
    ]


def admin_list() -> str:
    return reverse("admin:registry_dataquery_changelist")


def test_the_admin_lists_the_queries_by_rule_and_confirms_them(patient, teammate):
    query = factories.registry_query(patient)
    other = factories.registry_query(patient, UNUSUAL_TEMPERATURE)
    client = page_client_of(teammate)

    listed = client.get(admin_list(), {"rule": LOW_DOSE}).context["cl"].result_list
    assert list(listed) == [query]

    client.post(admin_list(), {"action": "confirm", "_selected_action": [query.pk]})

    query.refresh_from_db()
    other.refresh_from_db()
    assert (query.status, other.status) == (DataQuery.Status.CONFIRMED, DataQuery.Status.OPEN)


def test_the_admin_refuses_the_sites_clinician_the_confirmation(patient, neighbour):
    query = factories.registry_query(
        factories.PatientFactory(site=neighbour_site(), subject_id="P9")
    )

    response = page_client_of(neighbour).post(
        admin_list(), {"action": "confirm", "_selected_action": [query.pk]}, follow=True
    )

    assert "open and close data queries" in response.content.decode()
    query.refresh_from_db()
    assert query.status == DataQuery.Status.OPEN


def neighbour_site():
    return factories.SiteFactory(code="PUMC")


@pytest.mark.parametrize("role", ["outsider", "neighbour"])
def test_the_admin_shows_nothing_of_a_site_the_user_does_not_read(request, patient, role):
    query = factories.registry_query(patient)
    client = page_client_of(request.getfixturevalue(role))

    assert query not in client.get(admin_list()).context["cl"].result_list
    client.post(admin_list(), {"action": "confirm", "_selected_action": [query.pk]})
    query.refresh_from_db()
    assert query.status == DataQuery.Status.OPEN


def test_the_list_says_each_refused_filter_by_its_field(owner):
    html = page_client_of(owner).get(LIST, {"older_than_days": "-3"}).content.decode()

    assert 'aria-describedby="id_older_than_days_error"' in html
    assert '<ul class="field-errors" id="id_older_than_days_error">' in html


def test_the_list_offers_only_the_users_own_sites(patient, at_pumc, neighbour):
    response = page_client_of(neighbour).get(LIST, {"site": "BOREN"})

    assert response.status_code == 400
    assert "Site: Select a valid choice." in response.content.decode()
    assert '<option value="PUMC">' in response.content.decode()


def test_the_list_says_what_each_empty_choice_means(owner):
    html = page_client_of(owner).get(LIST).content.decode()

    assert '<option value="" selected>Open or answered</option>' in html
    assert '<option value="" selected>Anyone</option>' in html
    assert "---------" not in html


def test_the_admin_says_which_queries_went_with_their_patient_after_the_list_read_them(
    patient, teammate, owner, monkeypatch
):
    """Another user deletes the patient between the list's read of the selected queries and
    their closing: the admin says so for the query, and writes nothing back."""
    query = factories.registry_query(patient)
    patient_deleted_first(monkeypatch, queries, "query_close", patient, owner)

    answer = page_client_of(teammate).post(
        admin_list(), {"action": "close", "_selected_action": [query.pk]}
    )

    [message] = [str(each) for each in get_messages(answer.wsgi_request)]
    assert message.startswith(f"{query}: The patient was deleted by owner at ")
    assert not DataQuery.objects.exists()

"""The patient list's count, kept in the cache under the data version of the parts of the
study's data its filters read (registry.paging.kept_count)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def listed(client, patient, query: str = "") -> tuple[str, list[str]]:
    """The list's page as text, and the SQL its request ran."""
    address = reverse("web:patient-list", args=[patient.study.code]) + query
    with CaptureQueriesContext(connection) as captured:
        html = client.get(address).content.decode()
    return html, [query["sql"] for query in captured.captured_queries]


def counts(queries: list[str]) -> list[str]:
    return [sql for sql in queries if "COUNT(" in sql]


def test_it_counts_the_patients_once_for_every_page_of_the_same_filters(signed_in, infused_patient):
    first, queries = listed(signed_in, infused_patient)
    assert "1 patient</h2>" in first
    assert len(counts(queries)) == 1

    again, queries = listed(signed_in, infused_patient, "?page=1&sort=-d30")
    assert "1 patient</h2>" in again
    assert counts(queries) == []


def test_the_count_follows_a_patient_enrolled(signed_in, infused_patient):
    listed(signed_in, infused_patient)
    factories.PatientFactory(site=infused_patient.site)

    html, _queries = listed(signed_in, infused_patient)

    assert "2 patients</h2>" in html


def test_a_filtered_count_follows_a_write_to_the_section_its_filter_reads(
    signed_in, infused_patient
):
    html, _queries = listed(signed_in, infused_patient, "?d30_response=cr")
    assert "0 patients match</h2>" in html

    factories.ResponseAssessmentFactory(patient=infused_patient, day=30, status="cr")

    html, _queries = listed(signed_in, infused_patient, "?d30_response=cr")
    assert "1 patient matches</h2>" in html

"""The patient list's indexes (Patient.Meta.indexes) hold every column its queries read, so
that PostgreSQL can count the patients a filter picks, and find the ids of a page, in an
index alone, without reading the table's rows (benchmarks.pages measures it). The age
filters and the search read other columns: those counts read the table."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry.models import Patient
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]

URL = "/api/v1/patients/"


def query_of(client, params: dict, start: str) -> str:
    """The SQL of the list request's query that starts with `start`."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, {"study": "HCD19", **params})
    assert response.status_code == 200, response.content
    (sql,) = [query["sql"] for query in captured if query["sql"].startswith(start)]
    return sql


def columns_read(sql: str) -> set[str]:
    """The patients' columns that `sql` names."""
    return set(re.findall(r'"registry_patient"\."(\w+)"', sql))


def index_columns(name: str) -> set[str]:
    (index,) = [index for index in Patient._meta.indexes if index.name == name]
    return {Patient._meta.get_field(field).column for field in index.fields}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"d30_response": "cr", "prior_allo_hct": "true"},
        {"d30_response": "none"},
        {"prior_cd22_cart": "false"},
        {"vital_status": "dead"},
        {"sex": "female"},
        {"infused_after": "2020-01-01", "infused_before": "2024-12-31"},
        {"site": "BOREN", "vital_status": "alive", "sex": "male"},
    ],
)
def test_a_filtered_count_reads_only_columns_of_the_filter_index(editor_client, params):
    factories.PatientFactory.create_batch(3)

    count = query_of(editor_client, params, 'SELECT COUNT(*) AS "__count" FROM "registry_patient"')

    assert columns_read(count) >= {"study_id", "site_id"}
    assert columns_read(count) <= index_columns("patient_filter_idx")


def test_a_page_s_ids_are_found_with_columns_of_the_list_index(editor_client):
    factories.PatientFactory.create_batch(3)

    ids = query_of(editor_client, {"page": "last"}, 'SELECT "registry_patient"."id" AS "pk" FROM')

    assert columns_read(ids) == index_columns("patient_list_idx")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a plan of PostgreSQL")
def test_postgresql_counts_the_filtered_patients_in_the_index_alone(editor_client):
    # The tables here are small: table scans and sorts are turned off for the plan, which
    # shows what the index makes possible rather than what the planner picks for 3 rows.
    factories.PatientFactory.create_batch(3)
    params = {"d30_response": "cr", "prior_allo_hct": "true", "sex": "female"}
    count = query_of(editor_client, params, 'SELECT COUNT(*) AS "__count" FROM "registry_patient"')

    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN {count}")
        plan = "\n".join(line for (line,) in cursor.fetchall())

    assert "Index Only Scan using patient_filter_idx" in plan, plan

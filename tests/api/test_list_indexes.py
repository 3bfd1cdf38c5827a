"""The patient lists' indexes (Patient.Meta.indexes) hold every column their queries read,
so that PostgreSQL can count the patients a filter picks, and find the ids of a page, in
an index alone, without reading the table's rows (benchmarks.pages measures it). The age
filters and the search read other columns: those counts read the table. A page sorted by
a column is found in that column's index, in its order."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry.models import Patient
from registry.models.patient import SORTED_BY
from registry.web.filters import PatientFilterSet
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]

API_LIST = "/api/v1/patients/"
WEB_LIST = "/studies/HCD19/"
# The beginnings of the lists' queries: the count, and the ids of a page.
COUNT = 'SELECT COUNT(*) AS "__count" FROM "registry_patient"'
PAGE_IDS = 'SELECT "registry_patient"."id" AS "pk" FROM'


def query_of(client, address: str, params: dict, start: str) -> str:
    """The SQL of the query that starts with `start` of the list at `address`."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address, params)
    assert response.status_code == 200, response.content
    (sql,) = [query["sql"] for query in captured if query["sql"].startswith(start)]
    return sql


def columns_read(sql: str) -> set[str]:
    """The patients' columns that `sql` names."""
    return set(re.findall(r'"registry_patient"\."(\w+)"', sql))


def index_fields(name: str) -> list[str]:
    (index,) = [index for index in Patient._meta.indexes if index.name == name]
    return [Patient._meta.get_field(field).column for field in index.fields]


def index_columns(name: str) -> set[str]:
    return set(index_fields(name))


def ordered_by(sql: str) -> list[str]:
    """The columns of the ORDER BY of `sql`, each with - where descending."""
    clause = sql.split(" ORDER BY ")[1].split(" LIMIT ")[0]
    return [
        ("-" if direction == "DESC" else "") + column
        for column, direction in re.findall(r'"registry_patient"\."(\w+)" (ASC|DESC)', clause)
    ]


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

    count = query_of(editor_client, API_LIST, {"study": "HCD19", **params}, COUNT)

    assert columns_read(count) >= {"study_id", "site_id"}
    assert columns_read(count) <= index_columns("patient_filter_idx")


def test_a_page_s_ids_are_found_with_columns_of_the_list_index(editor_client):
    factories.PatientFactory.create_batch(3)

    ids = query_of(editor_client, API_LIST, {"study": "HCD19", "page": "last"}, PAGE_IDS)

    assert columns_read(ids) == index_columns("patient_list_idx")


# The web list's sort parameters and their columns, but for the study id (patient_list_idx)
# and the site, sorted by its code.
WEB_SORTS = {
    parameter: column
    for parameter, column in PatientFilterSet.base_filters["sort"].param_map.items()
    if column not in ("subject_id", "site__code")
}


@pytest.mark.parametrize("direction", ["", "-"])
@pytest.mark.parametrize(("sort", "column"), WEB_SORTS.items())
def test_a_sorted_web_page_is_found_in_its_column_s_index_in_its_order(
    client, editor, sort, column, direction
):
    factories.PatientFactory.create_batch(3)
    client.force_login(editor)

    ids = query_of(client, WEB_LIST, {"sort": direction + sort}, PAGE_IDS)

    fields = index_fields(SORTED_BY[column])
    assert columns_read(ids) == set(fields)
    # The index's order after the study (one study: its id is the same in every row).
    assert ordered_by(ids) == [direction + column, direction + "study_id", direction + "subject_id"]
    assert fields[:3] == ["study_id", column, "subject_id"]


def test_every_sort_of_the_web_list_has_its_index():
    assert set(WEB_SORTS.values()) == set(SORTED_BY)

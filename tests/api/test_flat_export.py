"""Flat exports: patients.csv and patients.xlsx, one row per patient with every field."""

import csv
import io
from datetime import date, datetime

import pytest
from django.db import connection
from openpyxl import load_workbook

from config import routers
from registry import flat_export, models
from registry.access import membership_grant
from registry.models import Role
from registry.sections import SECTIONS
from tests import factories
from tests.api.conftest import full_course

pytestmark = pytest.mark.django_db

CSV = "/api/v1/studies/HCD19/export/patients.csv"
XLSX = "/api/v1/studies/HCD19/export/patients.xlsx"
NAMES = [column.name for column in flat_export.PATIENT_COLUMNS]


@pytest.fixture(autouse=True)
def reader_coordinates(reader) -> None:
    """Exports are the coordinators' (registry.access): the reader coordinates HCD19 here."""
    membership_grant(user=reader, study=factories.StudyFactory(), role=Role.COORDINATOR)


def csv_rows(client) -> list[dict]:
    response = client.get(CSV)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def workbook(client):
    response = client.get(XLSX)
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content))


def test_it_has_a_column_for_every_field_of_the_patient_and_one_to_one_sections():
    expected = {"study_id", "site", *models.Patient.document_fields}
    for section in SECTIONS:
        if not section.many:
            expected |= {f"{section.key}_{name}" for name in section.fields}
    assert expected <= set(NAMES)


def test_it_describes_every_column_once():
    assert len(NAMES) == len(set(NAMES))
    assert all(column.description for column in flat_export.PATIENT_COLUMNS)


def test_it_writes_one_csv_row_per_patient(reader_client):
    full_course(subject_id="P1")
    factories.PatientFactory(subject_id="P2")
    response = reader_client.get(CSV)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="HCD19-patients.csv"'
    rows = csv_rows(reader_client)
    assert list(rows[0]) == NAMES
    assert [row["study_id"] for row in rows] == ["P1", "P2"]


def test_it_flattens_and_summarises_the_course(reader_client):
    full_course(subject_id="P1")
    row = csv_rows(reader_client)[0]
    expected = {
        "birth_date": "2000-03-01",
        "age_years": "19",
        "eligibility_ecog": "1",
        "eligibility_extramedullary_sites": "cns;skin",
        "eligibility_adequate_organ_function": "true",
        "genetics_tp53_mutation": "",
        "lymphodepletion_start_date": "2020-01-10",
        "prior_therapies_count": "2",
        "prior_allo_hct_count": "1",
        "first_infusion_date": "2020-01-15",
        "first_infusion_cells_per_kg": "240000",
        "first_infusion_lot": "L-0001",
        "car_t_peak_cells_per_ul": "80.5",
        "car_t_peak_day": "14",
        "toxicities_crs_max_grade": "2",
        "crs_grade_computed": "1",
        "d30_day": "28",
        "d30_status": "cr",
        "d30_mrd": "negative",
        "relapse_date": "2020-06-01",
        "relapse_cd19": "negative",
        "death_date": "2020-09-01",
        "death_cause": "disease",
        "vital_status": "dead",
        "allo_hct_date": "",
    }
    assert {column: row[column] for column in expected} == expected


def test_it_leaves_cells_empty_for_sections_not_recorded(reader_client):
    factories.PatientFactory(subject_id="P1")
    row = csv_rows(reader_client)[0]
    assert row["eligibility_ecog"] == row["first_infusion_date"] == row["d30_status"] == ""
    assert row["infusions_count"] == "0"
    assert row["vital_status"] == "alive"


def test_it_keeps_spreadsheets_from_running_text_as_a_formula(reader_client):
    patient = factories.PatientFactory()
    models.Genetics.objects.create(patient=patient, other='=HYPERLINK("http://x","y")')
    assert csv_rows(reader_client)[0]["genetics_other"] == '\'=HYPERLINK("http://x","y")'
    sheet = workbook(reader_client)["patients"]
    cell = sheet.cell(row=2, column=NAMES.index("genetics_other") + 1)
    assert (cell.data_type, cell.value) == ("s", '=HYPERLINK("http://x","y")')


def test_it_writes_a_workbook_with_a_sheet_per_list_section(reader_client):
    full_course(subject_id="P1")
    factories.PatientFactory(subject_id="P2")
    response = reader_client.get(XLSX)
    assert response["Content-Disposition"] == 'attachment; filename="HCD19-patients.xlsx"'
    book = workbook(reader_client)
    lists = [section.key for section in SECTIONS if section.many]
    assert book.sheetnames == ["patients", *lists, "columns"]
    patients = list(book["patients"].values)
    assert list(patients[0]) == NAMES
    assert [row[0] for row in patients[1:]] == ["P1", "P2"]
    events = list(book["events"].values)
    assert events[0] == ("study_id", "kind", "date", "cd19", "cause", "description")
    assert events[1][:4] == ("P1", "relapse", datetime(2020, 6, 1), "negative")
    assert len(events) == 3
    assert len(list(book["columns"].values)) == len(NAMES) + 1


def test_it_writes_typed_cells_to_the_workbook(reader_client):
    full_course(subject_id="P1")
    row = dict(zip(NAMES, list(workbook(reader_client)["patients"].values)[1], strict=True))
    assert row["first_infusion_cells_per_kg"] == 240_000
    assert row["eligibility_adequate_organ_function"] is True
    assert row["enrollment_date"].date() == date(2020, 1, 2)


@pytest.fixture(scope="class")
def thirty_courses(class_transaction, django_db_blocker) -> None:
    """Thirty patients with a full course, made once for the class's exports."""
    with django_db_blocker.unblock():
        for _ in range(30):
            full_course()


@pytest.mark.usefixtures("thirty_courses")
class TestQueries:
    @pytest.mark.parametrize("url", [CSV, XLSX])
    def test_it_exports_in_a_fixed_number_of_queries(
        self, reader_client, django_assert_num_queries, url
    ):
        # the study, the patients' ids, then a chunk of patients (registry.snapshots.courses),
        # their sites, and one query per section
        with django_assert_num_queries(16):
            response = reader_client.get(url)
            content = (
                b"".join(response.streaming_content) if response.streaming else response.content
            )
        assert content


@pytest.mark.parametrize("url", [CSV, XLSX])
def test_it_answers_whatever_the_accept_header_says(reader_client, url):
    factories.PatientFactory()
    assert reader_client.get(url, HTTP_ACCEPT="text/csv").status_code == 200


@pytest.mark.parametrize("url", [CSV, XLSX])
def test_it_answers_404_for_an_unknown_study_and_401_to_no_one(
    reader_client, anonymous_client, url
):
    assert reader_client.get(url.replace("HCD19", "NOPE")).status_code == 404
    factories.StudyFactory()
    response = anonymous_client.get(url, HTTP_ACCEPT="text/csv")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("url", [CSV, XLSX, "/api/v1/studies/HCD19/export/"])
def test_it_reads_the_patients_of_an_export_on_the_replica(reader_client, url):
    full_course()
    queries = []

    def record(execute, sql, params, many, context):
        queries.append((sql, routers._reading_from_replica.get()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        response = reader_client.get(url)
        content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content
    (study, _), *patients = queries
    assert '"registry_study"' in study
    assert patients
    assert all(on_replica for _sql, on_replica in patients)

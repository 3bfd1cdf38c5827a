"""A patient whose dates got in past the model's validation (older rows, a direct database
write) is left out of every analysis with a warning naming the patient and the field,
never a 500 (issue #23, point 1). The published cohort, one patient's date rewritten."""

from datetime import date, timedelta
from io import BytesIO

import pytest
from django.db import connection
from django.db.models.functions import Now
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from registry import models
from tests.analytics.conftest import STATISTICS

pytestmark = pytest.mark.usefixtures("published")


def written_directly(model, study_id: str, **values) -> None:
    """An UPDATE of the patient's records past every validation, with the patient stamped
    as changed, as a data fix run in the database would leave them."""
    patient = models.Patient.objects.get(subject_id=study_id)
    model.objects.filter(patient=patient).update(**values)
    models.Patient.objects.filter(pk=patient.pk).update(updated=Now())


@pytest.fixture(params=[date(3000, 1, 1), date(1268, 3, 14)], ids=["3000", "1268"])
def infused_out_of_range(request) -> date:
    written_directly(models.Infusion, "P07", date=request.param)
    return request.param


def left_out_of(answer: dict, infused: date) -> None:
    (warning,) = answer["warnings"]
    assert warning.startswith("Patient P07 left out: infusion date")
    assert infused.isoformat() in warning


@pytest.mark.parametrize("endpoint", STATISTICS)
def test_each_endpoint_leaves_the_patient_out_with_a_warning(
    analytics, infused_out_of_range, endpoint
):
    response = analytics(endpoint)
    assert response.status_code == 200
    left_out_of(response.json(), infused_out_of_range)


def test_the_statistics_count_the_others_only(analytics, infused_out_of_range):
    assert analytics("follow-up", population="all").status_code == 200
    (group,) = analytics("survival", endpoint="os").json()["groups"]
    assert group["n"] == 18  # of the cohort's 19
    assert analytics("tables/characteristics").json()["n"] == 18


def test_the_dataset_leaves_the_patient_out(analytics, infused_out_of_range):
    answer = analytics("dataset").json()
    assert answer["count"] == 18
    assert "P07" not in {row["study_id"] for row in answer["results"]}
    left_out_of(answer, infused_out_of_range)


@pytest.mark.parametrize("table_format", ["csv", "xlsx"])
def test_a_table_download_carries_the_warning_as_a_footnote(
    analytics, infused_out_of_range, table_format
):
    response = analytics("tables/outcomes", format=table_format)
    assert response.status_code == 200
    if table_format == "csv":
        *_, warning, dates = response.content.decode().splitlines()
    else:
        (sheet,) = load_workbook(BytesIO(response.content)).worksheets
        rows = sheet.iter_rows(values_only=True)
        *_, warning, dates = (str(row[0]) for row in rows if row and row[0] is not None)
    assert warning.startswith("Patient P07 left out: infusion date")
    assert dates.startswith("Clinical cut-off: ")


def test_the_dashboard_shows_the_warning(reader, infused_out_of_range):
    client = Client()
    client.force_login(reader)
    response = client.get("/studies/HCD19/dashboard/")
    assert response.status_code == 200
    assert "Patient P07 left out: infusion date" in response.content.decode()


def test_a_date_after_tomorrow_is_left_out_too(analytics):
    later = timezone.localdate() + timedelta(days=2)
    written_directly(models.FollowUpEvent, "P07", date=later)
    (warning,) = analytics("survival").json()["warnings"]
    assert warning.startswith("Patient P07 left out: ")
    assert later.isoformat() in warning


def test_a_raw_sql_write_is_left_out_too(analytics):
    # Below any date the ORM would send: written as SQL, as an old import's rows were.
    table = models.Patient._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET birth_date = %s, updated = %s WHERE subject_id = %s",
            ["1268-03-14", timezone.now(), "P07"],
        )
    (warning,) = analytics("survival").json()["warnings"]
    assert warning.startswith("Patient P07 left out: date of birth 1268-03-14")

"""analytics.dataset.lab_values: the values one lab series is computed from, read in one
query into typed columns (the study id and the unit categorical), and on PostgreSQL from
the analyte's index alone."""

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.dataset import lab_values
from analytics.dataset.records import id_range, lab_values_query
from registry import models
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def patients(lab_patient) -> None:
    """Two patients' ANC, one in /µL and one below detection, an IL-6 and a marrow ANC."""
    lab_patient("V01", [(7, "anc", 200.0, "/uL"), (14, "anc", ("<", 0.1), "10^9/L")])
    second = lab_patient("V02", [(7, "anc", 1.5, "10^9/L"), (7, "il6", 40.0, "pg/mL")])
    factories.LabResultFactory(
        patient=second, day=8, analyte="anc", value=2.5, unit="10^9/L", specimen="bm"
    )


def every_patient() -> pd.Series:
    return pd.Series(dict(models.Patient.objects.values_list("id", "subject_id")))


def anc_in_blood():
    return lab_values(every_patient(), analyte="anc", specimen="pb")


def test_it_reads_one_analyte_in_one_specimen_with_its_unit_as_recorded(patients):
    recorded = anc_in_blood().sort_values(["study_id", "day"])
    assert recorded.to_dict("list") == {
        "study_id": ["V01", "V01", "V02"],
        "day": [7, 14, 7],
        "value": [200.0, 0.1, 1.5],
        "unit": ["/uL", "10^9/L", "10^9/L"],
        "below_detection": [False, True, False],
    }
    assert recorded["unit"].cat.categories.tolist() == ["10^9/L", "/uL"]
    assert recorded["study_id"].dtype == "category"
    assert [str(recorded[name].dtype) for name in ("day", "value", "below_detection")] == [
        "int64",
        "float64",
        "bool",
    ]


def test_a_unit_not_among_the_analyte_s_is_missing(patients):
    # Written around the model's checks, which refuse it.
    models.LabResult.objects.filter(unit="/uL").update(unit="mmol/L")
    recorded = anc_in_blood().sort_values(["study_id", "day"])
    assert recorded["unit"].isna().tolist() == [True, False, False]
    assert recorded["value"].tolist() == [200.0, 0.1, 1.5]


def test_no_value_gives_an_empty_frame(patients):
    recorded = lab_values(every_patient(), analyte="crp", specimen="pb")
    assert recorded.empty
    assert list(recorded.columns) == ["study_id", "day", "value", "unit", "below_detection"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_it_reads_the_values_from_the_analyte_s_index_alone(patients):
    patient_ids = id_range(pd.Index(models.Patient.objects.values_list("id", flat=True)))
    query = lab_values_query(patient_ids, "anc", "pb")
    read = connection.ops.compose_sql(*query.query.get_compiler(using="default").as_sql())
    with CaptureQueriesContext(connection) as queries:
        assert len(anc_in_blood()) == 3
    # That query is the one read, its rows packed (analytics.dataset.arrays).
    assert [query["sql"] for query in queries if read in query["sql"]]
    with connection.cursor() as cursor:
        # A few rows are read best from the table: the plan of a large table, asked here.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {read}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using lab_result_analyte_specimen" in plan, plan


def test_only_the_values_of_the_patients_named_are_kept(patients, lab_patient):
    # V02's id lies between V01's and V03's: read with theirs, and left out.
    third = lab_patient("V03", [(21, "anc", 3.0, "10^9/L")])
    named = {models.Patient.objects.get(subject_id="V01").pk: "V01", third.pk: "V03"}
    recorded = lab_values(pd.Series(named), analyte="anc", specimen="pb").sort_values(
        ["study_id", "day"]
    )
    assert recorded["study_id"].tolist() == ["V01", "V01", "V03"]
    assert recorded["day"].tolist() == [7, 14, 21]

"""analytics.dataset.arrays: rows of numbers read straight into an array, on PostgreSQL
packed by the database, elsewhere fetched as rows; the same values either way."""

import numpy as np
import pytest
from django.db import connection
from django.db.models import IntegerField, Value

from analytics.dataset.arrays import UnexpectedNull, numeric_rows
from registry import models

pytestmark = pytest.mark.django_db

ROW = np.dtype(
    [("patient_id", np.int64), ("day", np.int32), ("value", np.float64), ("below", np.bool_)]
)


@pytest.fixture
def values(lab_patient) -> None:
    lab_patient(
        "A01",
        [
            (-30, "anc", 0.1 + 0.2, "10^9/L"),
            (0, "anc", ("<", 1e-300), "10^9/L"),
            (3650, "anc", 123456789.125, "10^9/L"),
        ],
    )


def lab_rows():
    return models.LabResult.objects.order_by("day").values_list(
        "patient_id", "day", "value", "below_detection"
    )


def test_it_reads_each_value_as_the_database_holds_it(values):
    found = numeric_rows(lab_rows(), ROW)
    assert found.dtype == ROW
    assert found.tolist() == list(lab_rows())
    assert found["value"].tolist() == [0.1 + 0.2, 1e-300, 123456789.125]
    assert found["day"].tolist() == [-30, 0, 3650]


def test_no_row_gives_an_empty_array(values):
    found = numeric_rows(lab_rows().filter(analyte="crp"), ROW)
    assert found.dtype == ROW
    assert len(found) == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="packed by PostgreSQL")
def test_a_null_is_refused(values):
    rows = models.LabResult.objects.annotate(
        unknown=Value(None, output_field=IntegerField())
    ).values_list("patient_id", "day", "value", "unknown")
    shape = np.dtype([*ROW.descr[:3], ("unknown", np.int64)])
    with pytest.raises(UnexpectedNull, match="a null"):
        numeric_rows(rows, shape)

"""analytics.exports: results written as JSON and tables as CSV."""

from datetime import date
from decimal import Decimal

import numpy as np
from rest_framework.renderers import JSONRenderer

from analytics.exports import csv_text, json_bytes


def test_it_writes_the_json_drf_writes():
    value = {
        "count": 2,
        "results": [
            {"study_id": "P01", "infusion_date": date(2021, 3, 4), "efs_months": 12.5},
            {"study_id": "Pé", "infusion_date": None, "efs_months": 1 / 3},
        ],
    }
    assert json_bytes(value) == JSONRenderer().render(value)


def test_it_writes_numpy_numbers_and_decimals_through_drfs_encoder():
    value = {"n": np.int64(3), "rate": np.float64(0.5), "dose": Decimal("2.5")}
    assert json_bytes(value) == b'{"n":3,"rate":0.5,"dose":2.5}'


def test_it_writes_missing_values_as_empty_cells_and_dates_in_iso_form():
    rows = [{"study_id": "P01", "infusion_date": date(2021, 3, 4), "dose": None, "extra": 1}]
    text = csv_text(["study_id", "infusion_date", "dose", "mrd"], rows)
    assert text == "study_id,infusion_date,dose,mrd\r\nP01,2021-03-04,,\r\n"


def test_it_writes_a_table_s_title_above_its_columns_and_its_footnote_below():
    text = csv_text(["n"], [{"n": 3}], "Clinical cut-off: none.", title="Table 1 (n = 3)")
    assert text == "Table 1 (n = 3)\r\nn\r\n3\r\nClinical cut-off: none.\r\n"

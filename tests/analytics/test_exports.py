"""analytics.exports: tables written as CSV."""

from datetime import date

from analytics.exports import csv_text


def test_it_writes_missing_values_as_empty_cells_and_dates_in_iso_form():
    rows = [{"study_id": "P01", "infusion_date": date(2021, 3, 4), "dose": None, "extra": 1}]
    text = csv_text(["study_id", "infusion_date", "dose", "mrd"], rows)
    assert text == "study_id,infusion_date,dose,mrd\r\nP01,2021-03-04,,\r\n"


def test_it_writes_a_table_s_title_above_its_columns_and_its_footnote_below():
    text = csv_text(["n"], [{"n": 3}], "Clinical cut-off: none.", title="Table 1 (n = 3)")
    assert text == "Table 1 (n = 3)\r\nn\r\n3\r\nClinical cut-off: none.\r\n"

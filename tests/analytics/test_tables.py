"""GET .../analytics/tables/characteristics/ and .../tables/outcomes/: the paper's Table 1
and Table 2 (An et al., BMC Cancer 2022) for any cohort, as JSON, CSV and Excel."""

import csv
import io

import pytest
from openpyxl import load_workbook

from analytics.cohort import analysis_frame
from analytics.tables import CHARACTERISTICS_COLUMNS, OUTCOMES_COLUMNS, outcomes_table

pytestmark = pytest.mark.usefixtures("published")

# The paper, Table 1 (and Results "Patient characteristics" for the EMD breakdown):
# (section, characteristic, n, %).
TABLE_1 = [
    ("Age (years)", "Children (< 18)", 8, 42),
    ("Age (years)", "Adults", 11, 58),
    ("Sex", "Male", 10, 53),
    ("Sex", "Female", 9, 47),
    ("Prior allo-HCT", "Yes", 10, 53),
    ("Prior allo-HCT", "No", 9, 47),
    ("CD22 CAR-T (simultaneously with or after mCD19 CAR-T)", "Yes", 11, 58),
    ("CD22 CAR-T (simultaneously with or after mCD19 CAR-T)", "No", 8, 42),
    ("Disease status at enrollment", "Isolated BM (blasts 7–98%)", 12, 63),
    ("Disease status at enrollment", "Extramedullary disease (EMD)", 7, 37),
    ("Disease status at enrollment", "EMD only", 1, None),
    ("Disease status at enrollment", "BM and EMD", 6, None),
    ("Disease status at enrollment", "CNS", 2, None),
    ("Disease status at enrollment", "Multiple sites (1 with CNS)", 5, None),
    ("Adverse genetic changes", "BCR/ABL", 2, 11),
    ("Adverse genetic changes", "Ph-like (2 with TP53 gene mutation)", 7, 37),
    ("Interval time between last mCD19 CAR-T and hCD19 CAR-T (months)", "< 6", 6, 32),
    ("Interval time between last mCD19 CAR-T and hCD19 CAR-T (months)", "6 to < 12", 4, 21),
    ("Interval time between last mCD19 CAR-T and hCD19 CAR-T (months)", "≥ 12", 9, 47),
]
# The paper, Table 2: grades and response as (section, characteristic, n, %); follow-up as
# (section, characteristic, total, remaining in CR, relapsed, died).
TABLE_2_COUNTS = [
    ("Grade of CRS", "0", 1, 5),
    ("Grade of CRS", "1", 15, 79),
    ("Grade of CRS", "2", 2, 11),
    ("Grade of CRS", "4", 1, 5),
    ("Neurotoxicity", "No", 17, 89),
    ("Neurotoxicity", "Grade 1", 2, 11),
    ("Treatment response on D30", "CR", 13, 68),
    ("Treatment response on D30", "NR", 6, 32),
]
TABLE_2_FOLLOW_UP = [
    ("Follow-up: CR group", "allo-HCT", 11, 10, 1, 1),
    ("Follow-up: CR group", "non-HCT", 2, 0, 2, 1),
    ("Follow-up: NR group", "allo-HCT", 3, 1, 2, 1),
    ("Follow-up: NR group", "non-HCT", 3, 0, 0, 3),
]


def test_it_reproduces_table_1(analytics):
    table = analytics("tables/characteristics").json()
    assert (table["title"], table["n"], table["columns"]) == (
        "Patient characteristics",
        19,
        list(CHARACTERISTICS_COLUMNS),
    )
    rows = [row for row in table["rows"] if row["characteristic"] != "Median"]
    assert [(r["section"], r["characteristic"], r["n"], r["percent"]) for r in rows] == TABLE_1
    (age,) = [row for row in table["rows"] if row["characteristic"] == "Median"]
    assert (age["median"], age["min"], age["max"]) == (20, 4, 49)


def test_it_reproduces_table_2(analytics):
    table = analytics("tables/outcomes").json()
    assert table["columns"] == list(OUTCOMES_COLUMNS)
    rows = table["rows"]
    counted = [(r["section"], r["characteristic"], r["n"], r["percent"]) for r in rows[:8]]
    assert counted == TABLE_2_COUNTS
    groups = [(r["characteristic"], r["total"]) for r in rows if r["section"] == "Follow-up"]
    assert groups == [("CR group", 13), ("NR group", 6)]
    follow_up = [
        (r["section"], r["characteristic"], r["total"], r["in_remission"], r["relapsed"], r["died"])
        for r in rows
        if r["section"].startswith("Follow-up: ")
    ]
    assert follow_up == TABLE_2_FOLLOW_UP


def test_it_describes_any_cohort(analytics):
    table = analytics("tables/characteristics", sex="female", population="responders").json()
    sex = {row["characteristic"]: row for row in table["rows"] if row["section"] == "Sex"}
    assert table["n"] == sum(row["n"] for row in sex.values()) == sex["Female"]["n"]
    assert (sex["Female"]["percent"], sex["Male"]["percent"]) == (100, 0)


def test_it_counts_the_patients_not_evaluable_and_not_assessed_at_day_30():
    statuses = [("cr", True), ("nr", False), ("not_evaluable", False), (None, None), (None, None)]
    frame = analysis_frame(
        [
            {"study_id": f"P{i}", "d30_response": status, "responder": responder}
            for i, (status, responder) in enumerate(statuses)
        ]
    )

    rows = outcomes_table(frame)["rows"]

    response = {
        row["characteristic"]: (row["n"], row["percent"])
        for row in rows
        if row["section"] == "Treatment response on D30"
    }
    assert response == {
        "CR": (1, 20),
        "NR": (1, 20),
        "Not evaluable": (1, 20),
        "Not assessed": (2, 40),
    }


@pytest.mark.parametrize(
    "endpoint, columns",
    [("characteristics", CHARACTERISTICS_COLUMNS), ("outcomes", OUTCOMES_COLUMNS)],
)
def test_it_writes_csv(analytics, endpoint, columns):
    response = analytics(f"tables/{endpoint}", format="csv")
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="HCD19-{endpoint}.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    table = analytics(f"tables/{endpoint}").json()
    # The title, the columns, the rows, then the footnote naming the dates.
    assert rows[0] == [table["title"]]
    assert rows[1] == list(columns)
    assert len(rows) - 3 == len(table["rows"])
    assert rows[-1] == ["Clinical cut-off: 2021-07-31. Data as recorded on: as it stands."]


@pytest.mark.parametrize("endpoint", ["characteristics", "outcomes"])
def test_it_marks_table_csvs_as_utf_8_for_excel(analytics, endpoint):
    content = analytics(f"tables/{endpoint}", format="csv").content
    # Excel on Windows reads a CSV as UTF-8 only after this byte order mark.
    assert content.startswith(b"\xef\xbb\xbf")
    assert content.decode("utf-8-sig").startswith(analytics(f"tables/{endpoint}").json()["title"])


def test_it_keeps_the_dataset_csv_without_a_byte_order_mark(analytics):
    content = analytics("dataset", format="csv").content
    assert content.startswith(b"study_id,")


def test_it_writes_the_numbers_of_table_1_to_csv(analytics):
    content = analytics("tables/characteristics", format="csv").content.decode()
    assert "Sex,Male,10,53,,," in content.splitlines()


@pytest.mark.parametrize("endpoint", ["characteristics", "outcomes"])
def test_it_writes_an_excel_workbook(analytics, endpoint):
    response = analytics(f"tables/{endpoint}", format="xlsx")
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert f'filename="HCD19-{endpoint}.xlsx"' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    table = analytics(f"tables/{endpoint}").json()
    cells = list(sheet.values)
    assert cells[0][0] == table["title"]
    assert list(cells[1]) == table["columns"]
    assert [list(row) for row in cells[2:-2]] == [
        [row[column] for column in table["columns"]] for row in table["rows"]
    ]
    assert cells[-1][0] == "Clinical cut-off: 2021-07-31. Data as recorded on: as it stands."
    # The title and the header row in bold, as in the paper; the counts plain.
    bold = [[cell.font.b for cell in row if cell.value is not None] for row in sheet.iter_rows()]
    assert bold[0] == [True]
    assert bold[1] == [True] * len(table["columns"])
    assert not any(any(row) for row in bold[2:])

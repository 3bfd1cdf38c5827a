"""registry.xlsx: a workbook of plain values, read back as a spreadsheet program reads it."""

from datetime import date, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook

from registry.xlsx import Workbook


def written(*rows: list, name: str = "sheet") -> list[tuple]:
    workbook = Workbook()
    sheet = workbook.create_sheet(name)
    for row in rows:
        sheet.append(row)
    stream = BytesIO()
    workbook.save(stream)
    book = load_workbook(BytesIO(stream.getvalue()))
    assert book.sheetnames == [name]
    return list(book[name].values)


def test_it_reads_back_each_kind_of_value_in_its_column():
    row = ["P1", None, 61.5, 240_000, True, False, date(2020, 1, 6), 1e-05]

    assert written(row) == [("P1", None, 61.5, 240_000, True, False, datetime(2020, 1, 6), 1e-05)]


def test_it_keeps_text_as_text_whatever_it_holds():
    text = ['=HYPERLINK("http://x","y")', "<b>&amp;</b>", "  spaced  ", "tab\there", "bell\x07"]

    assert written(text) == [
        ('=HYPERLINK("http://x","y")', "<b>&amp;</b>", "  spaced  ", "tab\there", "bell")
    ]


def test_it_writes_columns_past_z_and_sheet_names_with_markup():
    row = list(range(30))

    assert written(row, name='Q&A "1"') == [tuple(row)]


def test_it_refuses_a_value_a_cell_cannot_hold():
    with pytest.raises(TypeError, match="not \\['a'\\]"):
        Workbook().create_sheet("sheet").append([["a"]])


def test_it_writes_a_row_in_bold_and_the_others_plain():
    workbook = Workbook()
    sheet = workbook.create_sheet("table")
    sheet.append(["Title"], bold=True)
    sheet.append(["n", 3], bold=True)
    sheet.append(["CR", 3, date(2020, 1, 6)])
    stream = BytesIO()
    workbook.save(stream)
    cells = load_workbook(BytesIO(stream.getvalue()))["table"]

    assert [cells["A1"].font.b, cells["A2"].font.b, cells["B2"].font.b] == [True, True, True]
    assert [cells["A3"].font.b, cells["B3"].font.b] == [False, False]
    assert cells["C3"].value == datetime(2020, 1, 6)
    assert cells["C3"].number_format == "yyyy-mm-dd"

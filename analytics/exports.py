"""Tables written as CSV or as an Excel workbook (openpyxl)."""

import csv
import io
from collections.abc import Sequence

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_text(columns: Sequence[str], rows: Sequence[dict]) -> str:
    content = io.StringIO()
    writer = csv.DictWriter(content, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(_cells(row) for row in rows)
    return content.getvalue()


def csv_response(content: str | bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _cells(row: dict) -> dict:
    # Missing values as empty cells; dates in ISO form, as in the JSON.
    return {name: "" if value is None else value for name, value in row.items()}


def xlsx_response(
    title: str, columns: Sequence[str], rows: Sequence[dict], filename: str
) -> HttpResponse:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = filename[:31]  # Excel's limit on sheet names
    sheet.append([title])
    sheet["A1"].font = Font(bold=True)
    sheet.append(list(columns))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.get(column) for column in columns])
    content = io.BytesIO()
    workbook.save(content)
    response = HttpResponse(content.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response

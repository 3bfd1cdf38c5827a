"""Tables written as CSV or as an Excel workbook (registry.xlsx); large answers (JSON:
registry.jsontext.json_bytes) kept compressed."""

import csv
import gzip
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.http import HttpRequest, HttpResponse
from django.middleware.gzip import re_accepts_gzip
from django.utils.cache import patch_vary_headers

from registry.choices import DateFormat
from registry.date_formats import date_text
from registry.http import dated
from registry.xlsx import Workbook

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
# Answers larger than this are kept gzip-compressed, at a level that shrinks a large
# analysis dataset about tenfold while compressing far faster than the higher levels.
COMPRESS_OVER = 1 << 20
COMPRESS_LEVEL = 3


def csv_text(
    columns: Sequence[str], rows: Sequence[dict], footnote: str = "", title: str = ""
) -> str:
    """Rows under one header row; a publication table adds its title above, its footnote
    below."""
    content = io.StringIO()
    writer = csv.writer(content)
    if title:
        writer.writerow([title])
    writer.writerow(columns)
    _write_rows(writer, columns, rows)
    if footnote:
        writer.writerow([footnote])
    return content.getvalue()


def csv_rows(columns: Sequence[str], rows: Sequence[dict]) -> str:
    """The lines csv_text writes for these rows, alone: a part of a table written apart."""
    content = io.StringIO()
    _write_rows(csv.writer(content), columns, rows)
    return content.getvalue()


def _write_rows(writer, columns: Sequence[str], rows: Sequence[dict]) -> None:
    # The csv module writes missing values (None) as empty cells, and dates in ISO form as
    # in the JSON; lists rather than csv.DictWriter's dicts take a third less time.
    writer.writerows([row.get(column) for column in columns] for row in rows)


def dates_note(answer: dict, date_format: str = DateFormat.ISO) -> str:
    """The footnote of a publication table: the dates it was computed at, as an answer
    (analytics.results) says them in ISO, written in `date_format` (the study's on its
    pages; ISO in the downloads)."""
    cutoff = _date_in(answer["cutoff"], date_format) or "none (everything recorded)"
    recorded = _date_in(answer["as_of"], date_format) or "as it stands"
    note = f"Clinical cut-off: {cutoff}. Data as recorded on: {recorded}."
    left_out = answer["left_out_infused_after_cutoff"]
    if left_out:
        note += f" {left_out} patient(s) first infused after the cut-off left out."
    return note


def _date_in(iso: str | None, date_format: str) -> str:
    return date_text(date.fromisoformat(iso), date_format) if iso else ""


def dates_headers(response: HttpResponse, answer: dict) -> HttpResponse:
    """The dates a machine-readable download was computed at, in its headers
    (registry.http.dated)."""
    return dated(response, answer["cutoff"], answer["as_of"])


def table_csv_response(content: str, filename: str) -> HttpResponse:
    """A publication table's CSV, with a UTF-8 byte order mark: without it Excel on Windows
    reads the file in the local code page and garbles "≥" and "–". The machine-readable
    dataset CSV goes without one, so that its first column's name stays plain for clients
    reading UTF-8 (README, "Downloads")."""
    response = HttpResponse(content.encode("utf-8-sig"), content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


@dataclass(frozen=True)
class Packed:
    """An answer as it is kept: its bytes, gzip-compressed when it is large."""

    content: bytes
    gzipped: bool = False


def packed(content: bytes) -> Packed:
    if len(content) <= COMPRESS_OVER:
        return Packed(content)
    return Packed(gzip.compress(content, COMPRESS_LEVEL, mtime=0), gzipped=True)


def packed_response(
    request: HttpRequest, answer: Packed, content_type: str, filename: str = ""
) -> HttpResponse:
    """The answer as an HTTP response; a compressed one sent as it is kept to a client that
    accepts gzip (browsers and HTTP libraries do), so that a cached answer of a hundred
    thousand patients costs milliseconds to fetch and send, and unpacked for any other."""
    content = answer.content
    accepted = re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", ""))
    if answer.gzipped and not accepted:
        content = gzip.decompress(content)
    response = HttpResponse(content, content_type=content_type)
    if answer.gzipped:
        if accepted:
            response["Content-Encoding"] = "gzip"
        patch_vary_headers(response, ["Accept-Encoding"])
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(
    title: str, columns: Sequence[str], rows: Sequence[dict], filename: str, footnote: str = ""
) -> HttpResponse:
    """A publication table as a workbook of one sheet: its title and header row in bold,
    its rows, and its footnote after an empty row."""
    workbook = Workbook()
    sheet = workbook.create_sheet(filename[:31])  # Excel's limit on sheet names
    sheet.append([title], bold=True)
    sheet.append(list(columns), bold=True)
    for row in rows:
        sheet.append([row.get(column) for column in columns])
    if footnote:
        sheet.append([])
        sheet.append([footnote])
    content = io.BytesIO()
    workbook.save(content)
    response = HttpResponse(content.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response

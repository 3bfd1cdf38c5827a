"""A write-only XLSX workbook of plain values, its sheets' XML written as text.

For the flat export of a whole study (registry.flat_export), a million cells or more:
openpyxl, even in its write-only mode, builds and serialises an element object for every
cell, which made the export of a few thousand patients take longer than a request may.
For the analytics' publication tables (analytics.exports), a few dozen cells: openpyxl's
fixed cost of a workbook (its styles, theme and properties as objects, each sheet through
a named file on disk) was most of such a download's time.
Values only, no styles but a date format and bold rows (a table's title and header): text
as inline strings (never a formula, whatever it starts with), numbers, true/false and
dates. Each sheet is kept in a temporary
file until the workbook is saved, so that rows can go to several sheets in one pass. The
package is compressed at the fastest level: the file comes out about a third larger, and
compressing harder took a large part of the export's time.
"""

import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from datetime import date
from functools import cache
from typing import IO
from xml.sax.saxutils import escape, quoteattr

from registry.jsontext import REFUSED_CHARACTERS, without_refused_characters

# What text may hold that XML needs changed: most text (study ids, choices) holds none. The
# characters XML 1.0 cannot hold, which the registry refuses, are left out (openpyxl does
# the same); &, < and > are escaped.
UNSAFE_IN_XML = re.compile(f"[{REFUSED_CHARACTERS}&<>]")
# Day 0 of the spreadsheet date serials, as Excel counts them since its 1900 leap-year bug.
EPOCH = date(1899, 12, 30)
DATE_STYLE = 1  # the index of the date format in STYLES' cellXfs
BOLD_STYLE = 2  # the index of the bold font in STYLES' cellXfs

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
HEADER = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
STYLES = (
    f'{HEADER}<styleSheet xmlns="{MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf/></cellStyleXfs>'
    '<cellXfs count="3"><xf/><xf numFmtId="164" applyNumberFormat="1"/>'
    '<xf fontId="1" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


class Sheet:
    def __init__(self, name: str):
        self.name = name
        self.rows = 0
        self.file = tempfile.TemporaryFile()

    def append(self, values: Iterable[object], *, bold: bool = False) -> None:
        """One row: each value text, a number, true or false, a date or None (empty); in
        bold, its text, numbers and true/false (a date keeps its date format)."""
        self.rows += 1
        number = self.rows
        style = f' s="{BOLD_STYLE}"' if bold else ""
        cells = "".join(
            [
                _cell(f"{column_letters(index)}{number}", value, style)
                for index, value in enumerate(values)
                if value is not None  # an empty cell is left out
            ]
        )
        self.file.write(f'<row r="{number}">{cells}</row>'.encode())


class Workbook:
    def __init__(self):
        self.sheets: list[Sheet] = []

    def create_sheet(self, name: str) -> Sheet:
        sheet = Sheet(name)
        self.sheets.append(sheet)
        return sheet

    def save(self, stream: IO[bytes]) -> None:
        with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
            package.writestr("[Content_Types].xml", self._content_types())
            package.writestr("_rels/.rels", _relationships([("officeDocument", "xl/workbook.xml")]))
            package.writestr("xl/workbook.xml", self._workbook())
            targets = [("worksheet", f"worksheets/sheet{n}.xml") for n in self._numbers()]
            rels = _relationships([*targets, ("styles", "styles.xml")])
            package.writestr("xl/_rels/workbook.xml.rels", rels)
            package.writestr("xl/styles.xml", STYLES)
            for number, sheet in zip(self._numbers(), self.sheets, strict=True):
                with package.open(f"xl/worksheets/sheet{number}.xml", "w") as part:
                    part.write(f'{HEADER}<worksheet xmlns="{MAIN}"><sheetData>'.encode())
                    sheet.file.seek(0)
                    shutil.copyfileobj(sheet.file, part)
                    part.write(b"</sheetData></worksheet>")
                sheet.file.close()

    def _numbers(self) -> range:
        return range(1, len(self.sheets) + 1)

    def _content_types(self) -> str:
        parts = [("/xl/workbook.xml", f"{CONTENT_TYPE}.sheet.main+xml")]
        parts += [("/xl/styles.xml", f"{CONTENT_TYPE}.styles+xml")]
        parts += [
            (f"/xl/worksheets/sheet{n}.xml", f"{CONTENT_TYPE}.worksheet+xml")
            for n in self._numbers()
        ]
        overrides = "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in parts)
        return (
            f'{HEADER}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>'
        )

    def _workbook(self) -> str:
        sheets = "".join(
            f'<sheet name={quoteattr(sheet.name)} sheetId="{n}" r:id="rId{n}"/>'
            for n, sheet in zip(self._numbers(), self.sheets, strict=True)
        )
        return (
            f'{HEADER}<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
            f"<sheets>{sheets}</sheets></workbook>"
        )


def _relationships(targets: list[tuple[str, str]]) -> str:
    found = "".join(
        f'<Relationship Id="rId{n}" Type="{RELATIONSHIPS}/{kind}" Target="{target}"/>'
        for n, (kind, target) in enumerate(targets, start=1)
    )
    return f'{HEADER}<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">{found}</Relationships>'


def _cell(reference: str, value: object, style: str = "") -> str:
    if isinstance(value, str):
        unsafe = UNSAFE_IN_XML.search(value)
        text = escape(without_refused_characters(value)) if unsafe else value
        return (
            f'<c r="{reference}"{style} t="inlineStr">'
            f'<is><t xml:space="preserve">{text}</t></is></c>'
        )
    if isinstance(value, bool):
        return f'<c r="{reference}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{reference}"{style}><v>{value!r}</v></c>'
    if type(value) is date:
        return f'<c r="{reference}" s="{DATE_STYLE}"><v>{(value - EPOCH).days}</v></c>'
    raise TypeError(f"An XLSX cell holds text, a number, true/false or a date, not {value!r}")


@cache
def column_letters(index: int) -> str:
    """The letters of the column at 0-based `index`: A, ..., Z, AA, AB, ..."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters

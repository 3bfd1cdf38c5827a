"""A patient's lab values as the patient page shows them: days across, analytes down, in
the groups of registry.analytes, each value as entered and in the registry's own unit."""

from collections import defaultdict
from dataclasses import dataclass

from django.urls import reverse

from registry import analytes, models


@dataclass(frozen=True)
class LabCell:
    record: models.LabResult
    edit_url: str

    @property
    def described(self) -> str:
        """The value in words for a screen reader: which analyte, which day, and below
        detection in full."""
        record = self.record
        below = ", below the limit of detection" if record.below_detection else ""
        label = row_label(record.analyte, record.specimen)
        return f"{label} on day {record.day}: {self.entered}{below}"

    @property
    def entered(self) -> str:
        """The value as entered, with its unit; below detection, "< " its limit."""
        record = self.record
        shown = f"{record.value:g} {record.unit}"
        return f"< {shown}" if record.below_detection else shown

    @property
    def converted(self) -> str:
        """The value in the registry's unit, where the unit entered is another; "" else."""
        record = self.record
        unit = analytes.series_unit(record.analyte, record.unit)
        if unit == record.unit:
            return ""
        shown = f"{record.series_value:g} {unit}"
        return f"< {shown}" if record.below_detection else shown


@dataclass(frozen=True)
class LabRow:
    label: str  # the analyte, and its specimen where that is not blood
    analyte: str
    cells: list[LabCell | None]  # one per day of the grid, None where nothing was measured
    days: list[int]

    @property
    def days_and_cells(self) -> list[tuple[int, LabCell | None]]:
        return list(zip(self.days, self.cells, strict=True))


@dataclass(frozen=True)
class LabGrid:
    days: list[int]
    groups: list[tuple[str, list[LabRow]]]  # only the groups with a value


def row_label(analyte: str, specimen: str) -> str:
    name = analytes.ANALYTES[analyte].name
    name = name[0].upper() + name[1:]
    if specimen == analytes.PERIPHERAL_BLOOD:
        return name
    return f"{name}, {analytes.SPECIMENS.get(specimen, specimen)}"


def lab_grid(labs: list[models.LabResult], patient_pk: int) -> LabGrid:
    """The grid of `labs`, each value with the address of its form (reversed once: the
    patient page shows about 30 values)."""
    edit = reverse("web:section-item-edit", args=[patient_pk, "labs", 0])
    stem = edit.removesuffix("0/edit/")
    days = sorted({lab.day for lab in labs})
    column = {day: index for index, day in enumerate(days)}
    by_row: dict[tuple[str, str], list[LabCell | None]] = defaultdict(lambda: [None] * len(days))
    for lab in labs:
        cell = LabCell(lab, f"{stem}{lab.pk}/edit/")
        by_row[lab.analyte, lab.specimen][column[lab.day]] = cell
    groups = []
    for group, codes in analytes.ANALYTE_GROUPS.items():
        # Each analyte in its group's order, its blood values first.
        keys = sorted(
            (key for key in by_row if key[0] in codes),
            key=lambda key: (codes.index(key[0]), key[1] != analytes.PERIPHERAL_BLOOD, key[1]),
        )
        rows = [LabRow(row_label(*key), key[0], by_row[key], days) for key in keys]
        if rows:
            groups.append((group, rows))
    return LabGrid(days, groups)

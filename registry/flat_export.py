"""Flat exports of a study for spreadsheets and statistics packages.

One row per patient with every captured field: one-to-one sections as prefixed columns,
the first infusion in full, list sections summarised. The XLSX also has one sheet per list
section, one row per record. Rows are built from patients whose sections are already
loaded (`registry.interchange.exporter.patients_for_export`), so a row costs no query.
"""

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import IO

from django.utils.text import capfirst

from registry.analytes import PERIPHERAL_BLOOD
from registry.choices import EventKind, PriorTherapyKind
from registry.models import Patient
from registry.models.patient import DAY_30_ASSESSMENT, DAY_30_WINDOW
from registry.sections import BY_KEY, LIST_KEYS
from registry.xlsx import Workbook


@dataclass(frozen=True)
class Column:
    name: str
    description: str
    value: Callable[[Patient], object]


def _describe(model, name: str) -> str:
    field = model._meta.get_field(name)
    described = capfirst(field.verbose_name)
    return f"{described} ({field.help_text})" if field.help_text else described


def _patient_field(name: str) -> Column:
    return Column(name, _describe(Patient, name), lambda patient: getattr(patient, name))


def _one_to_one(section: str) -> list[Column]:
    """Every field of a one-to-one section, as `<section>_<field>` columns."""
    model = BY_KEY[section].model

    def column(name: str) -> Column:
        def value(patient: Patient) -> object:
            return getattr(getattr(patient, section, None), name, None)

        return Column(f"{section}_{name}", _describe(model, name), value)

    return [column(name) for name in model.document_fields]


def _first_infusion(name: str, description: str) -> Column:
    return Column(f"first_infusion_{name}", description, _of(lambda p: p.first_infusion, name))


def _of(record_of: Callable, name: str) -> Callable[[Patient], object]:
    return lambda patient: getattr(record_of(patient), name, None)


def _count(section: str) -> Column:
    description = f"Number of records in {section}"
    return Column(f"{section}_count", description, lambda p: len(getattr(p, section).all()))


def _first_event(kind: str):
    """The earliest event of a kind (events are ordered by date), or None."""
    return lambda patient: next((e for e in patient.events.all() if e.kind == kind), None)


def _event_date(name: str, description: str, kind: str) -> Column:
    """The date of the patient's earliest event of `kind`."""
    return Column(name, description, _of(_first_event(kind), "date"))


def _day_30(patient: Patient):
    low, high = DAY_30_WINDOW
    return next((a for a in patient.response_assessments.all() if low <= a.day <= high), None)


def _peak_car_t(patient: Patient):
    # Flow counts in blood: a qPCR measurement or a marrow count is another series.
    flow = [
        count
        for count in patient.car_t_counts.all()
        if count.cells_per_ul is not None and count.specimen == PERIPHERAL_BLOOD
    ]
    return max(flow, key=lambda count: count.cells_per_ul, default=None)


def _prior_count(kind: str) -> Callable[[Patient], int]:
    return lambda patient: sum(t.kind == kind for t in patient.prior_therapies.all())


def _computed_grade(which: int) -> Callable[[Patient], int | None]:
    def value(patient: Patient) -> int | None:
        if not patient.daily_assessments.all():
            return None
        return patient.computed_grades()[which].grade

    return value


_relapse = _first_event(EventKind.RELAPSE)
_death = _first_event(EventKind.DEATH)

PATIENT_COLUMNS: list[Column] = [
    Column("study_id", "Pseudonymous study id", lambda p: p.subject_id),
    Column("site", "Site code", lambda p: p.site.code),
    *(_patient_field(name) for name in Patient.document_fields),
    Column(
        "age_years",
        "Completed years at the first infusion (at enrolment before any)",
        lambda p: p.age_years,
    ),
    *_one_to_one("eligibility"),
    *_one_to_one("genetics"),
    _count("prior_therapies"),
    Column(
        "prior_murine_cd19_cart_count",
        "Number of earlier murine CD19 CAR-T",
        _prior_count(PriorTherapyKind.MURINE_CD19_CART),
    ),
    Column(
        "prior_cd22_cart_count",
        "Number of earlier CD22 CAR-T",
        _prior_count(PriorTherapyKind.CD22_CART),
    ),
    Column(
        "prior_allo_hct_count",
        "Number of allogeneic HCT before the infusion",
        _prior_count(PriorTherapyKind.ALLO_HCT),
    ),
    *_one_to_one("lymphodepletion"),
    _count("infusions"),
    _first_infusion("date", "Date of the first infusion"),
    _first_infusion("product", "Product of the first infusion"),
    _first_infusion("weight_kg", "Weight at the first infusion (kg)"),
    _first_infusion("cells_per_kg", "Dose of the first infusion (CAR-positive viable cells/kg)"),
    _first_infusion("lot", "Product lot of the first infusion"),
    _count("car_t_counts"),
    Column(
        "car_t_peak_cells_per_ul",
        "Highest CAR-T count (cells/µL)",
        _of(_peak_car_t, "cells_per_ul"),
    ),
    Column(
        "car_t_peak_day", "Day after infusion of the highest CAR-T count", _of(_peak_car_t, "day")
    ),
    *_one_to_one("toxicities"),
    _count("daily_assessments"),
    Column(
        "crs_grade_computed",
        "Maximum CRS grade computed from the daily assessments (ASTCT)",
        _computed_grade(0),
    ),
    Column(
        "icans_grade_computed",
        "Maximum ICANS grade computed from the daily assessments (ASTCT)",
        _computed_grade(1),
    ),
    _count("response_assessments"),
    Column(
        "d30_day",
        f"Day of the day-30 assessment: {DAY_30_ASSESSMENT}",
        _of(_day_30, "day"),
    ),
    Column("d30_status", "Day-30 response: cr, cri, nr or not_evaluable", _of(_day_30, "status")),
    Column(
        "d30_bm_blast_pct",
        "Marrow blasts at the day-30 assessment (%)",
        _of(_day_30, "bm_blast_pct"),
    ),
    Column("d30_mrd", "MRD at the day-30 assessment", _of(_day_30, "mrd")),
    Column(
        "d30_mrd_level", "MRD level at the day-30 assessment (fraction)", _of(_day_30, "mrd_level")
    ),
    Column("d30_mrd_method", "MRD method at the day-30 assessment", _of(_day_30, "mrd_method")),
    _count("events"),
    _event_date(
        "allo_hct_date", "Date of the first allogeneic HCT after the infusion", EventKind.ALLO_HCT
    ),
    Column("relapse_date", "Date of the first relapse", _of(_relapse, "date")),
    Column("relapse_cd19", "CD19 status at the first relapse", _of(_relapse, "cd19")),
    _event_date("b_cell_recovery_date", "Date of B-cell recovery", EventKind.B_CELL_RECOVERY),
    _event_date("car_t_loss_date", "Date the CAR-T cells were lost", EventKind.CAR_T_LOSS),
    _event_date(
        "other_therapy_date",
        "Date of the first other therapy after the infusion",
        EventKind.OTHER_THERAPY,
    ),
    Column("death_date", "Date of death", _of(_death, "date")),
    Column("death_cause", "Cause of death", _of(_death, "cause")),
    Column(
        "vital_status",
        "dead when a death is recorded, else alive",
        lambda p: "dead" if _death(p) else "alive",
    ),
]


def patient_row(patient: Patient, columns: Sequence[Column] = PATIENT_COLUMNS) -> list:
    return [column.value(patient) for column in columns]


def section_header(section: str) -> list[str]:
    model = BY_KEY[section].model
    return ["study_id", *model.document_fields]


def section_rows(patient: Patient, section: str) -> Iterator[list]:
    model = BY_KEY[section].model
    for record in getattr(patient, section).all():
        yield [patient.subject_id, *(getattr(record, name) for name in model.document_fields)]


class _Echo:
    """A file whose write() hands the line back, so csv.writer can feed a stream."""

    def write(self, value: str) -> str:
        return value


def csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # a spreadsheet would run it as a formula
    return str(value)


def iter_patients_csv(
    patients: Iterable[Patient], columns: Sequence[Column] = PATIENT_COLUMNS
) -> Iterator[str]:
    """One CSV line per patient; `columns` another column set, e.g. registry.deidentified's."""
    writer = csv.writer(_Echo())
    yield writer.writerow([column.name for column in columns])
    for patient in patients:
        yield writer.writerow([csv_value(value) for value in patient_row(patient, columns)])


def write_patients_xlsx(patients: Iterable[Patient], stream: IO[bytes]) -> None:
    """The patients sheet, one sheet per list section, and a sheet describing the columns."""
    workbook = Workbook()
    sheet = workbook.create_sheet("patients")
    sheet.append([column.name for column in PATIENT_COLUMNS])
    section_sheets = {}
    for section in LIST_KEYS:
        section_sheets[section] = workbook.create_sheet(section)
        section_sheets[section].append(section_header(section))
    for patient in patients:
        sheet.append(map(_xlsx_value, patient_row(patient)))
        for section, section_sheet in section_sheets.items():
            for row in section_rows(patient, section):
                section_sheet.append(map(_xlsx_value, row))
    columns = workbook.create_sheet("columns")
    columns.append(["column", "description"])
    for column in PATIENT_COLUMNS:
        columns.append([column.name, column.description])
    workbook.save(stream)


def _xlsx_value(value: object) -> object:
    if isinstance(value, list):
        return ";".join(value)
    return None if value == "" else value

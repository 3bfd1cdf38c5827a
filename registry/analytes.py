"""What a laboratory or biomarker entry of cohort format 1.1 may say (issue #18).

The analyte table, the specimens, the two CAR-T measurements and the toxicity treatment
codes of the format's "Version 1.1" section, and the checks and unit conversions the model
layer, the forms and the importer call. Nothing here touches the ORM. Where the format
leaves a choice, the registry decides as follows.

- A value is stored as given, with its unit; computations use it converted to the
  analyte's own unit (the first of its row). The factors are exact (1 x10^9/L = 1000/µL),
  so a conversion is done in rational arithmetic and rounded once: 100/µL is the same
  number as 0.1 x10^9/L, and converts back to exactly 100.
- sIL-2R is reported in U/mL by some laboratories and in pg/mL by others, with no fixed
  factor between them: it stays in the unit given. A series is one analyte in one unit
  (``series_unit``), so values in different units are never combined.
- A value is impossible when it is negative, when a percentage is over 100, or when a
  blood count, haemoglobin or fibrinogen is above anything a patient can have
  (``maximum``): that is how a count typed in /uL under 10^9/L shows itself.
- Every specimen is accepted for every analyte, as the format does; which specimen an
  analysis reads (B-cell aplasia in marrow, CAR-T cells in blood) is the study's setting.
- A value below detection is recorded as its limit of detection and counts as 0
  (``Measurement.level``).

The checks return messages a clinician can act on, empty when the entry is fine; the
conversions raise ValueError on a code the checks would have refused.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

PERIPHERAL_BLOOD = "pb"
SPECIMENS = {
    PERIPHERAL_BLOOD: "peripheral blood",
    "bm": "bone marrow",
    "csf": "cerebrospinal fluid",
}
SPECIMEN_CHOICES = tuple(SPECIMENS.items())


@dataclass(frozen=True)
class Analyte:
    code: str
    name: str  # what a clinician calls it in a sentence: "ANC", "IL-6"
    label: str
    # unit -> how many of the analyte's own unit one of it makes; the own unit comes first.
    units: dict[str, Fraction]
    maximum: float | None = None  # in the own unit: above it the value is impossible

    @property
    def own_unit(self) -> str:
        """The unit computations use: the first of its row."""
        return next(iter(self.units))


_COUNT_UNITS = {"10^9/L": Fraction(1), "/uL": Fraction(1, 1000)}
_CYTOKINE_UNITS = {"pg/mL": Fraction(1)}

ANALYTES = {
    analyte.code: analyte
    for analyte in (
        Analyte("anc", "ANC", "absolute neutrophil count", _COUNT_UNITS, maximum=1000),
        Analyte("alc", "ALC", "absolute lymphocyte count", _COUNT_UNITS, maximum=2000),
        Analyte("platelets", "platelets", "platelet count", _COUNT_UNITS, maximum=5000),
        Analyte(
            "hemoglobin",
            "haemoglobin",
            "haemoglobin",
            {"g/dL": Fraction(1), "g/L": Fraction(1, 10)},
            maximum=30,
        ),
        Analyte("ferritin", "ferritin", "ferritin", {"ng/mL": Fraction(1), "ug/L": Fraction(1)}),
        Analyte("crp", "CRP", "C-reactive protein", {"mg/L": Fraction(1), "mg/dL": Fraction(10)}),
        Analyte(
            "fibrinogen",
            "fibrinogen",
            "fibrinogen",
            {"g/L": Fraction(1), "mg/dL": Fraction(1, 100)},
            maximum=20,
        ),
        Analyte("ldh", "LDH", "lactate dehydrogenase", {"U/L": Fraction(1)}),
        Analyte("il6", "IL-6", "interleukin 6", _CYTOKINE_UNITS),
        Analyte("ifng", "IFN-γ", "interferon gamma", _CYTOKINE_UNITS),
        Analyte("il10", "IL-10", "interleukin 10", _CYTOKINE_UNITS),
        Analyte("tnfa", "TNF-α", "tumour necrosis factor alpha", _CYTOKINE_UNITS),
        Analyte(
            "sil2r",
            "sIL-2R",
            "soluble interleukin 2 receptor",
            {"U/mL": Fraction(1), "pg/mL": Fraction(1)},
        ),
        Analyte(
            "b_cells_pct",
            "B cells",
            "CD19-positive B cells, % of lymphocytes",
            {"%": Fraction(1)},
            maximum=100,
        ),
    )
}
# Kept in the unit given: no factor joins its units (see the module docstring).
UNCONVERTED = frozenset({"sil2r"})

# The analytes in the groups a clinician reads them in, in the order of a lab sheet.
ANALYTE_GROUPS = {
    "Blood counts": ("anc", "alc", "platelets", "hemoglobin"),
    "Chemistry, ferritin and CRP": ("ferritin", "crp", "fibrinogen", "ldh"),
    "Cytokines": ("il6", "ifng", "il10", "tnfa", "sil2r"),
    "B cells": ("b_cells_pct",),
}


@dataclass(frozen=True)
class Measurement:
    """One dated value of a series: a lab value in its series unit, or a CAR-T count."""

    day: int  # days after the first infusion
    value: float
    below_detection: bool = False  # value is then the limit of detection
    specimen: str = PERIPHERAL_BLOOD

    @property
    def level(self) -> float:
        return 0.0 if self.below_detection else self.value


def lab_problems(*, analyte: str, value: float, unit: str, specimen: str = "pb") -> list[str]:
    """Why a lab entry cannot be recorded; empty when it can."""
    by_key = lab_problems_by_key(analyte=analyte, value=value, unit=unit, specimen=specimen)
    return every_problem(by_key)


def lab_problems_by_key(
    *, analyte: str, value: float, unit: str, specimen: str = "pb"
) -> dict[str, list[str]]:
    """`lab_problems` by the key of the entry each is about (analyte, unit, value,
    specimen), for a form or a document to show each at its field."""
    found = {"specimen": _specimen_problems(specimen)}
    entry = ANALYTES.get(analyte)
    if entry is None:
        found = {
            "analyte": [f"Unknown analyte {analyte!r}: use one of {', '.join(ANALYTES)}"]
        } | found
    elif unit not in entry.units:
        accepted = " or ".join(entry.units)
        found = {"unit": [f"Unit {unit} is not used for {entry.name}; use {accepted}"]} | found
    else:
        found = {"value": _value_problems(entry, value, unit)} | found
    return {key: problems for key, problems in found.items() if problems}


def _value_problems(analyte: Analyte, value: float, unit: str) -> list[str]:
    if value < 0:
        return [f"{analyte.name} cannot be negative ({value:g} {unit})"]
    if analyte.maximum is None or _in_own_unit(analyte, value, unit) <= analyte.maximum:
        return []
    if unit == "%":
        return [f"{analyte.name} cannot be over 100% ({value:g}%)"]
    return [f"{analyte.name} {value:g} {unit} is more than any patient has: check the unit"]


def _specimen_problems(specimen: str) -> list[str]:
    if specimen in SPECIMENS:
        return []
    known = ", ".join(f"{code} ({label})" for code, label in SPECIMENS.items())
    return [f"Unknown specimen {specimen!r}: use {known}"]


def series_unit(analyte: str, unit: str) -> str:
    """The unit the registry computes a value of this analyte in."""
    entry = _accepted(analyte, unit)
    return unit if analyte in UNCONVERTED else entry.own_unit


def to_series_unit(analyte: str, value: float, unit: str) -> float:
    """The value in ``series_unit(analyte, unit)``: the analyte's own unit, or as given
    for an analyte kept in its unit (sIL-2R)."""
    entry = _accepted(analyte, unit)
    return value if analyte in UNCONVERTED else _in_own_unit(entry, value, unit)


def series_factor(analyte: str, unit: str) -> Fraction:
    """What ``to_series_unit`` multiplies a value in ``unit`` by, exactly: for a computation
    that converts many values without checking each one's codes again."""
    return conversion_factor(analyte, unit, series_unit(analyte, unit))


def conversion_factor(analyte: str, unit: str, to_unit: str) -> Fraction | None:
    """What a value of the analyte in ``unit`` is multiplied by to be in ``to_unit``, one of
    its accepted units, exactly; None where there is no factor (sIL-2R between its units)."""
    entry = _accepted(analyte, unit)
    _accepted(analyte, to_unit)
    if analyte in UNCONVERTED and unit != to_unit:
        return None
    return Fraction(entry.units[unit]) / entry.units[to_unit]


def convert(analyte: str, value: float, unit: str, to_unit: str) -> float:
    """The value in another of the analyte's accepted units."""
    factor = conversion_factor(analyte, unit, to_unit)
    if factor is None:
        raise ValueError(f"{ANALYTES[analyte].name} in {unit} cannot be converted to {to_unit}")
    return float(Fraction(value) * factor)


def _in_own_unit(analyte: Analyte, value: float, unit: str) -> float:
    return float(Fraction(value) * analyte.units[unit])


def every_problem(by_key: dict[str, list[str]]) -> list[str]:
    """The problems of an entry found by the key each is about, in one list."""
    return [problem for problems in by_key.values() for problem in problems]


def _accepted(analyte: str, unit: str) -> Analyte:
    problems = lab_problems(analyte=analyte, value=0, unit=unit)
    if problems:
        raise ValueError(problems[0])
    return ANALYTES[analyte]


# car_t_counts: flow cytometry and qPCR are two separate series (clinical rules,
# "Biomarkers"); an entry carries one or both.
CAR_T_MEASUREMENTS = {
    "cells_per_ul": "CAR-T cells/µL by flow cytometry",
    "copies_per_ug_dna": "CAR transgene copies/µg DNA by qPCR",
}


def car_t_count_problems_by_key(
    *, cells_per_ul: float | None, copies_per_ug_dna: float | None, specimen: str = "pb"
) -> dict[str, list[str]]:
    """Why a CAR-T count cannot be recorded, by the key each problem is about ("" for the
    entry as a whole); empty when it can."""
    levels = {"cells_per_ul": cells_per_ul, "copies_per_ug_dna": copies_per_ug_dna}
    found = {"specimen": _specimen_problems(specimen)}
    if all(level is None for level in levels.values()):
        needs = "A CAR-T count needs cells/µL (flow cytometry) or copies/µg DNA (qPCR)"
        found = {"": [needs]} | found
    negative = {
        kind: [f"{CAR_T_MEASUREMENTS[kind]} cannot be negative ({level:g})"]
        for kind, level in levels.items()
        if level is not None and level < 0
    }
    return {key: problems for key, problems in (negative | found).items() if problems}


# The lymphodepleting drugs, by the field of their dose (mg/m²/day).
LYMPHODEPLETING_DRUGS = {
    "fludarabine_mg_m2_per_day": "Fludarabine",
    "cyclophosphamide_mg_m2_per_day": "Cyclophosphamide",
}
TOXICITY_TREATMENTS = {
    "tocilizumab": "Tocilizumab",
    "corticosteroid": "Corticosteroid",
    "anakinra": "Anakinra",
    "siltuximab": "Siltuximab",
    "plasmapheresis": "Plasmapheresis",
    "other": "Other",
}
# The toxicities boolean that says whether a treatment was given -> the treatment's code.
TREATMENT_FLAGS = {
    "tocilizumab": "tocilizumab",
    "corticosteroids": "corticosteroid",
    "plasmapheresis": "plasmapheresis",
}


def toxicity_treatment_problems_by_key(
    *, treatment: str, dose_mg: float | None = None, description: str = ""
) -> dict[str, list[str]]:
    """Why a toxicity treatment entry cannot be recorded, by the key each problem is about;
    empty when it can."""
    if treatment not in TOXICITY_TREATMENTS:
        known = ", ".join(TOXICITY_TREATMENTS)
        return {"treatment": [f"Unknown treatment {treatment!r}: use one of {known}"]}
    found = {}
    if dose_mg is not None and dose_mg < 0:
        found["dose_mg"] = [f"A dose cannot be negative ({dose_mg:g} mg)"]
    if treatment == "other" and not description.strip():
        found["description"] = ["Say which treatment: 'other' needs a description"]
    return found


def treatment_flags(treatments: Iterable[str]) -> dict[str, bool]:
    """The toxicities booleans the treatment entries imply: tocilizumab is true exactly
    when there is a tocilizumab entry, and so on."""
    given = set(treatments)
    return {flag: code in given for flag, code in TREATMENT_FLAGS.items()}

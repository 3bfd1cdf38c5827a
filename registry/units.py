"""The unit of each measured field of a course: as a page shows it beside the input, and
as UCUM (https://ucum.org) writes it for the systems the registry exchanges data with (the
MeasurementUnit of the ODM export, registry.interchange.odm). A score or a count of days
on a page has something shown beside it but no unit of measure (`ucum` None)."""

from dataclasses import dataclass

# A month, in days: the average Gregorian month (365.25 / 12 = 30.4375). The analyses count
# time in months of this length (days / MONTH_DAYS), and the demo study's monthly visits
# fall on its multiples.
MONTH_DAYS = 365.25 / 12


@dataclass(frozen=True)
class Unit:
    shown: str
    ucum: str | None


# By field name: a name means the same quantity in every section that has it.
FIELD_UNITS: dict[str, Unit] = {
    "cd19_blast_pct": Unit("%", "%"),
    "bm_blast_pct": Unit("%", "%"),
    "fludarabine_mg_m2_per_day": Unit("mg/m²/day", "mg/m2/d"),
    "cyclophosphamide_mg_m2_per_day": Unit("mg/m²/day", "mg/m2/d"),
    "days": Unit("days", "d"),
    "weight_kg": Unit("kg", "kg"),
    "cells_per_kg": Unit("cells/kg", "{cells}/kg"),
    "cells_per_ul": Unit("cells/µL", "{cells}/uL"),
    "copies_per_ug_dna": Unit("copies/µg DNA", "{copies}/ug"),
    "dose_mg": Unit("mg", "mg"),
    "temperature_c": Unit("°C", "Cel"),
    "ice_score": Unit("/ 10", None),
    "capd_score": Unit("/ 32", None),
    "mrd_level": Unit("fraction", "1"),
}

# A lab value's unit as recorded (registry.analytes) -> its UCUM code. U/mL is the
# assay's arbitrary unit of sIL-2R, the one analyte recorded in it, not UCUM's enzyme unit.
LAB_UNITS_UCUM: dict[str, str] = {
    "10^9/L": "10*9/L",
    "/uL": "/uL",
    "g/dL": "g/dL",
    "g/L": "g/L",
    "ng/mL": "ng/mL",
    "ug/L": "ug/L",
    "mg/L": "mg/L",
    "mg/dL": "mg/dL",
    "U/L": "U/L",
    "pg/mL": "pg/mL",
    "U/mL": "[arb'U]/mL",
    "%": "%",
}

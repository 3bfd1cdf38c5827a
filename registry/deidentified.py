"""The de-identified export: the flat export's patient rows, fit to leave the registry.

It is registry.flat_export's CSV with these columns changed (DEIDENTIFIED_COLUMNS):

- **study_id** becomes `pseudonym`: the first 16 hex digits (64 bits) of HMAC-SHA256 of
  `<study code>/<study id>`, keyed with a key derived from SECRET_KEY (Django's
  `salted_hmac` with the salt PSEUDONYM_SALT). A patient keeps the same pseudonym in every
  export, so exports can be joined; without the key a pseudonym cannot be traced back to
  its study id, not even by trying every likely id. Changing SECRET_KEY changes them all.
- **birth_date** is left out; `age_years`, completed years at the first infusion, stays.
- **every other date** becomes whole days from the patient's first infusion, in a column
  named `..._day` instead of `..._date` (negative before the infusion; empty for a patient
  never infused). The first infusion's own date, day 0 by definition, is left out.
- **free text** is left out: the genetics' other findings and the product lot. Follow-up
  event descriptions are not in the patient rows to begin with.

Codes, numbers and grades are exported as the flat export has them, site codes included.
"""

from django.utils.crypto import salted_hmac

from registry.flat_export import PATIENT_COLUMNS, Column
from registry.models import Patient

PSEUDONYM_SALT = "registry.deidentified.pseudonym"
LEFT_OUT = {"study_id", "birth_date", "first_infusion_date", "genetics_other", "first_infusion_lot"}


def pseudonym(study_code: str, subject_id: str) -> str:
    """The patient's pseudonym: stable, and not reversible without SECRET_KEY."""
    digest = salted_hmac(PSEUDONYM_SALT, f"{study_code}/{subject_id}", algorithm="sha256")
    return digest.hexdigest()[:16]


def _days_from_first_infusion(column: Column) -> Column:
    def value(patient: Patient) -> int | None:
        when, first = column.value(patient), patient.first_infusion
        if when is None or first is None:
            return None
        return (when - first.date).days

    name = column.name.removesuffix("_date") + "_day"
    return Column(name, f"{column.description}, in days from the first infusion", value)


def _deidentified(column: Column) -> Column:
    return _days_from_first_infusion(column) if column.name.endswith("_date") else column


DEIDENTIFIED_COLUMNS: list[Column] = [
    Column(
        "pseudonym",
        "Pseudonym of the patient, the same in every export (HMAC of the study id)",
        lambda patient: pseudonym(patient.study.code, patient.subject_id),
    ),
    *(_deidentified(column) for column in PATIENT_COLUMNS if column.name not in LEFT_OUT),
]

"""The required fields of a study and the status of each section of a patient's casebook:
pure rules over values, with no model. registry.casebook stores what they give.

A required field is named by its place in the course, `section.field` ("infusions.
cells_per_kg"), or `patient.field` for the patient's own record. It is missing

- in a single record (the patient, eligibility, lymphodepletion, …) when that record is
  not there or the field is empty;
- in a list of records (infusions, response assessments, …) when the list is empty or any
  of its records has the field empty.

Empty is no value, an empty text or list, or an MRD recorded as "unknown": the answer to
the question was not found.

A section is **incomplete** while one of its required fields is missing, **complete**
otherwise (a section with nothing required is complete); **verified** once a monitor has
checked it against the source documents; **signed** while an investigator's signature of
the casebook stands. A change to a verified or signed section sets it back to complete (or
incomplete), and a change to a signed one voids the signature.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

INCOMPLETE, COMPLETE, VERIFIED, SIGNED = "incomplete", "complete", "verified", "signed"
STATUSES = (
    (INCOMPLETE, "Incomplete"),
    (COMPLETE, "Complete"),
    (VERIFIED, "Verified"),
    (SIGNED, "Signed"),
)
STATUS_LABELS = dict(STATUSES)

# The seed protocol's: the lymphodepletion regimen, the infusion dose, the response and
# its MRD.
DEFAULT_REQUIRED = (
    "lymphodepletion.fludarabine_mg_m2_per_day",
    "lymphodepletion.cyclophosphamide_mg_m2_per_day",
    "lymphodepletion.days",
    "infusions.cells_per_kg",
    "response_assessments.status",
    "response_assessments.mrd",
)

EMPTY_VALUES = (None, "", [], "unknown")

SIGNATURE_MEANING = "I confirm the data of this casebook are complete and accurate"


def default_required() -> list[str]:
    return list(DEFAULT_REQUIRED)


def split(path: str) -> tuple[str, str]:
    section, _, field = path.partition(".")
    return section, field


def required_problems(paths: object, known: Mapping[str, Sequence[str]]) -> list[str]:
    """Why `paths` are not a study's required fields; `known` gives each section's fields
    (the patient's under "patient"). Empty when they are."""
    if not isinstance(paths, list) or not all(isinstance(path, str) for path in paths):
        return ["Give the required fields as a list of names such as infusions.cells_per_kg"]
    problems = []
    for path in paths:
        section, field = split(path)
        if section not in known:
            problems.append(f"“{path}”: the course has no section “{section}”")
        elif field not in known[section]:
            problems.append(f"“{path}”: {section} has no field “{field}”")
    if len(set(paths)) != len(paths):
        problems.append("Name each required field once")
    return problems


def by_section(paths: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The required fields grouped by section, each section's in the order given."""
    grouped: dict[str, list[str]] = {}
    for path in paths:
        section, field = split(path)
        grouped.setdefault(section, []).append(field)
    return {section: tuple(fields) for section, fields in grouped.items()}


def is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str | list) and value in EMPTY_VALUES)


@dataclass(frozen=True)
class SectionCompleteness:
    required: int  # the section's required fields
    missing: tuple[str, ...]  # those missing, by field name

    @property
    def filled(self) -> int:
        return self.required - len(self.missing)


def section_completeness(
    fields: Sequence[str], records: Sequence[Mapping[str, object]]
) -> SectionCompleteness:
    """Which of a section's required `fields` are missing from its `records` (each a
    mapping of field name to value; one at most for a single record)."""
    missing = tuple(
        field
        for field in fields
        if not records or any(is_empty(record.get(field)) for record in records)
    )
    return SectionCompleteness(len(fields), missing)


def status_after_change(missing: Sequence[str]) -> str:
    """The status of a section whose data changed: verified and signed no longer hold."""
    return INCOMPLETE if missing else COMPLETE


def status_kept(status: str, missing: Sequence[str]) -> str:
    """The status of a section whose required fields were counted again without its data
    changing (the study's required fields changed): a check or a signature still holds
    unless something is now missing."""
    if missing:
        return INCOMPLETE
    return status if status in (VERIFIED, SIGNED) else COMPLETE

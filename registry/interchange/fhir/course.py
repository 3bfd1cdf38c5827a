"""What every resource of a patient's course shares: its id, how it refers to others
(Naming), the patient and study it belongs to and the dates of its days (Course), and the
parts many resources carry."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from hashlib import sha1
from uuid import NAMESPACE_URL, uuid5

from django.db.models import Model
from django.utils.text import capfirst

from registry.interchange.fhir import codes
from registry.units import FIELD_UNITS

NAMESPACE = uuid5(NAMESPACE_URL, codes.REGISTRY)
COMPLETED = "completed"
# The variant bits of a name-based UUID (RFC 4122) over a hexadecimal digit.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


# The hash of the namespace, which every id's hash starts from (a copy of it, continued).
_NAMESPACE_HASH = sha1(NAMESPACE.bytes)


def resource_id(resource_type: str, key: object) -> str:
    """uuid5(NAMESPACE, "<type>/<key>") as text, written out here: uuid.uuid5 builds a UUID
    object for each of the hundreds of resources of every patient."""
    hashed = _NAMESPACE_HASH.copy()
    hashed.update(f"{resource_type}/{key}".encode())
    digest = hashed.hexdigest()
    return (
        f"{digest[:8]}-{digest[8:12]}-5{digest[13:16]}-"
        f"{_VARIANT[digest[16]]}{digest[17:20]}-{digest[20:32]}"
    )


@dataclass(frozen=True)
class Naming:
    """How resources are named and referred to: in a Bundle or one per line (NDJSON)."""

    in_bundle: bool

    def id(self, resource_type: str, key: object) -> str:
        return resource_id(resource_type, key)

    def reference(self, resource: dict) -> dict:
        if self.in_bundle:
            return {"reference": f"urn:uuid:{resource['id']}"}
        return {"reference": f"{resource['resourceType']}/{resource['id']}"}


@dataclass
class Course:
    """What every resource of one patient refers to or reads."""

    patient: dict
    study: dict
    naming: Naming
    first_infusion: date | None
    subject: dict = field(init=False)
    _days: dict[int, dict] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.subject = self.naming.reference(self.patient)

    def on_day(self, day: int) -> dict:
        """When a thing of a day after the first infusion happened, as an observation or
        an administration says it; nothing without an infusion."""
        if self.first_infusion is None:
            return {}
        if day not in self._days:
            moment = (self.first_infusion + timedelta(days=day)).isoformat()
            self._days[day] = {"effectiveDateTime": moment}
        return self._days[day]

    def date_of_day(self, day: int) -> str | None:
        """The date of a day after the first infusion; None without an infusion."""
        return self.on_day(day).get("effectiveDateTime")


# The parts many resources share are made once and written as they are: nothing changes
# a resource once it is made.
CATEGORIES = {
    kind: codes.category(kind) for kind in ("laboratory", "exam", "vital-signs", "survey")
}
MEASUREMENTS = {code: codes.measurement(code) for code in codes.MEASUREMENTS}


def observation(course: Course, key: str, kind: str, code: dict, day: int | None) -> dict:
    """An Observation of the patient of category `kind`, of the day after the first
    infusion `day` (none: dated by the caller or not at all); `key` names its record."""
    return {
        "resourceType": "Observation",
        "id": course.naming.id("Observation", key),
        "status": "final",
        "category": CATEGORIES[kind],
        "code": code,
        "subject": course.subject,
        **(course.on_day(day) if day is not None else {}),
    }


def component(model: type[Model], name: str, value: object) -> dict:
    """A recorded value of a section's field as an Observation component: a measure as a
    Quantity in UCUM, a choice coded (`urn:cart-registry:<field>`), a yes/no as a
    boolean, a score or count as an integer, free text as a string. Its code is the field's
    key in the cohort document (`urn:cart-registry:field`), a standard code first where
    one names it (codes.STANDARD_FIELD_CODES)."""
    unit = FIELD_UNITS.get(name)
    if unit is not None and unit.ucum is not None:
        quantity = codes.quantity(value, unit.shown, unit.ucum)
        return {"code": field_code(model, name), "valueQuantity": quantity}
    if isinstance(value, str) and not _is_choice(model, name):
        return {"code": field_code(model, name), "valueString": value}
    return _exact_component(model, name, value)


@cache
def field_code(model: type[Model], name: str) -> dict:
    """The code of a section's field, its display the field's label. A component's codes
    carry no `text` repeating the display: a day's findings are a large part of an export."""
    label = capfirst(str(model._meta.get_field(name).verbose_name))
    coding = [{"system": codes.FIELDS, "code": name, "display": label}]
    if name in codes.STANDARD_FIELD_CODES:
        coding.insert(0, codes.STANDARD_FIELD_CODES[name])
    return {"coding": coding}


@cache
def _is_choice(model: type[Model], name: str) -> bool:
    return bool(model._meta.get_field(name).choices)


@cache
def choice(model: type[Model], name: str, value: str, system: str | None = None) -> dict:
    """A choice of a section's field, coded in the registry's system of that name (the
    field's name unless another is given)."""
    label = str(dict(model._meta.get_field(name).flatchoices)[value])
    return codes.coded(codes.registry_system(system or name), value, label)


# The same value of a field is the same component: made once (nothing changes a part once
# it is made), since most days repeat the same few findings.
@cache
def _exact_component(model: type[Model], name: str, value: object) -> dict:
    code = field_code(model, name)
    if _is_choice(model, name):
        return {
            "code": code,
            "valueCodeableConcept": {"coding": choice(model, name, value)["coding"]},
        }
    if isinstance(value, bool):
        return {"code": code, "valueBoolean": value}
    return {"code": code, "valueInteger": value}

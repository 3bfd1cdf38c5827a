"""The course around the CAR-T cells as FHIR resources: the eligibility and genetics
before them, the therapies before them (prior therapies) and the events after them
(follow-up) other than a death and a withdrawal, which the Patient and the ResearchSubject
say."""

from registry import models as registry
from registry.choices import (
    CART_THERAPY_KINDS,
    Cd19Status,
    EventKind,
    ExtramedullarySite,
    PriorResponse,
    PriorTherapyKind,
)
from registry.eligibility import VERDICT_LABELS
from registry.interchange.fhir import codes
from registry.interchange.fhir.course import (
    COMPLETED,
    MEASUREMENTS,
    Course,
    choice,
    component,
    field_code,
    observation,
)

ELIGIBILITY_VALUES = ("cd19_blast_pct", "bm_blast_pct", "ecog", "adequate_organ_function")
# Prior therapies given as a procedure (cells, a transplant); the others as drugs.
PRIOR_PROCEDURES = {*CART_THERAPY_KINDS, PriorTherapyKind.ALLO_HCT}
FOLLOW_UP_PROCEDURES = {EventKind.ALLO_HCT, EventKind.OTHER_THERAPY}
# Said by the Patient (deceasedDateTime) and the ResearchSubject (status, period).
SAID_ELSEWHERE = {EventKind.DEATH, EventKind.WITHDRAWAL}
PHASE = {
    phase: codes.coded(codes.registry_system("phase"), phase, words)
    for phase, words in codes.PHASES.items()
}
ELIGIBLE = {
    eligible: codes.coded(codes.registry_system("eligibility"), code, VERDICT_LABELS[eligible])
    for eligible, code in codes.ELIGIBILITY_CODES.items()
}


def eligibility(record: registry.Eligibility, course: Course) -> dict:
    """The protocol's verdict (registry.eligibility) as the value, the reasons for it as
    notes, and the values it was judged on as components."""
    verdict = record.verdict()
    found = observation(
        course, f"eligibility/{record.pk}", "exam", MEASUREMENTS["eligibility"], None
    )
    found["valueCodeableConcept"] = ELIGIBLE[verdict.eligible]
    if verdict.reasons:
        found["note"] = [{"text": reason} for reason in verdict.reasons]
    parts = [
        component(registry.Eligibility, name, value)
        for name in ELIGIBILITY_VALUES
        if (value := getattr(record, name)) is not None
    ]
    site_code = field_code(registry.Eligibility, "extramedullary_sites")
    for site in record.extramedullary_sites or []:
        where = codes.coded(
            codes.registry_system("extramedullary_sites"), site, ExtramedullarySite(site).label
        )
        parts.append({"code": site_code, "valueCodeableConcept": {"coding": where["coding"]}})
    if parts:
        found["component"] = parts
    return found


def genetics(record: registry.Genetics, course: Course) -> dict | None:
    """The findings recorded, one component each; None when none is."""
    parts = [
        component(registry.Genetics, name, value)
        for name in record.document_fields
        if (value := getattr(record, name)) is not None and value != ""
    ]
    if not parts:
        return None
    found = observation(
        course, f"genetics/{record.pk}", "laboratory", MEASUREMENTS["genetics"], None
    )
    found["component"] = parts
    return found


def prior_therapy(record: registry.PriorTherapy, course: Course) -> dict:
    """A CAR-T or a transplant as a Procedure, its best response the outcome and the
    relapse after it an extension; a drug as a MedicationStatement."""
    therapy = choice(registry.PriorTherapy, "kind", record.kind, "prior-therapy")
    key = f"prior-therapy/{record.pk}"
    if record.kind not in PRIOR_PROCEDURES:
        statement = {
            "resourceType": "MedicationStatement",
            "id": course.naming.id("MedicationStatement", key),
            "status": COMPLETED,
            "category": PHASE["prior"],
            "medicationCodeableConcept": therapy,
            "subject": course.subject,
        }
        if record.date is not None:
            statement["effectiveDateTime"] = record.date.isoformat()
        return statement
    procedure = _procedure(course, key, "prior", therapy, record.date)
    if record.best_response:
        procedure["outcome"] = codes.coded(
            codes.registry_system("best_response"),
            record.best_response,
            PriorResponse(record.best_response).label,
        )
    if record.relapse_date is not None:
        relapse = {"url": codes.RELAPSE_DATE, "valueDate": record.relapse_date.isoformat()}
        procedure["extension"] = [relapse]
    return procedure


def follow_up_event(record: registry.FollowUpEvent, condition: dict, course: Course) -> dict | None:
    """A transplant or another therapy as a Procedure; a relapse (of the `condition`),
    B-cell recovery or the loss of the CAR-T cells as an Observation of its date. None for
    a death or a withdrawal (SAID_ELSEWHERE)."""
    if record.kind in SAID_ELSEWHERE:
        return None
    event = choice(registry.FollowUpEvent, "kind", record.kind, "event")
    key = f"event/{record.pk}"
    if record.kind in FOLLOW_UP_PROCEDURES:
        if record.description:
            event = {"coding": event["coding"], "text": record.description}
        return _procedure(course, key, "follow-up", event, record.date)
    found = observation(course, key, "exam", event, None)
    found["effectiveDateTime"] = record.date.isoformat()
    if record.kind == EventKind.RELAPSE:
        found["focus"] = [course.naming.reference(condition)]
        status = Cd19Status(record.cd19 or Cd19Status.UNKNOWN)
        found["valueCodeableConcept"] = choice(registry.FollowUpEvent, "cd19", status.value)
    else:
        found["valueBoolean"] = True
    return found


def _procedure(course: Course, key: str, phase: str, code: dict, when) -> dict:
    procedure = {
        "resourceType": "Procedure",
        "id": course.naming.id("Procedure", key),
        "status": COMPLETED,
        "category": PHASE[phase],
        "code": code,
        "subject": course.subject,
    }
    if when is not None:
        procedure["performedDateTime"] = when.isoformat()
    return procedure

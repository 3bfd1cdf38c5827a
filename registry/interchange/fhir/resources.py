"""One patient's course as FHIR R4 resources, built as plain data (dicts ready for JSON):
building the library's models for every resource of a large study would take most of an
export's time, so the tests validate these dicts with the library instead.

The values are those of the cohort document (registry.interchange.exporter.present_fields):
what was recorded, as of the day and at the cut-off the patients were read for. Each
resource's id is a UUID derived from the record it comes from, so the same record has the
same id in every export; a reference is `urn:uuid:<id>` inside a Bundle, whose entries are
named so, and `Type/<id>` in NDJSON (docs/fhir.md).
"""

from collections.abc import Iterator
from datetime import date, timedelta
from functools import cache

from registry import models as registry
from registry.analytes import ANALYTES, LYMPHODEPLETING_DRUGS, PERIPHERAL_BLOOD, SPECIMENS
from registry.choices import EventKind, Mrd, MrdMethod, Product, ResponseStatus
from registry.course import record_fields
from registry.interchange.exporter import present_fields
from registry.interchange.fhir import codes, history
from registry.interchange.fhir import toxicity as after_infusion
from registry.interchange.fhir.course import (
    COMPLETED,
    MEASUREMENTS,
    Course,
    Naming,
    observation,
)
from registry.units import FIELD_UNITS


def research_study(study: registry.Study, header: dict, naming: Naming) -> dict:
    """The study, its title as it stood at the day exported (`header`, exporter.study_header)."""
    resource = {
        "resourceType": "ResearchStudy",
        "id": naming.id("ResearchStudy", study.pk),
        "identifier": [{"system": codes.STUDY_CODES, "value": header["code"]}],
        "status": "active",
        "condition": [codes.B_ALL],
    }
    if header.get("title"):
        resource["title"] = header["title"]
    return resource


def patient_resources(
    patient: registry.Patient, study_resource: dict, naming: Naming
) -> Iterator[dict]:
    """Every resource of the patient's course, the Patient first; `study_resource` is the
    study's ResearchStudy (research_study)."""
    own = present_fields(record_fields(patient))
    events = [present_fields(record_fields(event)) for event in patient.events.all()]
    first = patient.first_infusion
    first_infusion = first.date if first else None
    # The study's code from its resource: a patient read as of a day has no study loaded.
    study_code = study_resource["identifier"][0]["value"]
    study_id = {"system": codes.study_ids(study_code), "value": patient.subject_id}
    resource = _patient(patient, own, events, study_id, naming)
    course = Course(resource, study_resource, naming, first_infusion)
    yield resource
    yield _research_subject(patient, own, events, study_id, course)
    condition = _condition(patient, own, course)
    yield condition
    yield from _before_the_cells(patient, course)
    administrations = []
    for infusion in patient.infusions.all():
        weight, administration = _infusion(infusion, course)
        administrations.append(administration)
        yield weight
        yield administration
    yield from _after_the_cells(patient, administrations, condition, course)


def _before_the_cells(patient: registry.Patient, course: Course) -> Iterator[dict]:
    """The eligibility, the genetics, the prior therapies and the lymphodepletion."""
    record = getattr(patient, "eligibility", None)
    if record is not None:
        yield history.eligibility(record, course)
    record = getattr(patient, "genetics", None)
    found = None if record is None else history.genetics(record, course)
    if found is not None:
        yield found
    for therapy in patient.prior_therapies.all():
        yield history.prior_therapy(therapy, course)
    lymphodepletion = getattr(patient, "lymphodepletion", None)
    if lymphodepletion is not None:
        yield from _lymphodepletion(lymphodepletion, course)


def _after_the_cells(
    patient: registry.Patient, administrations: list[dict], condition: dict, course: Course
) -> Iterator[dict]:
    """The CAR-T counts, the lab values, the daily CRS and ICANS findings, the toxicity
    treatments, the responses, the site's CRS and ICANS, and the follow-up events."""
    for count in patient.car_t_counts.all():
        yield from _car_t_count(count, course)
    for lab in patient.labs.all():
        yield _lab(lab, course)
    yield from after_infusion.daily_assessments(patient, course)
    yield from after_infusion.toxicity_treatments(patient, course)
    for assessment in patient.response_assessments.all():
        yield from _response(assessment, course)
    toxicities = getattr(patient, "toxicities", None)
    if toxicities is not None:
        yield from _adverse_events(toxicities, administrations, course)
    for event in patient.events.all():
        found = history.follow_up_event(event, condition, course)
        if found is not None:
            yield found


def _patient(
    patient: registry.Patient, own: dict, events: list[dict], study_id: dict, naming: Naming
) -> dict:
    resource = {
        "resourceType": "Patient",
        "id": naming.id("Patient", patient.pk),
        # Pseudonymous: the study id, the year of birth, never a name or a record number.
        "meta": {
            "security": [
                {"system": codes.SECURITY_LABELS, "code": "PSEUDED", "display": "pseudonymized"}
            ]
        },
        "identifier": [study_id],
        "gender": own.get("sex", "unknown"),
    }
    if "birth_date" in own:
        resource["birthDate"] = own["birth_date"][:4]
    death = next((e for e in events if e["kind"] == EventKind.DEATH and "date" in e), None)
    if death is not None:
        resource["deceasedDateTime"] = death["date"]
    return resource


def _research_subject(
    patient: registry.Patient, own: dict, events: list[dict], study_id: dict, course: Course
) -> dict:
    kinds = {event["kind"]: event.get("date") for event in events}
    status, ended = "on-study", None
    if EventKind.WITHDRAWAL in kinds:
        status, ended = "withdrawn", kinds[EventKind.WITHDRAWAL]
    elif EventKind.DEATH in kinds:
        status, ended = "off-study", kinds[EventKind.DEATH]
    resource = {
        "resourceType": "ResearchSubject",
        "id": course.naming.id("ResearchSubject", patient.pk),
        "identifier": [study_id],
        "status": status,
        "study": course.naming.reference(course.study),
        "individual": course.subject,
    }
    period = {"start": own.get("enrollment_date"), "end": ended}
    if any(period.values()):
        resource["period"] = {key: value for key, value in period.items() if value}
    return resource


def _condition(patient: registry.Patient, own: dict, course: Course) -> dict:
    resource = {
        "resourceType": "Condition",
        "id": course.naming.id("Condition", patient.pk),
        "verificationStatus": {
            "coding": [{"system": codes.CONDITION_VERIFICATION, "code": "confirmed"}]
        },
        "code": codes.B_ALL,
        "subject": course.subject,
    }
    if "diagnosis_date" in own:
        resource["onsetDateTime"] = own["diagnosis_date"]
    return resource


def _lymphodepletion(record: registry.Lymphodepletion, course: Course) -> Iterator[dict]:
    """The lymphodepleting chemotherapy as a Procedure, and each drug given (a dose above
    0) as a MedicationAdministration part of it, with its dose per m² and day. A drug
    needs the start date to be administered on: without one, the Procedure says the
    doses in words."""
    values = present_fields(record_fields(record))
    procedure = {
        "resourceType": "Procedure",
        "id": course.naming.id("Procedure", f"lymphodepletion/{record.pk}"),
        "status": COMPLETED,
        "code": {"text": "Lymphodepleting chemotherapy"},
        "subject": course.subject,
    }
    period = _period(values.get("start_date"), values.get("days"))
    if period:
        procedure["performedPeriod"] = period
    given = {
        name: (drug, values[name])
        for name, drug in LYMPHODEPLETING_DRUGS.items()
        if values.get(name)
    }
    unit = FIELD_UNITS["fludarabine_mg_m2_per_day"]
    if given and not period:
        doses = ", ".join(f"{drug} {dose:g} {unit.shown}" for drug, dose in given.values())
        procedure["note"] = [{"text": f"{doses}; start date not recorded"}]
    yield procedure
    if not period:
        return
    for name, (drug, dose) in given.items():
        days = f" for {values['days']} days" if "days" in values else ""
        yield {
            "resourceType": "MedicationAdministration",
            "id": course.naming.id("MedicationAdministration", f"{name}/{record.pk}"),
            "status": COMPLETED,
            "medicationCodeableConcept": codes.coded(
                codes.registry_system("lymphodepleting-drug"), drug.lower(), drug
            ),
            "subject": course.subject,
            "partOf": [course.naming.reference(procedure)],
            "effectivePeriod": period,
            "dosage": {
                "text": f"{dose:g} {unit.shown}{days}",
                "dose": codes.quantity(dose, "mg/m2", "mg/m2"),
            },
        }


def _period(start: str | None, days: int | None) -> dict:
    if start is None:
        return {}
    if days is None:
        return {"start": start}
    end = date.fromisoformat(start) + timedelta(days=days - 1)
    return {"start": start, "end": end.isoformat()}


def _infusion(record: registry.Infusion, course: Course) -> tuple[dict, dict]:
    """The weight the dose was computed for, and the infusion with its dose per kg."""
    values = present_fields(record_fields(record))
    weight = {
        "resourceType": "Observation",
        "id": course.naming.id("Observation", f"weight/{record.pk}"),
        "status": "final",
        "category": codes.category("vital-signs"),
        "code": {"coding": [codes.BODY_WEIGHT], "text": "Body weight"},
        "subject": course.subject,
        "effectiveDateTime": values["date"],
        "valueQuantity": codes.quantity(values["weight_kg"], "kg", "kg"),
    }
    product = Product(values.get("product", Product.HUMANIZED_CD19))
    cells = FIELD_UNITS["cells_per_kg"]
    administration = {
        "resourceType": "MedicationAdministration",
        "id": course.naming.id("MedicationAdministration", f"infusion/{record.pk}"),
        "status": COMPLETED,
        "medicationCodeableConcept": codes.coded(
            codes.registry_system("product"), product.value, product.label
        ),
        "subject": course.subject,
        "effectiveDateTime": values["date"],
        "supportingInformation": [course.naming.reference(weight)],
        "dosage": {
            "text": "CAR-positive viable cells per kg of body weight",
            "dose": codes.quantity(values["cells_per_kg"], cells.shown, cells.ucum),
        },
    }
    if "lot" in values:
        administration["note"] = [{"text": f"Product lot {values['lot']}"}]
    return weight, administration


_IN_SPECIMEN = {"reference": "#specimen"}


@cache
def _specimen(specimen: str) -> list[dict]:
    """The specimen, contained in the observation that refers to it as #specimen."""
    words = SPECIMENS[specimen]
    contained = {
        "resourceType": "Specimen",
        "id": "specimen",
        "type": codes.coded(codes.registry_system("specimen"), specimen, words),
    }
    return [contained]


def _measured_in(resource: dict, specimen: str) -> dict:
    resource["contained"] = _specimen(specimen)
    resource["specimen"] = _IN_SPECIMEN
    return resource


CAR_T_MEASUREMENTS = {"cells_per_ul": "car-t-cells-flow", "copies_per_ug_dna": "car-t-copies-qpcr"}


def _car_t_count(record: registry.CarTCount, course: Course) -> Iterator[dict]:
    """One Observation per measurement the count carries: flow cytometry, qPCR."""
    for name, code in CAR_T_MEASUREMENTS.items():
        value = getattr(record, name)
        if value is None:
            continue
        unit = FIELD_UNITS[name]
        measured = observation(
            course, f"{code}/{record.pk}", "laboratory", MEASUREMENTS[code], record.day
        )
        measured["valueQuantity"] = codes.quantity(value, unit.shown, unit.ucum)
        yield _measured_in(measured, record.specimen)


@cache
def _lab_code(analyte_code: str, specimen: str) -> dict:
    """The analyte's code, LOINC's first where it has one for the specimen."""
    analyte = ANALYTES[analyte_code]
    coding = [
        {"system": codes.registry_system("analyte"), "code": analyte.code, "display": analyte.label}
    ]
    if specimen == PERIPHERAL_BLOOD and analyte.code in codes.BLOOD_LOINC:
        loinc, display = codes.BLOOD_LOINC[analyte.code]
        coding.insert(0, {"system": codes.LOINC, "code": loinc, "display": display})
    return {"coding": coding, "text": analyte.name}


def _lab(record: registry.LabResult, course: Course) -> dict:
    code = _lab_code(record.analyte, record.specimen)
    measured = observation(course, f"lab/{record.pk}", "laboratory", code, record.day)
    value = codes.lab_quantity(record.value, record.unit)
    if record.below_detection:
        # Recorded as the limit of detection: the value is below it.
        value["comparator"] = "<"
    measured["valueQuantity"] = value
    return _measured_in(measured, record.specimen)


def _response(record: registry.ResponseAssessment, course: Course) -> Iterator[dict]:
    """The response of the day, with the marrow blasts; the MRD, when assessed, apart."""
    values = present_fields(record_fields(record))
    day = values["day"]
    response = observation(course, f"response/{record.pk}", "exam", MEASUREMENTS["response"], day)
    status = ResponseStatus(values["status"])
    response["valueCodeableConcept"] = codes.coded(
        codes.registry_system("response"), status.value, status.label
    )
    if "bm_blast_pct" in values:
        blasts = codes.quantity(values["bm_blast_pct"], "%", "%")
        response["component"] = [{"code": MEASUREMENTS["bm-blast-pct"], "valueQuantity": blasts}]
    yield response
    if "mrd" not in values and "mrd_level" not in values:
        return
    mrd = observation(course, f"mrd/{record.pk}", "laboratory", MEASUREMENTS["mrd"], day)
    found = Mrd(values.get("mrd", Mrd.UNKNOWN))
    mrd["valueCodeableConcept"] = codes.coded(
        codes.registry_system("mrd"), found.value, found.label
    )
    if "mrd_method" in values:
        method = MrdMethod(values["mrd_method"])
        mrd["method"] = codes.coded(codes.registry_system("mrd-method"), method.value, method.label)
    if "mrd_level" in values:
        level = codes.quantity(values["mrd_level"], "fraction", "1")
        mrd["component"] = [{"code": MEASUREMENTS["mrd-level"], "valueQuantity": level}]
    yield mrd


def _adverse_events(
    record: registry.ToxicityRecord, administrations: list[dict], course: Course
) -> Iterator[dict]:
    """CRS and ICANS of the grade the site recorded, when 1 or more; suspected: the
    infusions."""
    grades = {"crs": record.crs_max_grade, "icans": record.icans_max_grade}
    for toxicity, grade in grades.items():
        if not grade:
            continue
        event = {
            "resourceType": "AdverseEvent",
            "id": course.naming.id("AdverseEvent", f"{toxicity}/{record.pk}"),
            "extension": [{"url": codes.ASTCT_GRADE, "valueInteger": grade}],
            "actuality": "actual",
            "event": codes.coded(
                codes.registry_system("toxicity"), toxicity, codes.TOXICITIES[toxicity]
            ),
            "subject": course.subject,
            "severity": {
                "coding": [
                    {
                        "system": codes.ADVERSE_EVENT_SEVERITY,
                        "code": codes.SEVERITY_OF_GRADE[grade],
                    }
                ],
                "text": f"ASTCT grade {grade}",
            },
            "study": [course.naming.reference(course.study)],
        }
        if toxicity == "crs" and record.crs_onset_day is not None:
            onset = course.on_day(record.crs_onset_day)
            if onset:
                event["date"] = onset["effectiveDateTime"]
        if administrations:
            event["suspectEntity"] = [
                {"instance": course.naming.reference(given)} for given in administrations
            ]
        yield event

"""Import a cohort document: all or nothing, in one transaction, upserting by study id."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from registry import models as registry
from registry.course import protocol_of
from registry.interchange.reader import CohortDocument, PatientRecords, read_document
from registry.interchange.schema import SECTIONS

BATCH = 900  # stays under SQLite's limit of bound parameters per statement


@dataclass(frozen=True)
class ImportResult:
    study: registry.Study
    created: int
    updated: int


def cohort_import(*, data: object) -> ImportResult:
    """Check the whole document, then write it; raises DocumentRejected and writes nothing."""
    document = read_document(data, protocol_of(_study_for(data)))
    with transaction.atomic():
        study = _save_study(document.study)
        sites = _save_sites(study, {records.site_code for records in document.patients})
        created, updated = _save_patients(study, sites, document)
        _replace_sections(document.patients)
    return ImportResult(study=study, created=created, updated=updated)


def _study_for(data: object) -> registry.Study:
    """The stored study whose protocol applies, or a new one with the default protocol."""
    study = data.get("study") if isinstance(data, dict) else None
    code = study.get("code") if isinstance(study, dict) else None
    if isinstance(code, str):
        stored = registry.Study.objects.filter(code=code).first()
        if stored:
            return stored
    return registry.Study()


def _save_study(fields: dict) -> registry.Study:
    study, _ = registry.Study.objects.update_or_create(
        code=fields["code"],
        defaults={"title": fields["title"], "data_cutoff": fields["data_cutoff"]},
    )
    return study


def _save_sites(study: registry.Study, codes: set[str]) -> dict[str, registry.Site]:
    existing = {site.code: site for site in study.sites.all()}
    missing = [registry.Site(study=study, code=code) for code in codes - existing.keys()]
    registry.Site.objects.bulk_create(missing)
    return {site.code: site for site in study.sites.all()}


def _save_patients(study, sites, document: CohortDocument) -> tuple[int, int]:
    stored = {patient.subject_id: patient for patient in study.patients.all()}
    new, changed = [], []
    now = timezone.now()
    for records in document.patients:
        patient = records.patient
        patient.study, patient.site = study, sites[records.site_code]
        if patient.subject_id in stored:
            patient.pk = stored[patient.subject_id].pk
            patient.created = stored[patient.subject_id].created
            patient.updated = now
            changed.append(patient)
        else:
            new.append(patient)
    registry.Patient.objects.bulk_create(new, batch_size=BATCH)
    fields = ["site", *registry.Patient.document_fields, "updated"]
    registry.Patient.objects.bulk_update(changed, fields, batch_size=BATCH)
    return len(new), len(changed)


def _replace_sections(patients: list[PatientRecords]) -> None:
    ids = [records.patient.pk for records in patients]
    for model, _is_list in SECTIONS.values():
        for start in range(0, len(ids), BATCH):
            model.objects.filter(patient_id__in=ids[start : start + BATCH]).delete()
    for key, (model, _is_list) in SECTIONS.items():
        rows = []
        for records in patients:
            value = records.sections[key]
            for row in value if isinstance(value, list) else [value] if value else []:
                row.patient = records.patient
                rows.append(row)
        model.objects.bulk_create(rows, batch_size=BATCH)

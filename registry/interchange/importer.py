"""Import a cohort document: all or nothing, in one transaction, upserting by study id.

A patient already in the study is updated in place: only the records that differ from the
document are written (registry.interchange.matching), and a patient the document leaves as
it was keeps its versions, its `updated` and the analytics' rows kept from it. Every row
written leaves its history row, attributed to the importing user with the reason "cohort
import"; a record the document no longer holds is recorded as deleted.

On PostgreSQL, an import that writes ANALYZE_AFTER rows or more has the tables it wrote
analysed once it commits: until autovacuum gets to them, the planner would otherwise plan
with the statistics of the tables before the import, and a filtered patient list would be
planned for the tables as they were.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from registry import models as registry
from registry import quality
from registry.casebook import casebooks_refreshed
from registry.course import protocol_of, record_fields
from registry.interchange import schema
from registry.interchange.matching import SectionChanges, record_values, stored_rows
from registry.interchange.reader import (
    CohortDocument,
    DocumentRejected,
    PatientRecords,
    PatientsReader,
    read_document,
)
from registry.interchange.section_writes import BATCH, batches, section_written
from registry.models.patient import course_summary
from registry.notifications import held_back
from registry.problems import Problem
from registry.quality_rules import value_findings
from registry.sections import PATIENT, SECTIONS, course_models
from registry.services import IMPORT_REASON, attributed_to
from registry.signals import cohort_imported

logger = logging.getLogger(__name__)

ANALYZE_AFTER = 1_000


@dataclass
class RecordCounts:
    """The section records an import created, changed, left unchanged and deleted."""

    created: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0

    def add(self, changes: SectionChanges) -> None:
        self.created += len(changes.created)
        self.changed += len(changes.changed)
        self.unchanged += changes.unchanged
        self.deleted += len(changes.deleted)

    @property
    def written(self) -> int:
        return self.created + self.changed + self.deleted


@dataclass(frozen=True)
class ImportResult:
    study: registry.Study
    created: int  # patients new to the study
    changed: int  # patients already there whose data (their own or a record's) differed
    unchanged: int  # patients already there, left exactly as they were
    records: RecordCounts = field(default_factory=RecordCounts)
    removed: int = 0  # patients deleted: a transactional ODM document's Removes

    @property
    def updated(self) -> int:
        """The patients already there, changed or not."""
        return self.changed + self.unchanged


def cohort_import(*, data: object, user: AbstractBaseUser | None = None) -> ImportResult:
    """Check the whole document, then write it; raises DocumentRejected and writes nothing.

    Patients are matched by study id, their records by their sections' natural keys
    (registry.interchange.matching): only what differs is written, and has its version
    raised and a history row."""
    stored = _study_for(data)
    _refuse_if_locked(stored)
    document = read_document(data, protocol_of(stored))
    _refuse_study_ids_in_another_case(stored, document)
    user = user if user is not None and user.is_authenticated else None
    # One summary to the study's administrators (registry.notifications.import_summary), not
    # an email for each event of the patients' pasts that the import writes.
    with held_back(), transaction.atomic(), attributed_to(user, IMPORT_REASON):
        writing = _Writing(_saved_study(document.study), user)
        writing.write(document.patients)
        return writing.done()


def cohort_import_streamed(
    *, header: dict, batches: Iterable[list], user: AbstractBaseUser | None = None
) -> ImportResult:
    """cohort_import of the document `header` (without its patients) whose patients come in
    `batches`, each read and written before the next is asked for, all in one transaction:
    a problem anywhere writes nothing, and every problem is named, as cohort_import names
    them (patients[i] counted through all the batches)."""
    stored = _study_for(header)
    _refuse_if_locked(stored)
    patients = PatientsReader(protocol_of(stored))
    try:
        study = read_document(header | {"patients": []}, patients.protocol).study
        problems = []
    except DocumentRejected as rejected:
        study, problems = None, rejected.problems
    user = user if user is not None and user.is_authenticated else None
    with held_back(), transaction.atomic(), attributed_to(user, IMPORT_REASON):
        writing = None if problems else _Writing(_saved_study(study), user)
        stored_ids, in_another_case = _stored_study_ids(stored), []
        for batch in batches:
            first = patients.count
            read = patients.read(batch, problems)
            if problems:
                continue
            in_another_case += _study_ids_in_another_case(stored_ids, read, first)
            if not in_another_case:
                writing.write(read)
        if problems or in_another_case:
            raise DocumentRejected(problems or in_another_case)
        return writing.done()


def _saved_study(fields: dict) -> registry.Study:
    study = _save_study(fields)
    _refuse_if_locked(study)
    return study


class _Writing:
    """The patients of one import written, a batch at a time, in its transaction; what
    was written, for the casebooks, the queries, the receivers of cohort_imported and the
    result."""

    def __init__(self, study: registry.Study, user) -> None:
        self.study, self.user, self.now = study, user, timezone.now()
        self.sites = {site.code: site for site in study.sites.all()}
        # Locked, in one order, until the import commits: a clinician's save
        # (services.record_save locks its patient first) waits for the import, or the
        # import for it, so neither overwrites the other's write at the same version.
        patients = study.patients.select_for_update().order_by("pk")
        self.stored = {patient.subject_id: patient for patient in patients}
        self.new: set[int] = set()
        self.changed: set[int] = set()
        self.records = RecordCounts()
        self.patients = 0

    def write(self, patients: list[PatientRecords]) -> None:
        study, user, now = self.study, self.user, self.now
        codes = {records.site_code for records in patients}
        if codes - self.sites.keys():
            self.sites = _save_sites(study, codes, user)
        new, changed = _save_patients(study, self.sites, patients, self.stored, user, now)
        touched = _save_sections(patients, new, user, now, self.records)
        written = {pk: {PATIENT} for pk in changed}
        for pk, keys in touched.items():
            written.setdefault(pk, set()).update(keys)
        changed |= set(touched) - new
        _set_course_summary(new)
        _set_course_summary(changed, updated=now)
        # In this transaction: a signature the import's changes void is void with them.
        casebooks_refreshed(new | changed, changed=written)
        _queries_reconciled(patients, new | changed, protocol_of(study))
        self.new |= new
        self.changed |= changed
        self.patients += len(patients)

    def done(self) -> ImportResult:
        """The result, once the import's work after it commits is arranged."""
        study, new, changed = self.study, self.new, self.changed
        if len(new) + len(changed) + self.records.written >= ANALYZE_AFTER:
            transaction.on_commit(_analyze_written_tables)
        written = {
            "user": self.user,
            "created": len(new),
            "changed": len(changed),
            "patient_ids": sorted(new | changed),
        }
        transaction.on_commit(lambda: _announce(study, written))
        unchanged = self.patients - len(new) - len(changed)
        return ImportResult(study, len(new), len(changed), unchanged, self.records)


def _announce(study: registry.Study, written: dict) -> None:
    """Send cohort_imported to every receiver, each whatever the others do: the import has
    committed, and a receiver that fails (a cache out of reach) is logged, not raised.
    `written`: who imported, how many patients were new and changed, and their ids.

    Held back as the import's writes are: the receivers open the queries of sections missing
    at a closed window, a query for each of thousands of patients, which the summary stands
    for. The import's own transaction has committed by now, and an import inside an outer
    transaction (registry.demo) comes here after that one's end, past the import's hold."""
    with held_back():
        sent = cohort_imported.send_robust(sender=registry.Study, study=study, **written)
    for receiver, outcome in sent:
        if isinstance(outcome, Exception):
            logger.error(
                "After the import of study %s, %r failed",
                study.code,
                receiver,
                exc_info=outcome,
            )


def _study_for(data: object) -> registry.Study:
    """The stored study whose protocol applies, or a new one with the default protocol. A
    code differing from a stored study's only in case is refused: it would be a second
    study to the registry and the same to anyone reading it."""
    study = data.get("study") if isinstance(data, dict) else None
    code = study.get("code") if isinstance(study, dict) else None
    if isinstance(code, str):
        stored = registry.Study.objects.filter(code__iexact=code).first()
        if stored and stored.code != code:
            message = (
                f"Study code {code!r} cannot be used: the registry has {stored.code!r}, and "
                "study codes differing only in upper and lower case count as the same"
            )
            raise DocumentRejected([Problem("study.code", message)])
        if stored:
            return stored
    return registry.Study()


def _refuse_if_locked(study: registry.Study) -> None:
    try:
        study.check_unlocked()
    except ValidationError as error:
        raise DocumentRejected([Problem("study.code", error.messages[0])]) from None


def _refuse_study_ids_in_another_case(study: registry.Study, document: CohortDocument) -> None:
    problems = _study_ids_in_another_case(_stored_study_ids(study), document.patients)
    if problems:
        raise DocumentRejected(problems)


def _stored_study_ids(study: registry.Study) -> dict[str, str]:
    """The study's study ids as stored, by their lower case."""
    if study.pk is None:
        return {}
    return {
        subject.lower(): subject for subject in study.patients.values_list("subject_id", flat=True)
    }


def _study_ids_in_another_case(
    stored: dict[str, str], patients: list[PatientRecords], first: int = 0
) -> list[Problem]:
    """A patient is updated by its study id as stored; the same id in another case would be
    a second patient, which the database's constraint on study ids refuses. `first`: the
    index in the whole document of the first of `patients`."""
    return [
        Problem(
            f"patients[{index}].study_id",
            f"Study id {subject!r} cannot be used: the study has {stored[subject.lower()]!r}, "
            "and study ids differing only in upper and lower case count as the same",
        )
        for index, subject in enumerate(
            (records.patient.subject_id for records in patients), start=first
        )
        if stored.get(subject.lower(), subject) != subject
    ]


def _save_study(fields: dict) -> registry.Study:
    """Create the study, or change its title, data cut-off and the settings the document
    gives where they differ (a setting it leaves out stays as it is)."""
    values = {"title": fields["title"], "data_cutoff": fields["data_cutoff"]}
    values |= {key: fields[key] for key in schema.STUDY_SETTINGS if key in fields}
    study, created = registry.Study.objects.get_or_create(code=fields["code"], defaults=values)
    changed = [name for name, value in values.items() if getattr(study, name) != value]
    if not created and changed:
        for name in changed:
            setattr(study, name, values[name])
        study.save(update_fields=changed)
    return study


def _save_sites(study: registry.Study, codes: set[str], user) -> dict[str, registry.Site]:
    existing = {site.code: site for site in study.sites.all()}
    missing = [registry.Site(study=study, code=code) for code in codes - existing.keys()]
    bulk_create_with_history(
        missing, registry.Site, default_user=user, default_change_reason=IMPORT_REASON
    )
    return {site.code: site for site in study.sites.all()}


def _save_patients(study, sites, patients: list[PatientRecords], stored: dict, user, now):
    """Create the new patients and change those whose own values differ (`stored`: the
    study's patients by study id, locked); the ids of each."""
    new, changed = [], []
    for records in patients:
        patient = records.patient
        patient.study, patient.site = study, sites[records.site_code]
        earlier = stored.get(patient.subject_id)
        if earlier is None:
            new.append(patient)
            continue
        patient.pk, patient.created, patient.updated = earlier.pk, earlier.created, now
        patient.version = earlier.version
        if _patient_values(patient) != _patient_values(earlier):
            patient.version += 1
            changed.append(patient)
    history = {"default_user": user, "default_change_reason": IMPORT_REASON, "default_date": now}
    bulk_create_with_history(new, registry.Patient, batch_size=BATCH, **history)
    fields = ["site", *registry.Patient.document_fields, "updated", "version"]
    bulk_update_with_history(changed, registry.Patient, fields, batch_size=BATCH, **history)
    return {patient.pk for patient in new}, {patient.pk for patient in changed}


def _patient_values(patient: registry.Patient) -> tuple:
    return (patient.site_id, *record_values(patient.document_fields, record_fields(patient)))


def _save_sections(
    patients: list[PatientRecords], new: set[int], user, now, counts: RecordCounts
) -> dict[int, set[str]]:
    """Write each section's records that differ from the stored ones, a batch of patients
    at a time, counting them in `counts`; the sections changed of each patient whose
    records changed."""
    touched = defaultdict(set)
    for start in range(0, len(patients), BATCH):
        batch = patients[start : start + BATCH]
        ids = [records.patient.pk for records in batch]
        stored_ids = [pk for pk in ids if pk not in new]
        new_ids = new.intersection(ids)
        for section in SECTIONS:
            changes = SectionChanges(section.model, section.many)
            stored = stored_rows(section.model, stored_ids)
            for records in batch:
                pk = records.patient.pk
                found = _document_records(records, section.key)
                if changes.compare(pk, stored.get(pk, []), found):
                    touched[pk].add(section.key)
            section_written(changes, new_ids, user, now)
            counts.add(changes)
    return touched


def _document_records(records: PatientRecords, key: str) -> list[dict]:
    value = records.sections[key]
    return value if isinstance(value, list) else [value] if value else []


def _set_course_summary(patient_ids: set[int], **stamp) -> None:
    """Set the summary of the written patients' course (bulk writes call no save()).

    `updated=` moves on the `updated` of patients already there whose records changed,
    which the analytics' stored rows and caches go by; a new patient's was set as it was
    created."""
    for ids in batches(sorted(patient_ids)):
        registry.Patient.objects.filter(pk__in=ids).update(**stamp, **course_summary())


def _queries_reconciled(patients: list[PatientRecords], written: set[int], protocol) -> None:
    """The registry's queries of the written patients, from their courses as the document
    gives them (the visits' rule waits for the visits: registry.quality)."""
    quality.course_queries_reconciled(
        found={
            records.patient.pk: value_findings(records.course, protocol)
            for records in patients
            if records.patient.pk in written
        }
    )


def _analyze_written_tables() -> None:
    if connection.vendor != "postgresql":
        return
    tables = [m._meta.db_table for model in course_models() for m in (model, model.history.model)]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(map(connection.ops.quote_name, tables)))

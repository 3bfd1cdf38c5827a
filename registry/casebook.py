"""Each patient's casebook: the status and completeness of its sections, a monitor's source
data verification and an investigator's signature.

The status of a section and the counts of required fields are derived data
(docs/architecture.md, "Derived data"), kept in the writing transaction: a patient or a
section written (`casebook_after_write`, connected in RegistryConfig.ready), the cohort
import (`registry.interchange.importer` calls `casebooks_refreshed` inside its
transaction), the study's required fields changed (`casebooks_after_required_change`).
They are stored in `SectionStatus` rows and in three columns of the patient
(`Patient.CASEBOOK_COLUMNS`), so that a site's figures and its patients with missing data
are read off one index each. The rules are registry.required_fields'.

A write to a verified or signed section sets it back to complete (or incomplete) and says
why in the patient's history; a write to any section of a signed casebook voids the
signature in the same transaction, which the history shows too.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Exists, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from registry import access
from registry.models import CasebookSignature, Patient, SectionStatus, Study
from registry.required_fields import (
    COMPLETE,
    SIGNATURE_MEANING,
    SIGNED,
    STATUS_LABELS,
    VERIFIED,
    by_section,
    section_completeness,
    status_after_change,
    status_kept,
)
from registry.schedule import plain_rows_inserted
from registry.sections import (
    BY_KEY,
    PATIENT,
    SECTIONS,
    fields_by_section,
    section_of,
    section_title,
)
from registry.services import change_in_progress, deleted_with_patient, patient_locked

CHUNK = 2000
SECTION_KEYS = (PATIENT, *(section.key for section in SECTIONS))


def field_label(key: str, name: str) -> str:
    model = Patient if key == PATIENT else BY_KEY[key].model
    return str(model._meta.get_field(name).verbose_name)


def casebooks_refreshed(
    patient_ids: Iterable[int], *, changed: Mapping[int, Iterable[str]] | None = None
) -> None:
    """Count again the required fields of the patients `patient_ids` and set their
    sections' status. `changed` names, for each patient, the sections whose data changed:
    a verification or a signature of them no longer holds."""
    ids = sorted(set(patient_ids))
    for at in range(0, len(ids), CHUNK):
        _refresh(ids[at : at + CHUNK], changed or {})


def _refresh(ids: list[int], changed: Mapping[int, Iterable[str]]) -> None:
    patients = list(
        Patient.objects.filter(pk__in=ids).values(
            "pk", "study_id", "site_id", "casebook_signed", *Patient.document_fields
        )
    )
    if not patients:
        return
    studies = {patient["study_id"] for patient in patients}
    required = {
        pk: by_section(paths)
        for pk, paths in Study.objects.filter(pk__in=studies).values_list("pk", "required_fields")
    }
    records = _required_records(ids, patients, required.values())
    stored = defaultdict(dict)
    for row in SectionStatus.objects.filter(patient__in=ids):
        stored[row.patient_id][row.section] = row
    voided, created, counted = set(), [], []
    for patient in patients:
        pk = patient["pk"]
        touched = set(changed.get(pk, ()))
        if touched and patient["casebook_signed"]:
            voided.add(pk)
        sections = required[patient["study_id"]]
        for key in sorted(set(sections) | set(stored[pk])):
            found = section_completeness(sections.get(key, ()), records[key].get(pk, []))
            row = stored[pk].get(key)
            if row is None:
                created.append(_new_row(patient, key, found))
                continue
            moved = (row.required, row.missing) != (found.required, list(found.missing))
            row.required, row.missing = found.required, list(found.missing)
            row.missing_count = len(found.missing)
            if _status_set(row, written=key in touched, voided=pk in voided) or moved:
                counted.append(row)
    plain_rows_inserted(SectionStatus, NEW_ROW_COLUMNS, created)
    columns = ["status", "required", "missing", "missing_count"]
    SectionStatus.objects.bulk_update(counted, columns, batch_size=900)
    _signatures_voided(voided, changed)
    _patient_columns_set(ids)


def _required_records(ids, patients, requirements) -> dict[str, dict[int, list]]:
    """Each section's records of the patients, with only the required fields read."""
    wanted = defaultdict(set)
    for sections in requirements:
        for key, fields in sections.items():
            wanted[key].update(fields)
    records = defaultdict(dict, {PATIENT: {patient["pk"]: [patient] for patient in patients}})
    for key, fields in wanted.items():
        if key == PATIENT:
            continue
        found = defaultdict(list)
        rows = BY_KEY[key].model.objects.filter(patient__in=ids).values("patient_id", *fields)
        for row in rows:
            found[row["patient_id"]].append(row)
        records[key] = found
    return records


# The columns of a section's first status, as _new_row makes its rows: plain rows, as an
# import counts tens of thousands of sections at once; never verified yet.
NEW_ROW_COLUMNS = (
    "patient_id",
    "study_id",
    "site_id",
    "section",
    "status",
    "required",
    "missing",
    "missing_count",
)


def _new_row(patient: dict, key: str, found) -> tuple:
    missing = SectionStatus._meta.get_field("missing")
    return (
        patient["pk"],
        patient["study_id"],
        patient["site_id"],
        key,
        status_after_change(found.missing),
        found.required,
        missing.get_db_prep_save(list(found.missing), connection),
        len(found.missing),
    )


def _status_set(row: SectionStatus, *, written: bool, voided: bool) -> bool:
    """Set the row's status after a write; whether it is left to be stored with the counts.

    A section written, or counted again under new required fields, is saved at once with a
    history row saying why its status moved. A section set back because the signature was
    voided is stored with the others: the signature's own history row says why.
    """
    before = row.status
    if voided and not written and before == SIGNED:
        checked = row.verified_at and not row.missing
        row.status = VERIFIED if checked else status_kept(COMPLETE, row.missing)
        return row.status != before
    if written:
        row.status = status_after_change(row.missing)
        row.verified_by, row.verified_at = None, None
        why = f"{section_title(row.section)} changed after it was {before}"
    else:
        row.status = status_kept(before, row.missing)
        why = "The study's required fields changed"
    if before not in (VERIFIED, SIGNED) or row.status == before:
        # Between incomplete and complete: the counts say it, no history row.
        return row.status != before
    row._change_reason = _with_reason(why)
    row.save()
    return False


def _with_reason(why: str) -> str:
    """`why`, with the reason given for the write that caused it, in the history's length."""
    change = change_in_progress()
    reason = change[1] if change else ""
    return f"{why} ({reason})"[:100] if reason else why[:100]


def in_sentence(title: str) -> str:
    """A title within a sentence: "laboratory values", but "CAR-T infusions"."""
    return title if title[1:2].isupper() else title[:1].lower() + title[1:]


def _signatures_voided(patient_ids: set[int], changed: Mapping[int, Iterable[str]]) -> None:
    standing = CasebookSignature.objects.filter(patient__in=patient_ids, voided_at=None)
    now = timezone.now()
    for signature in standing:
        sections = ", ".join(
            in_sentence(section_title(k)) for k in sorted(changed[signature.patient_id])
        )
        signature.voided_at = now
        signature.void_reason = f"Voided: {sections} changed after signing"
        signature._change_reason = _with_reason(signature.void_reason)
        signature.save()


def _patient_columns_set(ids: list[int]) -> None:
    rows = SectionStatus.objects.filter(patient=OuterRef("pk")).order_by().values("patient")

    def total(column: str) -> Coalesce:
        summed = rows.annotate(total=Sum(column)).values("total")
        return Coalesce(Subquery(summed, output_field=IntegerField()), 0)

    standing = CasebookSignature.objects.filter(patient=OuterRef("pk"), voided_at=None)
    Patient.objects.filter(pk__in=ids).update(
        required_total=total("required"),
        required_missing=total("missing_count"),
        casebook_signed=Exists(standing),
    )


def casebook_after_write(sender, instance, origin=None, **kwargs) -> None:
    """post_save and post_delete of a patient or a section: that patient's casebook again,
    the written section changed. Not for records deleted with their patient."""
    if deleted_with_patient(origin):
        return
    pk = instance.pk if sender is Patient else instance.patient_id
    if sender is Patient and not Patient.objects.filter(pk=pk).exists():
        return
    key = PATIENT if sender is Patient else section_of(sender).key
    if sender is not Patient and not _casebook_reads(pk, key):
        return
    casebooks_refreshed([pk], changed={pk: {key}})


def _casebook_reads(patient_id: int, key: str) -> bool:
    """Whether the patient's casebook reads the section `key`, so that a write to it may
    change the casebook: the study requires fields of it, a status of it is stored (which
    a write sets back), or the casebook is signed (which a write to any section voids)."""
    found = (
        Patient.objects.filter(pk=patient_id)
        .values_list("study__required_fields", "casebook_signed")
        .first()
    )
    if found is None:
        return False
    required, signed = found
    if signed or key in by_section(required):
        return True
    return SectionStatus.objects.filter(patient_id=patient_id, section=key).exists()


def casebooks_after_required_change(sender, study: Study, **kwargs) -> None:
    """The study's required fields changed: its patients' casebooks counted again."""
    casebooks_refreshed(study.patients.values_list("pk", flat=True))


def section_verify(*, patient: Patient, section: str, user: AbstractBaseUser) -> SectionStatus:
    """A monitor's source data verification of one section of the patient's casebook."""
    if not access.can_verify(user, patient.study):
        raise PermissionDenied(
            f"Only the monitors and administrators of {patient.study.code} verify source data"
        )
    if not section:
        raise ValidationError({"section": "Name the section to verify, e.g. infusions"})
    if section not in SECTION_KEYS:
        raise ValidationError({"section": f"The course has no section “{section}”"})
    with transaction.atomic():
        # The patient's row first, as every write to its course locks it (services._stored,
        # the import): a change saved meanwhile is counted before the check, not after.
        patient_locked(patient.pk)
        casebooks_refreshed([patient.pk])
        row = _row_for_update(patient, section)
        if row.missing:
            labels = ", ".join(field_label(section, name) for name in row.missing)
            raise ValidationError(
                {"section": f"{section_title(section)} cannot be verified: {labels} missing"}
            )
        if row.status in (VERIFIED, SIGNED):
            raise ValidationError({"section": f"{section_title(section)} is already {row.status}"})
        row.status, row.verified_by, row.verified_at = VERIFIED, user, timezone.now()
        row._history_user, row._change_reason = user, "Source data verified"
        row.save()
        Patient.objects.filter(pk=patient.pk).update(updated=timezone.now())
    return row


def _row_for_update(patient: Patient, section: str) -> SectionStatus:
    """The section's stored status, locked; a new one, not yet saved, where none is."""
    row = SectionStatus.objects.select_for_update().filter(patient=patient, section=section).first()
    if row is not None:
        return row
    return SectionStatus(
        patient=patient, study_id=patient.study_id, site_id=patient.site_id, section=section
    )


WRONG_PASSWORD = "The password is not correct: sign with your own password"


def casebook_sign(*, patient: Patient, user: AbstractBaseUser, password: str) -> CasebookSignature:
    """An investigator signs the patient's casebook, their password typed again; every
    section is then signed."""
    if not access.can_sign(user, patient):
        raise PermissionDenied(
            f"Only an investigator of {patient.study.code} at site {patient.site.code} signs "
            "this casebook"
        )
    if not password:
        raise ValidationError({"password": "Type your password to sign"})
    if not user.check_password(password):
        raise ValidationError({"password": WRONG_PASSWORD})
    with transaction.atomic():
        patient_locked(patient.pk)
        casebooks_refreshed([patient.pk])
        locked = Patient.objects.get(pk=patient.pk)
        if locked.casebook_signed:
            raise ValidationError({"password": "This casebook is already signed"})
        if locked.required_missing:
            raise ValidationError(
                {"password": f"The casebook cannot be signed: {_missing_text(patient)}"}
            )
        signature = CasebookSignature(
            patient=patient, signed_by=user, signed_at=timezone.now(), meaning=SIGNATURE_MEANING
        )
        signature._history_user, signature._change_reason = user, "Casebook signed"
        signature.save()
        # Every section signed with it: the signature's history row says so, once.
        rows = SectionStatus.objects.filter(patient=patient)
        have = set(rows.values_list("section", flat=True))
        SectionStatus.objects.bulk_create(
            SectionStatus(
                patient=patient, study_id=patient.study_id, site_id=patient.site_id, section=key
            )
            for key in SECTION_KEYS
            if key not in have
        )
        rows.update(status=SIGNED)
        Patient.objects.filter(pk=patient.pk).update(casebook_signed=True, updated=timezone.now())
    return signature


def _missing_text(patient: Patient) -> str:
    rows = SectionStatus.objects.filter(patient=patient, missing_count__gt=0).order_by("section")
    return "; ".join(
        f"{section_title(row.section)}: "
        + ", ".join(field_label(row.section, name) for name in row.missing)
        + " missing"
        for row in rows
    )


@dataclass(frozen=True)
class SectionView:
    key: str
    title: str
    status: str
    missing: tuple[str, ...]  # the labels of the required fields missing
    verified_by: str
    verified_at: datetime | None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def title_in_sentence(self) -> str:
        return in_sentence(self.title)


def casebook_sections(patient: Patient) -> list[SectionView]:
    """Every section of the patient's casebook in the course's order, with its status."""
    rows = {row.section: row for row in patient.section_statuses.select_related("verified_by")}
    views = []
    for key in SECTION_KEYS:
        row = rows.get(key)
        missing = tuple(field_label(key, name) for name in (row.missing if row else ()))
        views.append(
            SectionView(
                key=key,
                title=section_title(key),
                status=row.status if row else COMPLETE,
                missing=missing,
                verified_by=str(row.verified_by) if row and row.verified_by else "",
                verified_at=row.verified_at if row else None,
            )
        )
    return views


def required_field_choices() -> list[tuple[str, str]]:
    """Every field a study may require, as "section.field" with its label."""
    return [
        (f"{key}.{name}", f"{section_title(key)}: {field_label(key, name)}")
        for key, names in fields_by_section().items()
        for name in names
    ]

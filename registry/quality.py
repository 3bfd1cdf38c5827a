"""The registry's own data queries: opened and closed from what the data-quality rules
(registry.quality_rules) find, whenever the data they read are written.

- `services.record_save` and `record_delete` reconcile the written patient's queries in
  the writing transaction (`patient_queries_reconciled`), every rule at once;
- the cohort import reconciles its new and changed patients' queries of the rules that
  read the course in its own transaction, in batches (`course_queries_reconciled`), and
  the study's queries of missing sections once the study's visits are made again
  (`queries_after_import`, on registry.signals.cohort_imported);
- `manage.py reconcile_queries` reconciles the queries of missing sections of every study:
  a window closes as the days go by, with no write;
- a change to the study's settings the rules read reconciles the study's queries in its
  transaction: its timepoints (`queries_after_timepoint_change`, after the visits are made
  again), its dose ceilings and its clinical cut-off (`queries_after_settings_change`).

A finding is the same query while its rule, field and question stay the same; a finding
that goes away closes its query (the registry closes it, "corrected"), unless a monitor has
confirmed the value as correct: a confirmed query is neither closed nor opened again.
"""

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from datetime import date

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from registry import follow_up, schedule
from registry.course import loaded_records, protocol_of, stored_course
from registry.models import DataQuery, Infusion, Patient, Study
from registry.models.queries import CORRECTED
from registry.models.schedule import Timepoint, Visit
from registry.notifications import registry_queries_opened
from registry.quality_rules import (
    COURSE_RULE,
    COURSE_RULES,
    LOW_DOSE,
    LOW_DOSE_SHARE,
    MISSING_AT_TIMEPOINT,
    RULES,
    Finding,
    OverdueVisit,
    course_findings,
    overdue_findings,
)
from registry.snapshots import courses

BATCH = 900  # stays under SQLite's limit of bound parameters per statement
STANDING = (*DataQuery.UNRESOLVED, DataQuery.Status.CONFIRMED)


def automatic_queries_open(*, findings: Iterable[tuple[int, Finding]]) -> list[tuple[int, Finding]]:
    """Open a query of the registry's own for each (patient id, finding): the one way the
    registry opens a query. What should follow a query opened by the registry (a
    notification of the patient's site) follows it here; the pairs opened are returned.

    Stored as plain rows, as the visits are (registry.schedule.visit_rows_inserted): an
    import opens tens of thousands of them, and a model instance each would cost more than
    the rest of the reconciliation."""
    opened = list(findings)
    now = timezone.now()
    rows = [
        (patient, found.field, found.message, DataQuery.Status.OPEN.value, found.rule, now, "", "")
        for patient, found in opened
    ]
    schedule.plain_rows_inserted(DataQuery, QUERY_COLUMNS, rows)
    registry_queries_opened(patient for patient, _ in opened)
    return opened


# The columns of a query the registry opens, as automatic_queries_open makes its rows; the
# others (who answered, closed, when) are empty.
QUERY_COLUMNS = (
    "patient_id",
    "field",
    "question",
    "status",
    "rule",
    "raised_at",
    "answer",
    "close_reason",
)


def queries_reconciled(
    *, patients: QuerySet[Patient], found: Mapping[int, Iterable[Finding]], rules: Collection[str]
) -> None:
    """Bring the registry's queries of `rules` on `patients` in line with `found` (each
    patient's findings of those rules; a patient left out has none): a finding without a
    standing query opens one, an unresolved query without its finding is closed."""
    standing = {}
    kept = DataQuery.objects.filter(patient__in=patients, rule__in=rules, status__in=STANDING)
    for pk, patient, rule, field, question, status in kept.values_list(
        "pk", "patient", "rule", "field", "question", "status"
    ):
        standing[(patient, rule, field, question)] = (pk, status)
    wanted = {
        (patient, finding.rule, finding.field, finding.message): finding
        for patient, findings in found.items()
        for finding in findings
    }
    corrected = [
        pk
        for key, (pk, status) in standing.items()
        if key not in wanted and status != DataQuery.Status.CONFIRMED
    ]
    _closed_as_corrected(corrected)
    automatic_queries_open(
        findings=[(key[0], finding) for key, finding in wanted.items() if key not in standing]
    )


def _closed_as_corrected(ids: list[int]) -> None:
    now = timezone.now()
    for at in range(0, len(ids), BATCH):
        DataQuery.objects.filter(pk__in=ids[at : at + BATCH]).update(
            status=DataQuery.Status.CLOSED, closed_at=now, closed_by=None, close_reason=CORRECTED
        )


def patient_queries_reconciled(*, patient_id: int) -> None:
    """Every rule on one patient's course and schedule as stored (a write has just saved
    them: services.record_save)."""
    patient = Patient.objects.select_related("study").get(pk=patient_id)
    course = stored_course(patient)[0]
    overdue = overdue_visits(Visit.objects.filter(patient=patient_id), patient.study)
    findings = [
        *course_findings(course, protocol_of(patient.study)),
        *overdue_findings(overdue.get(patient_id, ())),
    ]
    queries_reconciled(
        patients=Patient.objects.filter(pk=patient_id), found={patient_id: findings}, rules=RULES
    )


def course_queries_reconciled(*, found: Mapping[int, list[Finding]]) -> None:
    """The queries of the rules that read the course, on the patients of `found` (each one's
    findings), a batch of patients at a time (the cohort import)."""
    ids = sorted(found)
    for at in range(0, len(ids), BATCH):
        batch = ids[at : at + BATCH]
        queries_reconciled(
            patients=Patient.objects.filter(pk__in=batch),
            found={pk: found[pk] for pk in batch},
            rules=COURSE_RULES,
        )


def overdue_queries_reconciled(*, study: Study, today: date | None = None) -> None:
    """The queries of sections missing at a closed window, on every patient of `study`."""
    with transaction.atomic():
        overdue = overdue_visits(Visit.objects.filter(study=study), study, today)
        queries_reconciled(
            patients=study.patients.all(),
            found={patient: overdue_findings(visits) for patient, visits in overdue.items()},
            rules=[MISSING_AT_TIMEPOINT],
        )


def queries_after_timepoint_change(sender, instance: Timepoint, **kwargs) -> None:
    """A timepoint added, changed or removed (after registry.schedule made the study's
    visits again): the study's queries of missing sections."""
    study = Study.objects.filter(pk=instance.study_id).first()
    if study is not None and study.locked_at is None:
        overdue_queries_reconciled(study=study)


def queries_after_settings_change(sender, study: Study, **kwargs) -> None:
    """registry.signals.quality_settings_changed: the study's dose ceilings or clinical
    cut-off changed. A locked study's queries are left as they are, as by the daily command."""
    if study.locked_at is not None:
        return
    dose_queries_reconciled(study=study)
    overdue_queries_reconciled(study=study)


def dose_queries_reconciled(*, study: Study) -> None:
    """The queries of the rules that read the course, on the patients of `study` whose
    findings the dose ceilings can change: an infusion above the lower ceiling or under a
    tenth of the higher one, or a query of the dose rules standing. Chosen in the database,
    then their courses read a chunk at a time."""
    low = min(study.dose_ceiling_per_kg, study.dose_ceiling_post_hct_per_kg)
    high = max(study.dose_ceiling_per_kg, study.dose_ceiling_post_hct_per_kg)
    doses = Infusion.objects.filter(patient__study=study).filter(
        Q(cells_per_kg__gt=low) | Q(cells_per_kg__lt=high / LOW_DOSE_SHARE)
    )
    standing = DataQuery.objects.filter(
        patient__study=study, rule__in=[COURSE_RULE, LOW_DOSE], status__in=STANDING
    )
    ids = set(doses.values_list("patient", flat=True))
    ids |= set(standing.values_list("patient", flat=True))
    protocol = protocol_of(study)
    found = {
        patient.pk: course_findings(
            stored_course(patient, records=loaded_records(patient))[0], protocol
        )
        for patient in courses(Patient.objects.filter(pk__in=sorted(ids)).order_by("pk"))
    }
    course_queries_reconciled(found=found)


def queries_after_import(sender, study: Study, **kwargs) -> None:
    """registry.signals.cohort_imported, after the study's visits are made again."""
    overdue_queries_reconciled(study=study)


def overdue_visits(
    visits: QuerySet[Visit], study: Study, today: date | None = None
) -> dict[int, list[OverdueVisit]]:
    """The overdue `visits` of `study` on `today`, by patient, with the expected sections
    each lacks. Overdue as the follow-up list says it, at the study's clinical cut-off: a
    timepoint whose window opens after the cut-off is not applicable, not overdue.

    A visit stores whether it is done, not what it lacks: the sections are read again, for
    the patients with an overdue visit only."""
    today = today or timezone.localdate()
    overdue = visits.filter(schedule.status_filter(schedule.OVERDUE, study.data_cutoff, today))
    rows = list(
        overdue.order_by("patient", "due_date").values_list("patient", "timepoint", "window_closes")
    )
    # Each timepoint read once, not joined to each of its visits.
    timepoints = {
        timepoint.pk: timepoint
        for timepoint in Timepoint.objects.filter(pk__in={row[1] for row in rows})
    }
    ids = sorted({row[0] for row in rows})
    sections = {key for timepoint in timepoints.values() for key in timepoint.sections}
    facts = {}
    for at in range(0, len(ids), schedule.CHUNK):
        facts |= schedule.course_facts(ids[at : at + schedule.CHUNK], sections)[1]
    found = defaultdict(list)
    for patient, timepoint, closes in rows:
        missing = follow_up.missing_sections(timepoints[timepoint].plan, facts[patient])
        if missing:
            found[patient].append(OverdueVisit(timepoints[timepoint].name, closes, missing))
    return found

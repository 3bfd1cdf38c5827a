"""The emails the registry sends (docs/notifications.md), through Django's email framework.

| kind             | when                                               | to                          |
|------------------|----------------------------------------------------|-----------------------------|
| `query_opened`   | a data query is opened on a patient                | the clinicians of its site  |
| `safety_signal`  | a CRS or ICANS grade of 3 or more, new to a record | the study's administrators  |
| `import_summary` | a cohort import has committed                      | the study's administrators  |
| `overdue_digest` | `manage.py send_digests` (weekly, by a scheduler)  | the clinicians of each site |

Each user turns each kind off on /account/notifications/, in the API or in the admin
(`NotificationPreference`; no row is every kind on). An email names the study, the site and
the patient's study id and nothing else about a patient: no date of birth, no query text (a
question may quote a source document), no value typed; the link leads to the page where
the user's role decides what they read.

Emails are sent once the write commits (`transaction.on_commit`): a write rolled back sends
nothing, and a mail server that fails is logged, never raised into the clinician's save. The
cohort import writes in bulk inside `held_back()`: it sends one summary, not an email per
event it wrote.
"""

import logging
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import models, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from registry import schedule_list
from registry.grading import SEVERE_GRADE
from registry.models import (
    DailyAssessment,
    DataQuery,
    NotificationPreference,
    Patient,
    Role,
    Site,
    Study,
    ToxicityRecord,
)
from registry.scoped import set_within

logger = logging.getLogger(__name__)

KINDS = NotificationPreference.KINDS
# An import summary names this many patients at most, then says how many more.
SUMMARY_NAMES = 50

_held_back: ContextVar[bool] = ContextVar("notifications_held_back", default=False)


def held_back() -> AbstractContextManager[None]:
    """Writes inside send no email of their own (the cohort import sends its summary)."""
    return set_within(_held_back, True)


def preference_of(user) -> NotificationPreference:
    """The user's preferences as stored, or every kind on (unsaved) when never changed."""
    found = NotificationPreference.objects.filter(user=user).first()
    return found or NotificationPreference(user=user)


def preference_save(*, user, values: dict[str, bool]) -> NotificationPreference:
    """Set some kinds on or off for `user`; the others keep their setting."""
    unknown = sorted(set(values) - set(KINDS))
    if unknown:
        raise ValueError(f"Unknown kinds of notification: {', '.join(unknown)}")
    preference, _ = NotificationPreference.objects.update_or_create(user=user, defaults=values)
    return preference


def willing(users: QuerySet, kind: str) -> QuerySet:
    """The active users of `users` with an address who have not turned `kind` off."""
    return (
        users.filter(is_active=True)
        .exclude(email="")
        .exclude(**{f"notification_preference__{kind}": False})
    )


def site_staff(site: Site) -> QuerySet:
    """The members of a site who answer its patients' queries and see to their visits: the
    clinicians working there (the other roles work at every site and have no site)."""
    memberships = site.memberships.filter(role=Role.CLINICIAN)
    return get_user_model().objects.filter(memberships__in=memberships).distinct()


def study_admins(study: Study) -> QuerySet:
    memberships = study.memberships.filter(role=Role.ADMIN)
    return get_user_model().objects.filter(memberships__in=memberships).distinct()


def send(kind: str, users: QuerySet, subject: str, template: str, context: dict) -> int:
    """Email each willing user of `users` on their own; how many emails went. A failure of
    the mail server is logged: the email is lost, whatever set it off stands."""
    addresses = list(willing(users, kind).order_by("pk").values_list("email", flat=True))
    if not addresses:
        return 0
    try:
        settings_link = link(reverse("web:account-notifications"))
        body = render_to_string(
            f"registry/email/{template}.txt", {**context, "settings_link": settings_link}
        )
        messages = [EmailMessage(f"[Registry] {subject}", body, to=[to]) for to in addresses]
        with get_connection() as connection:
            return connection.send_messages(messages) or 0
    except Exception:
        logger.exception("The %s email %r could not be sent", kind, subject)
        return 0


def link(path: str) -> str:
    """The page at `path` as its users reach it (settings.SITE_URL), or the path alone."""
    return f"{settings.SITE_URL}{path}"


def _after_commit(task, *arguments) -> None:
    # robust: whatever goes wrong in the email is logged, never an error answer to a save
    # that has been made.
    transaction.on_commit(partial(task, *arguments), robust=True)


# Data queries


def query_opened(sender, instance: DataQuery, created: bool, raw: bool = False, **kwargs) -> None:
    """post_save of DataQuery: a new query tells the patient's site, whichever code opened it
    (a monitor, the API, a check that opens queries itself)."""
    if created and not raw and not _held_back.get():
        _after_commit(query_opened_email, instance.pk)


def registry_queries_opened(patient_ids: Iterable[int]) -> None:
    """Queries the registry opened itself (registry.quality writes them in bulk, without a
    post_save): each patient's site is told once, of the newest."""
    if not _held_back.get():
        for patient_id in sorted(set(patient_ids)):
            _after_commit(registry_query_email, patient_id)


def registry_query_email(patient_id: int) -> int:
    newest = DataQuery.objects.filter(patient_id=patient_id, raised_by=None).order_by("-pk")
    query = newest.values_list("pk", flat=True).first()
    return 0 if query is None else query_opened_email(query)


def query_opened_email(query_id: int) -> int:
    queries = DataQuery.objects.select_related("patient__study", "patient__site")
    query = queries.filter(pk=query_id).first()
    if query is None:
        return 0
    patient = query.patient
    page = reverse("web:patient-detail", args=[patient.pk]) + "#data-queries"
    context = {"query": query, "patient": patient, "link": link(page)}
    subject = f"{patient.study.code}: data query on patient {patient.subject_id}"
    return send("query_opened", site_staff(patient.site), subject, "query_opened", context)


# Safety signals


@dataclass(frozen=True)
class SevereGrade:
    name: str  # CRS or ICANS
    grade: int
    source: str  # where the grade comes from, in a clinician's words


def severe_grades(record: models.Model, age_years: int | None) -> dict[str, SevereGrade]:
    """The record's CRS and ICANS grades of SEVERE_GRADE or more, by name: recorded by the
    site (ToxicityRecord) or computed from a day's observations (DailyAssessment)."""
    if isinstance(record, ToxicityRecord):
        grades = [
            ("CRS", record.crs_max_grade, "the maximum CRS grade recorded by the site"),
            ("ICANS", record.icans_max_grade, "the maximum ICANS grade recorded by the site"),
        ]
    else:
        try:
            crs, icans = record.crs_grade(), record.icans_grade(age_years)
        except ValueError:
            # A code grading cannot read: refused by validation, no grade to speak of.
            return {}
        day = f"computed from the assessment of day {record.day}"
        grades = [
            ("CRS", crs.grade, f"{day} ({crs.reason})"),
            ("ICANS", icans.grade, f"{day} ({icans.reason})"),
        ]
    return {
        name: SevereGrade(name, grade, source)
        for name, grade, source in grades
        if grade is not None and grade >= SEVERE_GRADE
    }


def grades_before_save(sender, instance: models.Model, raw: bool = False, **kwargs) -> None:
    """pre_save of ToxicityRecord and DailyAssessment: the severe grades the stored record
    had, so that only a grade new to the record is a signal."""
    if raw or _held_back.get():
        return
    stored = sender.objects.filter(pk=instance.pk).first() if instance.pk else None
    before = severe_grades(stored, _age_for_icans(instance)) if stored is not None else {}
    instance._severe_before = before


def safety_signal(sender, instance: models.Model, raw: bool = False, **kwargs) -> None:
    """post_save of ToxicityRecord and DailyAssessment: a CRS or ICANS grade of 3 or more
    that the record did not have before tells the study's administrators."""
    if raw or _held_back.get():
        return
    before = getattr(instance, "_severe_before", {})
    after = severe_grades(instance, _age_for_icans(instance))
    # Read again at the next save: the infusion it counts from may change meanwhile.
    instance.__dict__.pop("_age_years", None)
    new = [found for name, found in after.items() if name not in before]
    if new:
        _after_commit(safety_signal_email, instance.patient_id, new)


def _age_for_icans(record: models.Model) -> int | None:
    """The patient's age, which grades a day's ICANS (CAPD under 12); read once per save."""
    if not isinstance(record, DailyAssessment):
        return None
    if not hasattr(record, "_age_years"):
        record._age_years = record.patient.age_years
    return record._age_years


def safety_signal_email(patient_id: int, grades: list[SevereGrade]) -> int:
    patient = Patient.objects.select_related("study", "site").filter(pk=patient_id).first()
    if patient is None:
        return 0
    names = " and ".join(f"{found.name} grade {found.grade}" for found in grades)
    subject = f"{patient.study.code}: safety signal, {names}, patient {patient.subject_id}"
    page = link(reverse("web:patient-detail", args=[patient.pk]))
    context = {"patient": patient, "grades": grades, "link": page}
    return send("safety_signal", study_admins(patient.study), subject, "safety_signal", context)


# Cohort import


def import_summary(
    sender, study: Study, user=None, created: int = 0, changed: int = 0, patient_ids=(), **kwargs
) -> int:
    """On registry.signals.cohort_imported: one email to the study's administrators with
    what the import wrote and the patients among them with a severe CRS or ICANS grade.
    With no administrator to tell, the patients' grades are not read at all."""
    if not willing(study_admins(study), "import_summary").exists():
        return 0
    severe = list(patients_with_severe_grades(patient_ids))
    context = {
        "study": study,
        "user": user,
        "created": created,
        "changed": changed,
        "severe": severe[:SUMMARY_NAMES],
        "more": max(len(severe) - SUMMARY_NAMES, 0),
        "severe_grade": SEVERE_GRADE,
        "link": link(reverse("web:patient-list", args=[study.code])),
    }
    subject = f"{study.code}: cohort import, {created} new and {changed} changed patients"
    return send("import_summary", study_admins(study), subject, "import_summary", context)


def patients_with_severe_grades(
    patient_ids: Iterable[int], chunk: int = 500
) -> Iterator[tuple[str, list[SevereGrade]]]:
    """Each of the patients (by study id) with a CRS or ICANS grade of 3 or more, recorded
    or computed, with the worst of each."""
    ids = sorted(patient_ids)
    for start in range(0, len(ids), chunk):
        patients = (
            Patient.objects.filter(pk__in=ids[start : start + chunk])
            .select_related("toxicities")
            .prefetch_related("infusions", "daily_assessments")
            .order_by("subject_id")
        )
        for patient in patients:
            worst = _worst_severe(patient)
            if worst:
                yield patient.subject_id, worst


def _worst_severe(patient: Patient) -> list[SevereGrade]:
    age = patient.age_years
    records = [*patient.daily_assessments.all()]
    recorded = getattr(patient, "toxicities", None)
    if recorded is not None:
        records.append(recorded)
    worst: dict[str, SevereGrade] = {}
    for record in records:
        for name, found in severe_grades(record, age).items():
            if name not in worst or found.grade > worst[name].grade:
                worst[name] = found
    return [worst[name] for name in ("CRS", "ICANS") if name in worst]


# The weekly digest of overdue visits


@dataclass(frozen=True)
class DigestsSent:
    sites: int  # sites with overdue visits
    visits: int  # their overdue visits
    emails: int


def overdue_digests(*, on: date | None = None, study: Study | None = None) -> DigestsSent:
    """Email each site's clinicians the site's overdue visits on `on` (today), as the
    follow-up list shows them (registry.schedule_list). A locked study is left out: its
    data no longer change."""
    on = on or timezone.localdate()
    sites = Site.objects.filter(study__locked_at__isnull=True).select_related("study")
    if study is not None:
        sites = sites.filter(study=study)
    counted = [0, 0, 0]
    params = {"show": schedule_list.OVERDUE, "on": on}
    for site in sites.order_by("study__code", "code"):
        visits = schedule_list.study_schedule(site.study, Site.objects.filter(pk=site.pk), params)
        rows = list(schedule_list.visit_rows(visits))
        if not rows:
            continue
        page = reverse("web:follow-up", args=[site.study.code])
        context = {
            "site": site,
            "study": site.study,
            "on": on,
            "visits": rows,
            "link": link(f"{page}?show=overdue&site={site.code}"),
        }
        visits = "visit" if len(rows) == 1 else "visits"
        subject = f"{site.study.code} {site.code}: {len(rows)} overdue follow-up {visits}"
        emails = send("overdue_digest", site_staff(site), subject, "overdue_digest", context)
        counted = [counted[0] + 1, counted[1] + len(rows), counted[2] + emails]
    return DigestsSent(*counted)

"""Who may see and change what: the study roles (registry.models.Membership) as rules.

A user has at most one role in each study:

| role        | reads patients       | enters and edits        | import, export | study settings |
|-------------|----------------------|-------------------------|----------------|----------------|
| clinician   | at their own sites   | at their own sites      | no             | no             |
| coordinator | at every site        | at every site           | yes            | no             |
| monitor     | at every site        | nothing (raises queries)| no             | no             |
| admin       | at every site        | at every site           | yes            | yes            |

Superusers see and change everything. Every role sees the statistics of a study, counted
over the patients it reads: a clinician's count only their own sites' patients.

Everything follows from two sets of sites: those whose patients a user reads
(`visible_sites`) and those where they enter data (`editable_sites`); a patient is visible
where its site is. A study the user has no role in is not there for them: the pages, the
admin and the API answer 404, as for a study that does not exist. What a user sees but may
not change answers 403.

Model permissions still apply on top in the admin and the API: a write needs both the
permission for that kind of record and an editing role where the patient is.

A new study is created by a superuser, or by importing a cohort with the
`registry.add_study` permission: the importer then administers it. Roles are given with
`membership_grant` (`manage.py grant_role`, the admin's study roles) and taken away with
`membership_revoke` (`manage.py revoke_role`), kept here beside the rules they follow
(`membership_check`). Who holds which role in a study is seen, and changed, by the study's
administrators; everybody sees their own roles.
"""

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, Exists, Model, Q, QuerySet

from registry.models import Membership, Patient, Role, Site, Study
from registry.prepared import Placeholder, prepared, rows

User = AbstractBaseUser | AnonymousUser | None

EVERY_SITE_READERS = (Role.COORDINATOR, Role.MONITOR, Role.ADMIN)
EVERY_SITE_EDITORS = (Role.COORDINATOR, Role.ADMIN)
COHORT_ROLES = (Role.COORDINATOR, Role.ADMIN)
QUERY_RAISERS = (Role.COORDINATOR, Role.MONITOR, Role.ADMIN)
VERIFIERS = (Role.MONITOR, Role.ADMIN)
# The columns a study is read from, in the order Study.from_db takes them (visible_study).
STUDY_FIELDS = [field.attname for field in Study._meta.concrete_fields]


def _signed_in(user: User) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def _is_superuser(user: User) -> bool:
    return _signed_in(user) and user.is_superuser


def _granted(
    user: User, queryset: QuerySet | None, model: type[Model], theirs: Callable
) -> QuerySet:
    """Of `queryset` (every row of `model` by default): nothing for a user not signed in,
    everything for a superuser, else what `theirs` keeps by the user's roles."""
    queryset = model.objects.all() if queryset is None else queryset
    if not _signed_in(user):
        return queryset.none()
    if user.is_superuser:
        return queryset
    return theirs(queryset)


def _sites(user: User, queryset: QuerySet | None, every_site_roles) -> QuerySet[Site]:
    """The sites of `queryset` where a whole-study role, or the clinician role, applies."""
    return _granted(
        user, queryset, Site, lambda sites: _role_sites(user.pk, sites, every_site_roles)
    )


def _role_sites(user_id: int | Placeholder, queryset: QuerySet, every_site_roles) -> QuerySet:
    """The sites of `queryset` where the user of `user_id` (not a superuser) holds a
    whole-study role of `every_site_roles`, or the clinician role."""
    studies = Membership.objects.filter(user_id=user_id, role__in=every_site_roles)
    own = Membership.sites.through.objects.filter(
        membership__user_id=user_id, membership__role=Role.CLINICIAN
    )
    return queryset.filter(Q(study__in=studies.values("study")) | Q(pk__in=own.values("site")))


def visible_sites(user: User, queryset: QuerySet[Site] | None = None) -> QuerySet[Site]:
    """The sites whose patients `user` reads."""
    return _sites(user, queryset, EVERY_SITE_READERS)


def visible_site_rows(user: User, columns: tuple[str, ...], study_id: int | None = None) -> list:
    """The `columns` of the sites whose patients `user` reads (`visible_sites`), of the
    study `study_id` only if given, in the order of their ids. Read on every request to
    the API: the query's SQL is made once for each set of columns."""
    if not _signed_in(user):
        return []
    query = _visible_sites_query(columns, study_id is not None, user.is_superuser)
    return rows(query, user=user.pk, study=study_id)


@functools.cache
def _visible_sites_query(columns: tuple[str, ...], of_a_study: bool, superuser: bool):
    sites = Site.objects.order_by("pk")
    if of_a_study:
        sites = sites.filter(study_id=Placeholder("study"))
    if not superuser:
        sites = _role_sites(Placeholder("user"), sites, EVERY_SITE_READERS)
    return prepared(sites.values_list(*columns))


def visible_patient_row(user: User, patient_id: int, columns: tuple[str, ...]) -> tuple | None:
    """The `columns` of the patient `patient_id` if `user` reads it (`visible_patients`),
    else None. Read on every request for a patient: the query's SQL is made once for each
    set of columns."""
    if not _signed_in(user):
        return None
    query = _visible_patient_query(columns, user.is_superuser)
    found = rows(query, user=user.pk, patient=patient_id)
    return found[0] if found else None


@functools.cache
def _visible_patient_query(columns: tuple[str, ...], superuser: bool):
    patients = Patient.objects.filter(pk=Placeholder("patient"))
    if not superuser:
        readers = _role_sites(Placeholder("user"), Site.objects.all(), EVERY_SITE_READERS)
        patients = patients.filter(site__in=readers)
    return prepared(patients.values_list(*columns))


def editable_sites(user: User, queryset: QuerySet[Site] | None = None) -> QuerySet[Site]:
    """The sites where `user` enrols patients and enters their data."""
    return _sites(user, queryset, EVERY_SITE_EDITORS)


def _studies_with_role(user: User, roles, queryset: QuerySet | None) -> QuerySet[Study]:
    return _granted(user, queryset, Study, lambda studies: _role_studies(user.pk, studies, roles))


def _role_studies(user_id: int | Placeholder, queryset: QuerySet, roles) -> QuerySet:
    """The studies of `queryset` where the user of `user_id` (not a superuser) holds one
    of `roles`."""
    return queryset.filter(
        pk__in=Membership.objects.filter(user_id=user_id, role__in=roles).values("study")
    )


def visible_studies(user: User, queryset: QuerySet[Study] | None = None) -> QuerySet[Study]:
    """The studies `user` has a role in (every study for a superuser)."""
    return _studies_with_role(user, Role.values, queryset)


def visible_study(user: User, code: str) -> Study | None:
    """The study of this code if `user` has a role in it (`visible_studies`), else None.
    Read on every request for a statistic: the query's SQL is made once."""
    if not _signed_in(user):
        return None
    query = _visible_study_query(user.is_superuser)
    found = rows(query, user=user.pk, code=code)
    return Study.from_db(query.alias, STUDY_FIELDS, found[0]) if found else None


@functools.cache
def _visible_study_query(superuser: bool):
    studies = Study.objects.filter(code=Placeholder("code", CharField())).order_by()
    if not superuser:
        studies = _role_studies(Placeholder("user"), studies, Role.values)
    return prepared(studies.values_list(*STUDY_FIELDS))


def exportable_studies(user: User, queryset: QuerySet[Study] | None = None) -> QuerySet[Study]:
    """The studies `user` may download whole (cohort document, CSV, XLSX)."""
    return _studies_with_role(user, COHORT_ROLES, queryset)


def administered_studies(user: User, queryset: QuerySet[Study] | None = None) -> QuerySet[Study]:
    """The studies whose settings and sites `user` changes."""
    return _studies_with_role(user, (Role.ADMIN,), queryset)


def uses_admin(user: User) -> bool:
    """Whether `user` has a reason to open the admin: a staff coordinator or administrator of
    a study. Clinicians enter data on the clinicians' pages, not on a second screen."""
    if not (_signed_in(user) and user.is_staff):
        return False
    return user.is_superuser or _studies_with_role(user, EVERY_SITE_EDITORS, None).exists()


def visible_memberships(
    user: User, queryset: QuerySet[Membership] | None = None
) -> QuerySet[Membership]:
    """The study roles `user` sees: everyone's in the studies they administer, and their own."""
    theirs = Q(study__in=administered_studies(user)) | Q(user=user)
    return _granted(user, queryset, Membership, lambda memberships: memberships.filter(theirs))


def visible_patients(user: User, queryset: QuerySet[Patient] | None = None) -> QuerySet[Patient]:
    """The patients of `queryset` (all by default) that `user` reads."""
    return _granted(
        user, queryset, Patient, lambda patients: patients.filter(site__in=visible_sites(user))
    )


def visible_records(user: User, queryset: QuerySet) -> QuerySet:
    """The section records of `queryset` whose patient `user` reads."""
    if _is_superuser(user):
        return queryset
    return queryset.filter(patient__site__in=visible_sites(user))


def editable_patients(user: User, queryset: QuerySet[Patient] | None = None) -> QuerySet[Patient]:
    """The patients of `queryset` (all by default) whose data `user` may change."""
    return _granted(
        user, queryset, Patient, lambda patients: patients.filter(site__in=editable_sites(user))
    )


def can_edit_site(user: User, site: Site) -> bool:
    """Whether `user` may enrol patients at `site` and change their data."""
    return _is_superuser(user) or editable_sites(user).filter(pk=site.pk).exists()


def can_edit_patient(user: User, patient: Patient) -> bool:
    """Whether `user` may change `patient` and the records of the patient's course."""
    return _is_superuser(user) or _patient_editable(user, patient).exists()


def _patient_editable(user: User, patient: Patient) -> QuerySet[Site]:
    """The patient's site if `user` may change the patient, else nothing."""
    return editable_sites(user).filter(pk=patient.site_id)


def _has_role(user: User, study: Study, roles) -> bool:
    if _is_superuser(user):
        return True
    return _study_if_role(user, study, roles).exists()


def _study_if_role(user: User, study: Study, roles) -> QuerySet[Study]:
    """The study if `user` holds one of `roles` there (every study for a superuser)."""
    return _studies_with_role(user, roles, None).filter(pk=study.pk)


def can_administer_study(user: User, study: Study) -> bool:
    """Whether `user` may change the study's settings and sites, and lock or unlock it."""
    return _has_role(user, study, (Role.ADMIN,))


def can_export(user: User, study: Study) -> bool:
    """Whether `user` downloads the study whole: exportable_studies for one study."""
    return _has_role(user, study, COHORT_ROLES)


def can_raise_queries(user: User, study: Study) -> bool:
    """Whether `user` opens and closes data queries on the study's patients."""
    return _has_role(user, study, QUERY_RAISERS)


def can_verify(user: User, study: Study) -> bool:
    """Whether `user` verifies the study's data against the source documents."""
    return _has_role(user, study, VERIFIERS)


def can_sign(user: User, patient: Patient) -> bool:
    """Whether `user` signs the patient's casebook: an investigator (a clinician with the
    investigator flag) at the patient's site. A signature is a person's own word: a
    superuser signs only where they are an investigator too."""
    return _signed_in(user) and _signing_role(user, patient).exists()


def _signing_role(user: User, patient: Patient) -> QuerySet[Membership]:
    """The role by which `user`, signed in, signs the patient's casebook, if any."""
    return Membership.objects.filter(
        user=user,
        study_id=patient.study_id,
        role=Role.CLINICIAN,
        investigator=True,
        sites=patient.site_id,
    )


@dataclass(frozen=True)
class PatientRights:
    """What `user` may do on a patient's page, read in one query: change the patient
    (can_edit_patient), raise data queries (can_raise_queries), verify (can_verify) and
    sign the casebook (can_sign)."""

    edit: bool
    raise_queries: bool
    verify: bool
    sign: bool


def patient_rights(user: User, patient: Patient) -> PatientRights:
    """The rights of `user` on `patient`: each by the same rule as its can_ function."""
    if not _signed_in(user):
        return PatientRights(edit=False, raise_queries=False, verify=False, sign=False)
    found = Study.objects.filter(pk=patient.study_id).annotate(
        edit=Exists(_patient_editable(user, patient)),
        raise_queries=Exists(_study_if_role(user, patient.study, QUERY_RAISERS)),
        verify=Exists(_study_if_role(user, patient.study, VERIFIERS)),
        sign=Exists(_signing_role(user, patient)),
    )
    return PatientRights(**found.values("edit", "raise_queries", "verify", "sign").get())


def can_import(user: User, study_code: object) -> bool:
    """Whether `user` may import a cohort document for the study with this code.

    Into a stored study: its coordinators and admins. A study not stored yet: whoever has
    the `registry.add_study` permission (see `study_creator_grant`).
    """
    if not _signed_in(user):
        return False
    if user.is_superuser:
        return True
    study = Study.objects.filter(code=study_code).first() if isinstance(study_code, str) else None
    if study is None:
        return user.has_perm("registry.add_study")
    return _has_role(user, study, COHORT_ROLES)


def patient_scope(user: User, study: Study) -> tuple[int, ...] | None:
    """The ids of the sites of `study` whose patients `user` reads: what statistics count
    and what their cache key names. None (every patient) for a superuser."""
    if _is_superuser(user):
        return None
    return tuple(pk for (pk,) in visible_site_rows(user, ("pk",), study.pk))


def can_read_patient_history(user: User, patient_id: int) -> bool:
    """Whether `user` reads the patient's audit trail, which outlives the patient: a deleted
    patient's is read where the patient last was."""
    site_id = Patient.objects.filter(pk=patient_id).values_list("site_id", flat=True).first()
    if site_id is None:
        last = Patient.history.filter(id=patient_id).order_by("-history_date", "-history_id")
        site_id = last.values_list("site_id", flat=True).first()
    if site_id is None:
        return False
    return _is_superuser(user) or visible_sites(user).filter(pk=site_id).exists()


def patient_of(record: Model) -> Patient:
    """The patient a record belongs to: the patient itself, or a section's patient."""
    return record if isinstance(record, Patient) else record.patient


def _refusal(field: str, message: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=field)})


def membership_check(
    *, study: Study, role: str, sites: Iterable[Site], investigator: bool = False
) -> None:
    """Refuse a role the rules do not allow, each message under the field it is about.

    A clinician works at one or more named sites of the study; the other roles cover every
    site and take none.
    """
    sites = list(sites)
    if role not in Role.values:
        choices = ", ".join(Role.values)
        raise _refusal("role", f"Unknown role {role!r}: choose {choices}")
    if role == Role.CLINICIAN and not sites:
        message = "A clinician works at named sites of the study: give at least one site"
        raise _refusal("sites", message)
    if role != Role.CLINICIAN and sites:
        message = f"A {role} works at every site of the study: give no sites"
        raise _refusal("sites", message)
    if investigator and role != Role.CLINICIAN:
        message = "An investigator is a clinician at named sites: choose the clinician role"
        raise _refusal("investigator", message)
    foreign = [site.code for site in sites if site.study_id != study.pk]
    if foreign:
        raise _refusal("sites", study.no_such_sites(foreign))


def membership_grant(
    *,
    user: AbstractBaseUser,
    study: Study,
    role: str,
    sites: Iterable[Site] = (),
    investigator: bool = False,
) -> Membership:
    """Give `user` `role` in `study`, replacing the role (and sites) they had there; an
    investigator is a clinician who signs casebooks."""
    sites = list(sites)
    membership_check(study=study, role=role, sites=sites, investigator=investigator)
    with transaction.atomic():
        membership, _ = Membership.objects.update_or_create(
            user=user, study=study, defaults={"role": role, "investigator": investigator}
        )
        membership.sites.set(sites)
    return membership


def membership_revoke(
    *, user: AbstractBaseUser, study: Study, sites: Iterable[Site] = ()
) -> Membership | None:
    """Take away `user`'s role in `study`, or with `sites` only those sites of a clinician.

    A clinician keeps at least one site: taking away their last one is refused, not turned
    into taking away the role, so that a revoke never does more than it names. Returns the
    role as it is left, None when it is gone.
    """
    sites = list(sites)
    membership = Membership.objects.filter(user=user, study=study).first()
    if membership is None:
        raise ValidationError(f"{user} has no role in {study.code}", code="role")
    if not sites:
        membership.delete()
        return None
    if membership.role != Role.CLINICIAN:
        raise ValidationError(
            f"{user}'s role in {study.code} is {membership.role}, at every site: revoke the "
            "whole role, or grant another one",
            code="sites",
        )
    held = set(membership.sites.all())
    not_held = [site.code for site in sites if site not in held]
    if not_held:
        raise ValidationError(
            f"{user} is not a clinician at {', '.join(not_held)} in {study.code}", code="sites"
        )
    if held <= set(sites):
        raise ValidationError(
            f"That would leave {user} a clinician at no site of {study.code}, and a clinician "
            f"works at one at least: revoke their whole role in {study.code} instead",
            code="sites",
        )
    membership.sites.remove(*sites)
    return membership


def study_creator_grant(*, user: User, study: Study) -> None:
    """Whoever creates a study, other than a superuser, administers it."""
    if _signed_in(user) and not user.is_superuser:
        membership_grant(user=user, study=study, role=Role.ADMIN)

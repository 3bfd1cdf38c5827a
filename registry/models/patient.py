from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from registry import quality_rules
from registry.analytes import PERIPHERAL_BLOOD, Measurement
from registry.choices import EventKind, PriorTherapyKind, ResponseStatus, Sex
from registry.course import record_fields, validate_in_course
from registry.grading import Grade, age_years
from registry.icaht import IcahtGrade, course_icaht, first_event_days, last_day_followed
from registry.models.fields import clinical_date, coded_field
from registry.models.study import Site, Study
from registry.validators import PlausibleBirthDate

study_id_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
    "Study id: use the pseudonymous code (letters, digits, '.', '-', '_'), never a name",
)
# Said to anyone enrolling a study id the study already has: the same words whether the
# patient with it is one they may see or one at a site they have no access to, so that
# the message tells no one about another site's patients.
STUDY_ID_TAKEN = "This study id cannot be used in this study: choose another one"


def deleted_with_patient(origin) -> bool:
    """Whether a post_delete signal's `origin` is the deletion of a patient (one, or a
    queryset of them): the record goes with its patient."""
    return isinstance(origin, Patient) or getattr(origin, "model", None) is Patient


# The day-30 response is the earliest response assessment from day 21 to day 45.
DAY_30_WINDOW = (21, 45)
DAY_30_ASSESSMENT = "the earliest response assessment from day {} to day {}".format(*DAY_30_WINDOW)


def _course_records(section: str) -> models.QuerySet:
    """The section's records of the patient an expression on patients is about."""
    records = Patient._meta.get_field(section).related_model.objects
    return records.filter(patient=models.OuterRef("pk"))


def _any_of(section: str, kind: str) -> models.Exists:
    return models.Exists(_course_records(section).filter(kind=kind))


def course_summary() -> dict[str, models.Expression]:
    """The summary of a patient's course (`Patient.SUMMARY_FROM`), each column as an
    expression on patients: set from it by every write of a patient or of a record of
    those sections (Patient.save, registry.services.patient_touched, the cohort import)."""
    infusions = _course_records("infusions").order_by("date")
    day_30 = _course_records("response_assessments").filter(day__range=DAY_30_WINDOW)
    return {
        "first_infusion_date": models.Subquery(infusions.values("date")[:1]),
        "d30_status": models.Subquery(day_30.order_by("day").values("status")[:1]),
        "prior_allo_hct": _any_of("prior_therapies", PriorTherapyKind.ALLO_HCT),
        "prior_cd22_cart": _any_of("prior_therapies", PriorTherapyKind.CD22_CART),
        "relapsed": _any_of("events", EventKind.RELAPSE),
        "died": _any_of("events", EventKind.DEATH),
    }


# The columns the web list sorts by (registry.web.filters) besides the study id, and the
# names of their indexes.
SORTED_BY = {
    "d30_status": "patient_sort_d30_idx",
    "birth_date": "patient_sort_birth_idx",
    "enrollment_date": "patient_sort_enrolment_idx",
    "last_contact_date": "patient_sort_contact_idx",
}


class Patient(models.Model):
    """A pseudonymous study participant. No names or record numbers are held."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="patients")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="patients")
    # The format's `study_id`; named subject_id (as in CDISC) because `study_id` is the
    # study foreign key's column.
    subject_id = models.CharField(
        "study id", max_length=40, validators=[study_id_validator], db_index=True
    )
    sex = coded_field(Sex, "Sex", max_length=6, blank=True)
    birth_date = models.DateField(
        "date of birth", null=True, blank=True, validators=[PlausibleBirthDate("Date of birth")]
    )
    diagnosis_date = clinical_date(
        "Date of diagnosis",
        optional=True,
        verbose_name="date of diagnosis",
        help_text="Of the B-ALL; before every prior therapy and the infusion",
    )
    # Null, not False: a list not checked is not said to be incomplete either.
    prior_therapies_complete = models.BooleanField(
        "prior therapies complete",
        null=True,
        blank=True,
        help_text="The list of prior therapies was checked and is the whole history",
    )
    enrollment_date = clinical_date(
        "Date of enrolment", optional=True, verbose_name="date of enrolment"
    )
    last_contact_date = clinical_date(
        "Date of last contact",
        optional=True,
        verbose_name="date of last contact",
        help_text=(
            "Last date known alive; once a death is recorded, the date of death, which "
            "recording or moving the death sets"
        ),
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    # The summary of the course (course_summary) for the patient list to filter and order by:
    # reading the sections of every patient of a study for each page would cost a
    # subquery per patient. Not in the history: they are the sections', which have their
    # own.
    first_infusion_date = models.DateField(null=True, editable=False, db_index=True)
    # Null, not "": not assessed from day 21 to 45, the API's null, is no response status.
    d30_status = models.CharField(  # noqa: DJ001
        "day-30 response",
        max_length=14,
        choices=ResponseStatus.choices,
        null=True,
        editable=False,
    )
    prior_allo_hct = models.BooleanField("prior allo-HCT", default=False, editable=False)
    prior_cd22_cart = models.BooleanField("prior CD22 CAR-T", default=False, editable=False)
    relapsed = models.BooleanField(default=False, editable=False)
    died = models.BooleanField(default=False, editable=False)
    SUMMARY_FROM = {
        "infusions": ("first_infusion_date",),
        "response_assessments": ("d30_status",),
        "prior_therapies": ("prior_allo_hct", "prior_cd22_cart"),
        "events": ("relapsed", "died"),
    }
    # The casebook's figures (registry.casebook), kept in the writing transaction so that
    # a site's patients with missing required data are one indexed query.
    required_total = models.PositiveIntegerField("required fields", default=0, editable=False)
    required_missing = models.PositiveIntegerField(
        "required fields missing", default=0, editable=False
    )
    casebook_signed = models.BooleanField("casebook signed", default=False, editable=False)
    CASEBOOK_COLUMNS = ("required_total", "required_missing", "casebook_signed")
    history = HistoricalRecords(
        excluded_fields=[
            *(name for names in SUMMARY_FROM.values() for name in names),
            *CASEBOOK_COLUMNS,
        ]
    )

    document_fields = (
        "sex",
        "birth_date",
        "diagnosis_date",
        "enrollment_date",
        "last_contact_date",
        "prior_therapies_complete",
    )

    class Meta:
        ordering = ["study", "subject_id"]
        constraints = [
            # In any case: "demo-061" beside "DEMO-061" would be two patients to the
            # registry and one to anyone reading them.
            models.UniqueConstraint(
                "study",
                Lower("subject_id"),
                name="patient_study_id_unique_in_study",
                violation_error_message=STUDY_ID_TAKEN,
            )
        ]
        indexes = [
            # What the list's filters read (registry.api.filters, registry.web.filters):
            # a filtered count of a study's patients reads this index alone, a quarter of
            # the table's size.
            models.Index(
                fields=[
                    "study",
                    "site",
                    "d30_status",
                    "prior_allo_hct",
                    "prior_cd22_cart",
                    "died",
                    "sex",
                    "first_infusion_date",
                ],
                name="patient_filter_idx",
            ),
            # The latest `updated` is part of the key of the API's cached answers
            # (registry.api.caching), read for every list page.
            models.Index(fields=["updated"], name="patient_updated_idx"),
            # The patient list walks this for a page: each patient's site, checked against
            # the sites the user reads, and its id are in the index, so a page deep in a
            # study reads no table rows to get there.
            models.Index(fields=["study", "subject_id", "site", "id"], name="patient_list_idx"),
            # A site's patients with missing required data, and the site's figures.
            models.Index(
                fields=["study", "site", "required_missing", "required_total", "casebook_signed"],
                name="patient_casebook_idx",
            ),
            # The same for a list sorted by one of the web list's columns, then by study id
            # (registry.sorting), either way: a page is read off the index instead of
            # sorting the study's patients for each page.
            *(
                models.Index(fields=["study", column, "subject_id", "site", "id"], name=name)
                for column, name in SORTED_BY.items()
            ),
        ]

    def __str__(self) -> str:
        return self.subject_id

    def save(self, *args, **kwargs) -> None:
        # From the course as stored, never from what this instance was read with; the
        # casebook's columns as stored too, which registry.casebook sets after the save.
        if self.pk is not None:
            summary = course_summary()
            kept = {**summary, **{name: name for name in self.CASEBOOK_COLUMNS}}
            stored = Patient.objects.filter(pk=self.pk).values_list(*kept.values()).first()
            if stored is not None:
                for name, value in zip(kept, stored, strict=True):
                    setattr(self, name, value)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.site_id and self.study_id and self.site.study_id != self.study_id:
            raise ValidationError({"site": "The site must belong to the patient's study"})
        if self.study_id:
            self.study.check_unlocked()
            validate_in_course(self)

    @property
    def first_infusion(self):
        return min(self.infusions.all(), key=lambda infusion: infusion.date, default=None)

    @property
    def age_years(self) -> int | None:
        """Completed years at the first infusion (at enrolment before any infusion)."""
        infusion = self.first_infusion
        return age_years(self.birth_date, infusion and infusion.date, self.enrollment_date)

    def computed_grades(self) -> tuple[Grade, Grade]:
        """Maximum CRS and ICANS grades computed from the daily assessments."""
        return quality_rules.computed_grades(self._graded_course())

    def grade_discrepancies(self, assessments: list[dict] | None = None) -> list[str]:
        """Where the site's recorded maximum grade differs from the computed one: from
        `assessments` where given (each day's `DailyAssessment.document_fields`, read as
        rows for a page of patients), else from the patient's daily assessments."""
        course = self._graded_course(assessments)
        return [found.message for found in quality_rules.grade_discrepancies(course)]

    def _graded_course(self, assessments: list[dict] | None = None) -> dict:
        """What the grades are computed from, in the shape of a course."""
        infusion = self.first_infusion
        recorded = getattr(self, "toxicities", None)
        if assessments is None:
            assessments = [record_fields(day) for day in self.daily_assessments.all()]
        return {
            "birth_date": self.birth_date,
            "enrollment_date": self.enrollment_date,
            "infusions": [{"date": infusion.date}] if infusion else [],
            "toxicities": record_fields(recorded) if recorded else None,
            "daily_assessments": assessments,
        }

    def computed_icaht(
        self, typed_anc: Iterable[Measurement] = (), leaving_out: int | None = None
    ) -> tuple[IcahtGrade, IcahtGrade]:
        """Early and late neutrophil ICAHT grades (registry.icaht) from the ANC values in
        blood, with `typed_anc` (values typed into a form, not yet saved) added, and without
        the stored value `leaving_out` (the one being changed: what is typed replaces it).

        Early ICAHT ends at the death, else the last contact, when that is before day 30;
        late ICAHT is censored at the first relapse, other therapy or allo-HCT on or after
        the first infusion (registry.icaht.course_icaht, as the analysis dataset reads it)."""
        anc = [
            Measurement(lab.day, lab.series_value, lab.below_detection)
            for lab in self.labs.all()
            if lab.analyte == "anc" and lab.specimen == PERIPHERAL_BLOOD and lab.pk != leaving_out
        ]
        anc += typed_anc
        infusion = self.first_infusion
        started = infusion.date if infusion else None
        days = first_event_days(((event.kind, event.date) for event in self.events.all()), started)
        return course_icaht(
            anc,
            event_days=days,
            followed_until=last_day_followed(days, started, self.last_contact_date),
        )

    def icaht_discrepancy(self) -> str:
        """Where the site's recorded (early) ICAHT grade differs from the computed one."""
        recorded = getattr(self, "toxicities", None)
        if recorded is None or recorded.icaht_grade is None:
            return ""
        early, _late = self.computed_icaht()
        if early.grade is None or early.grade == recorded.icaht_grade:
            return ""
        return (
            f"Early ICAHT: recorded grade {recorded.icaht_grade}, computed grade {early.grade} "
            f"({early.reason})"
        )

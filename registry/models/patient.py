from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords

from registry.choices import Sex
from registry.course import validate_in_course
from registry.grading import Grade, worst
from registry.models.study import Site, Study
from registry.validators import coded

study_id_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
    "Study id: use the pseudonymous code (letters, digits, '.', '-', '_'), never a name",
)


def completed_years(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_years(
    birth_date: date | None, first_infusion_date: date | None, enrollment_date: date | None
) -> int | None:
    """Completed years at the first infusion (at enrolment before any infusion)."""
    on = first_infusion_date or enrollment_date
    if not (birth_date and on):
        return None
    return completed_years(birth_date, on)


def earliest_infusion_date() -> models.Subquery:
    """The date of the patient's earliest infusion, as an expression on patients: what
    `Patient.first_infusion_date` keeps, set from it by every write of a patient or an
    infusion (Patient.save, registry.services.patient_touched, the cohort import)."""
    infusions = Patient._meta.get_field("infusions").related_model.objects
    earliest = infusions.filter(patient=models.OuterRef("pk")).order_by("date")
    return models.Subquery(earliest.values("date")[:1])


class Patient(models.Model):
    """A pseudonymous study participant. No names or record numbers are held."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="patients")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="patients")
    # The format's `study_id`; named subject_id (as in CDISC) because `study_id` is the
    # study foreign key's column.
    subject_id = models.CharField(
        "study id", max_length=40, validators=[study_id_validator], db_index=True
    )
    sex = models.CharField(
        max_length=6, choices=Sex.choices, blank=True, error_messages=coded("Sex")
    )
    birth_date = models.DateField("date of birth", null=True, blank=True)
    enrollment_date = models.DateField("date of enrolment", null=True, blank=True)
    last_contact_date = models.DateField(
        "date of last contact",
        null=True,
        blank=True,
        help_text="Last date known alive, or the date of death",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    # The date of the earliest infusion, kept for the patient list to order and filter by
    # (a subquery per patient would sort the whole study for each page). Kept from the
    # infusions by save() and, on every write of an infusion, by
    # registry.services.patient_touched; the cohort import sets it for the patients it
    # writes. Not in the history: it is the infusions', which have their own.
    first_infusion_date = models.DateField(null=True, editable=False, db_index=True)
    history = HistoricalRecords(excluded_fields=["first_infusion_date"])

    document_fields = ("sex", "birth_date", "enrollment_date", "last_contact_date")
    course_path = ""

    class Meta:
        ordering = ["study", "subject_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "subject_id"],
                name="patient_study_id_unique_in_study",
                violation_error_message="This study already has a patient with this study id",
            )
        ]
        indexes = [
            models.Index(fields=["study", "site"]),
            # The latest `updated` is part of the key of the API's cached answers
            # (registry.api.caching), read for every list page.
            models.Index(fields=["updated"], name="patient_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.subject_id

    def save(self, *args, **kwargs) -> None:
        # From the infusions as stored, never from what this instance was read with.
        if self.pk is not None:
            stored = Patient.objects.filter(pk=self.pk)
            earliest = stored.values_list(earliest_infusion_date(), flat=True)
            self.first_infusion_date = earliest.first()
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
        assessments = list(self.daily_assessments.all())
        age = self.age_years
        return (
            worst(assessment.crs_grade() for assessment in assessments),
            worst(assessment.icans_grade(age) for assessment in assessments),
        )

    def grade_discrepancies(self) -> list[str]:
        """Where the site's recorded maximum grade differs from the computed one."""
        recorded = getattr(self, "toxicities", None)
        if recorded is None or not self.daily_assessments.exists():
            return []
        crs, icans = self.computed_grades()
        found = []
        for name, stored, computed in (
            ("CRS", recorded.crs_max_grade, crs),
            ("ICANS", recorded.icans_max_grade, icans),
        ):
            if stored is not None and stored != computed.grade:
                found.append(
                    f"{name}: recorded grade {stored}, computed grade {computed.grade} "
                    f"({computed.reason})"
                )
        return found

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.models import HistoricalRecords

from registry.analytes import PERIPHERAL_BLOOD, SPECIMENS
from registry.choices import DateFormat
from registry.eligibility import Criteria
from registry.models.fields import clinical_date, coded_field
from registry.required_fields import default_required, required_problems
from registry.sections import fields_by_section
from registry.signals import quality_settings_changed, required_fields_changed
from registry.validators import HIGHEST_DOSE_PER_KG, at_most, between, not_negative, percent

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
    "Use letters, digits, '-' or '_' only, starting with a letter or digit",
)


class Study(models.Model):
    """A clinical study and the protocol settings its validation and analyses depend on."""

    code = models.CharField(max_length=40, unique=True, validators=[code_validator])
    title = models.CharField(max_length=300)
    # A clinical date too: the day up to which the study's data are complete, a fact once
    # it has passed; the analyses follow patients up to it.
    data_cutoff = clinical_date(
        "Data cut-off", optional=True, help_text="Date of the analysis cut-off"
    )
    is_synthetic = models.BooleanField(
        default=False, help_text="Synthetic demonstration data, not real patients"
    )
    dose_ceiling_post_hct_per_kg = models.PositiveBigIntegerField(
        "dose ceiling after a prior allo-HCT (cells/kg)",
        default=500_000,
        validators=[
            *not_negative("Dose ceiling after a prior transplant"),
            *at_most(HIGHEST_DOSE_PER_KG, "Dose ceiling after a prior transplant (cells/kg)"),
        ],
    )
    dose_ceiling_per_kg = models.PositiveBigIntegerField(
        "dose ceiling without a prior allo-HCT (cells/kg)",
        default=5_000_000,
        validators=[
            *not_negative("Dose ceiling"),
            *at_most(HIGHEST_DOSE_PER_KG, "Dose ceiling (cells/kg)"),
        ],
    )
    b_cell_aplasia_threshold_pct = models.FloatField(
        "B-cell aplasia threshold (% CD19+ lymphocytes in marrow)",
        default=3.0,
        validators=percent("B-cell aplasia threshold"),
    )
    b_cell_aplasia_specimen = coded_field(
        list(SPECIMENS.items()),
        "B-cell aplasia specimen",
        verbose_name="B-cell aplasia specimen",
        max_length=3,
        default="bm",
        help_text="Where the B cells the threshold applies to are counted",
    )
    car_t_kinetics_specimen = coded_field(
        list(SPECIMENS.items()),
        "CAR-T kinetics specimen",
        verbose_name="CAR-T kinetics specimen",
        max_length=3,
        default=PERIPHERAL_BLOOD,
        help_text=(
            "Where the CAR-T cells (flow cytometry and qPCR) the kinetics are read from are "
            "counted: expansion, AUC0-28, persistence"
        ),
    )
    min_cd19_blast_pct = models.FloatField(
        "eligibility: minimum % of blasts CD19-positive",
        default=95.0,
        validators=percent("Minimum CD19-positive blasts"),
    )
    min_bm_blast_pct = models.FloatField(
        "eligibility: marrow blasts above (%), unless extramedullary disease",
        default=5.0,
        validators=percent("Marrow blast threshold"),
    )
    max_ecog = models.PositiveSmallIntegerField(
        "eligibility: highest ECOG performance status",
        default=2,
        validators=between(0, 5, "The highest ECOG performance status"),
    )
    requires_prior_murine_cd19 = models.BooleanField(
        "eligibility: at least one earlier murine CD19 CAR-T", default=True
    )
    date_format = models.CharField(
        "date format on the pages",
        max_length=10,
        choices=DateFormat,
        default=DateFormat.ISO,
        help_text="How the clinician pages show and read dates; the API always uses YYYY-MM-DD",
    )
    required_fields = models.JSONField(
        "required fields",
        default=default_required,
        blank=True,
        help_text="The fields every patient's casebook needs, e.g. infusions.cells_per_kg",
    )
    locked_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="While set, the study's data cannot be changed; an administrator unlocks it",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "studies"
        constraints = [
            # In any case: "demo" beside "DEMO" would be two studies to the registry and
            # one to anyone reading them.
            models.UniqueConstraint(
                Lower("code"),
                name="study_code_unique_any_case",
                violation_error_message="There is already a study with this code in another "
                "case: study codes differing only in upper and lower case count as the same",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"

    # The settings the analysis rows of its patients are computed with (B-cell aplasia,
    # CAR-T kinetics).
    ROW_SETTINGS = (
        "b_cell_aplasia_threshold_pct",
        "b_cell_aplasia_specimen",
        "car_t_kinetics_specimen",
    )

    # The settings the registry's data-quality rules read (registry.quality): the protocol's
    # dose ceilings, and the clinical cut-off past which a timepoint is not applicable.
    QUALITY_SETTINGS = ("dose_ceiling_post_hct_per_kg", "dose_ceiling_per_kg", "data_cutoff")

    def save(self, *args, **kwargs) -> None:
        """Saved; when a setting the analysis rows read changes, its patients are stamped
        (their `updated` moved), so that their stored rows are computed again; when the
        required fields or a setting the data-quality rules read change, what is derived
        from them follows in the same transaction."""
        before = None
        saved = kwargs.get("update_fields")
        watched = (*self.ROW_SETTINGS, *self.QUALITY_SETTINGS, "required_fields")
        if self.pk is not None and (saved is None or set(saved) & set(watched)):
            before = Study.objects.filter(pk=self.pk).values(*watched).first()
        with transaction.atomic():
            super().save(*args, **kwargs)
            if before is None:
                return
            changed = {name for name in watched if before[name] != getattr(self, name)}
            if changed & set(self.ROW_SETTINGS):
                self.patients.update(updated=timezone.now())
            if "required_fields" in changed:
                required_fields_changed.send(sender=Study, study=self)
            if changed & set(self.QUALITY_SETTINGS):
                quality_settings_changed.send(sender=Study, study=self)

    def clean(self) -> None:
        problems = required_problems(self.required_fields, fields_by_section())
        if problems:
            raise ValidationError({"required_fields": problems})

    def check_unlocked(self) -> None:
        """Refuse any change to the study's patients while the study is locked."""
        if self.locked_at is not None:
            raise ValidationError(
                f"Study {self.code} is locked since %(since)s; an administrator must unlock "
                "it, with a reason, before data can change",
                code="locked",
                params={"since": timezone.localdate(self.locked_at)},
            )

    def no_such_sites(self, codes: list[str]) -> str:
        """Why sites given by their codes are refused: the study has none of that code."""
        return f"Study {self.code} has no site {', '.join(codes)}"

    def eligibility_criteria(self) -> Criteria:
        return Criteria(
            min_cd19_blast_pct=self.min_cd19_blast_pct,
            min_bm_blast_pct=self.min_bm_blast_pct,
            max_ecog=self.max_ecog,
            requires_prior_murine_cd19=self.requires_prior_murine_cd19,
        )


def unique_in_study(record: str, field: str) -> models.UniqueConstraint:
    """No two of a study's `record`s (its sites, its timepoints) share `field`, which
    names one of them within the study; a second is refused in those words."""
    return models.UniqueConstraint(
        fields=["study", field],
        name=f"{record}_{field}_unique_in_study",
        violation_error_message=f"This study already has a {record} with this {field}",
    )


class Site(models.Model):
    """A centre of a (multi-centre) study."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="sites")
    code = models.CharField(max_length=40, validators=[code_validator])
    name = models.CharField(max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["study", "code"]
        constraints = [unique_in_study("site", "code")]

    def __str__(self) -> str:
        return self.name or self.code

    @property
    def label(self) -> str:
        """The site among others to choose from: its code, and its name where it has one
        ("BOREN · Beijing Boren Hospital")."""
        return f"{self.code} · {self.name}" if self.name else self.code

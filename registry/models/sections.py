"""The sections of a patient's course, one model each; field names are the format's keys."""

from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from registry import choices, grading
from registry.analytes import treatment_flags
from registry.course import validate_in_course
from registry.eligibility import Verdict, eligibility_verdict
from registry.models.patient import Patient
from registry.rules import MAX_LYMPHODEPLETION_DAYS
from registry.validators import PlausibleDate, between, coded, grade, not_negative, percent


class Section(models.Model):
    """A part of one patient's course, validated against the rest of that course."""

    # The section's keys in a cohort document; where the section sits in one, and whether
    # it is a list, is registry.sections'.
    document_fields: tuple[str, ...] = ()
    # The fields that tell a patient's records of a list section apart, by which a
    # re-import finds the stored record a document's record stands for
    # (registry.interchange.matching); () where nothing does.
    natural_key: tuple[str, ...] = ()

    # Raised by one on every save; a form or an API client that read an older version is
    # told someone else changed the record in the meantime.
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True

    def clean(self) -> None:
        if self.patient_id:
            self.patient.study.check_unlocked()
        self.clean_fields_together()
        if self.patient_id:
            validate_in_course(self)

    def clean_fields_together(self) -> None:
        """Rules between fields of this one record; none by default."""


class Eligibility(Section):
    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="eligibility")
    cd19_blast_pct = models.FloatField(
        "CD19-positive blasts (%)",
        null=True,
        blank=True,
        validators=percent("CD19-positive blasts"),
    )
    bm_blast_pct = models.FloatField(
        "marrow blasts (%)", null=True, blank=True, validators=percent("Marrow blasts")
    )
    extramedullary_sites = models.JSONField(
        "extramedullary disease sites", default=list, blank=True
    )
    ecog = models.PositiveSmallIntegerField(
        "ECOG performance status", null=True, blank=True, validators=between(0, 4, "ECOG")
    )
    adequate_organ_function = models.BooleanField(null=True, blank=True)

    document_fields = (
        "cd19_blast_pct",
        "bm_blast_pct",
        "extramedullary_sites",
        "ecog",
        "adequate_organ_function",
    )

    class Meta:
        verbose_name_plural = "eligibility"

    def __str__(self) -> str:
        return f"Eligibility of {self.patient}"

    def verdict(self) -> Verdict:
        """Eligible or not under the study's protocol, and why."""
        murine = [
            therapy
            for therapy in self.patient.prior_therapies.all()
            if therapy.kind == choices.PriorTherapyKind.MURINE_CD19_CART
        ]
        return eligibility_verdict(
            cd19_blast_pct=self.cd19_blast_pct,
            bm_blast_pct=self.bm_blast_pct,
            extramedullary_sites=self.extramedullary_sites or [],
            ecog=self.ecog,
            adequate_organ_function=self.adequate_organ_function,
            murine_cd19_cart_count=len(murine),
            criteria=self.patient.study.eligibility_criteria(),
        )

    def clean_fields_together(self) -> None:
        sites = self.extramedullary_sites
        allowed = set(choices.ExtramedullarySite.values)
        if not isinstance(sites, list) or not all(site in allowed for site in sites):
            raise ValidationError(
                {
                    "extramedullary_sites": "Extramedullary sites must be a list of: "
                    + ", ".join(choices.ExtramedullarySite.values)
                }
            )
        if len(set(sites)) != len(sites):
            raise ValidationError({"extramedullary_sites": "An extramedullary site is repeated"})


class Genetics(Section):
    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="genetics")
    bcr_abl1 = models.BooleanField("BCR::ABL1", null=True, blank=True)
    ph_like = models.BooleanField("Ph-like", null=True, blank=True)
    tp53_mutation = models.BooleanField("TP53 mutation", null=True, blank=True)
    other = models.CharField("other findings", max_length=500, blank=True)

    document_fields = ("bcr_abl1", "ph_like", "tp53_mutation", "other")

    class Meta:
        verbose_name_plural = "genetics"

    def __str__(self) -> str:
        return f"Genetics of {self.patient}"


class PriorTherapy(Section):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="prior_therapies")
    kind = models.CharField(
        max_length=20,
        choices=choices.PriorTherapyKind.choices,
        error_messages=coded("Prior therapy"),
    )
    date = models.DateField(
        null=True, blank=True, validators=[PlausibleDate("Date of the prior therapy")]
    )
    best_response = models.CharField(
        max_length=2,
        choices=choices.PriorResponse.choices,
        blank=True,
        error_messages=coded("Best response"),
    )
    relapse_date = models.DateField(
        "date of relapse", null=True, blank=True, validators=[PlausibleDate("Date of relapse")]
    )

    natural_key = ("kind", "date")
    document_fields = ("kind", "date", "best_response", "relapse_date")

    class Meta:
        ordering = ["date", "pk"]
        verbose_name_plural = "prior therapies"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date or ''}".strip()

    def clean_fields_together(self) -> None:
        is_cart = self.kind in choices.CART_THERAPY_KINDS
        if self.best_response and not is_cart:
            raise ValidationError(
                {"best_response": "A best response is recorded only for an earlier CAR-T"}
            )
        if self.relapse_date and self.best_response != choices.PriorResponse.CR:
            raise ValidationError(
                {"relapse_date": "A relapse date needs a best response of complete remission"}
            )
        if self.relapse_date and self.date and self.relapse_date <= self.date:
            raise ValidationError(
                {"relapse_date": f"Relapse must be after the therapy ({self.date})"}
            )


class Lymphodepletion(Section):
    patient = models.OneToOneField(
        Patient, on_delete=models.CASCADE, related_name="lymphodepletion"
    )
    start_date = models.DateField(
        "start of lymphodepletion",
        null=True,
        blank=True,
        validators=[PlausibleDate("Start of lymphodepletion")],
    )
    fludarabine_mg_m2_per_day = models.FloatField(
        "fludarabine (mg/m²/day)", null=True, blank=True, validators=not_negative("Fludarabine")
    )
    cyclophosphamide_mg_m2_per_day = models.FloatField(
        "cyclophosphamide (mg/m²/day)",
        null=True,
        blank=True,
        validators=not_negative("Cyclophosphamide"),
        help_text="0 when not given",
    )
    days = models.PositiveSmallIntegerField(
        "number of days",
        null=True,
        blank=True,
        validators=between(1, MAX_LYMPHODEPLETION_DAYS, "Lymphodepletion days"),
    )

    document_fields = (
        "start_date",
        "fludarabine_mg_m2_per_day",
        "cyclophosphamide_mg_m2_per_day",
        "days",
    )

    class Meta:
        verbose_name_plural = "lymphodepletion"

    def __str__(self) -> str:
        return f"Lymphodepletion of {self.patient}"


class Infusion(Section):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="infusions")
    date = models.DateField("date of infusion", validators=[PlausibleDate("Infusion date")])
    product = models.CharField(
        max_length=20,
        choices=choices.Product.choices,
        default=choices.Product.HUMANIZED_CD19,
        error_messages=coded("Product"),
    )
    weight_kg = models.FloatField("weight (kg)", validators=between(0.5, 300, "Weight in kg"))
    cells_per_kg = models.PositiveBigIntegerField(
        "dose (CAR-positive viable cells/kg)", validators=not_negative("Dose")
    )
    lot = models.CharField("product lot", max_length=60, blank=True)

    natural_key = ("date",)
    document_fields = ("date", "product", "weight_kg", "cells_per_kg", "lot")

    class Meta:
        ordering = ["date", "pk"]
        indexes = [models.Index(fields=["patient", "date"])]

    def __str__(self) -> str:
        return f"{self.get_product_display()} on {self.date}"

    @property
    def total_cells(self) -> float:
        return self.cells_per_kg * self.weight_kg


class ToxicityRecord(Section):
    """The site's own record of maximum toxicity grades and their treatment."""

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="toxicities")
    crs_max_grade = models.PositiveSmallIntegerField(
        "maximum CRS grade", null=True, blank=True, validators=grade("Maximum CRS grade")
    )
    icans_max_grade = models.PositiveSmallIntegerField(
        "maximum ICANS grade", null=True, blank=True, validators=grade("Maximum ICANS grade")
    )
    crs_onset_day = models.PositiveIntegerField(
        "CRS onset (day after infusion)",
        null=True,
        blank=True,
        validators=between(0, 365, "CRS onset day"),
    )
    tocilizumab = models.BooleanField(null=True, blank=True)
    corticosteroids = models.BooleanField(null=True, blank=True)
    plasmapheresis = models.BooleanField(null=True, blank=True)
    icaht_grade = models.PositiveSmallIntegerField(
        "early ICAHT grade", null=True, blank=True, validators=between(0, 4, "ICAHT grade")
    )
    iec_hs = models.BooleanField("IEC-HS (HLH-like syndrome)", null=True, blank=True)

    document_fields = (
        "crs_max_grade",
        "icans_max_grade",
        "crs_onset_day",
        "tocilizumab",
        "corticosteroids",
        "plasmapheresis",
        "icaht_grade",
        "iec_hs",
    )

    class Meta:
        verbose_name = "recorded toxicity"
        verbose_name_plural = "recorded toxicities"

    def __str__(self) -> str:
        return f"Toxicities of {self.patient}"

    def clean_fields_together(self) -> None:
        if self.patient_id:
            treatments = self.patient.toxicity_treatments.values_list("treatment", flat=True)
            self.fill_in_treatments(list(treatments))
        if self.crs_onset_day is not None and not self.crs_max_grade:
            raise ValidationError(
                {"crs_onset_day": "A CRS onset day needs a CRS grade of 1 or more"}
            )

    def fill_in_treatments(self, given: list[str]) -> None:
        """Each treatment's yes/no left empty says what the dated toxicity treatments
        `given` (their codes) say, where there are any (cohort format 1.1); one that
        disagrees with them is refused by the course rules (registry.rules)."""
        if not given:
            return
        for flag, value in treatment_flags(given).items():
            if getattr(self, flag) is None:
                setattr(self, flag, value)


class DailyAssessment(Section):
    """One day's CRS and ICANS observations, from which the ASTCT grades are computed."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="daily_assessments")
    day = models.PositiveIntegerField(
        "day after infusion", validators=between(0, 365, "Day after infusion")
    )
    temperature_c = models.FloatField(
        "highest temperature (°C)", null=True, blank=True, validators=between(30, 45, "Temperature")
    )
    fever_masked = models.BooleanField(
        "fever masked by antipyretic or anti-cytokine therapy", default=False
    )
    hypotension = models.BooleanField(default=False)
    vasopressors = models.PositiveSmallIntegerField(
        "vasopressors other than vasopressin",
        default=0,
        validators=between(0, 10, "Number of vasopressors"),
    )
    vasopressin = models.BooleanField(default=False)
    oxygen = models.CharField(
        "oxygen support",
        max_length=20,
        choices=choices.Oxygen.choices,
        default=choices.Oxygen.NONE,
        error_messages=coded("Oxygen"),
    )
    ice_score = models.PositiveSmallIntegerField(
        "ICE score (0–10)",
        null=True,
        blank=True,
        validators=between(0, 10, "ICE score"),
        help_text="Empty when not assessable",
    )
    capd_score = models.PositiveSmallIntegerField(
        "CAPD score (children under 12)",
        null=True,
        blank=True,
        validators=between(0, 32, "CAPD score"),
    )
    capd_unable = models.BooleanField("unable to perform CAPD", default=False)
    consciousness = models.CharField(
        "level of consciousness",
        max_length=20,
        choices=choices.Consciousness.choices,
        default=choices.Consciousness.AWAKE,
        error_messages=coded("Consciousness"),
    )
    seizure = models.CharField(
        max_length=10,
        choices=choices.Seizure.choices,
        default=choices.Seizure.NONE,
        error_messages=coded("Seizure"),
    )
    motor_weakness = models.CharField(
        max_length=12,
        choices=choices.MotorWeakness.choices,
        default=choices.MotorWeakness.NONE,
        error_messages=coded("Motor weakness"),
    )
    cerebral_edema = models.CharField(
        max_length=10,
        choices=choices.CerebralEdema.choices,
        default=choices.CerebralEdema.NONE,
        error_messages=coded("Cerebral edema"),
    )

    # The findings each ASTCT grade is computed from (registry.grading), in the order a
    # cohort document and the form give them.
    crs_findings = (
        "temperature_c",
        "fever_masked",
        "hypotension",
        "vasopressors",
        "vasopressin",
        "oxygen",
    )
    icans_findings = (
        "ice_score",
        "consciousness",
        "seizure",
        "motor_weakness",
        "cerebral_edema",
        "capd_score",
        "capd_unable",
    )
    natural_key = ("day",)
    document_fields = ("day", *crs_findings, *icans_findings)

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "day"],
                name="daily_assessment_day_unique",
                violation_error_message="There is already an assessment for this day",
            )
        ]

    def __str__(self) -> str:
        return f"Day {self.day}"

    def crs_grade(self) -> grading.Grade:
        return grading.crs_grade(**self._crs_values())

    def crs_no_fever_hint(self) -> str | None:
        return grading.crs_no_fever_hint(**self._crs_values())

    def _crs_values(self) -> dict:
        return {name: getattr(self, name) for name in self.crs_findings}

    def icans_grade(self, age_years: int | None) -> grading.Grade:
        findings = {name: getattr(self, name) for name in self.icans_findings}
        return grading.icans_grade(age_years=age_years, **findings)

    def clean_fields_together(self) -> None:
        if self.capd_unable and self.capd_score is not None:
            raise ValidationError(
                {"capd_score": "Leave the CAPD score empty when the CAPD could not be performed"}
            )


class ResponseAssessment(Section):
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="response_assessments"
    )
    day = models.PositiveIntegerField(
        "day after infusion", validators=between(0, 3650, "Day after infusion")
    )
    status = models.CharField(
        "response",
        max_length=14,
        choices=choices.ResponseStatus.choices,
        error_messages=coded("Response"),
    )
    bm_blast_pct = models.FloatField(
        "marrow blasts (%)", null=True, blank=True, validators=percent("Marrow blasts")
    )
    mrd = models.CharField(
        "MRD",
        max_length=14,
        choices=choices.Mrd.choices,
        default=choices.Mrd.UNKNOWN,
        error_messages=coded("MRD"),
    )
    mrd_level = models.FloatField(
        "MRD level (fraction)",
        null=True,
        blank=True,
        validators=between(0, 1, "MRD level (a fraction, e.g. 0.0001)"),
    )
    mrd_method = models.CharField(
        "MRD method",
        max_length=4,
        choices=choices.MrdMethod.choices,
        blank=True,
        error_messages=coded("MRD method"),
    )

    natural_key = ("day",)
    document_fields = ("day", "status", "bm_blast_pct", "mrd", "mrd_level", "mrd_method")

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "day"],
                name="response_assessment_day_unique",
                violation_error_message="There is already a response assessment for this day",
            )
        ]
        indexes = [models.Index(fields=["status", "day"])]

    def __str__(self) -> str:
        return f"Day {self.day}: {self.get_status_display()}"

    @property
    def is_response(self) -> bool:
        return self.status in choices.RESPONDER_STATUSES

    def clean_fields_together(self) -> None:
        errors = {}
        if self.is_response and self.bm_blast_pct is not None and self.bm_blast_pct >= 5:
            errors["bm_blast_pct"] = (
                f"CR and CRi need fewer than 5% marrow blasts; {self.bm_blast_pct}% was entered"
            )
        if self.mrd_level is not None:
            if self.mrd == choices.Mrd.NEGATIVE and self.mrd_level >= MRD_NEGATIVE_BELOW:
                errors["mrd_level"] = "MRD-negative means a level below 0.0001 (0.01%)"
            if self.mrd == choices.Mrd.POSITIVE and self.mrd_level < MRD_NEGATIVE_BELOW:
                errors["mrd_level"] = "A level below 0.0001 (0.01%) is MRD-negative, not positive"
        if errors:
            raise ValidationError(errors)


MRD_NEGATIVE_BELOW = 1e-4


class FollowUpEvent(Section):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(
        "event", max_length=16, choices=choices.EventKind.choices, error_messages=coded("Event")
    )
    date = models.DateField(validators=[PlausibleDate("Event date")])
    cd19 = models.CharField(
        "CD19 status at relapse",
        max_length=8,
        choices=choices.Cd19Status.choices,
        blank=True,
        error_messages=coded("CD19 status"),
    )
    cause = models.CharField(
        "cause of death",
        max_length=20,
        choices=choices.DeathCause.choices,
        blank=True,
        error_messages=coded("Cause of death"),
    )
    description = models.CharField(max_length=300, blank=True)

    natural_key = ("kind", "date")
    document_fields = ("kind", "date", "cd19", "cause", "description")
    # The one kind of event each of these fields is recorded with, and the refusal of it on
    # any other: the pages hide each field for the other kinds (static/js/relevance.js).
    recorded_only_with = {
        "cd19": (choices.EventKind.RELAPSE, "A CD19 status is recorded only with a relapse"),
        "cause": (choices.EventKind.DEATH, "A cause is recorded only with a death"),
        "description": (
            choices.EventKind.OTHER_THERAPY,
            "A description is recorded only with another therapy",
        ),
    }

    class Meta:
        ordering = ["date", "pk"]
        verbose_name = "follow-up event"
        indexes = [models.Index(fields=["kind", "date"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.date}"

    def clean_fields_together(self) -> None:
        kind = choices.EventKind
        errors = {}
        if self.kind == kind.RELAPSE and not self.cd19:
            errors["cd19"] = "A relapse needs its CD19 status (positive, negative or unknown)"
        if self.kind == kind.DEATH and not self.cause:
            errors["cause"] = "A death needs its cause (use unknown when it is not known)"
        for name, (kind_recorded_with, refusal) in self.recorded_only_with.items():
            if getattr(self, name) and self.kind != kind_recorded_with:
                errors[name] = refusal
        if errors:
            raise ValidationError(errors)

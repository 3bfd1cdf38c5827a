"""The toxicity sections of a course: the site's record of maximum grades and the daily
CRS and ICANS observations; field names are the format's keys."""

from django.core.exceptions import ValidationError
from django.db import models

from registry import choices, grading
from registry.analytes import treatment_flags
from registry.models.fields import coded_field
from registry.models.patient import Patient
from registry.models.section import Section, one_a_day
from registry.validators import between, grade


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
    oxygen = coded_field(
        choices.Oxygen,
        "Oxygen",
        verbose_name="oxygen support",
        max_length=20,
        default=choices.Oxygen.NONE,
    )
    ice_score = models.PositiveSmallIntegerField(
        "ICE score (0–10)",
        null=True,
        blank=True,
        validators=between(0, 10, "ICE score"),
        help_text="Empty when not assessable",
    )
    capd_score = models.PositiveSmallIntegerField(
        f"CAPD score (children under {grading.CHILD_UNDER_YEARS})",
        null=True,
        blank=True,
        validators=between(0, 32, "CAPD score"),
    )
    capd_unable = models.BooleanField("unable to perform CAPD", default=False)
    consciousness = coded_field(
        choices.Consciousness,
        "Consciousness",
        verbose_name="level of consciousness",
        max_length=20,
        default=choices.Consciousness.AWAKE,
    )
    seizure = coded_field(choices.Seizure, "Seizure", max_length=10, default=choices.Seizure.NONE)
    motor_weakness = coded_field(
        choices.MotorWeakness, "Motor weakness", max_length=12, default=choices.MotorWeakness.NONE
    )
    cerebral_edema = coded_field(
        choices.CerebralEdema, "Cerebral edema", max_length=10, default=choices.CerebralEdema.NONE
    )

    # The findings each ASTCT grade is computed from (registry.grading).
    crs_findings = grading.CRS_FINDINGS
    icans_findings = grading.ICANS_FINDINGS
    natural_key = ("day",)
    document_fields = ("day", *crs_findings, *icans_findings)

    class Meta:
        ordering = ["day"]
        constraints = [one_a_day("daily_assessment", "There is already an assessment for this day")]

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

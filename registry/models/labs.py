"""The sections of cohort format 1.1 (issue #18): laboratory and biomarker results, and the
dated treatments of CRS, ICANS and related toxicities. What each may say is
registry.analytes'; these models call its checks from clean()."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

from registry import analytes
from registry.models.patient import Patient
from registry.models.section import Section
from registry.units import FIELD_UNITS
from registry.validators import between, not_negative

# A baseline value is taken before lymphodepletion, up to a month before the infusion.
FIRST_LAB_DAY = -30


def raise_by_key(problems: dict[str, list[str]]) -> None:
    """Raise the problems of a rule of registry.analytes, each at its field ("" for the
    record as a whole)."""
    if problems:
        raise ValidationError({key or NON_FIELD_ERRORS: found for key, found in problems.items()})


class LabResult(Section):
    """One laboratory or biomarker value, stored with its unit as entered."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="labs")
    day = models.IntegerField(
        "day after infusion",
        validators=between(FIRST_LAB_DAY, 3650, "Day of a lab value (after the infusion)"),
        help_text="Negative for a baseline value before the infusion",
    )
    analyte = models.CharField(max_length=20, help_text="e.g. anc, crp, il6, b_cells_pct")
    value = models.FloatField(help_text="As reported; the limit of detection when below it")
    unit = models.CharField(max_length=10, help_text="One of the analyte's units, e.g. 10^9/L")
    # Blank allowed so that a form or a request that leaves it out gets the default.
    specimen = models.CharField(
        max_length=3, default=analytes.PERIPHERAL_BLOOD, blank=True, help_text="pb, bm or csf"
    )
    below_detection = models.BooleanField("below the limit of detection", default=False)

    natural_key = ("day", "analyte", "specimen")
    document_fields = ("day", "analyte", "value", "unit", "specimen", "below_detection")

    class Meta:
        ordering = ["day", "analyte", "specimen"]
        verbose_name = "lab value"
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "day", "analyte", "specimen"],
                name="lab_result_day_analyte_specimen_unique",
                violation_error_message=(
                    "There is already a value of this analyte in this specimen for this day"
                ),
            )
        ]
        # One analyte in one specimen across a study's patients: the lab series of the
        # analytics (analytics.dataset.lab_values) read a small share of the values, which
        # the unique constraint, led by the patient, does not find without reading all.
        # The columns they read are kept in the index too (PostgreSQL): the values are read
        # from the index alone, not from table pages that each hold every analyte's values.
        indexes = [
            models.Index(
                fields=["analyte", "specimen", "patient"],
                include=["day", "value", "unit", "below_detection"],
                name="lab_result_analyte_specimen",
            )
        ]

    def __str__(self) -> str:
        return f"Day {self.day}: {self.analyte} {self.value:g} {self.unit}"

    @property
    def series_value(self) -> float:
        """The value in the unit the registry computes this analyte in
        (registry.analytes.series_unit): the analyte's own, or as given for sIL-2R."""
        return analytes.to_series_unit(self.analyte, self.value, self.unit)

    def clean_fields_together(self) -> None:
        if self.value is None:
            return  # refused by its field, as required
        raise_by_key(
            analytes.lab_problems_by_key(
                analyte=self.analyte, value=self.value, unit=self.unit, specimen=self.specimen
            )
        )


class CarTCount(Section):
    """CAR-T cells in one specimen on one day: by flow cytometry, by qPCR, or both."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="car_t_counts")
    day = models.PositiveIntegerField(
        "day after infusion", validators=between(0, 3650, "Day after infusion")
    )
    cells_per_ul = models.FloatField(
        "CAR-T cells/µL (flow cytometry)",
        null=True,
        blank=True,
        validators=not_negative("CAR-T count"),
        help_text="0 = not detectable",
    )
    copies_per_ug_dna = models.FloatField(
        "CAR transgene copies/µg DNA (qPCR)",
        null=True,
        blank=True,
        help_text="0 = not detectable",
    )
    # Blank allowed so that a form or a request that leaves it out gets the default.
    specimen = models.CharField(
        max_length=3, default=analytes.PERIPHERAL_BLOOD, blank=True, help_text="pb, bm or csf"
    )

    natural_key = ("day", "specimen")
    document_fields = ("day", "cells_per_ul", "copies_per_ug_dna", "specimen")

    class Meta:
        ordering = ["day", "specimen"]
        verbose_name = "CAR-T count"
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "day", "specimen"],
                name="car_t_count_day_specimen_unique",
                violation_error_message=(
                    "There is already a CAR-T count in this specimen for this day"
                ),
            )
        ]

    def __str__(self) -> str:
        found = [
            f"{level:g} {FIELD_UNITS[name].shown}"
            for name in ("cells_per_ul", "copies_per_ug_dna")
            if (level := getattr(self, name)) is not None
        ]
        return f"Day {self.day}: {', '.join(found)}"

    @property
    def specimen_name(self) -> str:
        """What a clinician calls it: "peripheral blood", not its code."""
        return analytes.SPECIMENS.get(self.specimen, self.specimen)

    def clean_fields_together(self) -> None:
        problems = analytes.car_t_count_problems_by_key(
            cells_per_ul=self.cells_per_ul,
            copies_per_ug_dna=self.copies_per_ug_dna,
            specimen=self.specimen,
        )
        # A negative flow count is refused by its field, in the words it always had.
        problems.pop("cells_per_ul", None)
        raise_by_key(problems)


class ToxicityTreatment(Section):
    """One administration of a treatment of CRS, ICANS or a related toxicity."""

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="toxicity_treatments"
    )
    day = models.PositiveIntegerField(
        "day after infusion", validators=between(0, 3650, "Day of the treatment")
    )
    treatment = models.CharField(max_length=20, help_text=", ".join(analytes.TOXICITY_TREATMENTS))
    dose_mg = models.FloatField("dose (mg)", null=True, blank=True, help_text="Per administration")
    description = models.CharField(
        max_length=300, blank=True, help_text="Which treatment, for other"
    )

    # Two doses on one day are two entries: nothing tells them apart, and a patient's list
    # is compared as a whole on re-import (registry.interchange.matching).
    natural_key = ()
    document_fields = ("day", "treatment", "dose_mg", "description")

    class Meta:
        ordering = ["day", "pk"]
        verbose_name = "toxicity treatment"

    def __str__(self) -> str:
        return f"Day {self.day}: {self.treatment}"

    @property
    def treatment_name(self) -> str:
        """What a clinician calls it: "Tocilizumab", or the description of another."""
        if self.treatment == "other" and self.description:
            return self.description
        return analytes.TOXICITY_TREATMENTS.get(self.treatment, self.treatment)

    def clean_fields_together(self) -> None:
        raise_by_key(
            analytes.toxicity_treatment_problems_by_key(
                treatment=self.treatment, dose_mg=self.dose_mg, description=self.description
            )
        )

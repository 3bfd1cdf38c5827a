"""The sections of a course up to the CAR-T cells: eligibility, genetics, prior therapies,
lymphodepletion and the infusions; field names are the format's keys."""

from django.core.exceptions import ValidationError
from django.db import models

from registry import choices
from registry.date_formats import date_text
from registry.eligibility import Verdict, eligibility_verdict
from registry.models.fields import clinical_date, coded_field
from registry.models.patient import Patient
from registry.models.section import Section
from registry.rules import MAX_LYMPHODEPLETION_DAYS
from registry.validators import HIGHEST_DOSE_PER_KG, at_most, between, not_negative, percent


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
        if not isinstance(sites, list) or not all(
            isinstance(site, str) and site in allowed for site in sites
        ):
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


class PriorTherapy(Section):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="prior_therapies")
    kind = coded_field(choices.PriorTherapyKind, "Prior therapy", max_length=20)
    date = clinical_date("Date of the prior therapy", optional=True)
    best_response = coded_field(choices.PriorResponse, "Best response", max_length=2, blank=True)
    relapse_date = clinical_date("Date of relapse", optional=True, verbose_name="date of relapse")

    natural_key = ("kind", "date")
    document_fields = ("kind", "date", "best_response", "relapse_date")

    class Meta:
        ordering = ["date", "pk"]
        verbose_name_plural = "prior therapies"

    def __str__(self) -> str:
        return self.named(self.date_format)

    def named(self, date_format: str) -> str:
        """Its name, its date written in `date_format`."""
        return f"{self.get_kind_display()} {date_text(self.date, date_format)}".strip()

    def clean_fields_together(self) -> None:
        is_cart = self.kind in choices.CART_THERAPY_KINDS
        if self.best_response and not is_cart:
            raise ValidationError(
                {"best_response": "A best response is recorded only for an earlier CAR-T"}
            )
        # After an earlier CAR-T, a relapse follows its remission; after a transplant or
        # another therapy, it is recorded as it came.
        if self.relapse_date and is_cart and self.best_response != choices.PriorResponse.CR:
            raise ValidationError(
                {"relapse_date": "A relapse date needs a best response of complete remission"}
            )
        if self.relapse_date and self.date and self.relapse_date <= self.date:
            error = ValidationError(
                "Relapse must be after the therapy (%(therapy)s)", params={"therapy": self.date}
            )
            raise ValidationError({"relapse_date": error})


class Lymphodepletion(Section):
    patient = models.OneToOneField(
        Patient, on_delete=models.CASCADE, related_name="lymphodepletion"
    )
    start_date = clinical_date(
        "Start of lymphodepletion", optional=True, verbose_name="start of lymphodepletion"
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


class Infusion(Section):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="infusions")
    date = clinical_date("Infusion date", verbose_name="date of infusion")
    product = coded_field(
        choices.Product, "Product", max_length=20, default=choices.Product.HUMANIZED_CD19
    )
    weight_kg = models.FloatField("weight (kg)", validators=between(0.5, 300, "Weight in kg"))
    cells_per_kg = models.PositiveBigIntegerField(
        "dose (CAR-positive viable cells/kg)",
        validators=[
            *not_negative("Dose"),
            *at_most(HIGHEST_DOSE_PER_KG, "Dose (cells/kg)"),
        ],
    )
    lot = models.CharField("product lot", max_length=60, blank=True)

    natural_key = ("date",)
    document_fields = ("date", "product", "weight_kg", "cells_per_kg", "lot")

    class Meta:
        ordering = ["date", "pk"]
        indexes = [models.Index(fields=["patient", "date"])]

    def __str__(self) -> str:
        return self.named(self.date_format)

    def named(self, date_format: str) -> str:
        """Its name, its date written in `date_format`."""
        return f"{self.get_product_display()} on {date_text(self.date, date_format)}"

    @property
    def total_cells(self) -> float:
        return self.cells_per_kg * self.weight_kg

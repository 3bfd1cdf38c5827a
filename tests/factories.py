"""factory_boy factories: a patient with a plausible course, built field by field."""

import datetime
from datetime import date, timedelta

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from registry import models
from registry.quality_rules import LOW_DOSE


class StudyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Study
        django_get_or_create = ["code"]

    code = "HCD19"
    title = "Humanized CD19 CAR-T in r/r B-ALL"
    data_cutoff = date(2021, 7, 31)


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Site
        django_get_or_create = ["study", "code"]

    study = factory.SubFactory(StudyFactory)
    code = "BOREN"
    name = "Beijing Boren Hospital"


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Patient

    site = factory.SubFactory(SiteFactory)
    study = factory.SelfAttribute("site.study")
    subject_id = factory.Sequence(lambda n: f"P{n:03d}")
    sex = "female"
    birth_date = date(2000, 3, 1)
    enrollment_date = date(2020, 1, 2)
    last_contact_date = date(2020, 9, 1)


INFUSION_DATE = date(2020, 1, 15)


class LymphodepletionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Lymphodepletion

    patient = factory.SubFactory(PatientFactory)
    start_date = INFUSION_DATE - timedelta(days=5)
    fludarabine_mg_m2_per_day = 30
    cyclophosphamide_mg_m2_per_day = 250
    days = 3


class InfusionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Infusion

    patient = factory.SubFactory(PatientFactory)
    date = INFUSION_DATE
    product = "humanized_cd19"
    weight_kg = 60.0
    cells_per_kg = 240_000


def day_28_only() -> models.Timepoint:
    """The home study with one timepoint, day 28 (3 days either side), expecting a response
    assessment."""
    study = StudyFactory()
    study.timepoints.all().delete()
    return models.Timepoint.objects.create(
        study=study,
        name="Day 28",
        target_day=28,
        window_before=3,
        window_after=3,
        sections=["response_assessments"],
    )


class PriorTherapyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PriorTherapy

    patient = factory.SubFactory(PatientFactory)
    kind = "murine_cd19_cart"
    date = datetime.date(2019, 3, 1)
    best_response = "cr"
    relapse_date = datetime.date(2019, 9, 1)


class ResponseAssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ResponseAssessment

    patient = factory.SubFactory(PatientFactory)
    day = 30
    status = "cr"
    bm_blast_pct = 0.5
    mrd = "negative"


class FollowUpEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.FollowUpEvent

    patient = factory.SubFactory(PatientFactory)
    kind = "allo_hct"
    date = INFUSION_DATE + timedelta(days=50)


class DailyAssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.DailyAssessment

    patient = factory.SubFactory(PatientFactory)
    day = 1
    temperature_c = 38.5


class CarTCountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.CarTCount

    patient = factory.SubFactory(PatientFactory)
    day = 7
    cells_per_ul = 5.2


class LabResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.LabResult

    patient = factory.SubFactory(PatientFactory)
    day = 7
    analyte = "anc"
    value = 0.4
    unit = "10^9/L"


class ToxicityTreatmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ToxicityTreatment

    patient = factory.SubFactory(PatientFactory)
    day = 2
    treatment = "tocilizumab"
    dose_mg = 480


class DataQueryFactory(factory.django.DjangoModelFactory):
    """An open query; give `raised_by`, a monitor or coordinator of the patient's study."""

    class Meta:
        model = models.DataQuery

    patient = factory.SubFactory(PatientFactory)
    field = "last_contact_date"
    question = "The source document says 2020-08-30: please check."


def registry_query(
    patient, rule: str = LOW_DOSE, question: str = "", days_ago: int = 0
) -> models.DataQuery:
    """A query the registry opened itself under `rule` on the patient's first infusion dose,
    raised `days_ago` days (and an hour) ago."""
    query = DataQueryFactory(
        patient=patient,
        rule=rule,
        raised_by=None,
        field="infusions[0].cells_per_kg",
        question=question or f"{rule} at {patient.subject_id}",
    )
    if days_ago:
        raised = timezone.now() - timedelta(days=days_ago, hours=1)
        models.DataQuery.objects.filter(pk=query.pk).update(raised_at=raised)
    return query


class CasebookSignatureFactory(factory.django.DjangoModelFactory):
    """A standing signature, as registry.casebook.casebook_sign stores it; give `signed_by`
    an investigator of the patient's site to mean it."""

    class Meta:
        model = models.CasebookSignature

    patient = factory.SubFactory(PatientFactory)
    signed_by = factory.LazyFunction(lambda: User.objects.get_or_create(username="investigator")[0])
    signed_at = factory.LazyFunction(lambda: datetime.datetime.now(datetime.UTC))

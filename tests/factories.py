"""factory_boy factories: a patient with a plausible course, built field by field."""

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import factory
from django.contrib.auth.models import User
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from registry import models
from registry.apps import derived_at_each_write
from registry.casebook import casebooks_refreshed
from registry.choices import DateFormat
from registry.quality_rules import LOW_DOSE
from registry.schedule import visits_refreshed


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


@contextmanager
def derived_data_once() -> Iterator[None]:
    """Records written inside leave their patients' follow-up visits and casebooks to be
    made once, on the way out, as the cohort import makes them; not again at each record
    (registry.apps.derived_at_each_write). What is stored at the end is the same; a
    fixture's course of a dozen records is written in a fraction of the time.

    For a test's data before its requests: while inside, another thread's writes are left
    without their derived data too.
    """
    touched: set[int] = set()

    def note(sender, instance, **kwargs) -> None:
        touched.add(instance.pk if sender is models.Patient else instance.patient_id)

    receivers = derived_at_each_write()
    # Django's lists as they stand, put back whole: reconnecting would change the order in
    # which a write's receivers run.
    kept = {signal: list(signal.receivers) for signal in (post_save, post_delete)}
    for signal, sender, _receiver, uid in receivers:
        signal.disconnect(sender=sender, dispatch_uid=uid)
        signal.connect(note, sender=sender, weak=False, dispatch_uid=f"{uid}-noted")
    try:
        yield
    finally:
        for signal, listed in kept.items():
            with signal.lock:
                signal.receivers = listed
                signal.sender_receivers_cache.clear()
    visits_refreshed(models.Patient.objects.filter(pk__in=touched))
    casebooks_refreshed(touched)


class OfPatientFactory(factory.django.DjangoModelFactory):
    """What every record of a patient's course has: the patient, made by PatientFactory
    unless given."""

    class Meta:
        abstract = True

    patient = factory.SubFactory(PatientFactory)


class LymphodepletionFactory(OfPatientFactory):
    class Meta:
        model = models.Lymphodepletion

    start_date = INFUSION_DATE - timedelta(days=5)
    fludarabine_mg_m2_per_day = 30
    cyclophosphamide_mg_m2_per_day = 250
    days = 3


class InfusionFactory(OfPatientFactory):
    class Meta:
        model = models.Infusion

    date = INFUSION_DATE
    product = "humanized_cd19"
    weight_kg = 60.0
    cells_per_kg = 240_000


def infused_in_day_month_year_study() -> models.Patient:
    """A patient enrolled 02/01/2020 and infused 15/01/2020 after its lymphodepletion, at the
    first site of the home study written day-month-year."""
    study = StudyFactory(date_format=DateFormat.DAY_MONTH_YEAR)
    patient = PatientFactory(site=SiteFactory(study=study))
    LymphodepletionFactory(patient=patient)
    InfusionFactory(patient=patient)
    return patient


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


class PriorTherapyFactory(OfPatientFactory):
    class Meta:
        model = models.PriorTherapy

    kind = "murine_cd19_cart"
    date = datetime.date(2019, 3, 1)
    best_response = "cr"
    relapse_date = datetime.date(2019, 9, 1)


class ResponseAssessmentFactory(OfPatientFactory):
    class Meta:
        model = models.ResponseAssessment

    day = 30
    status = "cr"
    bm_blast_pct = 0.5
    mrd = "negative"


class FollowUpEventFactory(OfPatientFactory):
    class Meta:
        model = models.FollowUpEvent

    kind = "allo_hct"
    date = INFUSION_DATE + timedelta(days=50)


class DailyAssessmentFactory(OfPatientFactory):
    class Meta:
        model = models.DailyAssessment

    day = 1
    temperature_c = 38.5


class CarTCountFactory(OfPatientFactory):
    class Meta:
        model = models.CarTCount

    day = 7
    cells_per_ul = 5.2


class LabResultFactory(OfPatientFactory):
    class Meta:
        model = models.LabResult

    day = 7
    analyte = "anc"
    value = 0.4
    unit = "10^9/L"


class ToxicityTreatmentFactory(OfPatientFactory):
    class Meta:
        model = models.ToxicityTreatment

    day = 2
    treatment = "tocilizumab"
    dose_mg = 480


class DataQueryFactory(OfPatientFactory):
    """An open query; give `raised_by`, a monitor or coordinator of the patient's study."""

    class Meta:
        model = models.DataQuery

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


class CasebookSignatureFactory(OfPatientFactory):
    """A standing signature, as registry.casebook.casebook_sign stores it; give `signed_by`
    an investigator of the patient's site to mean it."""

    class Meta:
        model = models.CasebookSignature

    signed_by = factory.LazyFunction(lambda: User.objects.get_or_create(username="investigator")[0])
    signed_at = factory.LazyFunction(lambda: datetime.datetime.now(datetime.UTC))

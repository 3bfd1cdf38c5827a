"""The synthetic demonstration study (registry.demo) as imported: its patients, sites and
courses. The study is imported once for the module; the tests only read it."""

from collections import Counter

import pytest

from registry import models
from registry.demo import DATA_CUTOFF, synthetic_cohort, synthetic_cohort_import
from registry.demo.study import ASSESSED_DAYS
from registry.interchange.exporter import cohort_document
from registry.interchange.schema import ADDED_IN_1_1
from registry.models.patient import DAY_30_WINDOW
from registry.sections import SECTIONS


@pytest.fixture(scope="module")
def imported_demo(module_transaction, django_db_blocker) -> models.Study:
    with django_db_blocker.unblock():
        return synthetic_cohort_import(data=synthetic_cohort()).study


@pytest.fixture
def demo(db, imported_demo) -> models.Study:
    return models.Study.objects.get(pk=imported_demo.pk)


def test_it_spreads_sixty_patients_over_three_named_sites(demo):
    sites = Counter(demo.patients.values_list("site__code", flat=True))

    assert sites == {"SITE-A": 20, "SITE-B": 20, "SITE-C": 20}
    assert all(site.name for site in demo.sites.all())
    assert demo.is_synthetic


def test_it_fills_every_section_of_version_1_for_every_patient(demo):
    of_version_1 = [s for s in SECTIONS if s.key not in ADDED_IN_1_1[""]]
    for model in (section.model for section in of_version_1):
        with_rows = model.objects.values("patient").distinct().count()
        assert with_rows == 60, model.__name__


def test_it_gives_most_patients_a_lab_series_and_the_treated_their_treatments(demo):
    # Lab series for three patients in four (registry.demo.laboratory); treatments for
    # every patient whose daily assessments call for one (registry.demo.treatments).
    with_labs = models.LabResult.objects.values("patient").distinct().count()
    treated = demo.patients.filter(toxicities__tocilizumab=True) | demo.patients.filter(
        toxicities__corticosteroids=True
    )
    with_treatments = models.ToxicityTreatment.objects.values("patient").distinct().count()

    assert 36 <= with_labs <= 54
    assert with_treatments == treated.distinct().count() > 0
    assert 20 <= models.LabResult.objects.count() / with_labs <= 60
    assert models.CarTCount.objects.filter(copies_per_ug_dna__isnull=True).count() == 0


def test_it_reads_the_demo_s_b_cell_aplasia_in_blood(demo):
    assert demo.b_cell_aplasia_specimen == "pb"


def test_it_makes_every_patient_eligible_after_murine_cd19_car_t(demo):
    kinds = Counter(models.PriorTherapy.objects.values_list("kind", flat=True))
    murine = models.PriorTherapy.objects.filter(kind="murine_cd19_cart")

    assert murine.values("patient").distinct().count() == 60
    assert kinds["cd22_cart"] > 0
    assert kinds["allo_hct"] > 0
    assert all(e.verdict().eligible for e in models.Eligibility.objects.all())


def test_it_has_responders_non_responders_and_unevaluable_patients(demo):
    day_30 = models.ResponseAssessment.objects.filter(day__range=DAY_30_WINDOW)
    statuses = Counter(day_30.values_list("status", flat=True))

    assert 0.5 <= (statuses["cr"] + statuses["cri"]) / 60 <= 0.8
    assert statuses["cr"] and statuses["cri"]
    assert statuses["nr"] >= 5
    assert statuses["not_evaluable"] >= 1


def test_it_follows_patients_through_transplant_relapse_and_death(demo):
    events = models.FollowUpEvent.objects
    kinds = Counter(events.values_list("kind", flat=True))
    relapses = set(events.filter(kind="relapse").values_list("cd19", flat=True))
    causes = set(events.filter(kind="death").values_list("cause", flat=True))

    assert kinds["allo_hct"] >= 20
    assert kinds["b_cell_recovery"] and kinds["car_t_loss"]
    assert {"positive", "negative"} <= relapses
    assert {"disease", "transplant_related"} <= causes
    assert events.filter(kind="other_therapy").exclude(description="").exists()


def test_it_keeps_follow_up_within_the_data_cutoff(demo):
    for patient in demo.patients.prefetch_related("events"):
        dates = [event.date for event in patient.events.all()]
        died = [event.date for event in patient.events.all() if event.kind == "death"]
        assert patient.last_contact_date <= DATA_CUTOFF
        assert all(when <= patient.last_contact_date for when in dates)
        assert not died or patient.last_contact_date == died[0]


def test_it_records_grades_that_mostly_match_the_daily_assessments(demo):
    patients = demo.patients.all()
    discrepant = [patient for patient in patients if patient.grade_discrepancies()]

    observed = [patient.daily_assessments.filter(day__in=ASSESSED_DAYS) for patient in patients]
    assert all(days.count() == len(ASSESSED_DAYS) for days in observed)
    assert 1 <= len(discrepant) <= 6


def test_it_scores_children_under_12_with_capd(demo):
    ages = {patient: patient.age_years for patient in demo.patients.all()}
    children = [patient for patient, age in ages.items() if age < 12]
    adults = [patient for patient, age in ages.items() if age >= 12]

    assert children and adults
    for child in children:
        assert not child.daily_assessments.exclude(ice_score=None).exists()
        for day in child.daily_assessments.all():
            assert day.capd_unable or day.capd_score is not None
    for adult in adults:
        assert not adult.daily_assessments.filter(ice_score=None).exists()


def test_it_exports_the_demo_as_it_was_generated(demo):
    assert cohort_document(demo) == synthetic_cohort()

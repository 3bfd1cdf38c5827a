import json
from collections import Counter
from datetime import date
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from registry import access, models
from registry.demo import DATA_CUTOFF, synthetic_cohort, synthetic_cohort_import
from registry.demo.study import ASSESSED_DAYS
from registry.interchange.exporter import cohort_document
from registry.interchange.importer import cohort_import
from registry.interchange.schema import ADDED_IN_1_1
from registry.models.patient import DAY_30_WINDOW
from registry.quality_rules import MISSING_AT_TIMEPOINT
from registry.sections import SECTIONS
from tests.factories import StudyFactory

DEMO_LOGINS = {
    "admin": "demo-admin-2019",
    "coordinator": "demo-coordinator-2019",
    "clinician": "demo-clinician-2019",
    "monitor": "demo-monitor-2019",
}


@pytest.fixture
def demo(db) -> models.Study:
    return synthetic_cohort_import(data=synthetic_cohort()).study


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    counted = [models.Study, models.Site, models.Patient, User]
    counted += [section.model for section in SECTIONS]
    return {model.__name__: model.objects.count() for model in counted}


@pytest.mark.django_db
def test_it_imports_the_demo_with_no_problems():
    result = cohort_import(data=synthetic_cohort())

    assert (result.created, result.updated) == (60, 0)
    assert "synthetic" in result.study.title.lower()
    assert "not real patients" in result.study.title


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


@pytest.mark.django_db
def test_it_records_most_sections_expected_at_past_timepoints(django_capture_on_commit_callbacks):
    """A few visits are missed, as in any registry: not one query per timepoint."""
    with django_capture_on_commit_callbacks(execute=True):  # the visits, made after commit
        demo = synthetic_cohort_import(data=synthetic_cohort()).study
    visits = models.Visit.objects.filter(study=demo, window_opens__lte=demo.data_cutoff)
    applicable = visits.filter(ended="")
    missing = models.DataQuery.objects.filter(patient__study=demo, rule=MISSING_AT_TIMEPOINT)

    assert applicable.filter(done=True).count() / applicable.count() >= 0.9
    assert 0 < missing.count() <= demo.patients.count()


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


@pytest.mark.django_db
def test_it_loads_the_demo_twice_without_duplicating_anything(monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    load_demo()
    first = row_counts()
    output = load_demo()

    assert row_counts() == first
    assert first["Patient"] == 60
    assert "SYNTHETIC" in output
    assert "http://127.0.0.1:8000/" in output


@pytest.mark.django_db
def test_it_prints_the_address_on_the_port_make_run_serves(monkeypatch):
    monkeypatch.setenv("PORT", "8080")

    assert "http://127.0.0.1:8080/" in load_demo()


@pytest.mark.django_db
def test_it_creates_demo_logins_that_authenticate():
    User.objects.create_user("coordinator", password="changed-since")
    load_demo()

    for username, password in DEMO_LOGINS.items():
        request = RequestFactory().post("/login/")  # django-axes needs the request
        user = authenticate(request, username=username, password=password)
        assert user is not None, username
        assert user.is_staff
        assert user.is_superuser == (username == "admin")


@pytest.mark.django_db
def test_it_refuses_to_load_the_demo_over_a_real_study():
    StudyFactory(code="DEMO", is_synthetic=False)

    with pytest.raises(CommandError, match="real patients"):
        load_demo()
    assert not models.Patient.objects.exists()


@pytest.mark.django_db
def test_it_writes_a_generated_cohort_that_imports(tmp_path):
    path = tmp_path / "cohort.json"
    call_command("generate_cohort", "--patients", "200", "-o", str(path), stdout=StringIO())
    assert not models.Patient.objects.exists()

    result = cohort_import(data=json.loads(path.read_text(encoding="utf-8")))

    assert result.created == 200
    assert result.study.code == "SYNTH"


@pytest.mark.django_db
def test_it_imports_a_generated_cohort_when_no_file_is_given():
    call_command("generate_cohort", "--patients", "30", "--code", "BENCH", stdout=StringIO())

    study = models.Study.objects.get(code="BENCH")
    assert study.patients.count() == 30
    assert study.is_synthetic


def test_it_generates_the_same_document_for_a_seed():
    assert synthetic_cohort(seed=7) == synthetic_cohort(seed=7)
    assert synthetic_cohort(seed=7) != synthetic_cohort(seed=8)


def test_it_scales_to_more_sites_and_longer_study_ids():
    document = synthetic_cohort(code="BIG", patients=2000, sites=30)
    patients = document["patients"]

    assert len({patient["study_id"] for patient in patients}) == 2000
    assert patients[0]["study_id"] == "BIG-0001"
    assert {patient["site"] for patient in patients} >= {"SITE-Z", "SITE-AA", "SITE-AD"}
    assert all(
        patient["last_contact_date"] <= date(2021, 7, 31).isoformat() for patient in patients
    )


@pytest.mark.django_db
def test_it_lets_the_demo_clinician_edit_courses_but_not_studies():
    call_command("load_demo", stdout=StringIO())
    clinician = User.objects.get(username="clinician")
    coordinator = User.objects.get(username="coordinator")

    assert clinician.has_perm("registry.add_followupevent")
    assert clinician.has_perm("registry.change_patient")
    assert not clinician.has_perm("registry.change_study")
    assert coordinator.has_perm("registry.change_study")


@pytest.mark.django_db
def test_it_gives_each_demo_login_its_role_in_the_demo_study():
    load_demo()
    load_demo()  # granted again, not twice
    users = {name: User.objects.get(username=name) for name in DEMO_LOGINS}
    study = models.Study.objects.get(code="DEMO")

    roles = dict(study.memberships.values_list("user__username", "role"))
    clinician_sites = study.memberships.get(user__username="clinician").sites
    assert roles == {"admin": "admin", "coordinator": "coordinator", "clinician": "clinician",
                     "monitor": "monitor"}  # fmt: skip
    assert list(clinician_sites.values_list("code", flat=True)) == ["SITE-A"]
    assert access.visible_patients(users["clinician"]).count() == 20
    assert access.visible_patients(users["monitor"]).count() == 60
    assert not access.editable_patients(users["monitor"]).exists()
    assert access.exportable_studies(users["coordinator"]).get() == study

import json
from datetime import date
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from registry import access, models
from registry.demo import synthetic_cohort, synthetic_cohort_import
from registry.interchange.importer import cohort_import
from registry.quality_rules import MISSING_AT_TIMEPOINT
from registry.sections import SECTIONS
from tests.factories import StudyFactory

DEMO_LOGINS = {
    "admin": "demo-admin-2019",
    "coordinator": "demo-coordinator-2019",
    "clinician": "demo-clinician-2019",
    "monitor": "demo-monitor-2019",
}


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

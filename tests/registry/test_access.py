"""The study roles as rules (registry.access): who reads and who changes what."""

import pytest
from django.contrib.auth.models import AnonymousUser, Permission, User

from registry import access, services
from registry.models import CarTCount, Patient, Role
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict:
    """Patients at BOREN and PUMC of HCD19 and at ELSEWHERE of OTHER, and one user for
    each role in HCD19 (the clinician at BOREN), a superuser and a user with no role."""
    boren = factories.SiteFactory()
    pumc = factories.SiteFactory(code="PUMC")
    elsewhere = factories.SiteFactory(study=factories.StudyFactory(code="OTHER"), code="ELSEWHERE")
    for subject_id, site in (("B1", boren), ("P1", pumc), ("E1", elsewhere)):
        factories.PatientFactory(subject_id=subject_id, site=site)
    users = {
        "superuser": User.objects.create_superuser("root", password="x"),
        "nobody": User.objects.create_user("nobody"),
        "anonymous": AnonymousUser(),
    }
    for role in Role.values:
        users[role] = User.objects.create_user(role)
        sites = [boren] if role == Role.CLINICIAN else []
        access.membership_grant(user=users[role], study=boren.study, role=role, sites=sites)
    return users | {"boren": boren, "pumc": pumc, "elsewhere": elsewhere}


def subject_ids(patients) -> set[str]:
    return set(patients.values_list("subject_id", flat=True))


# Each user of the world with the patients it sees and, of those, the patients it changes.
ROLES = [
    ("superuser", {"B1", "P1", "E1"}, {"B1", "P1", "E1"}),
    ("admin", {"B1", "P1"}, {"B1", "P1"}),
    ("coordinator", {"B1", "P1"}, {"B1", "P1"}),
    ("monitor", {"B1", "P1"}, set()),
    ("clinician", {"B1"}, {"B1"}),
    ("nobody", set(), set()),
    ("anonymous", set(), set()),
]


@pytest.mark.parametrize(("user", "seen"), [(user, seen) for user, seen, _changed in ROLES])
def test_it_shows_each_role_the_patients_of_its_sites(world, user, seen):
    assert subject_ids(access.visible_patients(world[user])) == seen
    for patient in Patient.objects.all():
        factories.CarTCountFactory(patient=patient)
    counts = access.visible_records(world[user], CarTCount.objects.all())
    assert set(counts.values_list("patient__subject_id", flat=True)) == seen


READERS = ["superuser", "admin", "monitor", "clinician", "nobody", "anonymous"]


@pytest.mark.parametrize("user", READERS)
def test_it_finds_a_study_by_its_code_for_those_who_have_a_role_in_it(world, user):
    for code in ("HCD19", "OTHER", "NONE"):
        expected = access.visible_studies(world[user]).filter(code=code).first()
        found = access.visible_study(world[user], code)
        assert found == expected
        if found is not None:
            assert (found.title, found.data_cutoff) == (expected.title, expected.data_cutoff)


@pytest.mark.parametrize("user", READERS)
def test_it_reads_the_rows_of_the_sites_and_patients_each_role_reads(world, user):
    # The rows read with the SQL made once agree with visible_sites and visible_patients.
    reader = world[user]
    columns = ("pk", "code", "study__code")
    sites = access.visible_sites(reader).order_by("pk").values_list(*columns)
    assert access.visible_site_rows(reader, columns) == list(sites)
    study = world["boren"].study
    of_study = sites.filter(study=study).values_list("pk", flat=True)
    assert [pk for (pk,) in access.visible_site_rows(reader, ("pk",), study.pk)] == list(of_study)
    for patient in Patient.objects.all():
        found = access.visible_patient_row(reader, patient.pk, ("subject_id", "updated"))
        visible = access.visible_patients(reader).filter(pk=patient.pk)
        assert found == visible.values_list("subject_id", "updated").first()


@pytest.mark.parametrize(("user", "changed"), [(user, changed) for user, _seen, changed in ROLES])
def test_it_lets_each_role_change_the_patients_of_its_sites(world, user, changed):
    assert subject_ids(access.editable_patients(world[user])) == changed
    for patient in Patient.objects.all():
        assert access.can_edit_patient(world[user], patient) == (patient.subject_id in changed)
        assert access.can_edit_site(world[user], patient.site) == (patient.subject_id in changed)


@pytest.mark.parametrize(
    ("user", "seen", "exported", "administered"),
    [
        ("superuser", {"HCD19", "OTHER"}, {"HCD19", "OTHER"}, {"HCD19", "OTHER"}),
        ("admin", {"HCD19"}, {"HCD19"}, {"HCD19"}),
        ("coordinator", {"HCD19"}, {"HCD19"}, set()),
        ("monitor", {"HCD19"}, set(), set()),
        ("clinician", {"HCD19"}, set(), set()),
        ("nobody", set(), set(), set()),
        ("anonymous", set(), set(), set()),
    ],
)
def test_it_gives_each_role_its_studies(world, user, seen, exported, administered):
    def codes(studies) -> set[str]:
        return set(studies.values_list("code", flat=True))

    assert codes(access.visible_studies(world[user])) == seen
    assert codes(access.exportable_studies(world[user])) == exported
    assert codes(access.administered_studies(world[user])) == administered
    study = world["boren"].study
    assert access.can_administer_study(world[user], study) == ("HCD19" in administered)


def test_it_shows_a_clinician_only_the_sites_they_work_at(world):
    assert list(access.visible_sites(world["clinician"])) == [world["boren"]]
    assert set(access.visible_sites(world["monitor"])) == {world["boren"], world["pumc"]}
    assert list(access.editable_sites(world["monitor"])) == []


def test_it_counts_statistics_over_the_sites_the_user_reads(world):
    study = world["boren"].study

    assert access.patient_scope(world["superuser"], study) is None
    assert access.patient_scope(world["monitor"], study) == tuple(
        sorted([world["boren"].pk, world["pumc"].pk])
    )
    assert access.patient_scope(world["clinician"], study) == (world["boren"].pk,)
    assert access.patient_scope(world["nobody"], study) == ()


@pytest.mark.parametrize(
    ("user", "into_hcd19"),
    [
        ("superuser", True),
        ("admin", True),
        ("coordinator", True),
        ("monitor", False),
        ("clinician", False),
        ("nobody", False),
        ("anonymous", False),
    ],
)
def test_it_lets_coordinators_and_admins_import_into_their_study(world, user, into_hcd19):
    assert access.can_import(world[user], "HCD19") == into_hcd19
    assert not access.can_import(world[user], "OTHER") or user == "superuser"


def test_it_lets_only_who_may_add_studies_import_a_new_one(world):
    assert access.can_import(world["superuser"], "NEW")
    assert not access.can_import(world["coordinator"], "NEW")

    world["nobody"].user_permissions.add(Permission.objects.get(codename="add_study"))

    assert access.can_import(User.objects.get(username="nobody"), "NEW")


def test_it_makes_whoever_creates_a_study_its_administrator(world):
    study = factories.StudyFactory(code="NEW")

    access.study_creator_grant(user=world["nobody"], study=study)
    access.study_creator_grant(user=world["superuser"], study=study)

    assert access.can_administer_study(world["nobody"], study)
    assert not study.memberships.filter(user=world["superuser"]).exists()


def test_it_keeps_a_deleted_patient_s_history_for_who_read_the_patient(world):
    patient = Patient.objects.get(subject_id="B1")
    services.record_delete(record=patient, user=world["superuser"], reason="Enrolled in error")

    assert access.can_read_patient_history(world["clinician"], patient.pk)
    assert access.can_read_patient_history(world["monitor"], patient.pk)
    assert not access.can_read_patient_history(world["nobody"], patient.pk)
    assert not access.can_read_patient_history(world["superuser"], 999_999)

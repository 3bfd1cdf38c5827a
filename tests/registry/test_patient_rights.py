"""A user's rights on a patient's page read at once (registry.access.patient_rights)."""

import pytest
from django.contrib.auth.models import AnonymousUser, User

from registry import access
from registry.access import PatientRights
from registry.models import Patient, Role
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def users() -> dict:
    """Patients B1 at BOREN and P1 at PUMC of HCD19, E1 of OTHER; a user for each role in
    HCD19 (the clinician and the investigator at BOREN), a superuser and a user with none."""
    boren = factories.SiteFactory()
    pumc = factories.SiteFactory(code="PUMC")
    elsewhere = factories.SiteFactory(study=factories.StudyFactory(code="OTHER"), code="ELSEWHERE")
    for subject_id, site in (("B1", boren), ("P1", pumc), ("E1", elsewhere)):
        factories.PatientFactory(subject_id=subject_id, site=site)
    found = {
        "superuser": User.objects.create_superuser("root", password="x"),
        "nobody": User.objects.create_user("nobody"),
        "anonymous": AnonymousUser(),
    }
    for role in Role.values:
        found[role] = User.objects.create_user(role)
        sites = [boren] if role == Role.CLINICIAN else []
        access.membership_grant(user=found[role], study=boren.study, role=role, sites=sites)
    found["investigator"] = User.objects.create_user("investigator")
    access.membership_grant(
        user=found["investigator"],
        study=boren.study,
        role=Role.CLINICIAN,
        sites=[boren],
        investigator=True,
    )
    return found


# The rights on B1, of BOREN: edit, raise queries, verify, sign.
ON_B1 = {
    "superuser": (True, True, True, False),
    "admin": (True, True, True, False),
    "coordinator": (True, True, False, False),
    "monitor": (False, True, True, False),
    "clinician": (True, False, False, False),
    "investigator": (True, False, False, True),
    "nobody": (False, False, False, False),
    "anonymous": (False, False, False, False),
}


@pytest.mark.parametrize("user", ON_B1)
def test_it_gives_each_role_its_rights_on_a_patient(users, user):
    rights = access.patient_rights(users[user], Patient.objects.get(subject_id="B1"))
    assert (rights.edit, rights.raise_queries, rights.verify, rights.sign) == ON_B1[user]


@pytest.mark.parametrize("user", ON_B1)
def test_it_reads_each_right_by_the_rule_of_its_can_function(users, user):
    reader = users[user]
    for patient in Patient.objects.select_related("study"):
        expected = PatientRights(
            edit=access.can_edit_patient(reader, patient),
            raise_queries=access.can_raise_queries(reader, patient.study),
            verify=access.can_verify(reader, patient.study),
            sign=access.can_sign(reader, patient),
        )
        assert access.patient_rights(reader, patient) == expected


def test_it_reads_the_rights_in_one_query(users, django_assert_num_queries):
    patient = Patient.objects.select_related("study").get(subject_id="B1")
    with django_assert_num_queries(1):
        access.patient_rights(users["monitor"], patient)

"""A user's rights on a patient's page read at once (registry.access.patient_rights)."""

import pytest
from django.contrib.auth.models import User

from registry import access
from registry.access import PatientRights
from registry.models import Patient, Role
from tests.registry import test_access

pytestmark = pytest.mark.django_db


# The patients and the users of each role of the access rules' tests.
world = test_access.world


@pytest.fixture
def users(world) -> dict:
    """The users of `world`, and an investigator at BOREN: a clinician who signs."""
    investigator = User.objects.create_user("investigator")
    access.membership_grant(
        user=investigator,
        study=world["boren"].study,
        role=Role.CLINICIAN,
        sites=[world["boren"]],
        investigator=True,
    )
    return world | {"investigator": investigator}


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

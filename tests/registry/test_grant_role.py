"""manage.py grant_role USERNAME STUDY_CODE ROLE [--site SITE_CODE ...]."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from registry.models import Membership
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def study():
    factories.SiteFactory()
    factories.SiteFactory(code="PUMC")
    User.objects.create_user("ada")
    return factories.StudyFactory()


def grant(*args: str) -> str:
    out = StringIO()
    call_command("grant_role", *args, stdout=out)
    return out.getvalue()


def role_of(username: str) -> tuple[str, list[str]]:
    membership = Membership.objects.get(user__username=username)
    return membership.role, sorted(membership.sites.values_list("code", flat=True))


def test_it_makes_a_clinician_at_the_sites_named():
    output = grant("ada", "HCD19", "clinician", "--site", "BOREN", "--site", "PUMC")

    assert role_of("ada") == ("clinician", ["BOREN", "PUMC"])
    assert "ada is now clinician in HCD19 at BOREN, PUMC" in output


@pytest.mark.parametrize("role", ["coordinator", "monitor", "admin"])
def test_it_gives_the_other_roles_every_site(role):
    grant("ada", "HCD19", role)

    assert role_of("ada") == (role, [])


def test_it_replaces_the_role_and_sites_when_granted_again():
    grant("ada", "HCD19", "clinician", "--site", "BOREN", "--site", "PUMC")
    grant("ada", "HCD19", "clinician", "--site", "PUMC")
    assert role_of("ada") == ("clinician", ["PUMC"])

    grant("ada", "HCD19", "monitor")

    assert role_of("ada") == ("monitor", [])
    assert Membership.objects.count() == 1


def test_it_gives_a_role_in_each_study_apart():
    factories.SiteFactory(study=factories.StudyFactory(code="OTHER"), code="X")

    grant("ada", "HCD19", "monitor")
    grant("ada", "OTHER", "admin")

    assert Membership.objects.filter(user__username="ada").count() == 2


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["nobody", "HCD19", "monitor"], "No user 'nobody'"),
        (["ada", "NOPE", "monitor"], "No study 'NOPE'"),
        (["ada", "HCD19", "clinician", "--site", "MARS"], "Study HCD19 has no site MARS"),
        (["ada", "HCD19", "surgeon"], "Unknown role 'surgeon': choose clinician, coordinator"),
        (["ada", "HCD19", "clinician"], "A clinician works at named sites of the study"),
        (["ada", "HCD19", "monitor", "--site", "BOREN"], "A monitor works at every site"),
    ],
)
def test_it_refuses_what_it_cannot_grant_naming_it(args, says):
    with pytest.raises(CommandError, match=says):
        grant(*args)

    assert not Membership.objects.exists()


def test_it_refuses_a_site_of_another_study():
    factories.SiteFactory(study=factories.StudyFactory(code="OTHER"), code="X")

    with pytest.raises(CommandError, match="Study HCD19 has no site X"):
        grant("ada", "HCD19", "clinician", "--site", "X")

"""manage.py revoke_role USERNAME STUDY_CODE [--site SITE_CODE ...]."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from registry.access import membership_grant
from registry.management.commands.revoke_role import Command as RevokeRole
from registry.models import Membership, Role, Site
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def study():
    study = factories.StudyFactory()
    factories.SiteFactory(study=study)
    factories.SiteFactory(study=study, code="PUMC")
    factories.SiteFactory(study=study, code="XIJING")
    other = factories.StudyFactory(code="OTHER")
    factories.SiteFactory(study=other, code="ELSEWHERE")
    User.objects.create_user("ada")
    return study


def clinician_at(*codes: str, study_code: str = "HCD19") -> Membership:
    sites = Site.objects.filter(study__code=study_code, code__in=codes)
    user = User.objects.get(username="ada")
    return membership_grant(user=user, study=sites[0].study, role=Role.CLINICIAN, sites=list(sites))


def revoke(*args: str) -> str:
    out = StringIO()
    call_command("revoke_role", *args, stdout=out)
    return out.getvalue()


def sites_of(username: str, study_code: str = "HCD19") -> list[str]:
    membership = Membership.objects.get(user__username=username, study__code=study_code)
    return sorted(membership.sites.values_list("code", flat=True))


@pytest.mark.parametrize("role", Role.values)
def test_it_takes_away_the_whole_role(study, role):
    user = User.objects.get(username="ada")
    sites = list(study.sites.all()) if role == Role.CLINICIAN else []
    membership_grant(user=user, study=study, role=role, sites=sites)

    output = revoke("ada", "HCD19")

    assert not Membership.objects.filter(user=user).exists()
    assert "ada has no role in HCD19 any more" in output


def test_it_leaves_the_role_in_another_study_as_it_is():
    clinician_at("BOREN")
    clinician_at("ELSEWHERE", study_code="OTHER")

    revoke("ada", "HCD19")

    assert list(Membership.objects.values_list("study__code", flat=True)) == ["OTHER"]


def test_it_takes_away_only_the_sites_named_from_a_clinician():
    clinician_at("BOREN", "PUMC", "XIJING")

    output = revoke("ada", "HCD19", "--site", "BOREN", "--site", "XIJING")

    assert sites_of("ada") == ["PUMC"]
    assert "ada is now clinician in HCD19 at PUMC only" in output


def test_it_refuses_to_leave_a_clinician_at_no_site():
    clinician_at("BOREN", "PUMC")

    with pytest.raises(CommandError, match="That would leave ada a clinician at no site of HCD19"):
        revoke("ada", "HCD19", "--site", "BOREN", "--site", "PUMC")

    assert sites_of("ada") == ["BOREN", "PUMC"]


def test_it_refuses_sites_of_a_role_that_works_at_every_site(study):
    membership_grant(user=User.objects.get(username="ada"), study=study, role=Role.MONITOR)

    with pytest.raises(CommandError, match="ada's role in HCD19 is monitor, at every site"):
        revoke("ada", "HCD19", "--site", "BOREN")

    assert Membership.objects.get(user__username="ada").role == Role.MONITOR


def test_it_refuses_a_site_the_clinician_does_not_work_at():
    clinician_at("BOREN", "PUMC")

    with pytest.raises(CommandError, match="ada is not a clinician at XIJING in HCD19"):
        revoke("ada", "HCD19", "--site", "BOREN", "--site", "XIJING")

    assert sites_of("ada") == ["BOREN", "PUMC"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["nobody", "HCD19"], "No user 'nobody'"),
        (["ada", "NOPE"], "No study 'NOPE'"),
        (["ada", "HCD19", "--site", "MARS"], "Study HCD19 has no site MARS"),
        (["ada", "HCD19", "--site", "ELSEWHERE"], "Study HCD19 has no site ELSEWHERE"),
    ],
)
def test_it_refuses_what_is_not_there_naming_it_and_changes_nothing(args, says):
    clinician_at("BOREN", "PUMC")

    with pytest.raises(CommandError, match=says):
        revoke(*args)

    assert sites_of("ada") == ["BOREN", "PUMC"]


def test_it_refuses_a_user_with_no_role_in_the_study():
    clinician_at("ELSEWHERE", study_code="OTHER")

    with pytest.raises(CommandError, match="ada has no role in HCD19"):
        revoke("ada", "HCD19")

    assert Membership.objects.filter(study__code="OTHER").exists()


def test_its_help_says_what_happens_to_a_clinician_s_last_site():
    parser = RevokeRole().create_parser("manage.py", "revoke_role")

    command_help = " ".join(parser.format_help().split())

    assert "naming every site they work at is refused, and nothing changes" in command_help

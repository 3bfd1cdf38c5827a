"""The study roles in the admin: a study's administrators grant, change and revoke them under
the rules of registry.access; everybody else sees at most their own."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.urls import reverse

from registry.models import Membership, Role, Site
from tests import factories
from tests.conftest import user_with_role

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:registry_membership_changelist")
ADD = reverse("admin:registry_membership_add")


@pytest.fixture
def boren() -> Site:
    return factories.SiteFactory()


@pytest.fixture
def pumc(boren) -> Site:
    return factories.SiteFactory(study=boren.study, code="PUMC")


@pytest.fixture
def chief(boren) -> User:
    """Administers the home study, HCD19."""
    return user_with_role("chief", Role.ADMIN, boren)


@pytest.fixture
def ada(db) -> User:
    return User.objects.create_user("ada")


def change_url(membership: Membership) -> str:
    return reverse("admin:registry_membership_change", args=[membership.pk])


def role_of(user: User) -> tuple[str, list[str]]:
    membership = Membership.objects.get(user=user)
    return membership.role, sorted(membership.sites.values_list("code", flat=True))


def grant(client, user: User, site: Site, role: str, sites=()):
    data = {"user": user.pk, "study": site.study.pk, "role": role, "sites": [s.pk for s in sites]}
    return client.post(ADD, data)


def errors_of(response) -> dict:
    return response.context["adminform"].form.errors


def test_a_study_administrator_grants_a_clinician_at_a_site(client, chief, ada, boren, pumc):
    client.force_login(chief)

    response = grant(client, ada, boren, Role.CLINICIAN, [pumc])

    assert response.status_code == 302, errors_of(response)
    assert role_of(ada) == ("clinician", ["PUMC"])
    logged = LogEntry.objects.get(object_id=str(Membership.objects.get(user=ada).pk))
    assert (logged.user, logged.get_change_message()) == (chief, "Granted: clinician at PUMC")


def test_a_clinician_needs_a_site_and_is_told_so(client, chief, ada, boren):
    client.force_login(chief)

    response = grant(client, ada, boren, Role.CLINICIAN)

    assert errors_of(response)["sites"] == [
        "A clinician works at named sites of the study: give at least one site"
    ]
    assert not Membership.objects.filter(user=ada).exists()


def test_the_other_roles_take_no_site_and_are_told_so(client, chief, ada, boren):
    client.force_login(chief)

    response = grant(client, ada, boren, Role.MONITOR, [boren])

    assert errors_of(response)["sites"] == [
        "A monitor works at every site of the study: give no sites"
    ]
    assert not Membership.objects.filter(user=ada).exists()


def test_a_site_of_another_study_is_refused(client, admin_user, ada, boren):
    elsewhere = factories.SiteFactory(study=factories.StudyFactory(code="OTHER"), code="ELSEWHERE")
    client.force_login(admin_user)

    response = grant(client, ada, boren, Role.CLINICIAN, [elsewhere])

    assert errors_of(response)["sites"] == ["Study HCD19 has no site ELSEWHERE"]
    assert not Membership.objects.filter(user=ada).exists()


def test_a_second_role_in_the_same_study_is_refused(client, chief, ada, boren):
    Membership.objects.create(user=ada, study=boren.study, role=Role.MONITOR)
    client.force_login(chief)

    response = grant(client, ada, boren, Role.COORDINATOR)

    assert "This user already has a role in this study" in errors_of(response).as_text()
    assert role_of(ada) == ("monitor", [])


def test_a_study_administrator_changes_a_role_and_the_log_says_from_what(
    client, chief, ada, boren, pumc
):
    membership = Membership.objects.create(user=ada, study=boren.study, role=Role.CLINICIAN)
    membership.sites.set([boren, pumc])
    client.force_login(chief)

    response = client.post(change_url(membership), {"role": Role.COORDINATOR, "sites": []})

    assert response.status_code == 302, errors_of(response)
    assert role_of(ada) == ("coordinator", [])
    assert LogEntry.objects.get().get_change_message() == (
        "Changed: clinician at BOREN, PUMC → coordinator at every site"
    )


def test_the_user_and_the_study_of_a_role_are_not_changed(client, chief, ada, boren):
    membership = Membership.objects.create(user=ada, study=boren.study, role=Role.MONITOR)
    other = factories.StudyFactory(code="OTHER")
    client.force_login(chief)

    client.post(
        change_url(membership), {"user": chief.pk, "study": other.pk, "role": Role.COORDINATOR}
    )

    membership.refresh_from_db()
    assert (membership.user, membership.study, membership.role) == (ada, boren.study, "coordinator")


def test_a_study_administrator_revokes_a_role(client, chief, ada, boren):
    membership = Membership.objects.create(user=ada, study=boren.study, role=Role.MONITOR)
    client.force_login(chief)

    response = client.post(
        reverse("admin:registry_membership_delete", args=[membership.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Membership.objects.filter(user=ada).exists()


def test_the_list_shows_who_holds_which_role_in_the_studies_one_administers(
    client, chief, ada, boren, pumc, outsider
):
    clinician = Membership.objects.create(user=ada, study=boren.study, role=Role.CLINICIAN)
    clinician.sites.set([pumc, boren])
    client.force_login(chief)

    page = client.get(CHANGELIST)

    listed = {str(m.user): m.role for m in page.context["cl"].result_list}
    assert listed == {"chief": "admin", "ada": "clinician"}
    assert "BOREN, PUMC" in page.content.decode()
    assert "every site" in page.content.decode()


def test_a_study_administrator_grants_only_in_the_studies_they_administer(
    client, chief, boren, outsider
):
    client.force_login(chief)

    form = client.get(ADD).context["adminform"].form

    assert list(form.fields["study"].queryset) == [boren.study]
    assert list(form.fields["sites"].queryset) == [boren]


def test_a_coordinator_sees_only_their_own_role_and_changes_nothing(client, chief, owner, ada):
    study = Membership.objects.get(user=owner).study
    monitor = Membership.objects.create(user=ada, study=study, role=Role.MONITOR)
    client.force_login(owner)

    listed = client.get(CHANGELIST).context["cl"].result_list
    own = Membership.objects.get(user=owner)

    assert list(listed) == [own]
    assert client.get(change_url(monitor)).status_code == 404
    assert client.get(ADD).status_code == 403
    assert client.post(change_url(own), {"role": Role.ADMIN}).status_code == 403
    assert role_of(owner) == ("coordinator", [])

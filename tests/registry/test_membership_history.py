"""Who held which role when: every grant, change and revoke of a study role is kept."""

from django.contrib.auth.models import User

from registry.access import membership_grant, membership_revoke
from registry.models import Membership, Role
from tests import factories


def test_grants_changes_and_revokes_stay_in_the_role_s_history(db):
    site = factories.SiteFactory(code="BOREN")
    other = factories.SiteFactory(code="PUMC", study=site.study)
    user = User.objects.create_user("clinician")

    membership = membership_grant(user=user, study=site.study, role=Role.CLINICIAN, sites=[site])
    membership_grant(user=user, study=site.study, role=Role.CLINICIAN, sites=[site, other])
    membership_revoke(user=user, study=site.study)

    history = list(Membership.history.filter(id=membership.id).order_by("history_date"))
    # a row when the role is saved and one for each change of its sites
    states = [
        (row.history_type, row.role, sorted(entry.site.code for entry in row.sites.all()))
        for row in history
    ]
    assert states[0][0] == "+"
    assert ("~", "clinician", ["BOREN"]) in states
    assert states[-2] == ("~", "clinician", ["BOREN", "PUMC"])
    assert states[-1][0] == "-"
    assert not Membership.objects.filter(user=user).exists()

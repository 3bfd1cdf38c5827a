"""`manage.py send_digests`: each site's clinicians get the site's overdue follow-up visits,
as the follow-up list shows them, once a week (the scheduler runs the command)."""

from datetime import date
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from registry.models import Role
from registry.notifications import preference_save
from tests import factories
from tests.notifications import addressed, clinician_at, inboxes, with_address

pytestmark = pytest.mark.django_db

# The factories' infusion is on 2020-01-15. On 2020-03-01, with the study's default
# schedule (registry.schedule.timepoints_default) and only days 6-8 recorded, four visits
# have a window closed without their data: Screening (eligibility, target day -14,
# 2020-01-01, window to +14 days: 2020-01-15), Day 14 (2020-01-29, closed 2020-01-31),
# Day 21 (2020-02-05, closed 2020-02-07) and Day 28 (2020-02-12, closed 2020-02-15).
# Day 7 is done; Month 3 (2020-04-15) is still to come.
ON = date(2020, 3, 1)
LATE_ROWS = [
    "LATE-1      Screening",
    "LATE-1      Day 14",
    "LATE-1      Day 21",
    "LATE-1      Day 28",
]
VISIT_DATES = ["2020-01-01", "2020-01-15", "2020-01-29", "2020-01-31", "2020-02-05"]


def late_patient(site, subject_id: str):
    patient = factories.PatientFactory(
        subject_id=subject_id, site=site, last_contact_date=date(2020, 12, 1)
    )
    factories.InfusionFactory(patient=patient)
    for day in (6, 7, 8):
        factories.DailyAssessmentFactory(patient=patient, day=day)
        factories.CarTCountFactory(patient=patient, day=day)
    return patient


@pytest.fixture
def sites():
    study = factories.StudyFactory(data_cutoff=None)
    boren = factories.SiteFactory(study=study)
    pumc = factories.SiteFactory(study=study, code="PUMC", name="Peking Union")
    late_patient(boren, "LATE-1")
    late_patient(pumc, "PUMC-1")
    return {"boren": boren, "pumc": pumc}


@pytest.fixture
def people(sites, owner, teammate, outsider):
    other = factories.SiteFactory(study=factories.StudyFactory(code="OTHER"), code="ELSEWHERE")
    return {
        "boren": clinician_at("boren", sites["boren"]),
        "pumc": clinician_at("pumc", sites["pumc"]),
        "elsewhere": clinician_at("elsewhere", other),
        "admin": addressed("studyadmin", Role.ADMIN, sites["boren"]),
        "coordinator": with_address(owner),
        "monitor": with_address(teammate),
        "outsider": with_address(outsider),
    }


def send(*args, **options) -> str:
    out = StringIO()
    call_command("send_digests", *args, stdout=out, **options)
    return out.getvalue()


def test_each_site_gets_its_own_overdue_visits(people):
    said = send(on=ON)

    assert said.strip() == "Digests sent: 2, for 2 sites with 8 overdue visits"
    assert sorted(inboxes()) == ["boren@hospital.example", "pumc@hospital.example"]
    boren = inboxes()["boren@hospital.example"][0]
    assert boren.subject == "[Registry] HCD19 BOREN: 4 overdue follow-up visits"
    assert [line for line in boren.body.splitlines() if line.startswith("LATE-1")] == LATE_ROWS
    assert "PUMC-1" not in boren.body
    pumc = inboxes()["pumc@hospital.example"][0]
    assert "PUMC-1" in pumc.body and "LATE-1" not in pumc.body


def test_it_tells_nothing_about_the_patients_beyond_their_study_ids(people):
    send(on=ON)

    assert all("2000-03-01" not in message.body for message in mail.outbox)  # born
    # Found reading docs/notifications.md: the digest gave each visit's target date and
    # the day its window closed, from which the infusion day can be told.
    assert [day for day in VISIT_DATES if any(day in m.body for m in mail.outbox)] == []


def test_each_email_links_to_the_notifications_page_at_the_registry_s_address(people, settings):
    settings.SITE_URL = "https://registry.example.org"

    send(on=ON)

    page = "https://registry.example.org/account/notifications/"
    assert page in inboxes()["boren@hospital.example"][0].body


def test_it_links_to_the_sites_follow_up_list(people, settings):
    settings.SITE_URL = "https://registry.example.org"

    send(on=ON)

    link = "https://registry.example.org/studies/HCD19/follow-up/?show=overdue&site=BOREN"
    assert link in inboxes()["boren@hospital.example"][0].body


def test_a_clinician_who_turned_it_off_gets_none(people):
    preference_save(user=people["boren"], values={"overdue_digest": False})

    said = send(on=ON)

    assert list(inboxes()) == ["pumc@hospital.example"]
    assert said.startswith("Digests sent: 1, for 2 sites")


def test_a_site_with_nothing_overdue_gets_none(people):
    # On 2020-01-20 only the screening visit's window has closed (on 2020-01-15).
    send(on=date(2020, 1, 20))

    boren = inboxes()["boren@hospital.example"][0]
    assert boren.subject == "[Registry] HCD19 BOREN: 1 overdue follow-up visit"
    send(on=date(2020, 1, 10))
    assert len(mail.outbox) == 2


def test_a_locked_study_is_left_out(people, sites):
    study = sites["boren"].study
    study.locked_at = timezone.now()
    study.save()

    assert send(on=ON).startswith("Digests sent: 0, for 0 sites")
    assert mail.outbox == []


def test_it_sends_for_one_study_when_named(people):
    other = factories.SiteFactory(study=factories.StudyFactory(code="OTHER"), code="ELSEWHERE")
    late_patient(other, "OTHER-1")

    send("OTHER", on=ON)

    assert list(inboxes()) == ["elsewhere@hospital.example"]


def test_it_refuses_an_unknown_study_or_a_day_that_is_no_date():
    with pytest.raises(CommandError, match="No study 'NOPE'"):
        send("NOPE")
    with pytest.raises(CommandError, match="'next monday' is not a date: give YYYY-MM-DD"):
        send("--on", "next monday")

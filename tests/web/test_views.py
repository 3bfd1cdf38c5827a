"""The web pages through Django's test client: every page, its rules, its partials."""

import json
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from registry import models
from registry.access import membership_grant
from registry.interchange.exporter import cohort_document
from registry.interchange.importer import cohort_import
from registry.models import Role
from registry.models.patient import STUDY_ID_TAKEN
from registry.web import urls as web_urls
from tests import factories
from tests.htmx import HTMX
from tests.web.conftest import infusion_edited

pytestmark = pytest.mark.django_db

PUBLISHED = Path(__file__).parents[1] / "data" / "hcd19-published-cohort.json"


@pytest.fixture
def patient(clinician):
    """Enrolled 2 Jan 2020, lymphodepleted from 10 Jan, infused 15 Jan 2020, aged 19; the
    signed-in user coordinates the study."""
    patient = factories.PatientFactory(subject_id="P001")
    factories.LymphodepletionFactory(patient=patient)
    factories.InfusionFactory(patient=patient)
    membership_grant(user=clinician, study=patient.study, role=Role.COORDINATOR)
    return patient


@pytest.fixture
def cohort(clinician):
    study = cohort_import(data=json.loads(PUBLISHED.read_text())).study
    membership_grant(user=clinician, study=study, role=Role.COORDINATOR)
    return study


def url(name: str, *args) -> str:
    return reverse(f"web:{name}", args=args)


def page_urls(patient) -> list[str]:
    assessment = factories.DailyAssessmentFactory(patient=patient)
    return [
        url("study-list"),
        url("patient-list", patient.study.code),
        url("patient-enrol", patient.study.code),
        url("patient-detail", patient.pk),
        url("patient-part", patient.pk, "timeline"),
        url("section-show", patient.pk, "eligibility"),
        url("section-edit", patient.pk, "lymphodepletion"),
        url("section-add", patient.pk, "events"),
        url("section-item-edit", patient.pk, "daily_assessments", assessment.pk),
    ]


def field_errors(response, field: str) -> list[str]:
    """The messages shown beside one field (the list its input's aria-describedby names)."""
    html = response.content.decode()
    found = re.search(rf'<ul class="field-errors" id="id_{field}_error">(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", found.group(1), re.S) if found else []


class Labels(HTMLParser):
    """Collects the ids of inputs, and of those labelled: by a label's `for`, or by their
    own aria-label (the unit beside the dose)."""

    def __init__(self):
        super().__init__()
        self.inputs, self.labelled = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label" and attrs.get("for"):
            self.labelled.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") != "hidden":
            self.inputs.append(attrs.get("id"))
            if attrs.get("aria-label"):
                self.labelled.add(attrs.get("id"))


def unlabelled(response) -> list:
    parser = Labels()
    parser.feed(response.content.decode())
    return [input_id for input_id in parser.inputs if input_id not in parser.labelled]


# Login


def every_web_url(patient) -> list[str]:
    """Each of the registry's pages and partials, with real arguments."""
    event = factories.FollowUpEventFactory(patient=patient)
    monitor = User.objects.create_user("monitor")
    query = factories.DataQueryFactory(patient=patient, raised_by=monitor)
    values = {
        "code": "HCD19",
        "pk": patient.pk,
        "section": "events",
        "item": event.pk,
        "part": "header",
        "query": query.pk,
    }
    return [
        reverse(
            f"web:{pattern.name}",
            kwargs={name: values[name] for name in pattern.pattern.converters},
        )
        for pattern in web_urls.pages
    ]


def test_it_asks_for_login_on_every_page_and_before_any_write(client, patient):
    addresses = every_web_url(patient)

    for address in addresses:
        for method in (client.get, client.post):
            response = method(address, {"subject_id": "X", "kind": "death"})

            assert response.status_code == 302, address
            assert response.url.startswith(reverse("login") + "?next="), address
    assert len(addresses) == len(web_urls.pages)
    assert patient.events.exists()
    assert models.Patient.objects.get().subject_id == "P001"


def test_it_logs_in_and_out(client, clinician):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert unlabelled(page) == []

    wrong = client.post(reverse("login"), {"username": "clinician", "password": "nope"})
    assert "Please enter a correct username and password" in wrong.content.decode()

    right = client.post(
        reverse("login"), {"username": "clinician", "password": "correct-horse-battery"}
    )
    assert right.status_code == 302
    assert client.get(url("study-list")).status_code == 200

    client.post(reverse("logout"))
    assert client.get(url("study-list")).status_code == 302


def test_it_refuses_a_post_without_the_csrf_token(clinician, patient):
    client = Client(enforce_csrf_checks=True)
    client.force_login(clinician)

    response = client.post(url("section-edit", patient.pk, "lymphodepletion"), {"days": 4})

    assert response.status_code == 403
    assert models.Lymphodepletion.objects.get().days == 3


def test_it_sends_the_csrf_token_with_every_htmx_request(signed_in, patient):
    html = signed_in.get(url("patient-detail", patient.pk)).content.decode()

    assert re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"\w+\"\}'>", html)


# Study picker


def test_it_lists_studies_with_their_sites(signed_in, patient):
    factories.SiteFactory(study=patient.study, code="PUMC", name="Peking Union")

    html = signed_in.get(url("study-list")).content.decode()

    assert "HCD19" in html and "Beijing Boren Hospital" in html
    assert f"{url('patient-list', 'HCD19')}?site=PUMC" in html


def test_it_says_when_there_are_no_studies(signed_in):
    assert "No studies yet." in signed_in.get(url("study-list")).content.decode()


def test_it_flags_a_synthetic_study_on_every_page(signed_in, patient):
    models.Study.objects.update(is_synthetic=True)

    for address in page_urls(patient)[1:4]:
        assert "Synthetic data." in signed_in.get(address).content.decode(), address


def test_it_shows_no_synthetic_banner_for_real_data(signed_in, patient):
    html = signed_in.get(url("patient-detail", patient.pk)).content.decode()

    assert "Synthetic data." not in html


# Patient list


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", 19),
        ("d30_response=cr", 9),
        ("d30_response=cri", 4),
        ("d30_response=nr", 6),
        ("d30_response=none", 0),
        ("prior_allo_hct=true", 10),
        ("prior_allo_hct=false", 9),
        ("vital_status=dead", 6),
        ("vital_status=alive", 13),
        ("sex=female", 9),
        ("site=BOREN", 19),
        ("q=p18", 1),
        ("d30_response=cr&vital_status=dead", 1),
    ],
)
def test_it_filters_the_patient_list(signed_in, cohort, query, expected):
    response = signed_in.get(url("patient-list", "HCD19") + "?" + query)

    assert response.context["page"].paginator.count == expected


def test_it_says_when_no_patient_matches(signed_in, cohort):
    html = signed_in.get(url("patient-list", "HCD19") + "?q=nobody").content.decode()

    assert "No patients match these filters." in html


def test_it_offers_any_for_each_filter_left_empty_in_a_clinicians_words(signed_in, patient):
    html = signed_in.get(url("patient-list", "HCD19")).content.decode()

    for name in ("sex", "d30_response", "vital_status", "casebook_signed"):
        empty_choice = rf'<select name="{name}" id="id_{name}">\s*<option value="" selected>Any<'
        assert re.search(empty_choice, html), name
    assert "---------" not in html
    # The API's help, which explains its codes, is not the page's.
    assert "dead: a death is recorded" not in html and "true: an investigator" not in html


@pytest.mark.parametrize(
    "page", ["patient-list", "study-queries", "follow-up", "study-completeness"]
)
def test_each_page_offers_a_site_by_its_code_and_name(signed_in, patient, page):
    html = signed_in.get(url(page, "HCD19")).content.decode()

    assert re.search(r'<option value="BOREN"[^>]*>BOREN · Beijing Boren Hospital</option>', html)


def test_it_says_when_a_study_has_no_patients(signed_in, clinician):
    membership_grant(user=clinician, study=factories.StudyFactory(), role=Role.COORDINATOR)

    html = signed_in.get(url("patient-list", "HCD19")).content.decode()

    assert "No patients enrolled in HCD19 yet." in html


@pytest.mark.parametrize(
    ("sort", "first"),
    [("subject_id", "P01"), ("-subject_id", "P19"), ("-enrollment_date", "P19")],
)
def test_it_sorts_the_patient_list(signed_in, cohort, sort, first):
    response = signed_in.get(url("patient-list", "HCD19") + f"?sort={sort}")

    assert response.context["page"][0].subject_id == first


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("enrollment_date", ["P-A", "P-B", "P-C"]),
        ("-enrollment_date", ["P-C", "P-B", "P-A"]),
        ("site", ["P-A", "P-B", "P-C"]),
        ("-d30", ["P-C", "P-B", "P-A"]),
    ],
)
def test_it_sorts_patients_alike_in_the_column_by_study_id(signed_in, patient, sort, expected):
    # Entered out of order, all enrolled the same day at one site, none assessed at day 30:
    # without a second key the database gives them in any order, and a page can show a
    # patient the previous page showed. A sort reversed reverses the whole list.
    for subject_id in ("P-C", "P-A", "P-B"):
        factories.PatientFactory(
            site=patient.site, subject_id=subject_id, enrollment_date=patient.enrollment_date
        )

    response = signed_in.get(url("patient-list", "HCD19") + f"?q=P-&sort={sort}")

    assert [row.subject_id for row in response.context["page"]] == expected


def test_it_marks_the_sorted_column(signed_in, cohort):
    html = signed_in.get(url("patient-list", "HCD19") + "?sort=subject_id").content.decode()

    assert 'aria-sort="ascending"' in html
    assert "?sort=-subject_id" in html


def test_it_pages_the_patient_list(signed_in, patient):
    factories.PatientFactory.create_batch(30, site=patient.site)

    first = signed_in.get(url("patient-list", "HCD19"))
    second = signed_in.get(url("patient-list", "HCD19") + "?page=2")

    assert len(first.context["page"]) == 25
    assert len(second.context["page"]) == 6
    assert "Page 2 of 2" in second.content.decode()


def test_it_shows_status_badges(signed_in, cohort):
    html = signed_in.get(url("patient-list", "HCD19") + "?q=P02").content.decode()

    for badge in ("Responder", "Relapsed", "Deceased"):
        assert f">{badge}</li>" in html


def test_it_badges_an_open_grade_discrepancy(signed_in, patient):
    factories.DailyAssessmentFactory(patient=patient, day=1, temperature_c=39, vasopressors=1)
    models.ToxicityRecord.objects.create(patient=patient, crs_max_grade=1)

    html = signed_in.get(url("patient-list", "HCD19")).content.decode()

    assert ">Grade discrepancy</li>" in html
    assert "CRS: recorded grade 1, computed grade 3 (grade 3: one vasopressor)" in html


def test_it_returns_only_the_results_to_htmx(signed_in, cohort):
    response = signed_in.get(url("patient-list", "HCD19") + "?vital_status=dead", **HTMX)

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="patient-results"')
    assert "6 patients match" in html


def test_it_lists_patients_in_a_fixed_number_of_queries(
    signed_in, cohort, django_assert_num_queries
):
    # session, user, study, the ids of the sites read, count, the page's ids, its patients,
    # a prefetch each for infusions and assessments, and the sites of the site filter
    with django_assert_num_queries(10):
        signed_in.get(url("patient-list", "HCD19"))


# Enrolment

ENROLMENT = {
    "subject_id": "NEW-01",
    "sex": "female",
    "birth_date": "1990-05-01",
    "enrollment_date": "2024-02-01",
    "eligibility-cd19_blast_pct": "98",
    "eligibility-bm_blast_pct": "40",
    "eligibility-ecog": "1",
    "eligibility-adequate_organ_function": "true",
    "prior-date": "2023-03-01",
    "prior-best_response": "cr",
    "prior-relapse_date": "2023-10-01",
}


@pytest.fixture
def site(clinician):
    site = factories.SiteFactory()
    membership_grant(user=clinician, study=site.study, role=Role.COORDINATOR)
    return site


def enrol(client, site, **changes):
    data = ENROLMENT | {"site": site.pk} | changes
    return client.post(url("patient-enrol", site.study.code), data)


def test_it_renders_the_enrolment_form_with_a_label_on_every_input(signed_in, site):
    response = signed_in.get(url("patient-enrol", "HCD19") + "?site=BOREN")

    assert response.status_code == 200
    assert unlabelled(response) == []
    assert 'data-date-format="YYYY-MM-DD"' in response.content.decode()
    assert response.context["patient_form"]["site"].value() == site.pk


def test_it_enrols_a_patient_with_eligibility_and_prior_car_t(signed_in, site):
    response = enrol(signed_in, site)

    patient = models.Patient.objects.get(subject_id="NEW-01")
    assert response.url == url("patient-detail", patient.pk)
    assert patient.eligibility.verdict().eligible is True
    assert patient.prior_therapies.get().kind == "murine_cd19_cart"


def test_the_patient_card_shows_what_enrolment_took(signed_in, site):
    # Found walking the pages: the diagnosis and the prior therapies' check were entered
    # at enrolment and shown nowhere but the edit form.
    enrol(signed_in, site, diagnosis_date="2022-11-20", prior_therapies_complete="true")

    patient = models.Patient.objects.get(subject_id="NEW-01")
    html = signed_in.get(url("patient-detail", patient.pk)).content.decode()
    assert "<div><dt>Date of diagnosis</dt><dd>2022-11-20</dd></div>" in html
    assert "<div><dt>Prior therapies complete</dt><dd>Yes</dd></div>" in html


def test_it_leaves_out_sections_left_empty(signed_in, site):
    empty = {key: "" for key in ENROLMENT if key.startswith(("prior-", "eligibility-"))}

    enrol(signed_in, site, **empty)

    patient = models.Patient.objects.get()
    assert not hasattr(patient, "eligibility")
    assert not patient.prior_therapies.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"subject_id": "Jane Doe"}, "subject_id", "never a name"),
        ({"eligibility-cd19_blast_pct": "101"}, "eligibility-cd19_blast_pct", "between 0 and 100"),
        ({"eligibility-ecog": "5"}, "eligibility-ecog", "ECOG must be between 0 and 4"),
        ({"prior-best_response": "nr"}, "prior-relapse_date", "needs a best response of complete"),
        ({"prior-relapse_date": "2023-01-01"}, "prior-relapse_date", "Relapse must be after"),
        ({"birth_date": "0001-01-01"}, "birth_date", "0001-01-01 would make the patient"),
        ({"prior-date": "3000-01-01"}, "prior-date", "3000-01-01 is in the future"),
        # Found walking the pages: Django's "This field is required.", named by nothing.
        ({"subject_id": ""}, "subject_id", "Study id is required"),
    ],
)
def test_it_shows_a_mistake_beside_its_field_and_enrols_nobody(
    signed_in, site, changes, field, message
):
    response = enrol(signed_in, site, **changes)

    assert response.status_code == 200
    assert any(message in text for text in field_errors(response, field)), response.content
    assert response.context["patient_form"]["subject_id"].value() == changes.get(
        "subject_id", "NEW-01"
    )
    assert not models.Patient.objects.exists()


def test_it_refuses_a_study_id_the_study_already_has(signed_in, site):
    factories.PatientFactory(site=site, subject_id="NEW-01")

    html = enrol(signed_in, site).content.decode()

    assert STUDY_ID_TAKEN in html
    assert models.Patient.objects.count() == 1


def test_it_tells_a_clinician_nothing_of_a_patient_at_a_site_they_do_not_see(client, neighbour):
    factories.PatientFactory(subject_id="NEW-01")  # at BOREN; the neighbour works at PUMC
    client.force_login(neighbour)

    html = enrol(client, models.Site.objects.get(code="PUMC")).content.decode()

    assert STUDY_ID_TAKEN in html
    assert "already has a patient" not in html
    assert models.Patient.objects.count() == 1


def test_it_refuses_a_study_id_the_study_has_in_another_case(signed_in, site):
    factories.PatientFactory(site=site, subject_id="new-01")

    html = enrol(signed_in, site).content.decode()

    assert STUDY_ID_TAKEN in html
    assert models.Patient.objects.count() == 1


def test_it_rolls_the_patient_back_when_a_section_fails_once_the_patient_exists(
    signed_in, site, monkeypatch
):
    # Course rules run only once the patient is stored; a problem found then undoes it all.
    def clean_in_course(eligibility):
        if eligibility.patient_id:
            from django.core.exceptions import ValidationError

            raise ValidationError({"ecog": "Found by a course rule"})

    monkeypatch.setattr(models.Eligibility, "clean", clean_in_course)

    response = enrol(signed_in, site)

    assert field_errors(response, "eligibility-ecog") == ["Found by a course rule"]
    assert not models.Patient.objects.exists()
    assert not models.PriorTherapy.objects.exists()


# Eligibility partial


def eligibility_check(client, study_code="HCD19", **changes):
    data = {
        key: value for key, value in ENROLMENT.items() if key.startswith(("eligibility", "prior"))
    }
    return client.post(url("enrolment-eligibility", study_code), data | changes, **HTMX)


def test_it_checks_eligibility_as_the_form_is_typed(signed_in, site):
    html = eligibility_check(signed_in).content.decode()

    assert "Eligible" in html and "Not eligible" not in html


def test_it_shows_an_empty_enrolment_form_as_not_yet_assessed(signed_in, site):
    html = signed_in.get(url("patient-enrol", "HCD19")).content.decode()

    assert "Not yet assessed" in html and "Not eligible" not in html


def test_it_checks_nothing_before_a_criterion_is_typed(signed_in, site):
    html = signed_in.post(url("enrolment-eligibility", "HCD19"), {}, **HTMX).content.decode()

    assert "Not yet assessed" in html and "Not eligible" not in html


def test_it_names_each_unmet_criterion(signed_in, site):
    html = eligibility_check(
        signed_in,
        **{
            "eligibility-ecog": "3",
            "prior-date": "",
            "prior-best_response": "",
            "prior-relapse_date": "",
        },
    ).content.decode()

    assert "Not eligible" in html
    assert "ECOG 3; at most 2 allowed" in html
    assert "No earlier murine CD19 CAR-T recorded" in html


def test_it_checks_against_the_study_s_own_criteria(signed_in, site):
    models.Study.objects.update(min_cd19_blast_pct=99)

    html = eligibility_check(signed_in).content.decode()

    assert "98.0% of blasts CD19-positive; at least 99.0% required" in html


def test_it_says_what_is_still_missing(signed_in, site):
    html = eligibility_check(signed_in, **{"eligibility-ecog": ""}).content.decode()

    assert "Incomplete" in html and "ECOG not recorded" in html


def test_it_checks_a_stored_patient_with_its_prior_therapies(signed_in, patient):
    factories.PriorTherapyFactory(patient=patient)
    data = {
        "cd19_blast_pct": "99",
        "bm_blast_pct": "20",
        "ecog": "0",
        "adequate_organ_function": "true",
    }

    html = signed_in.post(url("patient-eligibility", patient.pk), data, **HTMX).content.decode()

    assert "Eligible" in html and "Not eligible" not in html


# Patient page


def test_it_shows_every_section_and_the_timeline(signed_in, patient):
    factories.DailyAssessmentFactory(patient=patient, day=2, temperature_c=39, hypotension=True)
    factories.ResponseAssessmentFactory(patient=patient)
    factories.FollowUpEventFactory(patient=patient)

    html = signed_in.get(url("patient-detail", patient.pk)).content.decode()

    for title in ("Eligibility", "Lymphodepletion", "CAR-T infusions", "Follow-up events"):
        assert f">{title}</h2>" in html
    for milestone in (
        "Enrolment",
        "Lymphodepletion",
        "Infusion: Humanized CD19 CAR-T",
        "CRS grade 2, ICANS grade 0",
        "Response: CR",
        "Allogeneic HCT",
        "Last contact",
    ):
        assert f"<strong>{milestone}</strong>" in html
    assert "240,000 cells/kg" in html
    assert "fludarabine 30 mg/m²/day, cyclophosphamide 250 mg/m²/day, 3 days" in html
    assert "D+30" in html


def test_it_shows_the_patient_page_in_a_fixed_number_of_queries(
    signed_in, patient, django_assert_num_queries
):
    factories.DailyAssessmentFactory.create_batch(
        5, patient=patient, day=factories.factory.Iterator(range(5))
    )

    # session, user, patient, eight prefetches, eligibility's own prior therapies, the
    # user's rights on the patient (change it, open queries, verify, sign), the data
    # queries, the follow-up schedule's visits, and the casebook's section statuses and its
    # signatures
    with django_assert_num_queries(16):
        signed_in.get(url("patient-detail", patient.pk))


def test_it_returns_404_for_an_unknown_patient_or_section(signed_in, patient):
    assert signed_in.get(url("patient-detail", 999)).status_code == 404
    assert signed_in.get(url("section-edit", patient.pk, "nonsense")).status_code == 404
    assert signed_in.get(url("section-add", patient.pk, "lymphodepletion")).status_code == 404
    assert signed_in.get(url("patient-part", patient.pk, "nonsense")).status_code == 404


@pytest.mark.parametrize(
    "section", ["patient", "eligibility", "genetics", "lymphodepletion", "toxicities"]
)
def test_it_opens_a_one_to_one_section_for_editing(signed_in, patient, section):
    response = signed_in.get(url("section-edit", patient.pk, section), **HTMX)

    assert response.status_code == 200
    assert 'class="section-form"' in response.content.decode()
    assert unlabelled(response) == []


@pytest.mark.parametrize(
    "section",
    [
        "prior_therapies",
        "infusions",
        "car_t_counts",
        "daily_assessments",
        "response_assessments",
        "events",
    ],
)
def test_it_opens_a_list_section_for_adding(signed_in, patient, section):
    response = signed_in.get(url("section-add", patient.pk, section), **HTMX)

    assert response.status_code == 200
    assert unlabelled(response) == []


def test_it_opens_a_section_on_a_page_of_its_own_without_javascript(signed_in, patient):
    address = url("section-edit", patient.pk, "lymphodepletion")

    html = signed_in.get(address).content.decode()
    shown = signed_in.get(url("section-show", patient.pk, "lymphodepletion"))

    assert "<title>Lymphodepletion · Patient P001" in html
    assert f'<form class="section-form" method="post" action="{address}"' in html
    assert shown.url == url("patient-detail", patient.pk) + "#section-lymphodepletion"


def test_it_saves_a_section_and_tells_the_page_to_refresh(signed_in, patient):
    data = {
        "start_date": "2020-01-09",
        "fludarabine_mg_m2_per_day": "25",
        "cyclophosphamide_mg_m2_per_day": "0",
        "days": "4",
        "version": models.Lymphodepletion.objects.get().version,
    }

    response = signed_in.post(url("section-edit", patient.pk, "lymphodepletion"), data, **HTMX)

    assert "Lymphodepletion: saved." in response.content.decode()
    assert json.loads(response["HX-Trigger-After-Settle"]) == {
        "courseChanged": {"section": "lymphodepletion"},
        "reload-patient": {},
        "reload-eligibility": {},
        "reload-daily_assessments": {},
        "reload-toxicities": {},
    }
    lymphodepletion = models.Lymphodepletion.objects.get()
    assert (lymphodepletion.start_date, lymphodepletion.days) == (date(2020, 1, 9), 4)


def test_it_sends_a_plain_form_back_to_the_patient_page(signed_in, patient):
    data = {"kind": "other_therapy", "date": "2020-03-01", "description": "Blinatumomab"}

    response = signed_in.post(url("section-add", patient.pk, "events"), data)

    assert response.url == url("patient-detail", patient.pk) + "#section-events"
    assert patient.events.get().description == "Blinatumomab"


def test_it_sets_last_contact_from_a_death_and_shows_it_not_for_typing(signed_in, patient):
    data = {"kind": "death", "date": "2020-07-01", "cause": "disease"}

    response = signed_in.post(url("section-add", patient.pk, "events"), data, **HTMX)

    assert "reload-patient" in json.loads(response["HX-Trigger-After-Settle"])
    patient.refresh_from_db()
    assert patient.last_contact_date == date(2020, 7, 1)
    form = signed_in.get(url("section-edit", patient.pk, "patient"), **HTMX).context["form"]
    assert form["last_contact_date"].value() == date(2020, 7, 1)
    assert form.fields["last_contact_date"].disabled
    assert "moves with the death's date" in form.fields["last_contact_date"].help_text


def test_it_leads_with_the_fields_own_error_and_counts_what_follows_from_it(signed_in, patient):
    for day in range(1, 15):
        factories.DailyAssessmentFactory(patient=patient, day=day)
    factories.CarTCountFactory(patient=patient, day=7)
    data = {"kind": "death", "date": "2020-01-14", "cause": "disease"}

    response = signed_in.post(url("section-add", patient.pk, "events"), data, **HTMX)

    after = "would fall after the death (day -1, 2020-01-14)"
    assert field_errors(response, "date") == [
        "Death is before the infusion (2020-01-15)",
        f"1 CAR-T count {after}",
        f"14 daily assessments {after}",
    ]
    assert response.context["form"].non_field_errors() == []
    assert not patient.events.exists()


def test_it_edits_a_list_record(signed_in, patient):
    infusion = patient.infusions.get()

    infusion_edited(signed_in, infusion)

    infusion.refresh_from_db()
    assert (infusion.weight_kg, infusion.cells_per_kg) == (61.5, 300_000)


def test_it_keeps_the_saved_title_on_a_refused_edit(signed_in, patient):
    infusion = patient.infusions.get()
    saved = f'<h3 class="form-title">Edit {infusion}</h3>'
    data = {
        "date": "2020-01-16",
        "product": "humanized_cd19",
        "weight_kg": "-1",
        "cells_per_kg": "300000",
        "version": infusion.version,
    }
    address = url("section-item-edit", patient.pk, "infusions", infusion.pk)

    html = signed_in.post(address, data, **HTMX).content.decode()

    assert "2020-01-16" not in str(infusion)
    assert saved in html
    assert " on 2020-01-16</h3>" not in html


VERSION_MISSING = "The form came without the version of the record it was opened on"


def test_it_refuses_a_change_that_does_not_name_the_version_it_was_made_on(signed_in, patient):
    infusion = patient.infusions.get()
    data = {"date": "2020-01-15", "product": "humanized_cd19", "weight_kg": "61.5"}
    address = url("section-item-edit", patient.pk, "infusions", infusion.pk)

    html = signed_in.post(address, data | {"cells_per_kg": "300000"}, **HTMX).content.decode()

    assert VERSION_MISSING in html
    infusion.refresh_from_db()
    assert (infusion.weight_kg, infusion.version) == (60.0, 1)


def test_it_refuses_a_deletion_that_does_not_name_the_version(signed_in, patient):
    count = factories.CarTCountFactory(patient=patient)
    address = url("section-item-delete", patient.pk, "car_t_counts", count.pk)

    html = signed_in.post(address, **HTMX).content.decode()

    assert VERSION_MISSING in html
    assert patient.car_t_counts.exists()


# The answers of a daily assessment that found nothing, so that a test types only what it
# is about.
NO_FINDINGS = {
    "vasopressors": "0",
    "oxygen": "none",
    "consciousness": "awake",
    "seizure": "none",
    "motor_weakness": "none",
    "cerebral_edema": "none",
}

# Each rule of the model layer, entered through the page that edits its section.
MISTAKES = [
    (
        "patient",
        {"last_contact_date": "2020-01-14"},
        "last_contact_date",
        "Last contact cannot be before the last recorded event (2020-01-15)",
    ),
    (
        "patient",
        {"birth_date": "2020-02-01"},
        "birth_date",
        "Date of birth must be before the infusion (2020-01-15)",
    ),
    (
        "eligibility",
        {"cd19_blast_pct": "101"},
        "cd19_blast_pct",
        "CD19-positive blasts must be a percentage between 0 and 100",
    ),
    (
        "lymphodepletion",
        {"start_date": "2019-12-30"},
        "start_date",
        "Lymphodepletion cannot start before enrolment (2020-01-02)",
    ),
    ("lymphodepletion", {"days": "15"}, "days", "Lymphodepletion days must be between 1 and 14"),
    (
        "toxicities",
        {"crs_onset_day": "2"},
        "crs_onset_day",
        "A CRS onset day needs a CRS grade of 1 or more",
    ),
    (
        "prior_therapies",
        {"kind": "chemotherapy", "date": "2019-01-01", "best_response": "cr"},
        "best_response",
        "A best response is recorded only for an earlier CAR-T",
    ),
    (
        "prior_therapies",
        {"kind": "tki", "date": "2020-02-01"},
        "date",
        "A prior therapy must be before the infusion (2020-01-15)",
    ),
    (
        "infusions",
        {
            "date": "2020-01-11",
            "product": "humanized_cd19",
            "weight_kg": "60",
            "cells_per_kg": "1000",
        },
        "date",
        "Infusion date must be after the last day of lymphodepletion "
        "(2020-01-12; 3 days from 2020-01-10)",
    ),
    (
        "infusions",
        {
            "date": "2020-02-10",
            "product": "humanized_cd19",
            "weight_kg": "60",
            "cells_per_kg": "9000000",
        },
        "cells_per_kg",
        "Dose 9,000,000 cells/kg is above the protocol&#x27;s ceiling of 5,000,000 cells/kg",
    ),
    (
        "car_t_counts",
        {"day": "7", "cells_per_ul": "-1"},
        "cells_per_ul",
        "CAR-T count cannot be negative",
    ),
    (
        "daily_assessments",
        NO_FINDINGS | {"day": "1", "temperature_c": "46"},
        "temperature_c",
        "Temperature must be between 30 and 45",
    ),
    (
        "response_assessments",
        {"day": "30", "status": "cr", "bm_blast_pct": "7", "mrd": "unknown"},
        "bm_blast_pct",
        "CR and CRi need fewer than 5% marrow blasts; 7.0% was entered",
    ),
    (
        "response_assessments",
        {"day": "30", "status": "nr", "mrd": "negative", "mrd_level": "0.01"},
        "mrd_level",
        "MRD-negative means a level below 0.0001 (0.01%)",
    ),
    (
        "events",
        {"kind": "death", "date": "2020-01-05", "cause": "disease"},
        "date",
        "Death is before the infusion (2020-01-15)",
    ),
    (
        "events",
        {"kind": "relapse", "date": "2020-03-01", "cd19": "positive"},
        "kind",
        "A relapse needs an earlier response assessment of CR or CRi",
    ),
    (
        "events",
        {"kind": "relapse", "date": "2020-03-01"},
        "cd19",
        "A relapse needs its CD19 status",
    ),
]


def current_values(section: str, patient) -> dict:
    """The form's fields as stored, so a test changes only what it means to."""
    if section == "patient":
        return {
            "subject_id": "P001",
            "site": patient.site.pk,
            "sex": "female",
            "birth_date": "2000-03-01",
            "enrollment_date": "2020-01-02",
            "last_contact_date": "2020-09-01",
        }
    if section == "lymphodepletion":
        return {
            "start_date": "2020-01-10",
            "fludarabine_mg_m2_per_day": "30",
            "cyclophosphamide_mg_m2_per_day": "250",
            "days": "3",
        }
    return {}


def snapshot(patient) -> str:
    return json.dumps(cohort_document(patient.study), sort_keys=True, default=str)


@pytest.mark.parametrize(
    ("section", "data", "field", "message"), MISTAKES, ids=[f"{m[0]}-{m[2]}" for m in MISTAKES]
)
def test_it_shows_each_rule_beside_its_field_and_saves_nothing(
    signed_in, patient, section, data, field, message
):
    before = snapshot(patient)
    many = models.Patient._meta.get_field(section).one_to_many if section != "patient" else False
    address = url("section-add" if many else "section-edit", patient.pk, section)

    response = signed_in.post(address, current_values(section, patient) | data, **HTMX)

    assert response.status_code == 200
    assert any(message in text for text in field_errors(response, field)), (
        field_errors(response, field) or response.content.decode()
    )
    assert "Not saved." in response.content.decode()
    assert snapshot(patient) == before


def test_it_keeps_every_typed_value_after_a_mistake(signed_in, patient):
    data = NO_FINDINGS | {
        "day": "3",
        "temperature_c": "46",
        "hypotension": "on",
        "vasopressors": "1",
        "oxygen": "low_flow",
        "ice_score": "8",
        "cerebral_edema": "focal",
    }

    html = signed_in.post(
        url("section-add", patient.pk, "daily_assessments"), data, **HTMX
    ).content.decode()

    assert 'name="temperature_c" value="46"' in html
    assert 'name="ice_score" value="8"' in html
    assert re.search(r'name="hypotension"[^>]*checked', html)
    assert '<option value="focal" selected>' in html
    assert '<option value="low_flow" selected>' in html


def test_it_deletes_a_record(signed_in, patient):
    count = factories.CarTCountFactory(patient=patient)

    response = signed_in.post(
        url("section-item-delete", patient.pk, "car_t_counts", count.pk),
        {"version": count.version},
        **HTMX,
    )

    assert "deleted" in response.content.decode()
    assert not patient.car_t_counts.exists()


def test_it_refuses_a_deletion_that_breaks_the_course(signed_in, patient):
    response = factories.ResponseAssessmentFactory(patient=patient, day=30)
    factories.FollowUpEventFactory(
        patient=patient, kind="relapse", cd19="positive", date=date(2020, 6, 1)
    )

    reply = signed_in.post(
        url("section-item-delete", patient.pk, "response_assessments", response.pk),
        {"version": response.version},
        **HTMX,
    )

    assert "Not deleted." in reply.content.decode()
    assert "A relapse needs an earlier response assessment of CR or CRi" in reply.content.decode()
    assert patient.response_assessments.exists()


def test_it_refreshes_the_header_and_the_timeline(signed_in, patient):
    factories.FollowUpEventFactory(
        patient=patient, kind="death", cause="disease", date=date(2020, 9, 1)
    )

    header = signed_in.get(url("patient-part", patient.pk, "header"), **HTMX).content.decode()
    timeline = signed_in.get(url("patient-part", patient.pk, "timeline"), **HTMX).content.decode()

    assert ">Deceased</li>" in header
    assert "<strong>Death</strong>" in timeline and "cause: disease" in timeline


# Live grades


def grades(client, patient, **typed) -> str:
    return client.post(url("grades", patient.pk), NO_FINDINGS | typed, **HTMX).content.decode()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ({}, ["grade 0: no fever", "grade 0: no ICANS findings"]),
        ({"temperature_c": "38.5"}, ["grade 1: fever only"]),
        ({"temperature_c": "38.5", "vasopressors": "1"}, ["Grade 3", "grade 3: one vasopressor"]),
        (
            {"temperature_c": "39", "oxygen": "positive_pressure"},
            ["grade 4: positive-pressure ventilation"],
        ),
        (
            {"fever_masked": "on", "vasopressin": "on"},
            ["grade 3: vasopressin alone counts as one vasopressor, fever masked"],
        ),
        ({"ice_score": "5"}, ["grade 2: ICE score 5"]),
        ({"seizure": "prolonged"}, ["grade 4: prolonged or repetitive seizures"]),
    ],
)
def test_it_grades_the_assessment_as_it_is_typed(signed_in, patient, typed, expected):
    html = grades(signed_in, patient, **typed)

    for text in expected:
        assert text in html


def test_it_grades_a_child_with_capd(signed_in, patient):
    models.Patient.objects.filter(pk=patient.pk).update(birth_date=date(2012, 1, 1))

    html = grades(signed_in, patient, ice_score="2", capd_score="10")

    assert "grade 3: CAPD score 10" in html
    assert "graded with the CAPD score" in html


def test_the_assessment_form_says_a_child_is_graded_with_capd_as_it_opens(signed_in, patient):
    # Found reading the templates: the hint came only with the first grades typed.
    models.Patient.objects.filter(pk=patient.pk).update(birth_date=date(2012, 1, 1))

    response = signed_in.get(url("section-add", patient.pk, "daily_assessments"), **HTMX)

    assert "8 years old: ICANS is graded with the CAPD score, not ICE." in response.content.decode()


def test_it_leaves_out_what_does_not_make_sense_yet(signed_in, patient):
    html = grades(signed_in, patient, temperature_c="39", ice_score="12")

    assert "grade 1: fever only" in html and "grade 0: no ICANS findings" in html
    assert "ICE score must be between 0 and 10" in html


def test_it_warns_where_the_recorded_grade_differs_from_the_computed_one(signed_in, patient):
    factories.DailyAssessmentFactory(patient=patient, day=1, temperature_c=39, vasopressors=2)
    models.ToxicityRecord.objects.create(patient=patient, crs_max_grade=2, icans_max_grade=0)

    html = signed_in.get(url("patient-detail", patient.pk)).content.decode()

    assert "recorded maximum differs from the grade computed" in html
    assert "CRS: recorded grade 2, computed grade 4 (grade 4: 2 vasopressors)" in html


def test_it_shows_the_saved_grades_when_an_assessment_is_opened(signed_in, patient):
    assessment = factories.DailyAssessmentFactory(
        patient=patient, day=1, temperature_c=39, oxygen="low_flow"
    )

    html = signed_in.get(
        url("section-item-edit", patient.pk, "daily_assessments", assessment.pk), **HTMX
    ).content.decode()

    assert "grade 2: low-flow oxygen" in html


def test_it_says_why_vasopressors_without_fever_are_grade_0(signed_in, patient):
    html = grades(signed_in, patient, temperature_c="37", hypotension="on", vasopressors="1")

    assert "grade 0: no fever" in html
    assert "ASTCT CRS needs fever (≥38.0 °C)" in html
    assert 'href="#id_fever_masked"' in html


def test_it_gives_no_fever_hint_once_fever_is_masked(signed_in, patient):
    html = grades(signed_in, patient, temperature_c="37", vasopressors="1", fever_masked="on")

    assert "grade 3: one vasopressor, fever masked" in html
    assert "ASTCT CRS needs fever" not in html

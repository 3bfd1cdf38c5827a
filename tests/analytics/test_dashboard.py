"""/studies/{code}/dashboard/: the coordinator dashboard over the published cohort (An et
al., BMC Cancer 2022), its figures as PNG and SVG, and its tables' downloads."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from analytics import dashboard, figures, frames
from registry.access import membership_grant
from registry.demo import synthetic_cohort, synthetic_cohort_import
from registry.models import Role, Site
from tests.analytics.conftest import import_with_a_non_responder_not_evaluable
from tests.clients import page_client_of
from tests.trail import age_the_trail

pytestmark = pytest.mark.usefixtures("published")

PAGE = "/studies/HCD19/dashboard/"
FIGURES = ("efs", "os", "incidence", "swimmer", "expansion", "grades")


@pytest.fixture
def client(reader) -> Client:
    return page_client_of(reader)


def figure_url(name: str, image_format: str) -> str:
    return f"{PAGE}figures/{name}.{image_format}"


def test_it_asks_to_log_in_first():
    response = Client().get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert Client().get(figure_url("efs", "svg")).status_code == 302


def test_it_is_not_there_for_someone_without_a_role_in_the_study(db):
    outsider = Client()
    outsider.force_login(User.objects.create_user("outsider", password="outsider-password-1"))
    assert outsider.get(PAGE).status_code == 404
    assert outsider.get(figure_url("efs", "svg")).status_code == 404


def test_it_shows_response_by_subgroup_with_p_values(client):
    response = client.get(PAGE)
    assert response.status_code == 200
    subgroups = {group["title"]: group for group in response.context["subgroups"]}
    # The paper, Results "Treatment response": 4/10 after allo-HCT vs 9/9, p = 0.0108; by
    # the interval from the last mCD19 CAR-T, 8/10 vs 5/9, p = 0.3498 (Fisher's exact test).
    transplant = subgroups["Prior allo-HCT"]
    assert [(row["label"], row["responders"], row["n"]) for row in transplant["rows"]] == [
        ("Yes", 4, 10),
        ("No", 9, 9),
    ]
    assert (transplant["p"], transplant["test"]) == ("0.0108", "Fisher's exact test")
    assert subgroups["Months from the last murine CD19 CAR-T"]["p"] == "0.3498"
    assert set(subgroups) == {
        "Prior allo-HCT",
        "Prior CD22 CAR-T",
        "Age group",
        "Months from the last murine CD19 CAR-T",
        "Disease status at enrolment",
    }
    assert "p = 0.0108" in response.content.decode()


def test_it_shows_every_figure_as_an_svg_image_with_the_same_query(client):
    content = client.get(PAGE, {"sex": "female", "by": "prior_allo_hct"}).content.decode()
    for name in FIGURES:
        assert f'src="{figure_url(name, "svg")}?sex=female&amp;by=prior_allo_hct"' in content
        assert (
            f'href="{figure_url(name, "png")}?sex=female&amp;by=prior_allo_hct&amp;download=1"'
            in (content)
        )


def test_it_renders_tables_1_and_2(client):
    response = client.get(PAGE)
    characteristics, outcomes = response.context["tables"]
    assert characteristics["title"] == "Patient characteristics"
    assert outcomes["title"] == "hCD19 CAR-T treatment and outcomes"
    # The paper, Table 1: 10 (53%) had an allo-HCT before.
    rows = [(row["section"], row["cells"][:3]) for row in characteristics["rows"]]
    assert ("Prior allo-HCT", ["Yes", "10", "53"]) in rows
    assert '<th scope="colgroup" colspan="6">Prior allo-HCT</th>' in response.content.decode()


def test_it_links_each_table_to_its_csv_and_xlsx_download(client):
    response = client.get(PAGE, {"site": "BOREN", "by": "sex", "population": "responders"})
    downloads = response.context["tables"][0]["downloads"]
    # The survival comparison is not a table parameter: the API would refuse it.
    assert downloads["csv"] == (
        "/api/v1/studies/HCD19/analytics/tables/characteristics/"
        "?site=BOREN&population=responders&format=csv"
    )
    csv = client.get(downloads["csv"])
    assert csv.status_code == 200
    assert csv["Content-Type"].startswith("text/csv")
    assert "characteristic" in csv.content.decode()
    xlsx = client.get(response.context["tables"][1]["downloads"]["xlsx"])
    assert xlsx.status_code == 200
    assert xlsx.content.startswith(b"PK")


@pytest.mark.parametrize("name", FIGURES)
def test_it_serves_each_figure_as_png_and_svg(client, name):
    png = client.get(figure_url(name, "png"))
    assert png.status_code == 200
    assert png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    assert "Content-Disposition" not in png
    svg = client.get(figure_url(name, "svg"), {"population": "all"})
    assert svg.status_code == 200
    assert svg["Content-Type"] == "image/svg+xml"
    assert b"<svg" in svg.content


def test_it_sends_a_figure_as_an_attachment_on_download(client):
    response = client.get(figure_url("swimmer", "svg"), {"download": "1"})
    assert response["Content-Disposition"] == 'attachment; filename="HCD19-swimmer.svg"'


def test_it_answers_404_for_a_figure_it_does_not_draw(client):
    assert client.get(figure_url("forest", "svg")).status_code == 404
    assert client.get(figure_url("efs", "gif")).status_code == 404


def test_it_shows_a_bad_filter_s_message_beside_its_field(client):
    response = client.get(PAGE, {"age_min": "ten", "infused_after": "2020-13-01"})
    assert response.status_code == 400
    content = response.content.decode()
    assert re.search(r'id="id_age_min_error">\s*<li>Enter a whole number', content)
    assert re.search(
        r'id="id_infused_after_error">\s*<li>2020-13-01 is not a date: there is no month 13. '
        r"Enter the date as YYYY-MM-DD",
        content,
    )
    assert "These choices could not be applied." in content
    assert "<img" not in content


def test_it_asks_for_a_cut_point_to_compare_by_a_number(client):
    response = client.get(PAGE, {"by": "mcd19_interval_months"})
    assert response.status_code == 400
    assert re.search(
        r'id="id_cut_error">\s*<li>Months from the last murine CD19 CAR-T is a number; give a '
        "cut point",
        response.content.decode(),
    )
    compared = client.get(PAGE, {"by": "mcd19_interval_months", "cut": "12"})
    assert compared.status_code == 200
    efs = compared.context["survival"]["efs"]
    assert [row["label"] for row in efs["rows"]] == ["< 12", "≥ 12"]
    assert efs["logrank_p"] is not None


def test_it_names_the_covariate_by_its_label(client):
    response = client.get(PAGE, {"by": "sex", "cut": "1"})
    assert response.status_code == 400
    content = response.content.decode()
    assert re.search(r'id="id_cut_error">\s*<li>Sex is not a number', content)
    assert "sex is not" not in content


def test_it_refuses_an_age_range_that_runs_backwards(client):
    response = client.get(PAGE, {"age_min": "50", "age_max": "20"})
    assert response.status_code == 400
    assert re.search(
        r'id="id_age_max_error">\s*<li>The highest age, 20, is below the lowest age, 50',
        response.content.decode(),
    )


def test_it_refuses_a_figure_with_a_bad_filter_naming_it(client):
    response = client.get(figure_url("efs", "png"), {"population": "everyone"})
    assert response.status_code == 400
    assert response.content.decode().startswith("population: ")


def test_it_says_so_when_no_patient_is_in_the_selection(client, published):
    Site.objects.create(study=published, code="NOWHERE", name="A hospital with no patient")
    response = client.get(PAGE, {"site": "NOWHERE"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "No patients in this selection." in content
    assert "<img" not in content
    assert client.get(figure_url("swimmer", "svg"), {"site": "NOWHERE"}).status_code == 404


def test_it_offers_a_site_by_its_code_and_name(client, published):
    Site.objects.create(study=published, code="PUMC", name="Peking Union Medical College Hospital")
    html = client.get(PAGE).content.decode()
    assert '<option value="PUMC">PUMC · Peking Union Medical College Hospital</option>' in html


def test_it_refuses_a_site_the_user_does_not_read_beside_its_field(client):
    response = client.get(PAGE, {"site": "NOWHERE"})
    assert response.status_code == 400
    assert re.search(
        r'id="id_site_error">\s*<li>No site &#x27;NOWHERE&#x27; among yours: BOREN',
        response.content.decode(),
    )
    figure = client.get(figure_url("efs", "svg"), {"site": "NOWHERE"})
    assert figure.status_code == 400
    assert figure.content.decode() == "site: No site 'NOWHERE' among yours: BOREN"


def test_it_says_which_figures_cannot_be_drawn_yet(client):
    # Three children in CR (P08, P13, P16): none has relapsed or died.
    chosen = {"population": "responders", "age_max": "10"}
    response = client.get(PAGE, chosen)
    assert response.status_code == 200
    plots = response.context["plots"]
    assert plots["efs"]["problem"] == "No patient in this selection has an event yet."
    assert plots["swimmer"]["problem"] is None
    content = response.content.decode()
    assert "No patient in this selection has an event yet." in content
    assert f'src="{figure_url("efs", "svg")}' not in content
    missing = client.get(figure_url("efs", "svg"), chosen)
    assert missing.status_code == 404
    assert missing.content.decode() == "No patient in this selection has an event yet."


def test_it_counts_only_the_patients_a_clinician_reads(client, db):
    study = Site.objects.get(code="BOREN").study
    elsewhere = Site.objects.create(study=study, code="ELSEWHERE", name="Another hospital")
    clinician = User.objects.create_user("clinician", password="clinician-password-1")
    membership_grant(user=clinician, study=study, role=Role.CLINICIAN, sites=[elsewhere])
    other = Client()
    other.force_login(clinician)
    assert "No patients in this selection." in other.get(PAGE).content.decode()
    assert other.get(figure_url("swimmer", "svg")).status_code == 404


def test_it_draws_the_figures_from_the_results_the_page_computed(client):
    client.get(PAGE, {"by": "sex"})
    # No analysis row read again: the figures draw from the results and the data frame of
    # the page.
    with mock.patch.object(frames, "stored_rows", wraps=frames.stored_rows) as reads:
        for name in FIGURES:
            assert client.get(figure_url(name, "svg"), {"by": "sex"}).status_code == 200
    assert reads.call_count == 0


def test_it_draws_a_figure_once_per_data_version(client):
    with mock.patch.object(dashboard.figures, "render", wraps=figures.render) as drawn:
        first = client.get(figure_url("grades", "png")).content
        again = client.get(figure_url("grades", "png")).content
    assert drawn.call_count == 1
    assert again == first


def test_it_is_linked_from_the_patient_list(client):
    content = client.get("/studies/HCD19/").content.decode()
    assert f'href="{PAGE}"' in content


def test_it_shows_the_study_as_it_stood_at_a_data_cut_off(client):
    entered = timezone.localdate() - timedelta(days=3)
    age_the_trail(entered)
    before = (entered - timedelta(days=1)).isoformat()

    empty = client.get(PAGE, {"as_of": before}).content.decode()
    assert "Nothing had been entered by" in empty
    assert "No patients in this selection." not in empty
    cut_off = client.get(PAGE, {"as_of": entered.isoformat()})
    assert cut_off.context["form"]["as_of"].value() == entered.isoformat()
    assert "No patients in this selection." not in cut_off.content.decode()


def test_it_refuses_a_data_cut_off_still_to_come(client):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.get(PAGE, {"as_of": tomorrow})
    assert response.status_code == 400
    assert re.search(
        r'id="id_as_of_error">\s*<li>The as-recorded date cannot be after today',
        response.content.decode(),
    )


def test_it_shows_the_demo_study_at_its_clinical_cut_off_by_default(reader):
    # The demo was entered after its cut-off (31 Jul 2021): as recorded on that day there
    # was nothing, but at that clinical cut-off every patient is analysed.
    demo = synthetic_cohort_import(data=synthetic_cohort()).study
    membership_grant(user=reader, study=demo, role=Role.MONITOR)
    client = Client()
    client.force_login(reader)
    page = f"/studies/{demo.code}/dashboard/"

    response = client.get(page)
    content = response.content.decode()
    assert "No patients in this selection." not in content
    assert response.context["key_figures"][0]["value"] == str(demo.patients.count())
    assert response.context["form"]["cutoff"].field.widget.attrs["placeholder"] == "2021-07-31"
    assert "Clinical cut-off: 2021-07-31. Data as recorded on: as it stands." in content
    assert "As recorded on" in content and "Data as of" not in content

    recorded = client.get(page, {"as_of": "2021-07-31"}).content.decode()
    assert "Nothing had been entered by 2021-07-31." in recorded


def test_it_explains_a_cut_off_before_every_infusion(client):
    content = client.get(PAGE, {"cutoff": "2018-01-01"}).content.decode()
    assert "All 19 patients in this selection were first infused after the clinical cut-off" in (
        content
    )
    assert client.get(PAGE, {"cutoff": "none"}).context["key_figures"][0]["value"] == "19"


def test_it_refuses_a_bad_clinical_cut_off_beside_its_field(client):
    response = client.get(PAGE, {"cutoff": "31/07/2021"})
    assert response.status_code == 400
    assert re.search(
        r'id="id_cutoff_error">\s*<li>Enter the date as YYYY-MM-DD, e.g. 2019-10-15, or none '
        r"for no cut-off",
        response.content.decode(),
    )


def tiles(response) -> dict[str, list[str]]:
    return {tile["label"]: tile["details"] for tile in response.context["key_figures"]}


def test_it_says_the_response_tile_counts_the_patients_assessed_at_day_30(client, document):
    # The paper, "Treatment response": 13 of the 19 in CR or CRi at day 30.
    assert tiles(client.get(PAGE))["Day-30 response"][0] == (
        "CR/CRi in 13 of 19 with a day-30 assessment"
    )
    import_with_a_non_responder_not_evaluable(document)
    details = tiles(client.get(PAGE))["Day-30 response"]
    assert details[:2] == [
        "CR/CRi in 13 of 19 with a day-30 assessment",
        "1 of them not evaluable, counted as non-responders",
    ]


def test_it_says_which_grade_the_toxicity_tiles_count(client):
    shown = tiles(client.get(PAGE))
    for label in ("CRS, any grade", "ICANS, any grade"):
        assert shown[label][-1] == (
            "grade as recorded by the site, else computed from the daily assessments (ASTCT)"
        )
    # The paper, Table 2: CRS grade 4 in one patient, none of grade 3 or 5.
    assert shown["CRS, any grade"][1] == "grade ≥ 3 in 1"
    assert shown["Median follow-up"][0].endswith("patients alive at last contact")

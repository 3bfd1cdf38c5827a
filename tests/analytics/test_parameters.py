"""Query parameters of the analytics endpoints: every filter applies, every bad or unknown
value is a 400 naming its parameter, and only a signed-in user may ask."""

import pytest

from analytics.cohort import COVARIATES
from registry.access import membership_grant
from registry.models import Role, Site, Study
from tests.analytics.conftest import STATISTICS
from tests.factories import StudyFactory

pytestmark = pytest.mark.usefixtures("published")


@pytest.fixture
def published(db, published_for_module) -> Study:
    return Study.objects.get(pk=published_for_module.pk)


ENDPOINTS = ["dataset", *STATISTICS]


@pytest.fixture
def another_site(published) -> Site:
    """A site of the study with no patient."""
    return Site.objects.create(study=published, code="ELSEWHERE", name="Another hospital")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_it_answers_a_reader(analytics, endpoint):
    assert analytics(endpoint).status_code == 200


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_it_refuses_someone_signed_out(anonymous_client, endpoint):
    response = anonymous_client.get(f"/api/v1/studies/HCD19/analytics/{endpoint}/")
    assert response.status_code == 401


def test_it_does_not_know_another_study(analytics):
    assert analytics("response", code="NOSUCH").status_code == 404


@pytest.mark.parametrize(
    "filters, count",
    [
        ({"site": "BOREN"}, 19),
        ({"site": "ELSEWHERE"}, 0),
        ({"sex": "female"}, 9),
        ({"age_min": 18}, 11),
        ({"age_max": 17}, 8),
        ({"age_min": 18, "age_max": 30}, 5),
        ({"prior_allo_hct": "true"}, 10),
        ({"prior_cd22_cart": "false"}, 8),
        ({"d30_response": "cri"}, 4),
        ({"d30_response": "none"}, 0),
        ({"vital_status": "dead"}, 6),
        ({"vital_status": "alive"}, 13),
        ({"infused_after": "2020-11-01"}, 4),
        ({"infused_before": "2019-06-30"}, 6),
        ({"search": "P1"}, 10),
        ({"search": "p0 1"}, 1),
        ({"population": "responders"}, 13),
        ({"population": "responders", "prior_allo_hct": "true"}, 4),
    ],
)
def test_it_applies_the_patient_list_filters(analytics, another_site, filters, count):
    # The counts follow from tests/data/hcd19-published-cohort.json.
    assert analytics("dataset", **filters).json()["count"] == count
    assert analytics("response", **filters).json()["n"] == count


@pytest.mark.parametrize(
    "endpoint, name, value",
    [
        ("response", "sex", "other"),
        ("response", "age_min", "ten"),
        ("response", "age_max", "-1"),
        ("response", "prior_allo_hct", "maybe"),
        ("response", "d30_response", "pr"),
        ("response", "vital_status", "unknown"),
        ("response", "infused_after", "2020-13-01"),
        ("response", "population", "everyone"),
        ("survival", "endpoint", "pfs"),
        ("survival", "times", "12,,18"),
        ("survival", "times", "-1"),
        ("survival", "times", "inf"),
        pytest.param("survival", "times", ",".join(["1"] * 41), id="survival-times-41-of-them"),
        ("survival", "landmark", "-3"),
        ("survival", "landmark", "soon"),
        ("cumulative-incidence", "times", "a"),
        ("tables/outcomes", "format", "pdf"),
        ("dataset", "format", "xlsx"),
        ("response", "colour", "blue"),
        ("response", "study", "HCD19"),
        ("follow-up", "by", "sex"),
        ("toxicity", "times", "12"),
    ],
)
def test_it_names_a_bad_or_unknown_parameter(analytics, endpoint, name, value):
    response = analytics(endpoint, **{name: value})
    assert response.status_code == 400
    assert list(response.json()) == [name]


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"cut": "12"}, id="without-a-covariate"),
        pytest.param({"by": "sex", "cut": "12"}, id="of-a-covariate-not-a-number"),
        pytest.param({"by": "age_years"}, id="missing-for-a-numeric-covariate"),
        pytest.param({"by": "age_years", "cut": "nan"}, id="not-finite"),
        pytest.param({"by": "age_years", "cut": "x"}, id="not-a-number"),
    ],
)
def test_it_names_the_cut_where_it_does_not_fit_the_covariate(analytics, params):
    response = analytics("response", **params)
    assert response.status_code == 400
    assert list(response.json()) == ["cut"]


def test_it_lists_the_covariates_for_an_unknown_one(analytics):
    response = analytics("survival", by="shoe_size")
    assert response.status_code == 400
    (message,) = response.json()["by"]
    assert '"shoe_size" is not a covariate' in message
    assert all(covariate in message for covariate in COVARIATES)


def test_it_names_every_bad_parameter_at_once(analytics):
    response = analytics("survival", sex="x", endpoint="y", colour="z")
    assert response.status_code == 400
    assert set(response.json()) == {"sex", "endpoint", "colour"}


def test_it_wants_each_parameter_once(api, published):
    response = api.get("/api/v1/studies/HCD19/analytics/response/?sex=male&sex=female")
    assert response.status_code == 400
    assert response.json() == {"sex": ["Give this parameter once."]}


def test_it_ignores_the_accept_header(api, published):
    response = api.get("/api/v1/studies/HCD19/analytics/response/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "endpoint, params",
    [
        ("response", {"by": "sex"}),
        ("response", {"by": "age_years", "cut": "18"}),
        ("survival", {"by": "hct_after_infusion", "landmark": "3"}),
        ("survival", {"endpoint": "os", "by": "crs_grade"}),
        ("follow-up", {}),
        ("cumulative-incidence", {}),
        ("toxicity", {}),
        ("kinetics", {}),
        ("tables/characteristics", {"format": "xlsx"}),
        ("tables/outcomes", {"format": "csv"}),
        ("dataset", {}),
    ],
)
def test_it_answers_for_a_cohort_with_no_patients(analytics, another_site, endpoint, params):
    response = analytics(endpoint, site="ELSEWHERE", **params)
    assert response.status_code == 200


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_it_refuses_a_site_the_user_does_not_read_naming_those_they_do(
    analytics, another_site, endpoint
):
    response = analytics(endpoint, site="BORNE")
    assert response.status_code == 400
    assert response.json() == {"site": ["No site 'BORNE' among yours: BOREN, ELSEWHERE"]}


def test_it_takes_a_site_only_from_the_study_of_the_address(analytics, reader, another_site):
    other = StudyFactory(code="OTHER")
    Site.objects.create(study=other, code="FAR", name="A hospital of another study")
    membership_grant(user=reader, study=other, role=Role.MONITOR)
    assert analytics("response", code="OTHER", site="FAR").status_code == 200
    response = analytics("response", site="FAR")
    assert response.status_code == 400
    assert response.json() == {"site": ["No site 'FAR' among yours: BOREN, ELSEWHERE"]}


def test_it_answers_for_a_landmark_after_all_follow_up(analytics):
    result = analytics("survival", landmark=100).json()
    assert [group["n"] for group in result["groups"]] == [0]

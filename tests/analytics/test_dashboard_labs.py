"""The dashboard's lab series: the analyte chosen among the analysis choices, its figure
(median and IQR by visit day) and the table of the plotted numbers under it, with the
page's filters and dates."""

import pytest
from django.test import Client

from tests.clients import page_client_of

PAGE = "/studies/HCD19/dashboard/"


@pytest.fixture
def client(reader) -> Client:
    return page_client_of(reader)


@pytest.fixture
def cohort(lab_patient) -> None:
    """Four patients with ANC on day 7 (one in /µL), IL-6 on days 1 and 3 (one below
    detection) and an IL-6 on day 28, after the study's cut-off (day 21)."""
    lab_patient("L01", [(7, "anc", 250.0, "/uL"), (1, "il6", 1200.0, "pg/mL")])
    lab_patient("L02", [(7, "anc", 0.5, "10^9/L"), (1, "il6", 80.0, "pg/mL")], sex="male")
    lab_patient("L03", [(7, "anc", 1.5, "10^9/L"), (1, "il6", 20.0, "pg/mL")])
    lab_patient(
        "L04",
        [
            (7, "anc", 3.1, "10^9/L"),
            (1, "il6", ("<", 3.0), "pg/mL"),
            (3, "il6", 45.0, "pg/mL"),
            (28, "il6", 7.0, "pg/mL"),
        ],
    )


pytestmark = pytest.mark.usefixtures("cohort")


def table(response) -> list[tuple]:
    return [
        (row["day"], row["n"], row["median"], row["iqr"], row["below_detection"])
        for row in response.context["lab_days"]
    ]


def test_it_shows_the_anc_by_day_with_its_table(client):
    response = client.get(PAGE)
    assert response.status_code == 200
    # Day 7, by hand: 0.25 (250/µL), 0.5, 1.5, 3.1 x10^9/L; median (0.5+1.5)/2 = 1; R
    # quantile(c(0.25, 0.5, 1.5, 3.1)): 25% 0.4375 -> 0.438, 75% 1.9.
    assert table(response) == [(7, 4, "1.00", "0.438–1.90", 0)]
    assert response.context["plots"]["labs"]["problem"] is not None  # one day: no line
    content = response.content.decode()
    assert 'id="figure-labs"' in content
    assert "ANC in 10^9/L: 4 values of 4 patients" in content


def test_it_draws_the_analyte_chosen_with_the_page_s_filters(client):
    response = client.get(PAGE, {"analyte": "il6", "sex": "female"})
    # Women (L01, L03, L04). Day 1: 0 (below detection), 20, 1200: median 20, R quantile
    # -> 10, 610. Day 3: 45 alone. Day 28 is after the cut-off.
    assert table(response) == [(1, 3, "20.0", "10.0–610", 1), (3, 1, "45.0", "45.0–45.0", 0)]
    plot = response.context["plots"]["labs"]
    assert plot["problem"] is not None  # one day with 3 patients: too few to draw
    everything = client.get(PAGE, {"analyte": "il6", "cutoff": "none"})
    assert [row[0] for row in table(everything)] == [1, 3, 28]


def test_it_serves_the_figure_for_the_same_query(client, lab_patient):
    lab_patient("L05", [(3, "il6", 60.0, "pg/mL"), (1, "il6", 90.0, "pg/mL")])
    lab_patient("L06", [(3, "il6", 30.0, "pg/mL")])
    response = client.get(PAGE, {"analyte": "IL6"})
    plot = response.context["plots"]["labs"]
    assert plot["problem"] is None
    assert plot["svg"] == f"{PAGE}figures/labs.svg?analyte=IL6"
    svg = client.get(plot["svg"])
    assert svg.status_code == 200
    assert b"IL-6, pg/mL (blood)" in svg.content
    assert b"<svg" in svg.content


def test_it_refuses_an_unknown_analyte_beside_its_field(client):
    response = client.get(PAGE, {"analyte": "il7"})
    assert response.status_code == 400
    assert (
        '"il7" is not an analyte. Allowed: anc (ANC)'
        in response.context["form"].errors["analyte"][0]
    )
    figure = client.get(f"{PAGE}figures/labs.svg", {"analyte": "il7"})
    assert figure.status_code == 400
    assert figure.content.decode().startswith("analyte:")


def test_the_table_downloads_leave_the_analyte_out(client):
    response = client.get(PAGE, {"analyte": "il6", "site": "BOREN"})
    downloads = response.context["tables"][0]["downloads"]
    assert "analyte" not in downloads["csv"]
    assert client.get(downloads["csv"]).status_code == 200

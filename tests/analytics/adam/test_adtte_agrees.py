"""ADTTE agrees with the registry's own statistics on the published cohort and on the
synthetic demonstration study: the
Kaplan–Meier estimate from its OS, EFS and RFS records equals GET .../analytics/survival/,
and the Aalen–Johansen estimates from its CIR and NRM records equal
GET .../analytics/cumulative-incidence/. ADTTE counts days, the endpoints months
(days / 30.4375): compared after converting. The estimates from ADTTE are computed here by
the product-limit and Aalen–Johansen formulas themselves, not by the registry's code."""

import csv
import io
from types import SimpleNamespace

import numpy as np
import pytest
from django.contrib.auth.models import User

from registry.models import Study
from registry.units import MONTH_DAYS
from tests.analytics.adam.conftest import demo_study, published_study
from tests.analytics.adam.estimates import aalen_johansen, product_limit
from tests.conftest import new_owner, read_again


@pytest.fixture(scope="module")
def shared(module_transaction, django_db_blocker) -> SimpleNamespace:
    """The owner and both studies, made once for the module's tests, which only read them."""
    with django_db_blocker.unblock():
        owner = new_owner()
        return SimpleNamespace(owner=owner, published=published_study(), demo=demo_study(owner))


owner = read_again("owner", User)
published = read_again("published", Study)
demo = read_again("demo", Study)


def adtte(client, code: str, **params) -> dict[str, list[dict]]:
    response = client.get(f"/api/v1/studies/{code}/export/adam/ADTTE.csv", params)
    assert response.status_code == 200, response.content
    text = b"".join(response.streaming_content).decode()
    by_parameter: dict[str, list[dict]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        by_parameter.setdefault(row["PARAMCD"], []).append(row)
    return by_parameter


def days_and_kinds(records: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """AVAL and EVNTTYPN: 0 censored, 1 the parameter's event, 2 the competing event."""
    days = np.array([float(row["AVAL"]) for row in records])
    kinds = np.array([int(row["EVNTTYPN"]) for row in records])
    return days, kinds


@pytest.mark.parametrize("code", ["OS", "EFS", "RFS"])
@pytest.mark.parametrize("cutoff", [None, "none", "2020-12-31"])
def test_it_gives_the_survival_endpoints_kaplan_meier(exporter, study_code, code, cutoff):
    dates = {"cutoff": cutoff} if cutoff else {}
    days, kinds = days_and_kinds(adtte(exporter, study_code, **dates)[code])
    answer = exporter.get(
        f"/api/v1/studies/{study_code}/analytics/survival/", {"endpoint": code.lower(), **dates}
    ).json()
    (curve,) = answer["groups"]
    assert curve["n"] == len(days)
    assert curve["events"] == int(np.sum(kinds == 1))
    assert len(curve["curve"]["months"]) > 2
    # The curve steps at the times of events, whole days: rounded back from months.
    for month, survival in zip(curve["curve"]["months"], curve["curve"]["survival"], strict=True):
        assert product_limit(days, kinds == 1, round(month * MONTH_DAYS)) == pytest.approx(
            survival, abs=1e-12
        )
    for estimate in curve["estimates"]:
        if estimate["survival"] is not None:
            expected = product_limit(days, kinds == 1, estimate["month"] * MONTH_DAYS)
            assert expected == pytest.approx(estimate["survival"], abs=1e-12)


@pytest.mark.parametrize("cutoff", [None, "2020-12-31"])
def test_it_gives_the_cumulative_incidence_endpoints_aalen_johansen(exporter, study_code, cutoff):
    dates = {"cutoff": cutoff} if cutoff else {}
    records = adtte(exporter, study_code, **dates)
    answer = exporter.get(
        f"/api/v1/studies/{study_code}/analytics/cumulative-incidence/",
        {"times": "3,6,12,18,24", **dates},
    ).json()
    for code, key in (("CIR", "relapse"), ("NRM", "nrm")):
        days, kinds = days_and_kinds(records[code])
        assert answer["n"] == len(days)
        compared = [point for point in answer[key] if point["incidence"] is not None]
        assert compared
        for point in compared:
            expected = aalen_johansen(days, kinds, point["month"] * MONTH_DAYS)
            assert expected == pytest.approx(point["incidence"], abs=1e-12)


def test_cir_and_nrm_are_each_others_competing_event(exporter, study_code):
    records = adtte(exporter, study_code)
    cir = {row["USUBJID"]: row for row in records["CIR"]}
    nrm = {row["USUBJID"]: row for row in records["NRM"]}
    assert cir.keys() == nrm.keys()
    kinds = {(cir[key]["EVNTTYPN"], nrm[key]["EVNTTYPN"]) for key in cir}
    assert kinds <= {("1", "2"), ("2", "1"), ("0", "0")}
    assert ("1", "2") in kinds
    for key, row in cir.items():
        if row["EVNTTYPN"] == "2":
            assert row["CNSR"] == "3"
            assert nrm[key]["CNSR"] == "0"

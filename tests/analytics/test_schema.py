"""The analytics endpoints in the OpenAPI schema: parameters, answers and downloads."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from analytics.params import FILTERS


@pytest.fixture(scope="module")
def paths() -> dict:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {path: item["get"] for path, item in schema["paths"].items() if "/analytics/" in path}


def parameters(operation: dict) -> dict:
    return {parameter["name"]: parameter for parameter in operation["parameters"]}


def test_it_documents_every_endpoint(paths):
    assert sorted(path.split("/analytics/")[1] for path in paths) == [
        "biomarkers/",
        "biomarkers/series/",
        "cumulative-incidence/",
        "dataset/",
        "follow-up/",
        "kinetics/",
        "response/",
        "survival/",
        "tables/characteristics/",
        "tables/outcomes/",
        "toxicity/",
    ]
    for operation in paths.values():
        assert operation["summary"]
        assert {"200", "400"} <= set(operation["responses"])
        assert all(parameter.get("description") for parameter in operation["parameters"])


def test_it_documents_the_filters_and_the_population(paths):
    for operation in paths.values():
        assert {"code", "population", *FILTERS} <= set(parameters(operation))


def test_it_documents_each_endpoint_s_own_parameters(paths):
    survival = parameters(paths["/api/v1/studies/{code}/analytics/survival/"])
    assert {"endpoint", "by", "cut", "times", "landmark"} <= set(survival)
    assert survival["endpoint"]["schema"]["enum"] == ["efs", "os", "rfs", "bca"]
    response = parameters(paths["/api/v1/studies/{code}/analytics/response/"])
    assert "age_years" in response["by"]["schema"]["enum"]


def test_it_documents_the_downloads(paths):
    table = paths["/api/v1/studies/{code}/analytics/tables/outcomes/"]["responses"]["200"]
    assert {
        "application/json",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    } <= set(table["content"])
    dataset = paths["/api/v1/studies/{code}/analytics/dataset/"]["responses"]["200"]
    assert {"application/json", "text/csv"} <= set(dataset["content"])


def test_it_documents_the_lab_columns_of_the_dataset():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    described = schema["components"]["schemas"]["Dataset"]["properties"]["results"]
    for column in ("icaht_early_grade", "bca_duration_days", "il6_peak_pg_ml", "crp_fold_change"):
        assert column in described["description"]


def test_it_documents_the_cytokine_peak_table(paths):
    biomarkers = paths["/api/v1/studies/{code}/analytics/biomarkers/"]
    assert "CRS grade" in biomarkers["summary"]
    assert "rank-sum" in biomarkers["description"]

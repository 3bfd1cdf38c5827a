"""Large analytics answers are kept gzip-compressed (analytics.exports.packed) and sent so
to clients that accept gzip; any other client gets them as written."""

import gzip
import json

import pytest

from analytics import exports

pytestmark = pytest.mark.usefixtures("published")


@pytest.fixture
def ask(api):
    """GET an analytics endpoint of HCD19, as a client that accepts gzip when `accepts_gzip`."""

    def get(path: str, /, accepts_gzip: bool = False, **params):
        headers = {"Accept-Encoding": "gzip, deflate, br"} if accepts_gzip else {}
        return api.get(f"/api/v1/studies/HCD19/analytics/{path}/", params, headers=headers)

    return get


@pytest.fixture
def small_limit(monkeypatch):
    """Answers over 2 kB count as large: the published cohort's dataset is some 50 kB."""
    monkeypatch.setattr(exports, "COMPRESS_OVER", 2_000)


def test_a_large_answer_goes_compressed_to_a_client_that_accepts_gzip(ask, small_limit):
    plain = ask("dataset")
    compressed = ask("dataset", accepts_gzip=True)

    assert compressed.status_code == 200
    assert compressed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed["Vary"]
    assert len(compressed.content) < len(plain.content) / 3
    assert gzip.decompress(compressed.content) == plain.content


def test_any_other_client_gets_it_as_written(ask, small_limit):
    ask("dataset", accepts_gzip=True)  # kept compressed

    response = ask("dataset")

    assert not response.has_header("Content-Encoding")
    assert "Accept-Encoding" in response["Vary"]
    assert response.json()["count"] == len(response.json()["results"]) > 0


def test_a_large_statistic_is_compressed_too(ask, small_limit):
    plain = ask("kinetics").json()

    compressed = ask("kinetics", accepts_gzip=True)

    assert compressed["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(compressed.content)) == plain


def test_a_compressed_download_keeps_its_file_name(ask, small_limit):
    response = ask("dataset", format="csv", accepts_gzip=True)

    assert response["Content-Encoding"] == "gzip"
    assert response["Content-Disposition"] == 'attachment; filename="HCD19-dataset.csv"'
    assert gzip.decompress(response.content).decode().startswith("study_id,site,")


def test_a_small_answer_is_never_compressed(ask):
    response = ask("response", accepts_gzip=True)

    assert response.status_code == 200
    assert not response.has_header("Content-Encoding")
    assert response.json()["n"] > 0

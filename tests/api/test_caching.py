"""Cached patient answers (registry.api.caching): a repeated read is served from the cache,
and every write, whichever way it is made, and every change of role shows on the next read."""

import json
from datetime import date
from pathlib import Path

import pytest
from django.core.cache import cache

from registry import data_version, services
from registry.access import membership_grant, membership_revoke
from registry.api import caching, filters
from registry.api.views.patients import PatientViewSet
from registry.jsontext import JSONRenderer
from registry.models import Patient, Role
from tests import factories
from tests.api.conftest import full_course
from tests.clients import api_client_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]

URL = "/api/v1/patients/"
PUBLISHED = Path(__file__).parent.parent / "data" / "hcd19-published-cohort.json"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def listed(client, **params) -> list[str]:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return [patient["study_id"] for patient in response.json()["results"]]


def detail(client, patient) -> dict:
    response = client.get(f"{URL}{patient.pk}/")
    assert response.status_code == 200, response.content
    return response.json()


def at_pumc(**fields):
    site = factories.SiteFactory(code="PUMC", name="Peking Union Medical College Hospital")
    return factories.PatientFactory(site=site, **fields)


def import_cohort(client, document: dict) -> None:
    response = client.post("/api/v1/studies/import/", document, format="json")
    assert response.status_code == 200, response.content


def test_it_serves_a_repeated_page_from_the_cache(reader_client, django_assert_num_queries):
    full_course()
    first = reader_client.get(URL).json()
    # The sites the reader reads, the data version of the parts the page reads and the
    # versions of its patients: nothing serialised.
    with django_assert_num_queries(3):
        assert reader_client.get(URL).json() == first


def test_it_serves_a_repeated_detail_from_the_cache_with_its_etag(
    reader_client, django_assert_num_queries
):
    patient = full_course()
    first = reader_client.get(f"{URL}{patient.pk}/")
    with django_assert_num_queries(1):  # the patient's version, which checks access too
        second = reader_client.get(f"{URL}{patient.pk}/")
    assert second.json() == first.json()
    assert second["ETag"] == first["ETag"] == f'W/"patient-{patient.pk}-1"'


def test_a_page_and_the_details_keep_each_patient_s_answer_once(reader_client):
    patients = [full_course(), factories.PatientFactory(), full_course(sex="male")]
    rows = {row["id"]: row for row in reader_client.get(URL).json()["results"]}
    for patient in patients:
        # The detail kept by the page, and DRF's own detail (with a parameter, not cached).
        assert detail(reader_client, patient) == rows[patient.pk]
        own = reader_client.get(f"{URL}{patient.pk}/", {"format": "json"}).json()
        assert own == rows[patient.pk]


def test_it_makes_a_page_anew_from_its_patients_kept_details(
    editor, reader_client, django_assert_num_queries
):
    on_page, elsewhere = full_course(), full_course()
    first = reader_client.get(URL, {"page_size": 1}).json()
    elsewhere.sex = "male"
    services.record_save(record=elsewhere, user=editor, reason="Corrected", version=1)
    # The key (the sites read, the data version), the count and the page's ids, and the
    # versions of its patient: the detail kept is read back, nothing is serialised.
    with django_assert_num_queries(5):
        again = reader_client.get(URL, {"page_size": 1}).json()
    assert again == first

    on_page.sex = "male"
    services.record_save(record=on_page, user=editor, reason="Corrected", version=1)
    assert reader_client.get(URL, {"page_size": 1}).json()["results"][0]["sex"] == "male"


def test_it_makes_a_kept_page_again_when_a_detail_has_gone_from_the_cache(reader, reader_client):
    kept, evicted = full_course(), full_course(sex="male")
    first = reader_client.get(URL).json()
    cache.delete(caching.detail_key(caching.patient_version(reader, evicted.pk)))
    assert reader_client.get(URL).json() == first
    assert detail(reader_client, evicted) == first["results"][1]
    assert first["results"][0]["id"] == kept.pk


def test_it_keeps_the_count_of_a_list_filtered_by_the_patients_own_rows(
    editor_client, reader_client, django_assert_num_queries
):
    patient, on_page_2 = full_course(), full_course()
    first = reader_client.get(URL, {"sex": "female", "page_size": 1}).json()
    assert first["count"] == 2
    count = f"{URL}{on_page_2.pk}/car-t-counts/"
    added = editor_client.post(count, {"day": 21, "cells_per_ul": 12.5}, format="json")
    assert added.status_code == 201, added.content
    # The key (the sites read, the version of the parts the filter reads) and the versions
    # of the page's patients: a write to a section the filter does not read leaves the page
    # and its count.
    with django_assert_num_queries(3):
        assert reader_client.get(URL, {"sex": "female", "page_size": 1}).json() == first
    second = reader_client.get(URL, {"sex": "female", "page_size": 1, "page": 2}).json()
    assert len(second["results"][0]["car_t_counts"]) == 3

    factories.PatientFactory()
    assert reader_client.get(URL, {"sex": "female", "page_size": 1}).json()["count"] == 3
    assert editor_client.delete(f"{URL}{patient.pk}/").status_code == 204
    assert reader_client.get(URL, {"sex": "female", "page_size": 1}).json()["count"] == 2


def test_a_page_outlasts_a_write_to_a_section_its_filter_does_not_read(
    editor_client, reader_client, django_assert_num_queries
):
    full_course(), full_course()
    query = {"d30_response": "cr", "page_size": 1}
    first = reader_client.get(URL, query).json()
    on_page_2 = reader_client.get(URL, query | {"page": 2}).json()["results"][0]["id"]
    added = editor_client.post(
        f"{URL}{on_page_2}/daily-assessments/", {"day": 2, "temperature_c": 38.5}, format="json"
    )
    assert added.status_code == 201, added.content
    # The key (the sites read, the version of the parts the filter reads) and the versions
    # of the page's patients: neither the page's ids nor its count are looked up again.
    with django_assert_num_queries(3):
        assert reader_client.get(URL, query).json() == first
    shown = reader_client.get(URL, query | {"page": 2}).json()["results"][0]
    assert [day["day"] for day in shown["daily_assessments"]] == [1, 2]


def test_it_counts_again_a_list_filtered_by_the_course_after_a_write_to_it(
    editor_client, reader_client
):
    assessment = factories.ResponseAssessmentFactory(day=28)
    factories.PatientFactory()
    assert reader_client.get(URL, {"d30_response": "cr"}).json()["count"] == 1
    changed = editor_client.patch(
        f"/api/v1/response-assessments/{assessment.pk}/",
        {"status": "nr", "mrd": "positive", "mrd_level": 0.01},
        format="json",
        HTTP_X_CHANGE_REASON="Corrected",
    )
    assert changed.status_code == 200, changed.content
    assert reader_client.get(URL, {"d30_response": "cr"}).json()["count"] == 0
    assert reader_client.get(URL, {"d30_response": "nr"}).json()["count"] == 1


def test_it_answers_a_query_string_again_from_the_cache_unchecked(
    reader_client, django_assert_num_queries
):
    factories.PatientFactory(sex="female")
    first = reader_client.get(URL, {"sex": "female", "page": "1", "study": "HCD19"}).json()
    # Only the key (the sites read, the latest change) and the versions of the page's
    # patients are read: the filters checked the query when the page was filed, so the
    # study's code is not looked up again.
    with django_assert_num_queries(3):
        again = reader_client.get(URL, {"study": "HCD19", "page": "1", "sex": "female"})
    assert again.json() == first
    assert listed(reader_client, sex="male") == []


def test_it_files_nothing_for_a_query_the_filters_refuse(reader_client):
    factories.PatientFactory()
    for _ in range(2):
        response = reader_client.get(URL, {"sex": "unknown"})
        assert response.status_code == 400
        assert "sex" in response.json()


def test_it_sends_the_json_its_renderer_writes(reader_client):
    patient = full_course()
    factories.PatientFactory()
    detail(reader_client, patient)
    cached = reader_client.get(f"/api/v1/patients/{patient.pk}/")
    # With a parameter, the detail is DRF's own answer (by registry.jsontext.JSONRenderer), not
    # cached.
    rendered = reader_client.get(f"/api/v1/patients/{patient.pk}/", {"format": "json"})
    assert cached.content == rendered.content
    assert cached["Content-Type"] == rendered["Content-Type"] == "application/json"
    for _ in range(2):
        page = reader_client.get(URL, {"page_size": 1, "page": 2})
        body = page.json()
        assert list(body) == ["count", "next", "previous", "results"]
        assert page.content == JSONRenderer().render(body)


def test_it_renders_a_cached_answer_as_asked(reader_client):
    patient = factories.PatientFactory()
    detail(reader_client, patient)
    indented = reader_client.get(
        f"/api/v1/patients/{patient.pk}/", HTTP_ACCEPT="application/json; indent=2"
    )
    assert indented.content.startswith(b'{\n  "')
    browsable = reader_client.get(f"/api/v1/patients/{patient.pk}/", HTTP_ACCEPT="text/html")
    assert browsable["Content-Type"].startswith("text/html")
    assert patient.subject_id in browsable.content.decode()


def test_it_links_a_cached_page_to_the_address_asked_for(reader_client):
    for _ in range(3):
        factories.PatientFactory()
    reader_client.get(URL, {"page_size": 2})
    body = reader_client.get(URL, {"page_size": 2, "sex": ""}).json()
    assert body["count"] == 3
    assert body["next"] == "http://testserver/api/v1/patients/?page=2&page_size=2&sex="


def test_it_shows_a_section_changed_through_the_api(editor_client, reader_client):
    patient = full_course()
    infusion = patient.infusions.get()
    assert detail(reader_client, patient)["infusions"][0]["lot"] == "L-0001"
    reader_client.get(URL)
    response = editor_client.patch(
        f"/api/v1/infusions/{infusion.pk}/", {"lot": "L-2"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert detail(reader_client, patient)["infusions"][0]["lot"] == "L-2"
    assert reader_client.get(URL).json()["results"][0]["infusions"][0]["lot"] == "L-2"


def test_it_shows_a_section_added_and_deleted_through_the_api(editor_client, reader_client):
    patient = full_course()
    assert len(detail(reader_client, patient)["car_t_counts"]) == 2
    counts = f"{URL}{patient.pk}/car-t-counts/"
    added = editor_client.post(counts, {"day": 21, "cells_per_ul": 12.5}, format="json")
    assert added.status_code == 201, added.content
    assert len(detail(reader_client, patient)["car_t_counts"]) == 3
    assert editor_client.delete(f"/api/v1/car-t-counts/{added.json()['id']}/").status_code == 204
    assert len(detail(reader_client, patient)["car_t_counts"]) == 2


def test_it_shows_a_change_saved_by_the_pages_and_the_admin(editor, reader_client):
    # The clinicians' pages and the admin save through registry.services.
    patient = full_course()
    first = reader_client.get(f"{URL}{patient.pk}/")
    reader_client.get(URL, {"sex": "male"})
    patient.sex = "male"
    services.record_save(record=patient, user=editor, reason="Corrected", version=1)
    again = reader_client.get(f"{URL}{patient.pk}/")
    assert again.json()["sex"] == "male"
    assert again["ETag"] != first["ETag"]
    assert listed(reader_client, sex="male") == [patient.subject_id]


def test_it_forgets_a_deleted_patient(editor_client, reader_client):
    kept, deleted = factories.PatientFactory(), full_course()
    assert listed(reader_client) == [kept.subject_id, deleted.subject_id]
    detail(reader_client, deleted)
    assert editor_client.delete(f"{URL}{deleted.pk}/").status_code == 204
    assert listed(reader_client) == [kept.subject_id]
    assert reader_client.get(f"{URL}{deleted.pk}/").status_code == 404


def test_it_shows_an_imported_cohort(editor_client, reader_client):
    document = json.loads(PUBLISHED.read_text())
    assert listed(reader_client) == []
    import_cohort(editor_client, document)
    assert reader_client.get(URL).json()["count"] == 19
    first = document["patients"][0]
    patient_url = f"{URL}?search={first['study_id']}"
    assert reader_client.get(patient_url).json()["results"][0]["sex"] == first["sex"]

    first["sex"] = "female" if first["sex"] == "male" else "male"
    import_cohort(editor_client, document)  # in place: the same patients, no signals sent
    assert reader_client.get(patient_url).json()["results"][0]["sex"] == first["sex"]


def test_it_shows_a_site_renamed(reader_client):
    patient = factories.PatientFactory()
    assert detail(reader_client, patient)["site"] == "BOREN"
    reader_client.get(URL)
    patient.site.code = "BOREN2"
    patient.site.save()
    assert detail(reader_client, patient)["site"] == "BOREN2"
    assert reader_client.get(URL).json()["results"][0]["site"] == "BOREN2"


def test_a_clinician_never_gets_another_site_s_cached_answers(editor_client, neighbour):
    home, theirs = factories.PatientFactory(), at_pumc()
    assert listed(editor_client) == [home.subject_id, theirs.subject_id]
    detail(editor_client, home)
    clinician = api_client_of(neighbour)
    assert listed(clinician) == [theirs.subject_id]
    assert clinician.get(f"{URL}{home.pk}/").status_code == 404


def test_an_outsider_never_gets_the_study_s_cached_answers(reader_client, outsider):
    patient = factories.PatientFactory()
    assert listed(reader_client) == [patient.subject_id]
    detail(reader_client, patient)
    client = api_client_of(outsider)
    assert listed(client) == []
    assert client.get(f"{URL}{patient.pk}/").status_code == 404


def test_a_role_granted_or_revoked_shows_on_the_next_read(roles, neighbour):
    home, theirs = factories.PatientFactory(), at_pumc()
    clinician = api_client_of(neighbour)
    assert listed(clinician) == [theirs.subject_id]

    membership_grant(user=neighbour, study=roles, role=Role.CLINICIAN, sites=roles.sites.all())
    assert listed(clinician) == [home.subject_id, theirs.subject_id]
    assert detail(clinician, home)["study_id"] == home.subject_id

    membership_revoke(user=neighbour, study=roles, sites=[home.site])
    assert listed(clinician) == [theirs.subject_id]
    assert clinician.get(f"{URL}{home.pk}/").status_code == 404

    membership_revoke(user=neighbour, study=roles)
    assert listed(clinician) == []
    assert clinician.get(f"{URL}{theirs.pk}/").status_code == 404


def test_it_replaces_the_data_token_once_a_write_commits(roles, django_capture_on_commit_callbacks):
    before = data_version.data_token(roles.pk)
    with django_capture_on_commit_callbacks() as callbacks:
        factories.PatientFactory(study=roles, site__study=roles)
        # Not before the commit: a read now would file the old data under a new token.
        assert data_version.data_token(roles.pk) == before
    assert callbacks
    for callback in callbacks:
        callback()
    assert data_version.data_token(roles.pk) != before


def test_a_write_to_another_study_leaves_the_study_s_token(
    roles, django_capture_on_commit_callbacks
):
    other = factories.StudyFactory(code="OTHER")
    patient = factories.PatientFactory(study=other, site__study=other)
    before = data_version.data_token(roles.pk)
    with django_capture_on_commit_callbacks(execute=True):
        factories.DailyAssessmentFactory(patient=patient, day=2)
        patient.sex = "male"
        services.record_save(record=patient, user=None, reason="Corrected")
    assert data_version.data_token(other.pk) != before
    assert data_version.data_token(roles.pk) == before


def test_a_write_to_another_study_leaves_its_cached_pages(
    roles, reader_client, django_assert_num_queries, django_capture_on_commit_callbacks
):
    full_course()
    other = factories.StudyFactory(code="OTHER")
    patient = factories.PatientFactory(study=other, site__study=other)
    first = reader_client.get(URL).json()
    with django_capture_on_commit_callbacks(execute=True):
        factories.DailyAssessmentFactory(patient=patient, day=2)
    # The sites the reader reads, the data version of their study's parts the page reads
    # and the versions of its patients: nothing serialised.
    with django_assert_num_queries(3):
        assert reader_client.get(URL).json() == first


def test_a_page_of_two_studies_shows_a_write_to_either(
    roles, reader, reader_client, django_capture_on_commit_callbacks
):
    other = factories.StudyFactory(code="OTHER")
    membership_grant(user=reader, study=other, role=Role.MONITOR)
    ours = factories.PatientFactory(subject_id="OURS-01")
    theirs = factories.PatientFactory(study=other, site__study=other, subject_id="THEIRS-01")
    assert sorted(listed(reader_client)) == ["OURS-01", "THEIRS-01"]
    for patient, sex in [(theirs, "male"), (ours, "female")]:
        with django_capture_on_commit_callbacks(execute=True):
            patient.sex = sex
            patient.save()
        rows = reader_client.get(URL).json()["results"]
        assert {row["study_id"]: row["sex"] for row in rows}[patient.subject_id] == sex


def test_a_patient_moved_to_another_study_leaves_the_list_of_the_first(
    roles, reader, django_capture_on_commit_callbacks
):
    patient = factories.PatientFactory(subject_id="MOVED-01")
    client = api_client_of(reader)
    assert listed(client) == ["MOVED-01"]
    other = factories.StudyFactory(code="OTHER")
    before = data_version.data_token(roles.pk)
    with django_capture_on_commit_callbacks(execute=True):
        patient.study, patient.site = other, factories.SiteFactory(study=other, code="ELSE")
        patient.save()
    assert data_version.data_token(roles.pk) != before
    assert listed(client) == []


def test_it_answers_404_for_a_patient_id_that_is_not_a_number(reader_client):
    assert reader_client.get(f"{URL}abc/").status_code == 404


@pytest.mark.parametrize("pk", ["9223372036854775808", "99999999999999999999", "00", "-1"])
def test_it_answers_404_for_a_patient_id_no_patient_can_have(reader_client, pk):
    # Past the id column's range: PostgreSQL would refuse the number, not find no row.
    assert reader_client.get(f"{URL}{pk}/").status_code == 404


def test_it_knows_what_each_filter_of_the_list_reads():
    # Every filter is there; those that read only the patient's row read its own columns
    # (or the codes of its study and site, whose renaming changes every key).
    named = set(filters.PatientFilterSet.base_filters) - caching.PAGING
    assert named == caching.FILTERS_READ.keys() - {"search"}
    for name, read in caching.FILTERS_READ.items():
        if read or name == "search":
            continue
        kept = filters.PatientFilterSet.base_filters[name]
        assert kept.method is None, name
        assert Patient._meta.get_field(kept.field_name.split("__")[0]).concrete, name
    assert PatientViewSet.search_fields == ["subject_id"]


@pytest.mark.parametrize(
    ("query", "write"),
    [
        ({"prior_allo_hct": "true"}, "prior-therapies"),
        ({"vital_status": "dead"}, "events"),
        ({"infused_after": "2020-01-01"}, "infusions"),
        ({"age_min": "25"}, "infusions"),  # 24 at enrolment, 25 at the infusion
        ({"d30_response": "cr"}, "response-assessments"),
    ],
)
def test_it_counts_again_after_a_write_to_a_section_the_filter_reads(
    editor_client, reader_client, query, write
):
    patient = factories.PatientFactory(
        birth_date=date(1995, 1, 1), enrollment_date=date(2019, 12, 1)
    )
    factories.LymphodepletionFactory(patient=patient)
    before = reader_client.get(URL, query).json()["count"]
    added = editor_client.post(f"{URL}{patient.pk}/{write}/", SECTION_RECORDS[write], format="json")
    assert added.status_code == 201, added.content
    assert reader_client.get(URL, query).json()["count"] == before + 1


SECTION_RECORDS = {
    "prior-therapies": {"kind": "allo_hct", "date": "2019-06-01"},
    "events": {"kind": "death", "date": "2020-09-01", "cause": "disease"},
    "infusions": {
        "date": "2020-01-15",
        "product": "humanized_cd19",
        "weight_kg": 60.0,
        "cells_per_kg": 240000,
    },
    "response-assessments": {"day": 28, "status": "cr", "bm_blast_pct": 0.5, "mrd": "negative"},
}

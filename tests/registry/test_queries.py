"""registry.queries: who opens, answers and closes a data query, on which field, in which
order."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from registry.models import DataQuery
from registry.queries import query_answer, query_close, query_field_problem, query_open
from tests import factories
from tests.conftest import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient():
    return factories.PatientFactory()


@pytest.fixture
def query(patient, teammate):
    return factories.DataQueryFactory(patient=patient, raised_by=teammate)


def opened(patient, user, field="infusions[0].cells_per_kg") -> DataQuery:
    return query_open(patient=patient, field=field, question="Dose above the ceiling?", user=user)


@pytest.mark.parametrize(
    "field",
    [
        "last_contact_date",
        "sex",
        "eligibility.ecog",
        "infusions[0].cells_per_kg",
        "response_assessments[2].mrd",
        "toxicities.crs_max_grade",
        "labs[3].value",
    ],
)
def test_it_accepts_a_place_in_the_course(field):
    assert query_field_problem(field) is None


@pytest.mark.parametrize(
    ("field", "named"),
    [
        ("", "Name the field"),
        ("weight", "no field “weight”"),
        ("subject_id", "no field “subject_id”"),
        ("infusions.cells_per_kg", "infusions[0].cells_per_kg"),
        ("eligibility[0].ecog", "single record"),
        ("infusions[0].dose", "infusions has no field “dose”"),
        ("transplants[0].date", "no section “transplants”"),
        ("infusions[0]", "no field “infusions[0]”"),
        ("Infusions[0].cells_per_kg", "not a place in the course"),
        ("infusions[-1].cells_per_kg", "not a place in the course"),
    ],
)
def test_it_names_what_is_wrong_with_a_field(field, named):
    assert named in query_field_problem(field)


@pytest.mark.parametrize("role", ["teammate", "owner", "admin_user"])
def test_it_lets_monitors_coordinators_and_superusers_open(request, patient, role):
    user = request.getfixturevalue(role)

    query = opened(patient, user)

    assert (query.status, query.raised_by, query.field) == ("open", user, query.field)


def test_it_lets_a_study_admin_open(patient):
    study_admin = user_with_role("study-admin", "admin", patient.site)

    assert opened(patient, study_admin).status == DataQuery.Status.OPEN


@pytest.mark.parametrize("role", ["neighbour", "outsider"])
def test_it_refuses_an_opener_without_a_monitoring_role(request, patient, role):
    with pytest.raises(PermissionDenied, match="monitors, coordinators and administrators"):
        opened(patient, request.getfixturevalue(role))


def test_it_refuses_the_patients_own_clinician_to_open(patient):
    clinician = user_with_role("clinician", "clinician", patient.site, at_site=True)

    with pytest.raises(PermissionDenied):
        opened(patient, clinician)


def test_it_refuses_an_unknown_field_naming_it(patient, teammate):
    with pytest.raises(ValidationError) as refused:
        opened(patient, teammate, field="infusions[0].dose")

    assert "dose" in refused.value.message_dict["field"][0]
    assert not DataQuery.objects.exists()


def test_it_requires_a_question(patient, teammate):
    with pytest.raises(ValidationError) as refused:
        query_open(patient=patient, field="sex", question="  ", user=teammate)

    assert "question" in refused.value.message_dict


def test_it_lets_an_editor_answer(query, owner):
    query_answer(query=query, answer="Corrected from the pharmacy record", user=owner)

    query.refresh_from_db()
    assert query.status == DataQuery.Status.ANSWERED
    assert (query.answer, query.answered_by) == ("Corrected from the pharmacy record", owner)
    assert query.answered_at is not None


def test_it_refuses_a_monitor_to_answer(query, teammate):
    with pytest.raises(PermissionDenied, match="enter this patient's data"):
        query_answer(query=query, answer="Fine", user=teammate)


def test_it_refuses_a_clinician_of_another_site_to_answer(query, neighbour):
    with pytest.raises(PermissionDenied):
        query_answer(query=query, answer="Fine", user=neighbour)


def test_it_requires_an_answer(query, owner):
    with pytest.raises(ValidationError) as refused:
        query_answer(query=query, answer=" ", user=owner)

    assert "answer" in refused.value.message_dict


@pytest.mark.parametrize("status", ["answered", "closed"])
def test_it_answers_only_an_open_query(query, owner, status):
    query.status = status
    query.save()

    with pytest.raises(ValidationError, match="only an open query is answered"):
        query_answer(query=query, answer="Fine", user=owner)


@pytest.mark.parametrize("status", ["open", "answered"])
def test_it_closes_an_open_or_answered_query(query, teammate, status):
    query.status = status
    query.save()

    query_close(query=query, user=teammate)

    query.refresh_from_db()
    assert (query.status, query.closed_by) == ("closed", teammate)
    assert query.closed_at is not None


def test_it_does_not_close_a_closed_query_again(query, teammate):
    query_close(query=query, user=teammate)

    with pytest.raises(ValidationError, match="closed already"):
        query_close(query=query, user=teammate)


def test_it_refuses_a_clinician_to_close(query, neighbour):
    with pytest.raises(PermissionDenied):
        query_close(query=query, user=neighbour)


def test_it_refuses_a_question_longer_than_the_limit(patient, teammate):
    with pytest.raises(ValidationError) as refused:
        query_open(patient=patient, field="sex", question="?" * 5001, user=teammate)

    assert refused.value.message_dict["question"] == [
        "The question has at most 5,000 characters (it has 5001); refer to a document rather "
        "than pasting it"
    ]
    assert not DataQuery.objects.exists()


def test_it_takes_a_question_at_the_limit(patient, teammate):
    query = query_open(patient=patient, field="sex", question="?" * 5000, user=teammate)

    assert len(query.question) == 5000


def test_it_refuses_an_answer_longer_than_the_limit(query, owner):
    with pytest.raises(ValidationError) as refused:
        query_answer(query=query, answer="x" * 5001, user=owner)

    assert "The answer has at most 5,000 characters" in refused.value.message_dict["answer"][0]
    query.refresh_from_db()
    assert (query.status, query.answer) == (DataQuery.Status.OPEN, "")


def test_it_refuses_an_answer_holding_nul(query, owner):
    with pytest.raises(ValidationError) as refused:
        query_answer(query=query, answer="Checked\x00", user=owner)

    assert "answer" in refused.value.message_dict
    query.refresh_from_db()
    assert query.status == DataQuery.Status.OPEN

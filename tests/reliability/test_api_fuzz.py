"""Schemathesis over the whole OpenAPI schema, against a live server, as the study's
coordinator (the role that reads, changes, imports and exports everything in it).

Every operation in /api/v1/schema/ gets EXAMPLES requests generated from the schema
(positive data: what the schema says is valid), most of them aimed at one seeded patient's
full course (id 1 of every kind of record) and the rest at any id. Every answer must be no
server error and have the documented content type, headers and body: the schema lists the
error answers of every operation (registry.api.schema), so a 400 or a 404 is judged as a 200
is. Deletions go last, so that the other operations still find the seeded records, and
the revocation of the run's token last of all.
Hypothesis is derandomized: every run sends the same requests; run with -s for the figures.
"""

import re
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)

from tests.api.conftest import full_course

EXAMPLES = 12
CHECKS = [
    not_a_server_error,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
SEEDED = {"patient_pk": 1, "id": 1, "code": "HCD19", "name": "ADSL", "file_format": "csv"}


def requests_for(operation):
    """Mostly the seeded records, sometimes any id the schema allows."""
    names = re.findall(r"{(\w+)}", operation.path)
    anything = operation.as_strategy()
    if not names:
        return anything
    seeded = operation.as_strategy(path_parameters={name: SEEDED[name] for name in names})
    return st.one_of(anything, seeded, seeded, seeded)


def deletions_last(operation) -> tuple[bool, bool, bool]:
    delete = operation.method.upper() == "DELETE"
    # Revoking the token goes last of all: every request after it answers 401.
    revoke = delete and operation.path == "/api/v1/auth/token/"
    return revoke, delete, operation.path == "/api/v1/patients/{id}/"


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_no_server_error_and_no_answer_off_the_schema(live_server, owner):
    full_course(subject_id="P001")
    _instance, token = AuthToken.objects.create(user=owner)
    # The coordinator may read and change every record; a change must give its reason.
    headers = {"Authorization": f"Token {token}", "X-Change-Reason": "Schemathesis run"}
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/schema/", headers=headers)
    operations = sorted((result.ok() for result in schema.get_all_operations()), key=deletions_last)
    statuses, answered, failures = Counter(), set(), {}

    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=requests_for(operation))
        def send(case):
            response = case.call_and_validate(
                base_url=live_server.url, headers=headers, checks=CHECKS
            )
            statuses[response.status_code] += 1
            if response.status_code < 300:
                answered.add(case.operation.label)

        try:
            send()
        except (AssertionError, BaseExceptionGroup) as failure:
            failures[operation.label] = str(failure)

    print(
        f"schemathesis: {len(operations)} operations, {statuses.total()} requests "
        f"({dict(sorted(statuses.items()))}), {len(failures)} operations failing"
    )
    assert len(operations) > 70
    # Most operations answered with data at least once: the token and the seeded ids worked.
    assert len(answered) > len(operations) / 2, statuses
    assert failures == {}, "\n\n".join(f"{label}\n{text}" for label, text in failures.items())

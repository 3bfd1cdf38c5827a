"""A patient deleted while one of its sections is changed or deleted: one waits for the
other, neither is a server error (a deadlock in PostgreSQL)."""

import threading

import pytest
import requests

from tests import factories
from tests.api.conftest import full_course
from tests.api.test_concurrent_patch import token_of, writers_wait_for_each_other

ROUNDS = 15


def send_together(token: str, requests_: list[tuple[str, str, dict | None]]) -> list[int]:
    start, statuses = threading.Barrier(len(requests_)), [0] * len(requests_)

    def send(index: int, method: str, url: str, body: dict | None) -> None:
        headers = {"Authorization": f"Token {token}", "X-Change-Reason": "Entered twice"}
        with requests.Session() as session:
            start.wait()
            answer = session.request(method, url, json=body, headers=headers, timeout=30)
            statuses[index] = answer.status_code

    threads = [
        threading.Thread(target=send, args=(i, *request)) for i, request in enumerate(requests_)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@writers_wait_for_each_other
@pytest.mark.django_db(transaction=True)
def test_a_patient_and_its_section_written_at_once_never_deadlock(live_server, owner):
    token = token_of(live_server, "owner")
    for round_ in range(ROUNDS):
        patient = full_course(factories.PatientFactory(subject_id=f"D{round_:02d}"))
        base = f"{live_server.url}/api/v1/patients/{patient.pk}"
        statuses = send_together(
            token,
            [
                ("DELETE", f"{base}/eligibility/", None),
                ("PATCH", f"{base}/toxicities/", {"tocilizumab": False}),
                ("DELETE", f"{base}/", None),
            ],
        )

        assert 500 not in statuses, f"round {round_}: {statuses}"

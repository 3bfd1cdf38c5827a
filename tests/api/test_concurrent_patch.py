"""Two PATCH requests at once, without If-Match, each changing its own field: both kept.

Real HTTP against a live server, so that each request has its own thread and database
connection, as under gunicorn.
"""

import threading

import pytest
import requests
from django.db import connection

from registry import models
from tests import factories
from tests.conftest import PASSWORD

ROUNDS = 10
# For the tests of writers at once: each must wait for the other, as a database on disk makes
# them do.
writers_wait_for_each_other = pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite's test database is in memory with a shared cache, where a second writer "
    "fails at once instead of waiting; the file database's IMMEDIATE transactions queue them",
)


def token_of(live_server, username: str) -> str:
    answer = requests.post(
        f"{live_server.url}/api/v1/auth/token/",
        json={"username": username, "password": PASSWORD},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()["token"]


def patch_together(url: str, token: str, changes: list[tuple[dict, str]]) -> list[int]:
    """Send each (body, reason) as a PATCH of `url`, all released at the same moment."""
    start, statuses = threading.Barrier(len(changes)), [None] * len(changes)

    def send(index: int, body: dict, reason: str) -> None:
        headers = {"Authorization": f"Token {token}", "X-Change-Reason": reason}
        with requests.Session() as session:
            start.wait()
            statuses[index] = session.patch(url, json=body, headers=headers, timeout=30)

    threads = [
        threading.Thread(target=send, args=(index, body, reason))
        for index, (body, reason) in enumerate(changes)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [answer.status_code for answer in statuses]


def changed_fields(row) -> set[str]:
    return {change.field for change in row.diff_against(row.prev_record).changes}


@writers_wait_for_each_other
@pytest.mark.django_db(transaction=True)
def test_it_keeps_both_of_two_concurrent_patches_of_different_fields(live_server, owner):
    patient = factories.PatientFactory()
    factories.LymphodepletionFactory(patient=patient)
    infusion = factories.InfusionFactory(patient=patient)
    url = f"{live_server.url}/api/v1/infusions/{infusion.pk}/"
    token = token_of(live_server, "owner")

    for round_ in range(ROUNDS):
        weight, lot = 61.0 + round_, f"L-{round_:04d}"
        statuses = patch_together(
            url,
            token,
            [({"weight_kg": weight}, f"weight {round_}"), ({"lot": lot}, f"lot {round_}")],
        )

        assert statuses == [200, 200]
        infusion.refresh_from_db()
        assert (infusion.weight_kg, infusion.lot) == (weight, lot), f"round {round_}"
        rows = models.Infusion.history.filter(id=infusion.pk)[:2]
        assert {row.history_change_reason: changed_fields(row) for row in rows} == {
            f"weight {round_}": {"weight_kg"},
            f"lot {round_}": {"lot"},
        }

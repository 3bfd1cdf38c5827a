"""An import cut off by the database mid-way leaves nothing behind (PostgreSQL only).

The importing connection is killed with pg_terminate_backend from a second connection just
as it starts writing the history of daily assessments (the records themselves are copied in
without a statement the execute wrapper sees): after the study, its sites, every patient and
half of their sections, deep inside the import's one transaction.
"""

import pytest
from django.apps import apps
from django.db import Error, connection, connections

from registry import models
from registry.demo import synthetic_cohort
from registry.interchange.importer import cohort_import

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="terminates the importing connection with PostgreSQL's pg_terminate_backend",
    ),
    pytest.mark.django_db(transaction=True),
]

PATIENTS = 300


def stored_rows() -> dict[str, int]:
    """Rows in every table of the registry: studies, patients, sections, their history."""
    return {
        model.__name__: model._default_manager.count()
        for model in apps.get_app_config("registry").get_models()
    }


def terminate_backend(pid: int) -> None:
    """From a connection of its own, as an administrator or a failover would."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


class CutOff:
    """An execute wrapper that kills its own connection at the first daily assessment's
    history."""

    def __init__(self) -> None:
        self.written_before: dict[str, int] = {}

    def __call__(self, execute, sql, params, many, context):
        if not self.written_before and 'INSERT INTO "registry_historicaldailyassessment"' in sql:
            self.written_before = stored_rows()  # inside the import's own transaction
            terminate_backend(connection.connection.info.backend_pid)
        return execute(sql, params, many, context)


def test_an_import_whose_connection_dies_leaves_no_row_behind():
    document = synthetic_cohort(code="CUT", patients=PATIENTS)
    cut_off = CutOff()

    with pytest.raises(Error, match="terminating connection"), connection.execute_wrapper(cut_off):
        cohort_import(data=document)
    connection.close()

    assert cut_off.written_before["Patient"] == PATIENTS
    assert cut_off.written_before["Infusion"] >= PATIENTS
    assert stored_rows() == dict.fromkeys(stored_rows(), 0)


def test_the_same_import_succeeds_once_the_database_is_back():
    document = synthetic_cohort(code="CUT", patients=PATIENTS)
    with pytest.raises(Error, match="terminating connection"), connection.execute_wrapper(CutOff()):
        cohort_import(data=document)
    connection.close()

    result = cohort_import(data=document)

    assert (result.created, result.updated) == (PATIENTS, 0)
    assert models.Patient.objects.count() == PATIENTS

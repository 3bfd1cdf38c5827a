"""Fixtures shared with the API tests: API clients and study roles."""

from tests.api.conftest import (  # noqa: F401
    editor,
    editor_client,
    reader,
    reader_client,
    roles,
)

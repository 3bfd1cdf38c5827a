"""What the registry's commands share."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError


@contextmanager
def refused_as_command_error() -> Iterator[None]:
    """A change the registry's rules refuse (ValidationError) ends the command with the
    refusal's words, as a command line shows an error, and no traceback."""
    try:
        yield
    except ValidationError as error:
        raise CommandError("; ".join(error.messages)) from None

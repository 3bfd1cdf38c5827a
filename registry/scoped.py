"""A context variable set for the length of a block: how a block tells the code it calls
to behave otherwise (reads sent to the replica, notifications held back). A context
variable, not a thread-local, follows a request into async code too."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")


@contextmanager
def set_within(variable: ContextVar[T], value: T) -> Iterator[None]:
    """`variable` holds `value` inside the block, and what it held before once the block
    ends, however it ends. Works as a decorator as well."""
    token = variable.set(value)
    try:
        yield
    finally:
        variable.reset(token)

"""A result missing from the cache is computed by one request at a time
(analytics.caching._computed_once): another asking for it meanwhile waits for it, unless
the first fails or takes too long."""

import threading
import uuid

import pytest
from django.core.cache import cache

from analytics import caching

ANSWER = {"responders": 7}


class Computation:
    """A computation held open until `finish()`: the first request's, while a second asks."""

    def __init__(self, fails: bool = False) -> None:
        self.calls = 0
        self.started = threading.Event()
        self.finished = threading.Event()
        self.fails = fails

    def __call__(self) -> dict:
        self.calls += 1
        self.started.set()
        self.finished.wait(5)
        if self.fails:
            raise RuntimeError("the statistic failed")
        return ANSWER

    def finish(self) -> None:
        self.finished.set()


def asked(key: str, compute, answers: list) -> threading.Thread:
    def ask() -> None:
        try:
            answers.append(caching._computed_once(key, compute))
        except RuntimeError as error:
            answers.append(str(error))

    thread = threading.Thread(target=ask)
    thread.start()
    return thread


@pytest.fixture
def key() -> str:
    key = f"test-computed-once:{uuid.uuid4().hex}"
    yield key
    cache.delete(key)


def test_a_second_request_waits_for_the_first_s_result(key):
    first, answers = Computation(), []
    threads = [asked(key, first, answers)]
    first.started.wait(5)
    second = Computation()
    threads.append(asked(key, second, answers))
    threads[1].join(0.2)
    assert threads[1].is_alive()  # still waiting for the first one's result
    first.finish()
    for thread in threads:
        thread.join(5)
    assert (first.calls, second.calls) == (1, 0)
    assert answers == [ANSWER, ANSWER]
    assert cache.get(key) == ANSWER
    assert cache.get(f"{key}:computing") is None


def test_a_second_request_computes_the_result_when_the_first_fails(key):
    first, answers = Computation(fails=True), []
    threads = [asked(key, first, answers)]
    first.started.wait(5)
    second = Computation()
    second.finish()
    threads.append(asked(key, second, answers))
    first.finish()
    for thread in threads:
        thread.join(5)
    assert (first.calls, second.calls) == (1, 1)
    assert sorted(map(str, answers)) == sorted([str(ANSWER), "the statistic failed"])


def test_a_second_request_waits_no_longer_than_wait_at_most(key, monkeypatch):
    monkeypatch.setattr(caching, "WAIT_AT_MOST", 0.1)
    first, answers = Computation(), []
    threads = [asked(key, first, answers)]
    first.started.wait(5)
    second = Computation()
    second.finish()
    threads.append(asked(key, second, answers))
    threads[1].join(5)
    assert answers == [ANSWER]  # the second's own, while the first still computes
    assert cache.get(f"{key}:computing") is not None  # the first's mark, left to it
    first.finish()
    threads[0].join(5)
    assert (first.calls, second.calls) == (1, 1)

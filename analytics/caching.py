"""Cached analytics results, each filed under the version of the parts of the data it
reads.

A result is stored under: the study, the endpoint, its normalised parameters and the data
version (registry.data_version) of the parts of the study's data it is computed from:
the study's setup, the patients' own rows, and the sections its rows and filters read
(`reads`: analytics.results says which, from the sections each column group of the
dataset is computed from, analytics.dataset.tables_read). A write to a section a result
does not read (a daily assessment, for a survival curve) leaves it cached; without
`reads`, a result is filed under the version of every part. The version of some parts is
the tokens each committed write to them replaces with the latest rows of their history,
both read from indexes.

With a read replica (config.routers), the version is read there, as the rows are: a
result computed while the replica lags is filed under the version of the data it saw,
and the replica catching up moves the version on.

A result missing from the cache is computed by one request at a time: the others asking
for it meanwhile (several workers, just after a write moved the version) wait for it
rather than each compute it again, which under load would spend the cores on copies of
the same work (`_computed_once`).

Results are cached. The data frame they are computed from is kept in each process's
memory and brought up to date at each new version of the study's whole data
(analytics.frames); as recorded on a past day (as_of), the frame of each set of filters is
cached with the results.
"""

import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models import Model

import registry.data_version
from config.collector import collector_paused
from config.routers import use_replica
from registry import models
from registry.data_version import DataVersion, digest

# Part of every key: bump it when the results of a given dataset change shape or meaning.
RESULTS_FORMAT = 3
TIMEOUT = 24 * 60 * 60
# A result computed by another request is waited for at most WAIT_AT_MOST seconds (longer
# than the slowest statistic of a hundred thousand patients), looked for every POLL_EVERY;
# the mark of its computation lasts at most COMPUTING_AT_MOST (gunicorn stops a request
# after 30 s: config/gunicorn.py).
WAIT_AT_MOST = 10.0
POLL_EVERY = 0.01
COMPUTING_AT_MOST = 30
T = TypeVar("T")
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StudyCache:
    """One study's cached results; each version it files them under read once per
    request."""

    study_id: int
    prefix: str  # the first part of every key (settings.ANALYTICS_CACHE_PREFIX)
    # The version of the parts read, by the tables read (None: every part).
    _versions: dict = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def version(self) -> DataVersion:
        """The version of the study's whole data, which the process frame is current at:
        read with the version of the parts a result reads, if one was."""
        for version in self._versions.values():
            if version.whole is not None:
                return version.whole
        return self.version_of(None)

    def version_of(self, reads: Collection[type[Model]] | None) -> DataVersion:
        """The data version of the parts of the study's data that results reading the
        sections `reads` are computed from (None: every part)."""
        tables = None if reads is None else frozenset(reads)
        if tables not in self._versions:
            self._versions[tables] = _parts_version(self.study_id, tables)
        return self._versions[tables]

    def get(
        self,
        name: str,
        params: dict,
        compute: Callable[[], T],
        reads: Collection[type[Model]] | None = None,
    ) -> T:
        """The value for this name and these parameters, computed from the sections `reads`
        (None: the whole course); computed and stored if absent."""
        version = digest(str(self.version_of(reads)))
        key = f"{self.prefix}:{RESULTS_FORMAT}:{self.study_id}:{version}:{name}:{digest(params)}"
        value = cache.get(key)
        if value is None:
            value = _computed_once(key, lambda: self._computed(name, compute))
        return value

    def _computed(self, name: str, compute: Callable[[], T]) -> T:
        logger.info("analytics result computed: %s of study %s", name, self.study_id)
        with collector_paused():
            return compute()


def _computed_once(key: str, compute: Callable[[], T]) -> T:
    """The value of `key`, computed and stored by this request, unless another is already
    computing it: then the one it stores (`_waited_for`). The mark of a computation under
    way is its own request's to remove, and expires after COMPUTING_AT_MOST should that
    request die."""
    computing = f"{key}:computing"
    marked = cache.add(computing, True, COMPUTING_AT_MOST)
    if not marked:
        value = _waited_for(key, computing)
        if value is not None:
            return value
    try:
        value = compute()
        cache.set(key, value, TIMEOUT)
    finally:
        if marked:
            cache.delete(computing)
    return value


def _waited_for(key: str, computing: str):
    """The value of `key` once the request computing it has stored it; None if that
    request failed, or has not stored it within WAIT_AT_MOST (this one computes it after
    all)."""
    deadline = time.monotonic() + WAIT_AT_MOST
    while time.monotonic() < deadline:
        time.sleep(POLL_EVERY)
        # The mark before the value: a mark gone with no value is a computation failed.
        under_way = cache.get(computing) is not None
        value = cache.get(key)
        if value is not None or not under_way:
            return value
    return None


def study_cache(study: models.Study) -> StudyCache:
    return StudyCache(study.pk, settings.ANALYTICS_CACHE_PREFIX)


def data_version(study: models.Study) -> DataVersion:
    """The version of the study's whole data."""
    return _parts_version(study.pk, None)


# On the replica, as the rows are (analytics.dataset): a result is filed under the version
# of the data it was computed from, even while the replica lags behind.
@use_replica()
def _parts_version(study_id: int, reads: frozenset | None) -> DataVersion:
    return registry.data_version.studies_version([study_id], reads)

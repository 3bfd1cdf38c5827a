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

Results are cached. The data frame they are computed from is kept in each process's
memory and brought up to date at each new version of the study's whole data
(analytics.frames); as recorded on a past day (as_of), the frame of each set of filters is
cached with the results.
"""

import logging
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
            logger.info("analytics result computed: %s of study %s", name, self.study_id)
            with collector_paused():
                value = compute()
            cache.set(key, value, TIMEOUT)
        return value


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

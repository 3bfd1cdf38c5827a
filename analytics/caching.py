"""Cached analytics results, invalidated by any write to the study's data.

A result is stored under: the study, the endpoint, its normalised parameters and the
study's data version (registry.data_version): the study's token, which every committed
write to its data and every import into it replaces, the latest `updated` of the study's
patients and the latest row of their history, both read from indexes.

With a read replica (config.routers), the version is read there, as the rows are: a
result computed while the replica lags is filed under the version of the data it saw,
and the replica catching up moves the version on.

Results are cached. The data frame they are computed from is kept in each process's
memory and brought up to date at each new data version (analytics.frames); as recorded
on a past day (as_of), the frame of each set of filters is cached with the results.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.core.cache import cache

import registry.data_version
from config.collector import collector_paused
from config.routers import use_replica
from registry import models
from registry.data_version import DataVersion, digest

# Part of every key: bump it when the results of a given dataset change shape or meaning.
RESULTS_FORMAT = 3
TIMEOUT = 24 * 60 * 60
T = TypeVar("T")


@dataclass(frozen=True)
class StudyCache:
    """One study's cached results at its data version, read once per request."""

    study_id: int
    version: DataVersion

    def get(self, name: str, params: dict, compute: Callable[[], T]) -> T:
        """The value for this name and these parameters; computed and stored if absent."""
        version = digest(str(self.version))
        key = f"analytics:{RESULTS_FORMAT}:{self.study_id}:{version}:{name}:{digest(params)}"
        value = cache.get(key)
        if value is None:
            with collector_paused():
                value = compute()
            cache.set(key, value, TIMEOUT)
        return value


def study_cache(study: models.Study) -> StudyCache:
    return StudyCache(study.pk, data_version(study))


# On the replica, as the rows are (analytics.dataset): a result is filed under the version
# of the data it was computed from, even while the replica lags behind.
@use_replica()
def data_version(study: models.Study) -> DataVersion:
    return registry.data_version.data_version(study.pk)

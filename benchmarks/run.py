"""`make bench`: every benchmark of the registry, one after another."""

from benchmarks import analytics

if __name__ == "__main__":
    analytics.main(list(analytics.SIZES))

"""`make bench`: every benchmark of the registry, one after another."""

from benchmarks import analytics, interchange

if __name__ == "__main__":
    interchange.main(list(interchange.SIZES))
    analytics.main(list(analytics.SIZES))

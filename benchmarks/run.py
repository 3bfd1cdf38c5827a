"""`make bench`: every benchmark of the registry, one after another (the load test, which
starts servers, is `make loadtest`: benchmarks.load)."""

from benchmarks import analytics, interchange, pages

if __name__ == "__main__":
    interchange.main(list(interchange.SIZES))
    pages.main(list(pages.SIZES))
    analytics.main(list(analytics.SIZES), keep=False)

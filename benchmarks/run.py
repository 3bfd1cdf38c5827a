"""`make bench`: every benchmark of the registry, one after another (the load test, which
starts servers, is `make loadtest`: benchmarks.load)."""

from benchmarks import analytics, interchange, pages


def main() -> None:
    interchange.main(list(interchange.SIZES), exports=True)
    pages.main(list(pages.SIZES))
    analytics.main(list(analytics.SIZES), keep=False)


if __name__ == "__main__":
    main()

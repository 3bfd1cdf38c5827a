"""`make bench` (benchmarks.run) calls each benchmark with the arguments it takes: each
benchmark's main, replaced by a stand-in of the same signature, refuses any other call."""

from unittest import mock

from benchmarks import analytics, interchange, pages, run


def test_make_bench_calls_each_benchmark_as_it_takes_its_arguments(monkeypatch):
    mains = {
        module: mock.create_autospec(module.main) for module in (interchange, pages, analytics)
    }
    for module, main in mains.items():
        monkeypatch.setattr(module, "main", main)
    run.main()
    for module, main in mains.items():
        main.assert_called_once()
        assert main.call_args.args[0] == list(module.SIZES)

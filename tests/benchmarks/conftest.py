"""Benchmarks run only with --bench (`make bench`); the normal test run does not even collect them."""


def pytest_ignore_collect(collection_path, config):
    if not config.getoption("--bench"):
        return True
    return None

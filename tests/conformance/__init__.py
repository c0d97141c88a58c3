"""Official conformance suites (WHATWG URL, UTS #46 via web-platform-tests, the Public Suffix List's tests,
X-ARF v4 schemas, recorded RDAP answers), run against Hotline's own code. Data: tests/data/."""

# Each suite's agreement as one line; tests/conformance/conftest.py hands them on to be printed after the run.
FIGURES: list[str] = []

"""tests/unit holds pure tests: no MNIST files, no committed model, no servers or browser.

A unit test that asks for a fixture bringing one of them in fails its module's collection; such a
test belongs in tests/integration, or can make do with small synthetic data.
"""

from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent
# From tests/conftest.py: MNIST (mnist_dir, mnist_test), the committed model (model, and the
# functions-framework app that loads it: client, make_client), the running stack (local_stack);
# from pytest-playwright: the browser.
IMPURE = frozenset(
    {"mnist_dir", "mnist_test", "model", "client", "make_client", "local_stack", "browser", "page"}
)


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    """Fail the collection of a unit module (or class) whose tests ask for an impure fixture."""
    report = yield
    if report.passed and UNIT in Path(collector.path).resolve().parents:
        impure = [
            f"  {item.name}: {', '.join(sorted(IMPURE & set(item.fixturenames)))}"
            for item in report.result
            if isinstance(item, pytest.Function) and IMPURE & set(item.fixturenames)
        ]
        if impure:
            report.outcome = "failed"
            report.longrepr = (
                "tests/unit is for pure tests (no MNIST, committed model, servers or browser); "
                "move these to tests/integration or give them synthetic data:\n" + "\n".join(impure)
            )
            report.result = []
    return report

"""Test session setup shared by every test file.

Before anything imports prefect: analytics off, ``PREFECT_HOME`` in a temporary
folder, so tests never touch the developer's Prefect profile, database or result
cache (``$PREFECT_HOME/storage``), and one OpenMP thread per process.

``prefect_harness`` runs ONE temporary Prefect server (SQLite in a temporary
folder) for the whole session; it starts on first use (~10-25 s). Every test
under ``tests/flows/`` gets it automatically; a test elsewhere that runs a flow
asks for it by name. Test task logic through ``task.fn`` where the engine adds
nothing: that needs no server.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_PREFECT_HOME = tempfile.mkdtemp(prefix="audits-tests-prefect-")
os.environ.update(
    {
        "PREFECT_HOME": _PREFECT_HOME,
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "GX_ANALYTICS_ENABLED": "False",
    }
)
# A developer's server must not receive test runs: the harness provides the API.
os.environ.pop("PREFECT_API_URL", None)
# One OpenMP thread per process: on a small shared machine the thread pools of
# HistGradientBoosting oversubscribe the cores and small fits get 10-20x slower.
os.environ.setdefault("OMP_NUM_THREADS", "1")

_FLOW_TESTS = Path(__file__).parent / "flows"


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[str]:
    """A temporary Prefect server for the session; yields its API URL."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield str(PREFECT_API_URL.value())


@pytest.fixture(autouse=True)
def _prefect_for_flow_tests(request: pytest.FixtureRequest) -> None:
    """Start the harness for tests under ``tests/flows/`` (once for the session)."""
    if _FLOW_TESTS in Path(str(request.node.path)).parents:
        request.getfixturevalue("prefect_harness")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove the temporary ``PREFECT_HOME``."""
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)

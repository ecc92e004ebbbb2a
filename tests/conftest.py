"""Test-wide setup: no analytics, a private PREFECT_HOME, one Prefect test server per session."""

from __future__ import annotations

import os
import tempfile

os.environ["DO_NOT_TRACK"] = "1"
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["GX_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="audits-prefect-home-"))

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server (with its own database) for every flow test."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield

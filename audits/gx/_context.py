"""An in-memory Great Expectations context with analytics and progress bars off."""

from __future__ import annotations

import os
from typing import Any

__all__ = ["make_context"]


def make_context() -> Any:
    """Return an ephemeral GX context: nothing on disk, no network, no progress bars."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars={"globally": False},
    )
    return gx.get_context(mode="ephemeral", project_config=config)

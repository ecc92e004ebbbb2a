"""WHEN and WHERE audits run: Prefect flows, deployments and the ``audits`` command.

Importing this package turns analytics off (Prefect, Great Expectations) unless the
user set the variables already: the product makes no calls home. It also gives
Prefect's temporary server two minutes to start instead of 20 s: the first run on a
machine creates and migrates its database, which took longer than 20 s on 2 cores.
"""

import os

for _name, _value in {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "GX_ANALYTICS_ENABLED": "False",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}.items():
    os.environ.setdefault(_name, _value)

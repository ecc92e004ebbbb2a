"""WHEN and WHERE audits run: Prefect flows, deployments and the ``audits`` command.

Importing this package turns analytics off (Prefect, Great Expectations) unless the
user set the variables already: the product makes no calls home.
"""

import os

for _name, _value in {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "GX_ANALYTICS_ENABLED": "False",
}.items():
    os.environ.setdefault(_name, _value)

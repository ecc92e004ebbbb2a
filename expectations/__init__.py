"""WHAT is checked: the Great Expectations suites (``*.json``) shipped with the product.

Each file is a suite in Great Expectations' own JSON format; edit the thresholds
here, or override them per dataset in the config file.
"""

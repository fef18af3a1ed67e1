"""Conformance: Flask 3.1's own test suite, run against ``sitec.runtime``.

``python -m tests.conformance`` runs it and prints a per-file table; the pytest
test in ``test_flask_suite.py`` does the same and fails below ``floor.txt``.
"""

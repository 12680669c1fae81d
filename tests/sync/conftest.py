"""Fixtures shared by the sync tests: replicas of one center (defined with the convergence tests that use most)."""

from tests.sync.test_convergence import base, replicas  # noqa: F401  (fixtures, found by name)

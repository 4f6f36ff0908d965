"""Checks: the Great Expectations checkpoint over the marts, its results, and the alerts."""

"""Benchmarks: programs run on purpose that print numbers. Never part of the tests."""

"""Benchmarks run on demand: ``pytest bench/ --benchmark-only`` (they are not part of the test suite)."""

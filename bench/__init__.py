"""Benchmarks of the operator against a local OpenBao (not part of the test suite). See bench/README.md."""

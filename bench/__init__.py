"""Benchmarks (``make bench``): throughput and latency targets live here, not in tests."""

"""Benchmarks: one command (`make bench`), each printing ratios against a baseline measured in the same run."""

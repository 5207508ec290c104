"""Helpers that tests and benchmarks share (neither owns them): servers, ports, tables."""

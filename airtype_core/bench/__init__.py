"""Benchmarks: the code behind `python -m airtype_core bench-*` and `benchmarks/`.

They print figures; no test asserts a timing.
"""

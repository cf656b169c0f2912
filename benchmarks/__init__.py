"""Benchmarks of the Contacts API mock: `python -m benchmarks` (see `--help`).

Not tests: they print figures, never pass or fail. `tests/test_benchmarks_smoke.py`
runs them at tiny sizes so the script keeps working.
"""

"""The contract under load: the locust-free core of `contract_tests/locustfile.py`.

Everything here is plain Python (no Locust, no gevent), so it can be unit-tested
and imported by pytest without monkey-patching anything:

- `rules`: the stable rule ids a violation is reported under;
- `scope`: one simulated user's own data (tag, companies) and its model;
- `checks`: every answer against that model, through the suite's own invariants;
- `shared`: contacts several users patch at once, and ids that must be distinct;
- `report`: violations, target errors and cleanup of one process or of a whole
  distributed run, the end-of-run summary and the exit code.

Only `contract_tests/locustfile.py` imports Locust.
"""

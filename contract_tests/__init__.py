"""Property-based contract suite for the CRM Contacts API.

Run it with `pytest contract_tests` against the in-process mock (default) or a
live deployment (`--base-url` / CONTRACT_BASE_URL and a token). The suite
asserts what `openapi.yaml` and its recorded decisions say, never what a
particular server happens to do.
"""

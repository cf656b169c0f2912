"""make mutation: mutmut over the mock's contract logic (docs/mutation.md)."""

"""A second, independent implementation of the Contacts API, for the suite's false-alarm check."""

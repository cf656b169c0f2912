"""Soak testing of the contract suite: many runs against correct-but-different servers (`make soak`)."""

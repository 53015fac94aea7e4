"""The conformance suite: requirements, profiles, targets and reports."""

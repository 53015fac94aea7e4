"""Business rules: what a schema cannot say, each with a stable ID, a severity, a fix and a source.

The catalogue is data (`catalogue.toml`), read by the validator, the documentation and the
conformance suite alike; the checks are in `checks.py`.
"""

from __future__ import annotations

from .engine import Rule, Violation, catalogue, check, registered_checks, run_rules

__all__ = ["Rule", "Violation", "catalogue", "check", "registered_checks", "run_rules"]

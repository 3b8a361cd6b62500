"""Test-wide settings: property tests are reproducible in CI (the same examples every run)."""
import os

from hypothesis import settings

# CI runs each property test on a fixed, derandomised set of examples, so a run is reproducible and
# a failure there is a failure on every machine; local runs keep exploring new examples each time.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

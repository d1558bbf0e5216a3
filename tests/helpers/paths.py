"""Where things are: the repository, the tests' artifacts, the sample data."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
# Logs of the processes a test starts, screenshots of failed browser tests.
ARTIFACTS = ROOT / "test-artifacts"
SAMPLE_SNAPSHOT = ROOT / "works" / "sample_data" / "snapshot"

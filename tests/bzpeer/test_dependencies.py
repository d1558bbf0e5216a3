"""The lock files agree with pyproject.toml: every package pinned there is in
the lock that installs it, at the same version, and every locked package
carries its hashes (pip then refuses anything else). ``make lock`` rewrites
them; this test says when someone changed a pin and forgot to."""

import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.helpers.paths import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
# Which lock installs which of pyproject's lists (Makefile: make lock).
LOCKS = {
    "requirements/run.txt": PROJECT["dependencies"],
    "requirements/dev.txt": PROJECT["dependencies"]
    + [
        pin
        for extra in ("test", "tools")
        for pin in PROJECT["optional-dependencies"][extra]
    ],
    "requirements/bench.txt": PROJECT["dependencies"]
    + [
        pin
        for extra in ("test", "tools", "bench")
        for pin in PROJECT["optional-dependencies"][extra]
    ],
}
LOCKED = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s\\]+)", re.MULTILINE)


def locked(path: str) -> dict[str, str]:
    return {
        canonicalize_name(name): version
        for name, version in LOCKED.findall((ROOT / path).read_text())
    }


@pytest.mark.parametrize("path", sorted(LOCKS))
def test_every_pin_of_pyproject_is_locked_at_its_version(path):
    versions = locked(path)
    for pin in LOCKS[path]:
        requirement = Requirement(pin)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{pin}: pin it exactly"
        name = canonicalize_name(requirement.name)
        assert versions.get(name) == specifier.version, (
            f"{path} has {name} {versions.get(name)}, pyproject.toml asks "
            f"{specifier.version}: run `make lock`"
        )


@pytest.mark.parametrize("path", sorted(LOCKS))
def test_every_locked_package_has_its_hashes(path):
    blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / path).read_text())
    packages = [block for block in blocks if LOCKED.match(block)]
    assert len(packages) >= len(LOCKS[path])
    for block in packages:
        assert "--hash=sha256:" in block, block.splitlines()[0]


def test_each_lock_holds_the_one_before_at_the_same_versions():
    """The tests run on the very versions production installs, and the
    benchmark on the very versions the tests ran."""
    run, dev = locked("requirements/run.txt"), locked("requirements/dev.txt")
    bench = locked("requirements/bench.txt")
    assert {name: dev.get(name) for name in run} == run
    assert {name: bench.get(name) for name in dev} == dev

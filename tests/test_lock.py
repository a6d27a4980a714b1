"""The venv that `make test` runs in is exactly the lock file: same packages, same versions.

`make test-latest` installs the newest releases instead, on purpose; it sets DELEGATIES_UNLOCKED.
"""

from __future__ import annotations

import os
import re
from importlib import metadata

import pytest

from tests.helpers import REPO

LOCK = REPO / "requirements" / "lock.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")

pytestmark = pytest.mark.skipif(bool(os.environ.get("DELEGATIES_UNLOCKED")), reason="make test-latest: not the lock")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins() -> dict[str, tuple[str, str | None]]:
    out = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        m = PIN.match(line)
        if m:
            out[canonical(m.group(1))] = (m.group(2), m.group(3))
    return out


def applies(marker: str | None) -> bool:
    if marker is None:
        return True
    from packaging.markers import Marker

    return Marker(marker).evaluate()


def test_every_line_of_the_lock_is_pinned_with_hashes() -> None:
    text = LOCK.read_text(encoding="utf-8")
    found = pins()
    assert len(found) >= 20
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    for block in blocks:
        if block.strip() and not block.startswith("#"):
            assert "==" in block.split("\\")[0] and "--hash=sha256:" in block, block[:200]


def test_installed_versions_equal_the_lock() -> None:
    installed = {canonical(d.metadata["Name"]): d.version for d in metadata.distributions()}
    wanted = {name: version for name, (version, marker) in pins().items() if applies(marker)}
    assert {n: installed.get(n) for n in wanted} == wanted
    extra = set(installed) - set(wanted) - {"delegaties"}
    assert not extra, f"installed but not in the lock: {sorted(extra)}"

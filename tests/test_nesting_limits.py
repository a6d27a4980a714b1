"""Our own limits on nesting and aliases, tested as properties, whatever the parser's version.

The loader scans YAML events (and bounds JSON) before anything recursive walks the data: a file
nested deeper than `MAX_DEPTH` or using an anchor is refused with a FORMAT finding that names a
location (a path in the file, or a line and column), never with a crash, a hang or an expansion.
Which layer refuses first (our scan or libyaml's own depth limit) may change with libyaml
releases; these tests therefore assert the property, not the wording.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.files import MAX_DEPTH, FileProblem, parse_bytes
from tests.helpers import REPO

LOCATION = re.compile(r"^regel [0-9]+(, kolom [0-9]+)?$|^units([.\[]|$)")


def nested(form: str, depth: int) -> tuple[str, bytes]:
    """A register file whose `units` value is nested `depth` levels deep, in one of six forms."""
    head = b"format: delegaties/1\nunits: "
    if form == "yaml_flow_seq":
        return "f.yaml", head + b"[" * depth + b"]" * depth + b"\n"
    if form == "yaml_flow_map":
        return "f.yaml", head + b"{a: " * depth + b"1" + b"}" * depth + b"\n"
    if form == "yaml_block_seq":
        return "f.yaml", b"format: delegaties/1\nunits:\n" + b"- " * depth + b"x\n"
    if form == "yaml_block_map":
        depth = min(depth, 3000)  # indentation grows quadratically: 3000 levels are 18 MB already
        lines = [b"  " * i + b"a:" for i in range(depth)]
        return "f.yaml", b"format: delegaties/1\nunits:\n" + b"\n".join(b"  " + line for line in lines) + b" 1\n"
    if form == "json_array":
        return "f.json", b'{"format": "delegaties/1", "units": ' + b"[" * depth + b"]" * depth + b"}"
    if form == "json_object":
        return "f.json", b'{"format": "delegaties/1", "units": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"
    raise AssertionError(form)


FORMS = ("yaml_flow_seq", "yaml_flow_map", "yaml_block_seq", "yaml_block_map", "json_array", "json_object")


def depth_of(value: object) -> int:
    depth, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            depth = max(depth, level)
            stack.extend((v, level + 1) for v in (node.values() if isinstance(node, dict) else node))
    return depth


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(form=st.sampled_from(FORMS), depth=st.integers(min_value=1, max_value=3000))
def test_parsing_either_stays_within_the_nesting_limit_or_names_a_location(form: str, depth: int) -> None:
    name, raw = nested(form, depth)
    try:
        data = parse_bytes(raw, name)
    except FileProblem as problem:
        finding = problem.finding
        assert finding.code == "FORMAT" and finding.file == name
        assert LOCATION.match(finding.path), finding
        assert depth + 1 > MAX_DEPTH  # nothing within the limit is refused for its shape
        return
    assert depth_of(data) <= MAX_DEPTH


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1001, 20000, 200000])
def test_absurd_nesting_never_crashes_or_hangs_a_real_process(form: str, depth: int, tmp_path) -> None:
    name, raw = nested(form, depth)
    path = tmp_path / name
    path.write_bytes(raw)
    # The timeout is a hang guard (quadratic scanning, runaway recursion), not a speed measurement.
    proc = subprocess.run([sys.executable, "-m", "cli.main", "--db", tmp_path / "r.db", "--json", "validate", path],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc  # a segfault would be -11, an uncaught error would print a traceback
    assert "Traceback" not in proc.stderr
    findings = json.loads(proc.stdout)["findings"]
    assert findings and all(f["code"] == "FORMAT" and f["file"] == str(path) for f in findings), findings
    assert any(LOCATION.match(f["path"]) for f in findings), findings
    assert not (tmp_path / "r.db").exists()  # validate never writes


@pytest.mark.parametrize("levels", [2, 9])
def test_aliases_are_refused_before_any_expansion(levels: int) -> None:
    # "Billion laughs": each level refers ten times to the one before. Composing it would take
    # 10**levels nodes; it must be refused at the first anchor instead.
    lines = ['format: delegaties/1', 'a0: &a0 ["lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels + 1)]
    with pytest.raises(FileProblem) as caught:
        parse_bytes(("\n".join(lines) + "\n").encode(), "laughs.yaml")
    assert caught.value.finding.code == "FORMAT" and caught.value.finding.path == "a0"

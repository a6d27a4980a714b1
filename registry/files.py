"""Reading register files (YAML or JSON) into plain data, refusing anything hostile.

YAML goes through `safe_load` semantics with two tightenings: anchors/aliases are refused
(alias bombs) and timestamps are not resolved by YAML (so `2025-02-30` becomes our readable
date error with its path, not a parser crash).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from delegations.texts import Text
from delegations.validate import ValidationFinding, format_error

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 2_000_000


class FileProblem(Exception):
    def __init__(self, finding: ValidationFinding):
        super().__init__(finding.render())
        self.finding = finding


def _problem(file: str, path: str, nl: str, en: str) -> FileProblem:
    return FileProblem(ValidationFinding("FORMAT", file, path, Text(nl, en)))


def _yaml_loader():
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc, valid-type]
        pass

    # Dates stay strings: the converter parses them with a path-aware error.
    Loader.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
        for k, v in base.yaml_implicit_resolvers.items()
    }

    def compose_node(self, parent, index):  # refuse aliases: no alias bombs, no shared nodes
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "aliassen (*naam) zijn niet toegestaan", event.start_mark)
        return base.compose_node(self, parent, index)

    def decimal_float(loader, node):  # amounts must never pass through binary floats
        text = loader.construct_scalar(node).replace("_", "")
        try:
            return Decimal(text)
        except ArithmeticError:
            return float("nan")  # .inf/.nan: refused by the converter with a path

    Loader.compose_node = compose_node
    Loader.add_constructor("tag:yaml.org,2002:float", decimal_float)
    return yaml, Loader


def read_file(path: str | Path) -> Any:
    """The parsed content of a register file, or FileProblem naming what is wrong."""
    name = str(path)
    p = Path(path)
    try:
        if not p.is_file():
            raise _problem(name, "", "bestand niet gevonden of geen gewoon bestand", "file not found or not a regular file")
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _problem(name, "", f"bestand te groot ({size} bytes; hoogstens {MAX_FILE_BYTES})",
                           f"file too large ({size} bytes; at most {MAX_FILE_BYTES})")
        raw = p.read_bytes()
    except OSError as exc:
        raise _problem(name, "", f"bestand niet leesbaar: {exc.strerror}", f"file not readable: {exc.strerror}") from None
    return parse_bytes(raw, name)


def parse_bytes(raw: bytes, name: str) -> Any:
    if not raw.strip():
        raise _problem(name, "", "een registerbestand met 'format: delegaties/1', gevonden een leeg bestand",
                       "a register file with 'format: delegaties/1', found an empty file")
    if b"\x00" in raw:
        raise _problem(name, "", "tekst (UTF-8), gevonden binaire gegevens (NUL-bytes)", "text (UTF-8), found binary data (NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _problem(name, "", f"UTF-8-tekst, gevonden een ongeldige byte op positie {exc.start}",
                       f"UTF-8 text, found an invalid byte at position {exc.start}") from None
    if name.lower().endswith(".json") or text.lstrip().startswith(("{", "[")):
        data = _parse_json(text, name)
    else:
        data = _parse_yaml(text, name)
    _check_shape(data, name)
    return data


def _parse_json(text: str, name: str) -> Any:
    def constant(c: str) -> Any:
        raise ValueError(f"{c} is geen geldig bedrag")

    try:
        return json.loads(text, parse_float=Decimal, parse_constant=constant)
    except json.JSONDecodeError as exc:
        raise _problem(name, f"regel {exc.lineno}, kolom {exc.colno}", f"geldige JSON ({exc.msg})",
                       f"valid JSON ({exc.msg})") from None
    except (ValueError, RecursionError) as exc:
        raise _problem(name, "", f"geldige JSON ({exc})", f"valid JSON ({exc})") from None


def _parse_yaml(text: str, name: str) -> Any:
    yaml, loader = _yaml_loader()
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - Loader is a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"regel {mark.line + 1}, kolom {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "ongeldige YAML"
        if "could not determine a constructor" in str(problem) or "constructor" in str(exc):
            problem = f"onbekende tag ({problem})"
        raise _problem(name, where, f"geldige YAML zonder tags of aliassen ({problem})",
                       f"valid YAML without tags or aliases ({problem})") from None
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise _problem(name, "", f"geldige YAML ({type(exc).__name__})", f"valid YAML ({type(exc).__name__})") from None


def _check_shape(data: Any, name: str) -> None:
    """Refuse absurd nesting or size before anything walks the structure recursively."""
    stack = [(data, 0)]
    nodes = 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if depth > MAX_DEPTH or nodes > MAX_NODES:
            raise _problem(name, "", "een register van redelijke omvang en nesting", "a register of reasonable size and nesting")
        if isinstance(node, dict):
            for k, v in node.items():
                if not isinstance(k, str):
                    raise _problem(name, "", f"tekst als sleutel, gevonden {k!r}", f"string keys, found {k!r}")
                stack.append((v, depth + 1))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
        elif isinstance(node, float):
            # YAML floats: accepted as amounts by the converter when finite
            continue


__all__ = ["FileProblem", "read_file", "parse_bytes", "format_error"]

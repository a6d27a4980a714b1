"""Reading register files (YAML or JSON) into plain data, refusing anything hostile.

YAML goes through `safe_load` semantics with tightenings: anchors/aliases, merge keys and
non-core tags are refused, mapping keys must be unique, and timestamps are not resolved by
YAML (so `2025-02-30` becomes our readable date error with its path, not a parser crash).
Those checks run on the parser's event stream *before* composing: the event parser is
iterative, while the (C) composer recurses once per nesting level and crashes the process on
absurdly deep input, and it ignores Python-level hooks such as a `compose_node` override.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from delegations.texts import Text, tr
from delegations.validate import ValidationFinding, format_error

MAX_FILE_BYTES = 20 * 1024 * 1024  # any file; YAML files never more
# A JSON file may be larger (a whole city in one file): up to MAX_JSON_BYTES, with at most one value
# per BYTES_PER_VALUE bytes above MAX_NODES values (a register averages 16 bytes per value), bounded
# by counting separators before anything is parsed: memory stays proportional to the file's size.
MAX_JSON_BYTES = 128 * 1024 * 1024
BYTES_PER_VALUE = 8
MAX_DEPTH = 64
MAX_NODES = 2_000_000
# Plain digit runs longer than this are typos or attacks (Python refuses ints over 4300 digits).
MAX_DIGITS = 100
_CORE_TAGS = frozenset("tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "seq", "map"))
_DIGITS = re.compile(r"^[-+]?[0-9_]+$")
_DECIMAL_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")


class FileProblem(Exception):
    def __init__(self, finding: ValidationFinding):
        super().__init__(finding.render())
        self.finding = finding


def _problem(file: str, path: str, expected: Text, found: Text | str | None = None) -> FileProblem:
    """A FORMAT finding worded like every other one: 'expected <expected>[, found <found>]'."""
    if len(path) > 160:  # deep-nesting attacks make paths of thousands of characters
        path = path[:157] + "..."
    text = tr("expected {expected}", expected=expected) if found is None else \
        tr("expected {expected}, found {found}", expected=expected, found=found)
    return FileProblem(ValidationFinding("FORMAT", file, path, text))


def _yaml_loader(pure: bool = False):
    import yaml

    base = yaml.SafeLoader if pure else getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc, valid-type]
        pass

    # Dates stay strings: the converter parses them with a path-aware error. Integers are plain
    # decimal only: YAML 1.1 would silently read `max_amount: 010` as 8 and `0x10` as 16. Booleans
    # are true and false only (YAML 1.2): YAML 1.1 reads the key `on:` of an assertion as True.
    dropped = ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:int", "tag:yaml.org,2002:bool")
    Loader.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag not in dropped] for k, v in base.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver("tag:yaml.org,2002:int", _DECIMAL_INT, list("-+0123456789"))
    Loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("tTfF"))

    def decimal_float(loader, node):  # amounts must never pass through binary floats
        text = loader.construct_scalar(node).replace("_", "")
        try:
            return Decimal(text)
        except ArithmeticError:
            return float("nan")  # .inf/.nan: refused by the converter with a path

    Loader.add_constructor("tag:yaml.org,2002:float", decimal_float)
    return yaml, Loader


def read_file(path: str | Path) -> Any:
    """The parsed content of a register file, or FileProblem naming what is wrong."""
    return parse_bytes(_read_bytes(path), str(path))


def read_register(path: str | Path) -> tuple[Any, list[ValidationFinding]]:
    """`read_file` and the `identifier_findings` of its content, or FileProblem. A compact JSON
    text without escapes whose every character prints (machine-written exports) can hold no
    identifier that is refused unless one starts or ends with a space: then nothing is walked."""
    name = str(path)
    data, text = _parse(_read_bytes(path), name)
    if text is not None:
        body = text.strip()
        if "\\" not in body and '" ' not in body and ' "' not in body and body.isprintable():
            return data, []
    return data, identifier_findings(data, name)


def _read_bytes(path: str | Path) -> bytes:
    name = str(path)
    p = Path(path)
    try:
        if not p.is_file():
            raise _problem(name, "", tr("an existing regular file"), tr("nothing (not found or not a regular file)"))
        size = p.stat().st_size
        limit = max_bytes(name)
        with p.open("rb") as fh:
            raw = fh.read(limit + 1)  # a file that grows after stat() is still bounded
        size = max(size, len(raw))
        if size > limit:
            raise _problem(name, "", tr("a file of at most {max} bytes", max=limit), tr("{size} bytes (file too large)", size=size))
    except OSError as exc:
        raise _problem(name, "", tr("a readable file"), tr("a read error ({error})", error=exc.strerror)) from None
    return raw


def max_bytes(name: str) -> int:
    """The size limit of a register file: JSON (by its name) may be larger than YAML."""
    return MAX_JSON_BYTES if name.lower().endswith(".json") else MAX_FILE_BYTES


def max_nodes(size: int) -> int:
    """The values a file of `size` bytes may hold (a JSON file larger than MAX_FILE_BYTES more)."""
    return MAX_NODES if size <= MAX_FILE_BYTES else max(MAX_NODES, size // BYTES_PER_VALUE)


def parse_bytes(raw: bytes, name: str) -> Any:
    return _parse(raw, name)[0]


def _parse(raw: bytes, name: str) -> tuple[Any, str | None]:
    """The parsed content and, when it was read as JSON, its text."""
    if not raw.strip():
        raise _problem(name, "", tr("a register file with 'format: delegaties/1'"), tr("an empty file"))
    if b"\x00" in raw:
        raise _problem(name, "", tr("text (UTF-8)"), tr("binary data (NUL bytes)"))
    limit = max_nodes(len(raw))
    if len(raw) > MAX_FILE_BYTES:
        # Bound the values before parsing: every value but the first follows a comma or opens a
        # container (separators inside strings only raise the bound).
        bound = 1 + raw.count(b",") + raw.count(b"[") + raw.count(b"{")
        if bound > limit:
            raise _problem(name, "", tr("a register of reasonable size and nesting"), tr("more than {depth} levels or {nodes} values", depth=MAX_DEPTH, nodes=limit))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _problem(name, "", tr("UTF-8 text"), tr("an invalid byte at position {position}", position=exc.start)) from None
    surrogates = True  # may the parsed text hold lone surrogates (JSON \ud800 escapes, YAML escapes)?
    is_json = False
    if name.lower().endswith(".json"):
        data = _parse_json(text, name)
        is_json, surrogates = True, _ESCAPED_SURROGATE.search(text) is not None
    elif text.lstrip().startswith(("{", "[")):
        # JSON, or YAML in flow style: JSON first (exact decimals), YAML when it is not JSON.
        try:
            data = _parse_json(text, name)
            is_json, surrogates = True, _ESCAPED_SURROGATE.search(text) is not None
        except FileProblem:
            data = _parse_yaml(text, name)
    else:
        data = _parse_yaml(text, name)
    if surrogates or not _shape_is_fine(data, limit, string_keys=is_json):
        _check_shape(data, name, limit)  # names the first problem; walks every value with its path
    return data, (text if is_json else None)


def _parse_json(text: str, name: str) -> Any:
    def constant(c: str) -> Any:
        return float(c)  # NaN/Infinity: refused by the converter, with the path of the field

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) != len(pairs):
            seen: set[str] = set()
            for k, _v in pairs:
                if k in seen:
                    raise ValueError(f"sleutel '{k}' komt tweemaal voor in hetzelfde object")
                seen.add(k)
        return out

    try:
        return json.loads(text, parse_float=Decimal, parse_constant=constant, object_pairs_hook=unique)
    except json.JSONDecodeError as exc:
        raise _problem(name, f"regel {exc.lineno}, kolom {exc.colno}", tr("valid JSON ({detail})", detail=exc.msg)) from None
    except RecursionError:
        # The json module recurses once per level; name where the nesting goes too deep.
        line, column = _too_deep_at(text)
        raise _problem(name, f"regel {line}, kolom {column}", tr("valid JSON with at most {depth} levels of nesting", depth=MAX_DEPTH), tr("deeper nesting")) from None
    except ValueError as exc:
        raise _problem(name, "", tr("valid JSON ({detail})", detail=exc)) from None


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _too_deep_at(text: str) -> tuple[int, int]:
    """Line and column of the first bracket that opens level MAX_DEPTH + 1 (strings skipped)."""
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                start = match.start()
                line = text.count("\n", 0, start) + 1
                return line, start - (text.rfind("\n", 0, start) + 1) + 1
        elif token in "]}":
            depth -= 1
    return 1, 1


def _parse_yaml(text: str, name: str) -> Any:
    yaml, loader = _yaml_loader()
    try:
        _scan_yaml(yaml, loader, text, name)
        return yaml.load(text, Loader=loader)  # noqa: S506 - Loader is a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" in str(exc.problem):
            # libyaml (PyYAML >= 6.0.3) stops deep flow nesting while reading ahead, before any
            # event: the pure-Python parser gets as far as our own limit, which names the path.
            _scan_yaml(yaml, _yaml_loader(pure=True)[1], text, name)
        mark = exc.problem_mark or exc.context_mark
        where = f"regel {mark.line + 1}, kolom {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or tr("invalid YAML")
        raise _problem(name, where, tr("valid YAML without tags or aliases ({problem})", problem=problem)) from None
    except yaml.reader.ReaderError as exc:
        char = tr("character {value!r}", value=exc.character) if isinstance(exc.character, str) else \
            f"byte {exc.character!r}"
        raise _problem(name, "", tr("YAML text without control characters"), tr("{char} at position {position}", char=char, position=exc.position)) from None
    except (yaml.YAMLError, ValueError, RecursionError, MemoryError) as exc:
        raise _problem(name, "", tr("valid YAML ({error})", error=type(exc).__name__)) from None


def _scan_yaml(yaml: Any, loader: Any, text: str, name: str) -> None:
    """Refuse, with the path inside the file, what safe loading would accept but a register must not hold."""
    frames: list[list[Any]] = []  # [path, is_mapping, expecting_key, keys_seen, current_key_or_index]
    nodes = 0
    for ev in yaml.parse(text, Loader=loader):
        if isinstance(ev, yaml.CollectionEndEvent):
            frames.pop()
            continue
        if not isinstance(ev, yaml.NodeEvent):
            continue
        nodes += 1
        top = frames[-1] if frames else None
        line = f"regel {ev.start_mark.line + 1}"
        if top is None:
            path = ""
        elif not top[1]:
            path = f"{top[0]}[{top[4]}]"
            top[4] += 1
        elif top[2]:  # a mapping key
            if not isinstance(ev, yaml.ScalarEvent) or ev.anchor or ev.tag not in (None, "tag:yaml.org,2002:str"):
                raise _problem(name, top[0] or line, tr("string keys"), tr("a composite or tagged key"))
            key = ev.value
            where = f"{top[0]}.{key}" if top[0] else key
            if key in top[3]:
                raise _problem(name, where, tr("each key at most once per object"), tr("'{key}' twice", key=key))
            if key == "<<" and ev.implicit[0]:
                raise _problem(name, where, tr("plain keys"), tr("a merge key (<<)"))
            top[3].add(key)
            top[2], top[4] = False, key
            continue
        else:
            path = f"{top[0]}.{top[4]}" if top[0] else str(top[4])
            top[2] = True
        where = path or line
        if isinstance(ev, yaml.AliasEvent) or ev.anchor is not None:
            raise _problem(name, where, tr("plain values"), tr("an anchor or alias (&name, *name)"))
        if ev.tag is not None and ev.tag not in _CORE_TAGS:
            raise _problem(name, where, tr("values without tags"), tr("the tag {tag}", tag=ev.tag))
        if isinstance(ev, yaml.ScalarEvent):
            if ev.implicit[0] and len(ev.value) > MAX_DIGITS and _DIGITS.match(ev.value):
                raise _problem(name, where, tr("a number of at most {max} digits (quote codes)", max=MAX_DIGITS), tr("{count} digits", count=len(ev.value)))
        else:
            frames.append([path, isinstance(ev, yaml.MappingStartEvent), True, set(), 0])
            if len(frames) > MAX_DEPTH:
                raise _problem(name, where, tr("at most {depth} levels of nesting", depth=MAX_DEPTH), tr("deeper nesting"))
        if nodes > MAX_NODES:
            raise _problem(name, where, tr("at most {nodes} values", nodes=MAX_NODES), tr("more"))


# A JSON escape of a surrogate code (\ud800-\udfff); a pair of them is one character, a lone one is refused.
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _shape_is_fine(data: Any, limit: int = MAX_NODES, string_keys: bool = False) -> bool:
    """`_check_shape` would find nothing wrong in shape (depth, count, keys), level by level
    without paths; text is not looked at (the caller knows when it can hold no lone surrogate).
    `string_keys`: every key is a string (JSON's are)."""
    level, depth, nodes = [data], 0, 0
    while level:
        nodes += len(level)
        if depth > MAX_DEPTH or nodes > limit:
            return False
        below: list[Any] = []
        for node in level:
            if type(node) is dict:
                if not string_keys:
                    for k in node:
                        if type(k) is not str:
                            return False
                below.extend(node.values())
            elif type(node) is list:
                below.extend(node)
            elif isinstance(node, dict | list):
                return False  # not from our parsers: let the full walk judge
        level, depth = below, depth + 1
    return True


def _check_shape(data: Any, name: str, limit: int = MAX_NODES) -> None:
    """Refuse absurd nesting or size (JSON) and unstorable text before anything walks the structure recursively."""
    stack: list[tuple[Any, int, str]] = [(data, 0, "")]
    nodes = 0
    while stack:
        node, depth, path = stack.pop()
        nodes += 1
        if depth > MAX_DEPTH or nodes > limit:
            raise _problem(name, path, tr("a register of reasonable size and nesting"), tr("more than {depth} levels or {nodes} values", depth=MAX_DEPTH, nodes=limit))
        if isinstance(node, dict):
            for k, v in node.items():
                if not isinstance(k, str):
                    raise _problem(name, path, tr("string keys"), repr(k))
                _check_text(k, name, path)
                stack.append((v, depth + 1, f"{path}.{k}" if path else k))
        elif isinstance(node, list):
            stack.extend((v, depth + 1, f"{path}[{i}]") for i, v in enumerate(node))
        elif isinstance(node, str):
            _check_text(node, name, path)


def _check_text(value: str, name: str, path: str) -> None:
    # JSON "\ud800" escapes yield lone surrogates, which SQLite and UTF-8 output cannot store.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _problem(name, path, tr("valid Unicode text"), tr("a lone surrogate code (\\ud800-\\udfff)")) from None


__all__ = ["FileProblem", "read_file", "read_register", "parse_bytes", "format_error"]


# -- identifiers --------------------------------------------------------------------------------

# Keys whose values are ids, references to ids, or names: printable text only (identifiers.py).
ID_KEYS = frozenset(("id", "name", "person", "position", "unit", "parent", "to", "by", "under", "target", "holder",
                     "legal_basis", "kind", "matter", "only_when_absent", "cosignature_by", "notify", "capacity",
                     "entity", "every", "issuer"))
ID_LIST_KEYS = frozenset(("powers", "substitutes", "issuers", "units", "document_types", "budget_keys", "excluded",
                          "delegable_to", "subdelegable_to", "not_delegable", "entities", "delegators"))


def identifier_findings(data: Any, name: str) -> list[ValidationFinding]:
    """FORMAT findings for ids, references and names holding control, format (bidi, zero-width),
    line-break or other non-printing characters, with the path of each (at most about 100: those
    met first, walking the file as `_identifier_findings_plain` does).

    The walk builds no path: it keeps each container's place (its parent's place and its key or
    index) and spells a path out only for a value that is refused; a printable ASCII value without
    outer spaces, which nearly every value is, is passed over at once."""
    from delegations.identifiers import identifier_problem, normalize

    found: list[ValidationFinding] = []

    def check(place: Any, key: Any, value: str) -> None:
        if "\x00" in value:
            return  # the converter names NUL characters in its own words
        problem = identifier_problem(normalize(value))
        if problem is not None:
            found.append(ValidationFinding("FORMAT", name, _spell((place, key)), tr("expected {expected}", expected=problem)))

    # identifier_problem() finds nothing in a printable ASCII value without a space at either end
    stack: list[tuple[Any, Any]] = [(data, None)]  # (container, its place)
    while stack and len(found) < 100:
        node, place = stack.pop()
        if type(node) is dict:
            for k, v in node.items():
                if k in ID_KEYS and isinstance(v, str):
                    if not (v.isascii() and v.isprintable() and v[:1] != " " and v[-1:] != " "):
                        check(place, k, v)
                elif k in ID_LIST_KEYS and isinstance(v, list):
                    where = (place, k)
                    for i, x in enumerate(v):
                        if isinstance(x, str) and not (x.isascii() and x.isprintable() and x[:1] != " " and x[-1:] != " "):
                            check(where, i, x)
                elif type(v) is dict or type(v) is list:
                    stack.append((v, (place, k)))
                elif isinstance(v, dict | list):
                    return _identifier_findings_plain(data, name)
        elif type(node) is list:
            for i, v in enumerate(node):
                if type(v) is dict or type(v) is list:
                    stack.append((v, (place, i)))
                elif isinstance(v, dict | list):
                    return _identifier_findings_plain(data, name)
    return sorted(found, key=lambda f: f.path)


def _spell(place: Any) -> str:
    """The path of a place (parent place, key or index), as `_identifier_findings_plain` writes it."""
    parts: list[Any] = []
    while place is not None:
        place, step = place
        parts.append(step)
    path = ""
    for step in reversed(parts):
        if isinstance(step, int):
            path = f"{path}[{step}]"
        else:
            path = f"{path}.{step}" if path else str(step)
    return path


def _identifier_findings_plain(data: Any, name: str) -> list[ValidationFinding]:
    """`identifier_findings` as it was written first, with the path of every value: the reference."""
    from delegations.identifiers import identifier_problem, normalize

    found: list[ValidationFinding] = []
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack and len(found) < 100:
        node, path = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                where = f"{path}.{k}" if path else str(k)
                if k in ID_KEYS and isinstance(v, str):
                    values = [(where, v)]
                elif k in ID_LIST_KEYS and isinstance(v, list):
                    values = [(f"{where}[{i}]", x) for i, x in enumerate(v) if isinstance(x, str)]
                else:
                    stack.append((v, where))
                    continue
                for at, value in values:
                    if "\x00" in value:
                        continue  # the converter names NUL characters in its own words
                    problem = identifier_problem(normalize(value))
                    if problem is not None:
                        found.append(ValidationFinding("FORMAT", name, at, tr("expected {expected}", expected=problem)))
        elif isinstance(node, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(node))
    return sorted(found, key=lambda f: f.path)

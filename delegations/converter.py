"""The one cattrs converter: register file dicts <-> model objects, with readable error paths.

Structuring is strict on purpose: a register is evidence, so `25000` where a date is expected,
a string where a list is expected, or an unknown key is an error, never a silent coercion.

`structure` first builds the object by walking its class's fields with the same hooks (`_plain`),
as fast as cattrs' generated functions and without importing cattrs or generating code: a
one-shot command that reads a few dozen stored entities never pays for either. The walk decides
nothing on its own: a value it does not accept goes to the cattrs converter (imported and made on
first use), so every error, and its path, is cattrs' own.
"""

from __future__ import annotations

import builtins
import math
import re
import sys
import threading
import types
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from attrs import NOTHING, fields

from . import model as m
from .identifiers import normalize, text_problem
from .texts import Text, tr

if TYPE_CHECKING:
    import cattrs

MAX_AMOUNT = Decimal("1000000000000")  # 10^12 EUR: anything larger is a typo, not a budget
MIN_YEAR, MAX_YEAR = 1800, 2999
CENT = Decimal("0.01")
# ASCII digits only: `\d` would also accept Arabic-Indic or full-width digits.
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_DECIMAL = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


class FormatProblem(ValueError):
    """Raised by hooks: carries what was expected (a `Text`; `str()` is the Dutch, translated only
    when read: a large file can raise many of these)."""

    def __init__(self, expected: Text):
        super().__init__(expected)
        self.expected = expected


def parse_amount(value: Any) -> Decimal:
    if type(value) is Decimal and value.is_finite() and 0 <= value <= MAX_AMOUNT and -2 <= value.as_tuple().exponent <= 0:
        # The common case for library callers: nothing to convert. A positive exponent (1E+5 from
        # JSON 1e5 or YAML 8.5e+3) takes the long way, or str() would store a form we cannot read back.
        return value
    if isinstance(value, bool) or value is None:
        raise FormatProblem(tr("an amount in EUR (number or decimal string)"))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FormatProblem(tr("a finite amount in EUR"))
        value = repr(value)
    if isinstance(value, Decimal):
        # JSON/YAML numbers such as 1e5 arrive as Decimal('1E+5'). Bound them before writing them
        # out in full, so 1e999999999 is refused instead of expanded into a billion digits.
        if not value.is_finite():
            raise FormatProblem(tr("a finite amount in EUR"))
        if value < 0:
            raise FormatProblem(tr("an amount of 0 or more"))
        if value > MAX_AMOUNT:
            raise FormatProblem(tr("an amount below 10^12 EUR"))
        if value.as_tuple().exponent < -2:  # type: ignore[operator]
            raise FormatProblem(tr("an amount with at most 2 decimals"))
        value = format(value, "f")
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or not _DECIMAL.match(value.strip()):
        raise FormatProblem(tr("an amount in EUR such as 1200 or \"1200.50\""))
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:  # pragma: no cover - the pattern already excludes this
        raise FormatProblem(tr("a valid amount")) from None
    if amount < 0:
        raise FormatProblem(tr("an amount of 0 or more"))
    if amount > MAX_AMOUNT:
        raise FormatProblem(tr("an amount below 10^12 EUR"))
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise FormatProblem(tr("an amount with at most 2 decimals"))
    # 8500 and 8500.00 are the same amount: one stored form, so the same content hashes the same.
    return amount.quantize(CENT)


def parse_date(value: Any) -> date:
    if isinstance(value, date) and not hasattr(value, "hour"):
        parsed = value
    elif not isinstance(value, str) or not _DATE.match(value):
        raise FormatProblem(tr("a date YYYY-MM-DD"))
    else:
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            raise FormatProblem(tr("an existing date YYYY-MM-DD")) from None
    # Periods, due dates and "end of day" arithmetic must never leave the calendar; a register
    # date outside these years is a typo anyway.
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise FormatProblem(tr("a date between {MIN_YEAR} and {MAX_YEAR}", MIN_YEAR=MIN_YEAR, MAX_YEAR=MAX_YEAR))
    return parsed


def _str(value: Any, _t: Any = None) -> str:
    if not isinstance(value, str):
        raise FormatProblem(tr("a string (quote values like 2025)"))
    if not value.strip():
        raise FormatProblem(tr("a non-empty string"))
    if len(value) > 10_000 or "\x00" in value:
        raise FormatProblem(tr("a reasonable string without NUL characters"))
    if (problem := text_problem(value := normalize(value))) is not None:  # identifiers.py: NFC, printable
        raise FormatProblem(problem)
    return value


def _strs(value: Any, _t: Any = None) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise FormatProblem(tr("a list"))
    try:
        return tuple(_str(v) for v in value)
    except FormatProblem:
        pass
    from cattrs.errors import IterableValidationError, IterableValidationNote

    errors = []  # slow path only on error: name every bad index, like lists of objects do
    for i, v in enumerate(value):
        try:
            _str(v)
        except FormatProblem as e:
            e.__notes__ = [IterableValidationNote(f"@ index {i}", i, str)]
            errors.append(e)
    raise IterableValidationError("list", errors, tuple)


def _bool(value: Any, _t: Any = None) -> bool:
    if not isinstance(value, bool):
        raise FormatProblem(tr("true or false"))
    return value


def _int(value: Any, _t: Any = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000:
        raise FormatProblem(tr("a whole number from 0 to 10000"))
    return value


def _entities(v: Any, _t: Any = None) -> str | tuple[str, ...]:
    # One legal entity, or a non-empty list of distinct ones for an act that covers several.
    if isinstance(v, str):
        return _str(v)
    items = _strs(v)
    if not items or len(set(items)) != len(items):
        raise FormatProblem(tr("a legal entity or a list of distinct legal entities"))
    return items


def _make() -> cattrs.Converter:
    """The converter, with every hook of a model class made on its first use: a process that reads
    a few stored entities (one `check`) generates the code for those classes only."""
    import cattrs
    from cattrs.errors import IterableValidationError, IterableValidationNote
    from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

    c = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    c.register_structure_hook(str, _str)
    _exact(c, tuple[str, ...], _strs)
    c.register_structure_hook(bool, _bool)
    c.register_structure_hook(int, _int)
    c.register_structure_hook(Decimal, lambda v, _t: parse_amount(v))
    c.register_structure_hook(date, lambda v, _t: parse_date(v))
    c.register_unstructure_hook(Decimal, str)
    c.register_unstructure_hook(date, date.isoformat)

    def _optional(hook):
        return lambda v, _t: None if v is None else hook(v, _t)

    _exact(c, str | None, _optional(_str))
    _exact(c, int | None, _optional(_int))
    _exact(c, Decimal | None, _optional(lambda v, _t: parse_amount(v)))
    _exact(c, date | None, _optional(lambda v, _t: parse_date(v)))

    _exact(c, m.Entities, _entities)

    def _list_of(cls):
        # The item hook is looked up on first use, when every hook is registered (a class generated
        # before the list hooks would get cattrs' lenient default, which iterates a dict's keys or a
        # string's characters as if they were the list).
        item = []

        def hook(v, _t):
            if v is None:
                return ()
            if not isinstance(v, list | tuple):
                raise FormatProblem(tr("a list"))
            if not item:
                item.append(c.get_structure_hook(cls))
            errors, out = [], []
            for i, x in enumerate(v):
                try:
                    out.append(item[0](x, cls))
                except Exception as e:  # noqa: BLE001 - collected into one group with indices
                    e.__notes__ = [*getattr(e, "__notes__", []), IterableValidationNote(f"@ index {i}", i, cls)]
                    errors.append(e)
            if errors:
                raise IterableValidationError("list", errors, tuple)
            return tuple(out)

        return hook

    for cls in (m.Unit, m.Position, m.Person, m.Appointment, m.Absence, m.Power, m.Holding, m.Rule,
                m.ReportingDuty, m.Grant, m.Decision, m.Revocation, m.Conflict, m.VisumExemption):
        _exact(c, tuple[cls, ...], _list_of(cls))
    for cls in (m.Substitution, m.Acting, m.Condition):
        _exact(c, cls | None, lambda v, _t, cls=cls: None if v is None else c.structure(v, cls))

    # Every model class: a strict hook (unknown keys refused, `from` and `for` renamed), generated
    # when the class is first structured or unstructured. Sub-objects may be given as null: "all
    # defaults".
    def _structure_fn(cls):
        fn = _mapping(make_dict_structure_fn(cls, c, _cattrs_forbid_extra_keys=True,
                                             **{k: override(rename=v) for k, v in RENAMED.get(cls, {}).items()}))
        if cls in NULL_IS_DEFAULT:
            return lambda v, t: cls() if v is None else fn(v, t)
        return fn

    c.register_structure_hook_factory(lambda t: t in STRUCTURED, _structure_fn)
    # Fields added after registers were first written are left out of the stored form while they
    # keep their default: the same file then stores (and hashes) exactly as it did before.
    c.register_unstructure_hook_factory(lambda t: t in RENAMED or t in ADDED_FIELDS, lambda t: make_dict_unstructure_fn(
        t, c, **{k: override(rename=v) for k, v in RENAMED.get(t, {}).items()},
        **{f: override(omit_if_default=True) for f in ADDED_FIELDS.get(t, ())}))
    return c


def _exact(c: cattrs.Converter, tp: Any, hook) -> None:
    # Generic aliases and unions are matched by equality, not by class dispatch.
    c.register_structure_hook_func(lambda t, tp=tp: t == tp, hook)


def _mapping(fn):
    def hook(v, t):
        if not isinstance(v, dict):
            raise FormatProblem(tr("an object with keys"))
        return fn(v, t)

    return hook


# The model classes the converter structures strictly (every other type is cattrs' own).
STRUCTURED = frozenset((
    m.Administration, m.Unit, m.Position, m.Person, m.Appointment, m.Absence, m.Power, m.Holding, m.Substitution,
    m.Acting, m.Condition, m.VisumExemption, m.Rule, m.Limits, m.Requirements, m.SubdelegationPolicy,
    m.ReportingDuty, m.Grant, m.Decision, m.Revocation, m.Conflict, m.RegisterFile))
NULL_IS_DEFAULT = frozenset((m.Limits, m.Requirements, m.SubdelegationPolicy))
# Register file keys that are Python keywords.
RENAMED = {
    m.Appointment: {"from_": "from"},
    m.Absence: {"from_": "from"},
    m.Conflict: {"from_": "from"},
    m.Substitution: {"for_": "for"},
}
ADDED_FIELDS = {
    m.Administration: ("jurisdiction",),
    m.Unit: ("entity",),
    m.Position: ("rank",),
    m.Rule: ("issuers", "overrides", "effective_from", "effective_until", "visum_exempt", "overridable", "note",
             "notify_councils", "signature_mention", "subdelegation_rule", "substitution", "acting", "condition"),
}

_converter: list[cattrs.Converter] = []
_making = threading.Lock()


def __getattr__(name: str) -> Any:
    if name == "converter":  # the cattrs converter, made on first use
        return _cattrs()
    raise AttributeError(name)


def _cattrs() -> cattrs.Converter:
    if not _converter:
        with _making:  # the HTTP service structures in several threads
            if not _converter:
                _converter.append(_make())
    return _converter[0]


def structure(data: Any, cls: type) -> Any:
    build = _PLAIN.get(cls) or _plain_class(cls)
    if build is not None:
        try:
            return build(data)
        except Exception:  # noqa: BLE001, S110 - not accepted as it is: cattrs decides, and says why
            pass
    return _cattrs().structure(data, cls)


def unstructure(obj: Any) -> Any:
    return _cattrs().unstructure(obj)


# -- structuring without cattrs -----------------------------------------------------------------
# `_PLAIN`: type -> a function of the value that returns what the cattrs hook of that type returns
# for it, or raises when it cannot (then cattrs runs instead, from the top). A class's function is
# made on first use from its fields; a class with a field type not in `_PLAIN` is cattrs' only.


class _Refused(Exception):
    """The plain walk does not accept this value (cattrs will say why)."""


def _optional_plain(hook):
    return lambda v: None if v is None else hook(v)


def _list_plain(cls: type):
    def build(v):
        if v is None:
            return ()
        if not isinstance(v, list | tuple):
            raise _Refused
        item = _PLAIN.get(cls) or _plain_class(cls)
        if item is None:
            raise _Refused
        return tuple([item(x) for x in v])

    return build


def _class_plain(cls: type):
    def build(v):
        found = _PLAIN.get(cls) or _plain_class(cls)
        if found is None:
            raise _Refused
        return found(v)

    return build


_PLAIN: dict[Any, Any] = {
    str: _str, bool: _bool, int: _int, Decimal: parse_amount, date: parse_date, tuple[str, ...]: _strs,
    str | None: _optional_plain(_str), int | None: _optional_plain(_int),
    Decimal | None: _optional_plain(parse_amount), date | None: _optional_plain(parse_date), m.Entities: _entities,
}
_PLAIN.update({tuple[cls, ...]: _list_plain(cls) for cls in (
    m.Unit, m.Position, m.Person, m.Appointment, m.Absence, m.Power, m.Holding, m.Rule, m.ReportingDuty, m.Grant,
    m.Decision, m.Revocation, m.Conflict, m.VisumExemption)})
_PLAIN.update({cls | None: _optional_plain(_class_plain(cls)) for cls in (m.Substitution, m.Acting, m.Condition)})
_NO_PLAIN: set[type] = set()


_ANNOTATIONS: dict[tuple[str, str], Any] = {}


def _field_type(cls: type, annotation: Any) -> Any:
    """A field's type: attrs keeps the annotation's text (`from __future__ import annotations`)
    until something resolves it. Read as `typing.get_type_hints` would, in the class's module, for
    the forms the model uses (a name, `A | B`, `tuple[A, ...]`); any other form raises (cattrs only)."""
    if not isinstance(annotation, str):
        return annotation
    key = (cls.__module__, annotation)
    if key not in _ANNOTATIONS:
        _ANNOTATIONS[key] = _annotation(annotation.strip(), vars(sys.modules[cls.__module__]))
    return _ANNOTATIONS[key]


def _annotation(text: str, namespace: dict[str, Any]) -> Any:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"[": 1, "]": -1}.get(ch, 0)
        if ch == "|" and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    if parts:
        found = _annotation(parts[0], namespace)
        for part in (*parts[1:], text[start:].strip()):
            found = found | _annotation(part, namespace)
        return found
    if text.startswith("tuple[") and text.endswith(", ...]"):
        return tuple[_annotation(text[6:-6].strip(), namespace), ...]
    if text == "None":
        return None
    if text.isidentifier():
        found = namespace[text] if text in namespace else getattr(builtins, text)
        if isinstance(found, type) or type(found) is types.UnionType:
            return found
    raise _Refused(text)


def _plain_class(cls: type):
    """The plain builder of a model class (as cattrs' generated function with `_mapping` around it):
    a dict with known keys only, each field through its hook, required fields present."""
    if cls in _NO_PLAIN or cls not in STRUCTURED:
        return None
    renamed = RENAMED.get(cls, {})
    spec = []
    try:
        for a in fields(cls):
            tp = _field_type(cls, a.type)
            hook = _PLAIN.get(tp) or (_class_plain(tp) if tp in STRUCTURED else None)
            if hook is None or not a.init or a.alias != a.name:
                raise _Refused
            spec.append((a.name, renamed.get(a.name, a.name), hook, a.default is NOTHING))
    except Exception:  # noqa: BLE001 - a field this walk does not know: cattrs only
        _NO_PLAIN.add(cls)
        return None
    allowed = frozenset(key for _name, key, _hook, _required in spec)
    null_is_default = cls in NULL_IS_DEFAULT

    def build(v):
        if v is None and null_is_default:
            return cls()
        if type(v) is not dict or not allowed.issuperset(v):
            raise _Refused
        res = {}
        for name, key, hook, required in spec:
            if key in v:
                res[name] = hook(v[key])
            elif required:
                raise _Refused
        return cls(**res)

    _PLAIN[cls] = build
    return build


def error_items(exc: BaseException, path: str = "") -> list[tuple[str, Text]]:
    """Flatten a cattrs exception group into (path, expected) pairs, e.g.
    ('decisions[0].grants[1].limits.max_amount', tr('an amount in EUR ...'))."""
    from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError

    # group_exceptions() returns (with_notes, without_notes); an exception without a note has
    # no more precise path than its group's.
    if isinstance(exc, ClassValidationError):
        with_notes, others = exc.group_exceptions()
        out = []
        for sub, note in with_notes:
            out += error_items(sub, _join(path, note.name))
        for sub in others:
            out += error_items(sub, path)
        return out
    if isinstance(exc, IterableValidationError):
        with_notes, others = exc.group_exceptions()
        out = []
        for sub, note in with_notes:
            out += error_items(sub, f"{path}[{note.index}]")
        for sub in others:
            out += error_items(sub, path)
        return out
    if isinstance(exc, ForbiddenExtraKeysError):
        keys = ", ".join(sorted(exc.extra_fields))
        return [(path, tr("no unknown keys (found: {keys})", keys=keys))]
    if isinstance(exc, FormatProblem):
        return [(path, exc.expected)]
    if isinstance(exc, KeyError):
        return [(path, tr("a required field (missing)"))]
    return [(path, tr("a valid value"))]


def _join(path: str, name: str) -> str:
    name = {"from_": "from"}.get(name, name)
    return f"{path}.{name}" if path else name

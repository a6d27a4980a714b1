"""The one cattrs converter: register file dicts <-> model objects, with readable error paths.

Structuring is strict on purpose: a register is evidence, so `25000` where a date is expected,
a string where a list is expected, or an unknown key is an error, never a silent coercion.
"""

from __future__ import annotations

import math
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from . import model as m
from .identifiers import normalize, text_problem
from .texts import Text, tr

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
    errors = []  # slow path only on error: name every bad index, like lists of objects do
    for i, v in enumerate(value):
        try:
            _str(v)
        except FormatProblem as e:
            e.__notes__ = [cattrs.errors.IterableValidationNote(f"@ index {i}", i, str)]
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


def _make() -> cattrs.Converter:
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

    def _entities(v, _t=None):
        # One legal entity, or a non-empty list of distinct ones for an act that covers several.
        if isinstance(v, str):
            return _str(v)
        items = _strs(v)
        if not items or len(set(items)) != len(items):
            raise FormatProblem(tr("a legal entity or a list of distinct legal entities"))
        return items

    _exact(c, m.Entities, _entities)

    # Sub-objects may be given as null: treat as "all defaults".
    for cls in (m.Limits, m.Requirements, m.SubdelegationPolicy):
        fn = make_dict_structure_fn(cls, c, _cattrs_forbid_extra_keys=True)
        c.register_structure_hook(cls, lambda v, t, fn=fn, cls=cls: cls() if v is None else _mapping(fn)(v, t))

    def _list_of(cls):
        # The item hook is looked up on first use: list hooks must be registered before the classes
        # that contain such lists, or those classes are generated with cattrs' lenient default
        # (which iterates a dict's keys or a string's characters as if they were the list).
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
                    e.__notes__ = [*getattr(e, "__notes__", []), cattrs.errors.IterableValidationNote(f"@ index {i}", i, cls)]
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
    c.register_structure_hook_factory(lambda t: t is m.Substitution, lambda t: _mapping(make_dict_structure_fn(
        t, c, _cattrs_forbid_extra_keys=True, for_=override(rename="for"))))
    c.register_unstructure_hook_factory(lambda t: t is m.Substitution, lambda t: make_dict_unstructure_fn(
        t, c, for_=override(rename="for")))
    for cls, renames in (
        (m.Appointment, {"from_": "from"}),
        (m.Absence, {"from_": "from"}),
        (m.Conflict, {"from_": "from"}),
    ):
        fn = make_dict_structure_fn(cls, c, _cattrs_forbid_extra_keys=True, **{k: override(rename=v) for k, v in renames.items()})
        c.register_structure_hook(cls, _mapping(fn))
        c.register_unstructure_hook(cls, make_dict_unstructure_fn(cls, c, **{k: override(rename=v) for k, v in renames.items()}))
    for cls in (m.Administration, m.Unit, m.Position, m.Person, m.Power, m.Holding, m.Rule, m.ReportingDuty,
                m.Grant, m.Decision, m.Revocation):
        c.register_structure_hook(cls, _mapping(make_dict_structure_fn(cls, c, _cattrs_forbid_extra_keys=True)))
    # Parts only rulebooks and a few local rules use: their hooks are made on first use (start-up).
    lazy = (m.Acting, m.Condition, m.VisumExemption)
    c.register_structure_hook_factory(lambda t: t in lazy, lambda t: _mapping(
        make_dict_structure_fn(t, c, _cattrs_forbid_extra_keys=True)))
    # Fields added after registers were first written are left out of the stored form while they
    # keep their default: the same file then stores (and hashes) exactly as it did before.
    c.register_unstructure_hook_factory(lambda t: t in ADDED_FIELDS, lambda t: make_dict_unstructure_fn(
        t, c, **{f: override(omit_if_default=True) for f in ADDED_FIELDS[t]}))
    c.register_structure_hook(m.RegisterFile, _mapping(make_dict_structure_fn(m.RegisterFile, c, _cattrs_forbid_extra_keys=True)))
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


ADDED_FIELDS = {
    m.Administration: ("jurisdiction",),
    m.Unit: ("entity",),
    m.Position: ("rank",),
    m.Rule: ("issuers", "overrides", "effective_from", "effective_until", "visum_exempt", "overridable", "note",
             "notify_councils", "signature_mention", "subdelegation_rule", "substitution", "acting", "condition"),
}

converter = _make()


def structure(data: Any, cls: type) -> Any:
    return converter.structure(data, cls)


def unstructure(obj: Any) -> Any:
    return converter.unstructure(obj)


def error_items(exc: BaseException, path: str = "") -> list[tuple[str, Text]]:
    """Flatten a cattrs exception group into (path, expected) pairs, e.g.
    ('decisions[0].grants[1].limits.max_amount', tr('an amount in EUR ...'))."""
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

"""The register: the library API that the CLI and the HTTP service mirror (contract section 7).

`Registry` is a facade: each method is a few lines over the module that owns the subject
(questions, uses, attest, keys, checkpoints, duties, reports, fsck). Every SQLite failure leaves
it as a library error (`errors.from_sqlite`): busy, read-only, disk full and I/O trouble are
UnavailableError with a specific code, a damaged file is an IntegrityError.
"""

from __future__ import annotations

import functools
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from delegations import model as m
from delegations.answer import Answer, Question
from delegations.converter import structure, unstructure
from delegations.search import who_candidates
from delegations.signature import SignatureAnswer, pair
from delegations.state import MODEL, RegisterState
from delegations.texts import Text, tr

if TYPE_CHECKING:
    from delegations.validate import ValidationFinding

    from .pg import PgTarget
    from .uses import Exercise

from . import projections, questions, schema
from .errors import (
    InputError,
    IntegrityError,
    NotFoundError,
    RegistryError,
    from_sqlite,
    restore,
)
from .gcpause import gc_paused
from .locations import DEFAULT_DB, default_path, is_pg, is_url, location  # noqa: F401 - re-exported
from .questions import answer
from .store import (
    DEFAULT_WAIT,
    FILE_MODE,
    GENESIS,
    Event,
    Store,
    canonical,
    create_file,
    open_connection,
    sha256,
)

F = TypeVar("F", bound=Callable[..., Any])


def parse_moment(value: str | date | datetime | None) -> str | None:
    return questions.moment(value)


def guarded(fn: F) -> F:
    """SQLite's own failures leave the library as RegistryError, never as sqlite3 exceptions."""

    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise from_sqlite(exc, getattr(self, "path", "")) from None

    return wrapper  # type: ignore[return-value]


class ImportResult:
    def __init__(self, added: int, changed: int, unchanged: int, findings: list[ValidationFinding], events: list[Event]):
        self.added, self.changed, self.unchanged = added, changed, unchanged
        self.findings, self.events = findings, events

    def to_dict(self, lang: str = "nl") -> dict[str, Any]:
        return {"added": self.added, "changed": self.changed, "unchanged": self.unchanged,
                "events": len(self.events), "findings": [f.to_dict(lang) for f in self.findings]}


class Registry:
    def __init__(self, path: Path, store: Store, lazy: bool = False):
        self.path = path
        self.store = store
        self.lazy = lazy
        # (store version, state, seq, head, usage per (grant, year)): valid until anything is committed
        self._snap: tuple | None = None
        self.last_jti: str | None = None  # jti of the last attestation issued through this object
        self._keys = None

    @property
    def keys(self):
        """The register's keys (imported on first use: a `check` never signs)."""
        if self._keys is None:
            from .keys import KEYS_ENV, Keys

            if is_pg(self.path):  # the service host's own directory, one per administration
                directory = Path(os.environ.get(KEYS_ENV) or "keys") / str(self.path.administration)
            else:
                directory = os.environ.get(KEYS_ENV) or Path(self.path).resolve().parent / "keys"
            self._keys = Keys(self.store, Path(directory))
        return self._keys

    # -- opening --------------------------------------------------------------------------------
    @classmethod
    def init(cls, path: str | Path | None = None, *, mode: int = FILE_MODE, wait: float = DEFAULT_WAIT) -> Registry:
        """Create an empty register, readable and writable by its owner only (`mode` 0o640 adds
        read access for the group); the -wal and -shm files get the same mode."""
        path = location(path)
        if is_pg(path):
            return cls._open_pg(path, create=True, readonly=False, wait=wait, new=True)
        if os.path.lexists(path):
            if not path.is_file() or path.is_symlink():
                raise InputError(tr("{path}: that is not a regular file; choose another path", path=path), parameter="db")
            if path.stat().st_size > 0:
                raise InputError(tr("{path}: a file exists already; choose another path or remove it first", path=path),
                                 parameter="db")
        _creatable(path)
        _create(path, mode)
        return cls.open(path, wait=wait)

    @classmethod
    def open(cls, path: str | Path | None = None, create: bool = False, lazy: bool = False, *,
             readonly: bool = False, wait: float = DEFAULT_WAIT) -> Registry:
        """Open a register; `lazy` reads only what each question touches (one-shot commands);
        `readonly` never writes (works without write permission and on a read-only file system)."""
        path = location(path)
        if is_pg(path):
            return cls._open_pg(path, create=create, readonly=readonly, wait=wait)
        if not path.exists():
            if not create:
                raise InputError(tr("{path}: no register found; create one with 'delegaties init'", path=path), parameter="db")
            _creatable(path)
            _create(path, FILE_MODE)
        if not path.is_file():
            raise IntegrityError(tr("{path}: not a readable delegation register (not a regular file)", path=path))
        try:
            conn, immutable = open_connection(path, readonly, wait)
            if schema.needs_upgrade(conn):
                conn = _upgraded(path, conn, readonly, wait)
            conn.execute("SELECT 1 FROM entities LIMIT 1").fetchall()
        except sqlite3.DatabaseError as exc:
            err = from_sqlite(exc, path)
            if isinstance(err, IntegrityError) or (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF == 26:
                raise IntegrityError(tr("{path}: not a readable delegation register ({exc})", path=path, exc=exc)) from None
            raise err from None
        return cls(path, Store(conn, path, readonly=readonly, immutable=immutable, wait=wait), lazy)

    @classmethod
    def _open_pg(cls, target: PgTarget, *, create: bool, readonly: bool, wait: float, new: bool = False) -> Registry:
        from . import pg

        return cls(target, pg.open_store(target, create=create, readonly=readonly, wait=wait, new=new), lazy=False)  # type: ignore[arg-type]

    @classmethod
    def import_files(cls, path: str | Path | None, *files: str | Path, wait: float = DEFAULT_WAIT,
                     assertions: str | Path | None = None) -> tuple[Registry, ImportResult]:
        """`import`: load files into the register at `path`, creating it if needed. A failed
        first import leaves no (empty) register file behind."""
        path = location(path)
        new = not is_pg(path) and not path.exists()  # type: ignore[union-attr]
        reg = cls.open(path, create=True, wait=wait)
        try:
            return reg, reg.load(*files, assertions=assertions)
        except Exception:
            if new:
                reg.close()
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
            raise

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- state ----------------------------------------------------------------------------------
    @property
    @guarded
    def head(self) -> tuple[int, str]:
        return self.store.head()

    @guarded
    def administration(self) -> m.Administration | None:
        raw = self.store.meta("administration")
        return restore(raw, m.Administration, "administration") if raw else None

    def administration_id(self) -> str:
        admin = self.administration()
        return admin.id if admin else "onbekend"

    @guarded
    def state(self, as_known_on: str | date | datetime | None = None) -> RegisterState:
        moment = questions.moment(as_known_on)
        if moment is not None:
            return self._replayed_state(moment=moment)
        return self._snapshot()[1]

    def _snapshot(self) -> tuple:
        version = self.store.version()
        snap = self._snap
        if snap is None or snap[0] != version:
            seq, head = self.store.head()
            # Uses, attestations and duties do not change the entities: a long-running reader
            # (the HTTP service) keeps its loaded state across them and refreshes only the usage.
            keep = snap is not None and (snap[2] == seq or not self.store.conn.execute(
                "SELECT 1 FROM events WHERE seq > ? AND kind IN ('entity.put', 'administration.set') LIMIT 1",
                (snap[2],)).fetchone())
            state = snap[1] if keep else (self._lazy_state() if self.lazy else self._load_state())
            snap = self._snap = (version, state, seq, head, {})
        return snap

    def _lazy_state(self) -> RegisterState:
        from .lazy import LazyState

        return LazyState(self.store.conn, self.administration())

    def _load_state(self) -> RegisterState:
        entities: dict[str, dict[str, object]] = {k: {} for k in MODEL}
        hashes: dict[str, str] = {}
        for kind, key, data, digest in self.store.conn.execute("SELECT kind, key, data, sha256 FROM entities"):
            entities[kind][key] = restore(data, MODEL[kind], f"{kind} {key}")
            if kind == "decision":
                hashes[key] = digest
        return RegisterState(self.administration(), entities, hashes)

    def _replayed_state(self, moment: str | None = None, until_seq: int | None = None) -> RegisterState:
        entities: dict[str, dict[str, object]] = {k: {} for k in MODEL}
        hashes: dict[str, str] = {}
        admin = None
        for ev in self.store.events(until=moment, until_seq=until_seq, kinds=("entity.put", "administration.set")):
            d = ev.data
            if ev.kind == "administration.set":
                admin = structure(d, m.Administration)
                continue
            entities[d["kind"]][d["key"]] = structure(d["data"], MODEL[d["kind"]])
            if d["kind"] == "decision":
                hashes[d["key"]] = sha256(canonical(d["data"]))
        return RegisterState(admin, entities, hashes)

    @guarded
    def head_at(self, moment: str | None) -> tuple[int, str]:
        if moment is None:
            return self.head
        row = self.store.conn.execute("SELECT seq, hash FROM events WHERE recorded_at <= ? ORDER BY seq DESC LIMIT 1",
                                      (moment,)).fetchone()
        return (row[0], row[1]) if row else (0, GENESIS)

    @guarded
    def answer_at(self, q: Question, seq: int, *, exclude: str | None = None) -> Answer:
        """The answer of the register as it stood after event `seq` (its entities and the uses
        recorded by then, without the use `exclude`)."""
        conn = self.store.conn
        later = conn.execute("SELECT 1 FROM events WHERE seq > ? AND kind IN ('entity.put', 'administration.set') "
                             "LIMIT 1", (seq,)).fetchone()
        state = self._replayed_state(until_seq=seq) if later else self.state()

        def usage(grant: str, year: int) -> Decimal:
            return projections.used_amount(conn, grant, year, exclude=exclude, until_seq=seq)

        return answer(state, q, usage, {"seq": seq, "head": self.store.hash_at(seq)})

    # -- files ----------------------------------------------------------------------------------
    def _prepare(self, paths: Iterable[str | Path], today: date | None) -> tuple[list[tuple[str, m.RegisterFile]], list[ValidationFinding]]:
        # Imported here: a `check` never needs the loader, and the CLI should start fast.
        from delegations.validate import merged_state, parse, validate

        from .files import FileProblem, read_register

        today = today or date.today()
        findings: list[ValidationFinding] = []
        files: list[tuple[str, m.RegisterFile]] = []
        state = self.state()
        for path in paths:
            name = str(path)
            try:
                data, bad_ids = read_register(path)  # read_file, then identifier_findings
            except FileProblem as exc:
                findings.append(exc.finding)
                continue
            if bad_ids:
                findings += bad_ids
                continue
            f, problems = parse(data, name)
            findings += problems
            if f is None:
                continue
            found = validate(f, name, state, today) + _confusables(f, name, state)
            findings += found
            if not any(x.severity == "error" for x in found):
                files.append((name, f))
                state = merged_state(state, f)  # later files may refer to earlier ones
        return files, findings

    @guarded
    def validate(self, *paths: str | Path, today: date | None = None) -> list[ValidationFinding]:
        return self._prepare(paths, today)[1]

    @guarded
    def load(self, *paths: str | Path, today: date | None = None, assertions: str | Path | None = None) -> ImportResult:
        """Validate, then write atomically. With `assertions` (a `delegaties-assertions/1` file),
        the import is rolled back (AssertionBroken) when one of them would no longer hold."""
        guard = None
        if assertions is not None:  # read (and refuse a bad file) before anything is written
            from . import assertions as expectations

            guard = expectations.guard(expectations.read(assertions))
        from . import importer  # the bulk write path

        with gc_paused():  # a load builds millions of long-lived objects and no garbage cycle
            files, findings = self._prepare(paths, today)
            errors = [f for f in findings if f.severity == "error"]
            if errors:
                raise InputError(tr("Nothing imported: {count} error(s) found.", count=len(errors)), findings)
            with self.store.transaction() as tx:
                added, changed, unchanged = importer.write(tx, files, self.store.meta("administration"))
                if guard is not None:  # on the register as the import leaves it, inside the transaction
                    self._snap = None
                    try:
                        guard(self)
                    finally:
                        self._snap = None
        self._snap = None
        return ImportResult(added, changed, unchanged, findings, tx.appended)

    # -- questions ------------------------------------------------------------------------------
    @guarded
    def question(self, actor: str, power: str, on: date | str | None = None, amount: Decimal | str | int | None = None,
                 budget_key: str | None = None, unit: str | None = None, document_type: str | None = None,
                 issuer: str | None = None, matter: str | None = None, entity: str | None = None,
                 concerns: str | None = None, state: RegisterState | None = None,
                 actor_parameter: str = "actor") -> Question:
        """A validated question; unknown ids are NotFoundError with the closest ids suggested; the
        entity, when not given, follows from the issuer (else the jurisdiction's default)."""
        return questions.question(state or self.state(), actor, power, on, amount, budget_key, unit, document_type,
                                  issuer, matter, entity, actor_parameter, concerns)

    @guarded
    def check(self, actor: str, power: str, on: date | str | None = None, *, as_known_on: str | date | datetime | None = None,
              **scope: Any) -> Answer:
        moment = questions.moment(as_known_on)
        if moment is not None:
            state = self.state(moment)
            return self.ask(self.question(actor, power, on, state=state, **scope), state=state, moment=moment)
        snap = self._snapshot()  # one look at the database per check
        return self._evaluate(self.question(actor, power, on, state=snap[1], **scope), snap)

    @guarded
    def ask(self, q: Question, *, state: RegisterState | None = None, moment: str | None = None) -> Answer:
        if moment is not None:
            seq, head = self.head_at(moment)
            return answer(state or self.state(moment), q, self._usage(moment), {"seq": seq, "head": head})
        return self._evaluate(q, self._snapshot(), state)

    def _evaluate(self, q: Question, snap: tuple, state: RegisterState | None = None) -> Answer:
        _, current, seq, head, used = snap
        return answer(state or current, q, self._usage(None, used), {"seq": seq, "head": head})

    @guarded
    def check_many(self, questions: Iterable[Question]) -> list[Answer]:
        """Batch API for finance systems: one state, one register head, many answers."""
        _, state, seq, head, used = self._snapshot()
        usage = self._usage(None, used)
        register = {"seq": seq, "head": head}
        with gc_paused():  # the answers are kept, none is a garbage cycle: 8-10 % of a batch otherwise
            return [answer(state, q, usage, register) for q in questions]

    def _usage(self, moment: str | None, cache: dict | None = None):
        conn = self.store.conn
        if moment is None:
            cache = {} if cache is None else cache

            def current(grant: str, year: int) -> Decimal:
                found = cache.get((grant, year))
                if found is None:
                    found = cache[(grant, year)] = projections.used_amount(conn, grant, year)
                return found

            return current
        # As known at a moment: only uses recorded by then, summed in one pass over the log
        # (the first time a ceiling is asked about), not once per grant.
        totals: dict[tuple[str, int], Decimal] | None = None

        def usage(grant: str, year: int) -> Decimal:
            nonlocal totals
            if totals is None:
                totals = {}
                for ev in self.store.events(until=moment, kinds=("use.recorded",)):
                    u = ev.data
                    for g in u["grants"] if u["amount"] else ():
                        key = (g, int(u["on"][:4]))
                        totals[key] = totals.get(key, Decimal(0)) + Decimal(u["amount"])
            return totals.get((grant, year), Decimal(0))

        return usage

    @guarded
    def who(self, power: str, on: date | str | None = None, *, as_known_on: str | date | datetime | None = None,
            **scope: Any) -> list[Answer]:
        moment = questions.moment(as_known_on)
        state = self.state(moment)
        if not state.persons:
            return []
        base = self.question(next(iter(state.persons)), power, on, state=state, **scope)
        answers = []
        for person in sorted(who_candidates(state, base.power)):
            ans = self.ask(Question(person, base.power, base.on, base.amount, base.budget_key, base.unit,
                                    base.document_type, base.issuer, base.matter, base.entity, base.concerns),
                           state=state, moment=moment)
            if ans.allowed:
                answers.append(ans)
        return answers

    @guarded
    def check_signature(self, *, document_type: str, issuer: str, signer: str, cosigner: str,
                        on: date | str | None = None, matter: str | None = None, entity: str | None = None,
                        as_known_on: str | date | datetime | None = None) -> SignatureAnswer:
        moment = questions.moment(as_known_on)
        state = self.state(moment)
        scope = {"document_type": document_type, "issuer": issuer, "matter": matter, "entity": entity}
        first = self.question(signer, "ondertekening", on, state=state, actor_parameter="signer", **scope)
        second = self.question(cosigner, "medeondertekening", first.on, state=state, actor_parameter="cosigner", **scope)
        return pair(state, self.ask(first, state=state, moment=moment), self.ask(second, state=state, moment=moment))

    # -- uses and attestations ------------------------------------------------------------------
    @guarded
    def exercise(self, question: Question, reference: str, *, attest: bool = False, exp: int | None = None) -> Exercise:
        """Check, record the use and, with `attest`, issue its attestation: one transaction.
        Idempotent per reference (a replay returns the recorded outcome); other content under the
        same reference is a ConflictError; a refusal is recorded once and returns recorded=False."""
        from .uses import exercise

        result = exercise(self, question, reference, attest=attest, exp=exp)
        self.last_jti = result.jti or self.last_jti
        return result

    def record_use(self, answer: Answer, reference: str) -> Answer:
        """Record one exercise of an allowed answer (`exercise` without an attestation); returns
        the answer that was recorded (or the refusal)."""
        return self.exercise(answer.question, reference).answer

    @guarded
    def attest(self, answer: Answer, *, exp: int | None = None, passphrase: bytes | None = None) -> str:
        """Sign `answer` with the active key and record the issuance (with the token) as an event."""
        from . import attest as attestations

        signer = self.keys.signer(passphrase)
        jti = attestations.new_jti()
        issuer = self.administration_id()
        with self.store.transaction() as tx:
            token = attestations.issue(tx, answer, signer, jti, issuer, exp)
        self.last_jti = jti
        return token

    @staticmethod
    def new_jti() -> str:
        from . import attest as attestations

        return attestations.new_jti()

    @guarded
    def verify(self, token: str, jwks: dict[str, Any] | None = None, *, against_register: bool = False):
        """Verify an attestation with `jwks` (default: this register's keys) and, with
        `against_register`, against this register; returns a `registry.attest.Verification`."""
        from . import attest as attestations

        return attestations.verify(self, token, jwks, against_register)

    @guarded
    def verify_against_register(self, token: str, claims: dict[str, Any]) -> dict[str, Any]:
        """For a token whose signature verified: issued here? head and decisions here? the same
        answer from the register as it stood at the cited seq? (and today, informational)"""
        from . import attest as attestations

        return attestations.verify_against_register(self, token, claims)

    # -- keys and checkpoints -------------------------------------------------------------------
    @property
    def key_store(self):
        return self.keys.key_store

    @guarded
    def keys_new(self, passphrase: bytes | None = None) -> str:
        return self.keys.new(passphrase)

    @guarded
    def keys_list(self) -> list[dict[str, Any]]:
        return self.keys.list()

    @guarded
    def keys_retire(self, kid: str) -> bool:
        return self.keys.retire(kid)

    @guarded
    def keys_activate(self, kid: str) -> None:
        self.keys.activate(kid)

    def _active_kid(self) -> str | None:
        return self.keys.active_kid()

    @guarded
    def jwks(self) -> dict[str, Any]:
        return self.keys.jwks()

    @guarded
    def checkpoint(self) -> dict[str, Any]:
        """A signed checkpoint (administration, seq, head, time) for publication."""
        from . import checkpoints

        return checkpoints.issue(self)

    # -- duties and reports ---------------------------------------------------------------------
    @guarded
    def duties(self, on: date | str | None = None, grant: str | None = None) -> list[dict[str, Any]]:
        from . import duties

        return duties.list_duties(self.state(), self.store.conn, on, grant)

    @guarded
    def duty_done(self, grant: str, period: str, on: date | str, reference: str, to: str | None = None) -> Event | None:
        from . import duties

        return duties.record_done(self.store, self.state(), grant, period, on, reference, to)

    @guarded
    def period_report(self, grant: str, period: str, on: date | str | None = None, lang: str = "nl") -> dict[str, Any]:
        from . import duties

        return duties.period_report(self, grant, period, on, lang)

    @guarded
    def annual_report(self, year: int, lang: str = "nl", as_of: date | str | None = None) -> dict[str, Any]:
        from . import duties

        return duties.annual_report(self, year, lang, as_of)

    def render_report(self, report: dict[str, Any], fmt: str = "html", lang: str = "nl") -> str:
        from . import duties

        return duties.render(report, fmt, lang)

    def write_report(self, report: dict[str, Any], fmt: str, lang: str, out: str | Path, force: bool = False) -> Path:
        return self.write_output(out, self.render_report(report, fmt, lang), force=force)

    def write_output(self, out: str | Path, text: str, *, force: bool = False, parameter: str = "out") -> Path:
        """Write a file atomically, never onto the register, its -wal/-shm or the key directory,
        never through a symlink, never over an existing file unless `force`."""
        from .output import write_text

        return write_text(out, text, register=self.path, key_directory=self.key_store.directory, force=force,
                          parameter=parameter)

    def demo_report(self, lang: str = "nl") -> str:
        path = self.write_report(self.annual_report(2025, lang), "html", lang, Path.cwd() / "delegaties-rapport-2025.html",
                                 force=True)
        return (tr("Annual report 2025 written to {path} (open it in a browser; it prints on A4).", path=path)(lang))

    # -- revocation, reading --------------------------------------------------------------------
    @guarded
    def revoke(self, target: str, effective_from: date | str, by: str, reason: str | None = None) -> Event | None:
        state = self.state()
        target = questions.normalize(target) if isinstance(target, str) else target
        by = questions.identifier(by, "by", what=tr("decision reference"))
        if target not in state.decisions and target not in state.grants:
            s = questions.suggest(target, list(state.decisions) + list(state.grants))
            raise NotFoundError(tr("'{target}' is not a known decision or grant{suggestion}", target=target, suggestion=s),
                                parameter="target")
        when = questions.day(effective_from, "from")
        try:
            rev = structure({"target": target, "effective_from": when.isoformat() if when else None, "by": by,
                             "reason": reason}, m.Revocation)
        except Exception:  # noqa: BLE001
            raise InputError(tr("expected a reason of printable text"),
                             parameter="reason") from None
        data = unstructure(rev)
        with self.store.transaction() as tx:
            row = tx.execute("SELECT sha256 FROM entities WHERE kind = 'revocation' AND key = ?", (target,)).fetchone()
            if row and row[0] == sha256(canonical(data)):
                return None
            ev = tx.append("entity.put", {"kind": "revocation", "key": target, "data": data, "file": None})
            projections.apply(tx.conn, ev)
        self._snap = None
        return ev

    def history(self) -> Iterator[Event]:
        try:
            yield from self.store.events()
        except sqlite3.Error as exc:
            raise from_sqlite(exc, self.path) from None

    @guarded
    def show(self, ident: str) -> dict[str, Any]:
        from .reading import show

        return show(self, ident)

    @guarded
    def list(self, active_on: date | str | None = None) -> list[dict[str, Any]]:
        from .reading import decisions

        return decisions(self.state(), questions.day(active_on, "active_on"))

    # -- integrity ------------------------------------------------------------------------------
    @guarded
    def fsck(self, expect: Iterable[str | tuple[int, str]] = (), checkpoints_: Iterable[str | Path] = (),
             jwks: dict[str, Any] | None = None) -> list[Text]:
        """Problems found (empty: the chain, every projection and the schema verify, and the
        register still contains every published point: `expect` as "SEQ:HEAD" or (seq, head),
        `checkpoints_` as files from `checkpoint`, verified with `jwks` or the register's own)."""
        from . import checkpoints
        from .fsck import fsck

        points = []
        for item in expect:
            seq, head = checkpoints.parse_expect(item) if isinstance(item, str) else item
            points.append((seq, head, tr("the expected point {seq}", seq=seq)))
        files = list(checkpoints_)
        if files:
            keys = jwks if jwks is not None else self.jwks()
            admin = self.administration()
            for path in files:
                c = checkpoints.read(path, keys, admin.id if admin else None)
                points.append((c["seq"], c["head"], tr("checkpoint {path} ({time})", path=path, time=c['time'])))
        return fsck(self.store, tuple(points))


def _create(path: Path, mode: int) -> None:
    try:
        create_file(path, mode)
        schema.init_file(path)
    except OSError as exc:
        raise InputError(tr("{path}: cannot create the register ({strerror})", path=path, strerror=exc.strerror), parameter="db") from None
    except sqlite3.Error as exc:
        raise from_sqlite(exc, path) from None


def _upgraded(path: Path, conn: sqlite3.Connection, readonly: bool, wait: float) -> sqlite3.Connection:
    """A register made by an older version is upgraded on first open with write access (a
    reader opens a second, short-lived connection for it when the file allows; else it reads
    the old form)."""
    from .store import connect

    writer = conn
    if readonly:
        try:
            writer = connect(path, readonly=False, wait=wait)
        except sqlite3.Error:
            return conn
    try:
        schema.upgrade(path, writer)
    except (sqlite3.Error, RegistryError):
        if not readonly:
            raise
    finally:
        if writer is not conn:
            writer.close()
    return conn


def _creatable(path: Path) -> None:
    parent = path.resolve().parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise InputError(tr("{path}: the directory {parent} does not exist or is not writable", path=path, parent=parent), parameter="db")


def _sections(f: m.RegisterFile) -> list[tuple[str, tuple]]:
    # Order matters for readability of the history only; references were validated already.
    return [("unit", f.units), ("position", f.positions), ("person", f.persons), ("appointment", f.appointments),
            ("absence", f.absences), ("rule", f.rules), ("power", f.powers), ("decision", f.decisions),
            ("revocation", f.revocations), ("conflict", f.conflicts)]


def _confusables(f: m.RegisterFile, name: str, state: RegisterState) -> list[ValidationFinding]:
    """A warning for each new id that looks like another id (same confusable skeleton)."""
    from delegations.identifiers import confusable_pairs
    from delegations.validate import ValidationFinding

    new = [(f"{section}[{i}].id", x.id) for section, items in (("persons", f.persons), ("positions", f.positions),
                                                                ("units", f.units), ("decisions", f.decisions))
           for i, x in enumerate(items)]
    new += [(f"decisions[{i}].grants[{j}].id", g.id) for i, d in enumerate(f.decisions) for j, g in enumerate(d.grants)]
    existing = [*state.persons, *state.positions, *state.units, *state.decisions, *state.grants]
    where = dict((ident, path) for path, ident in new)
    return [ValidationFinding("CONFUSABLE_ID", name, where[a], tr("'{a}' looks like '{b}' (the same to the eye, other letters); check whether the same one is meant", a=a, b=b))
        for a, b in confusable_pairs([ident for _p, ident in new], existing)]


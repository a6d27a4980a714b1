"""The register: storage, history and the library API that the CLI mirrors (contract section 7)."""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from delegations import model as m
from delegations.answer import Answer, Question, money
from delegations.converter import FormatProblem, parse_amount, parse_date, structure, unstructure
from delegations.evaluate import check as evaluate
from delegations.search import who_candidates
from delegations.signature import SignatureAnswer, pair
from delegations.state import MODEL, RegisterState, entity_key
from delegations.texts import Text

if TYPE_CHECKING:
    from delegations.validate import ValidationFinding

from . import projections
from .attest import AttestMixin
from .duties import DutiesMixin
from .errors import InputError, IntegrityError, restore
from .store import GENESIS, Event, Store, canonical, connect, init_file, sha256

DEFAULT_DB = "delegaties.db"


def default_path() -> Path:
    return Path(os.environ.get("DELEGATIES_DB") or DEFAULT_DB)


def parse_moment(value: str | date | datetime | None) -> str | None:
    """A moment for --as-known-on as a UTC ISO string; a bare date means the end of that day."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
            if not 1800 <= value.year <= 2999:
                raise ValueError(value)
        except ValueError:
            raise InputError(Text(f"--as-known-on: verwacht een datum JJJJ-MM-DD of tijdstip JJJJ-MM-DDTUU:MM[:SS][+00:00], "
                                  f"gevonden '{value}'", f"--as-known-on: expected a date YYYY-MM-DD or a time stamp "
                                  f"YYYY-MM-DDTHH:MM[:SS][+00:00], found '{value}'")) from None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(23, 59, 59, 999999), tzinfo=UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


class ImportResult:
    def __init__(self, added: int, changed: int, unchanged: int, findings: list[ValidationFinding], events: list[Event]):
        self.added, self.changed, self.unchanged = added, changed, unchanged
        self.findings, self.events = findings, events

    def to_dict(self, lang: str = "nl") -> dict[str, Any]:
        return {"added": self.added, "changed": self.changed, "unchanged": self.unchanged,
                "events": len(self.events), "findings": [f.to_dict(lang) for f in self.findings]}


class Registry(AttestMixin, DutiesMixin):
    def __init__(self, path: Path, store: Store, lazy: bool = False):
        self.path = path
        self.store = store
        self.lazy = lazy
        # (store version, state, seq, head, usage per (grant, year)): valid until anything is committed
        self._snap: tuple | None = None
        self.last_jti: str | None = None  # jti of the last attestation issued through this object

    # -- opening --------------------------------------------------------------------------------
    @classmethod
    def init(cls, path: str | Path | None = None) -> Registry:
        path = Path(path) if path is not None else default_path()
        if path.exists() and path.stat().st_size > 0:
            raise InputError(Text(f"{path}: er bestaat al een bestand; kies een ander pad of verwijder het eerst",
                                  f"{path}: a file exists already; choose another path or remove it first"))
        _creatable(path)
        init_file(path)
        return cls.open(path)

    @classmethod
    def open(cls, path: str | Path | None = None, create: bool = False, lazy: bool = False) -> Registry:
        """Open a register; `lazy` reads only what each question touches (one-shot commands)."""
        path = Path(path) if path is not None else default_path()
        if not path.exists():
            if create:
                _creatable(path)
                init_file(path)
            else:
                raise InputError(Text(f"{path}: geen register gevonden; maak er een met 'delegaties init'",
                                      f"{path}: no register found; create one with 'delegaties init'"))
        try:
            conn = connect(path)
            conn.execute("SELECT 1 FROM events LIMIT 1").fetchall()
            conn.execute("SELECT 1 FROM entities LIMIT 1").fetchall()
            tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except Exception as exc:  # noqa: BLE001 - any failure here means "not a register"
            raise IntegrityError(Text(f"{path}: geen leesbaar delegatieregister ({exc})",
                                      f"{path}: not a readable delegation register ({exc})")) from None
        if not set(projections.TABLES) <= tables:
            # A register made by an older version: add the newer projection tables and fill
            # the ones derived from entities (replaying would give the same rows).
            init_file(path)
            if "grant_index" not in tables:
                with Store(conn).transaction() as tx:
                    for key, data in tx.execute("SELECT key, data FROM entities WHERE kind = 'decision'").fetchall():
                        projections.index_grants(tx.conn, key, json.loads(data))
        return cls(path, Store(conn), lazy)

    @classmethod
    def import_files(cls, path: str | Path | None, *files: str | Path) -> tuple[Registry, ImportResult]:
        """`import`: load files into the register at `path`, creating it if needed. A failed
        first import leaves no (empty) register file behind."""
        path = Path(path) if path is not None else default_path()
        new = not path.exists()
        reg = cls.open(path, create=True)
        try:
            return reg, reg.load(*files)
        except Exception:
            if new:
                reg.close()
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
            raise

    def close(self) -> None:
        self.store.conn.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- state ----------------------------------------------------------------------------------
    @property
    def head(self) -> tuple[int, str]:
        return self.store.head()

    def administration(self) -> m.Administration | None:
        raw = self.store.meta("administration")
        return restore(raw, m.Administration, "administration") if raw else None

    def state(self, as_known_on: str | date | datetime | None = None) -> RegisterState:
        moment = parse_moment(as_known_on)
        if moment is not None:
            return self._replayed_state(moment)
        return self._snapshot()[1]

    def _snapshot(self) -> tuple:
        version = self.store.version()
        snap = self._snap
        if snap is None or snap[0] != version:
            seq, head = self.head
            state = snap[1] if snap is not None and snap[2] == seq else (
                self._lazy_state() if self.lazy else self._load_state())
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

    def _replayed_state(self, moment: str) -> RegisterState:
        entities: dict[str, dict[str, object]] = {k: {} for k in MODEL}
        hashes: dict[str, str] = {}
        admin = None
        for ev in self.store.events(until=moment, kinds=("entity.put", "administration.set")):
            d = ev.data
            if ev.kind == "administration.set":
                admin = structure(d, m.Administration)
                continue
            entities[d["kind"]][d["key"]] = structure(d["data"], MODEL[d["kind"]])
            if d["kind"] == "decision":
                hashes[d["key"]] = sha256(canonical(d["data"]))
        return RegisterState(admin, entities, hashes)

    def head_at(self, moment: str | None) -> tuple[int, str]:
        if moment is None:
            return self.head
        row = self.store.conn.execute("SELECT seq, hash FROM events WHERE recorded_at <= ? ORDER BY seq DESC LIMIT 1",
                                      (moment,)).fetchone()
        return (row[0], row[1]) if row else (0, GENESIS)

    # -- files ----------------------------------------------------------------------------------
    def _prepare(self, paths: Iterable[str | Path], today: date | None) -> tuple[list[tuple[str, m.RegisterFile]], list[ValidationFinding]]:
        # Imported here: a `check` never needs the loader, and the CLI should start fast.
        from delegations.validate import merged_state, parse, validate

        from .files import FileProblem, read_file

        today = today or date.today()
        findings: list[ValidationFinding] = []
        files: list[tuple[str, m.RegisterFile]] = []
        state = self.state()
        for path in paths:
            name = str(path)
            try:
                data = read_file(path)
            except FileProblem as exc:
                findings.append(exc.finding)
                continue
            f, problems = parse(data, name)
            findings += problems
            if f is None:
                continue
            found = validate(f, name, state, today)
            findings += found
            if not any(x.severity == "error" for x in found):
                files.append((name, f))
                state = merged_state(state, f)  # later files may refer to earlier ones
        return files, findings

    def validate(self, *paths: str | Path, today: date | None = None) -> list[ValidationFinding]:
        return self._prepare(paths, today)[1]

    def load(self, *paths: str | Path, today: date | None = None) -> ImportResult:
        files, findings = self._prepare(paths, today)
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            raise InputError(Text(f"Niets ingelezen: {len(errors)} fout(en) gevonden.",
                                  f"Nothing imported: {len(errors)} error(s) found."), findings)
        added = changed = unchanged = 0
        with self.store.transaction() as tx:
            current = {(k, key): digest for k, key, digest in tx.execute("SELECT kind, key, sha256 FROM entities")}
            admin = self.store.meta("administration")
            for name, f in files:
                if admin is None:
                    ev = tx.append("administration.set", unstructure(f.administration))
                    projections.apply(tx.conn, ev)
                    admin = canonical(unstructure(f.administration))
                for kind, items in _sections(f):
                    for obj in items:
                        key = entity_key(kind, obj)
                        data = unstructure(obj)
                        digest = sha256(canonical(data))
                        old = current.get((kind, key))
                        if old == digest:
                            unchanged += 1
                            continue
                        ev = tx.append("entity.put", {"kind": kind, "key": key, "data": data, "file": Path(name).name})
                        projections.apply(tx.conn, ev)
                        current[(kind, key)] = digest
                        if old is None:
                            added += 1
                        else:
                            changed += 1
        self._snap = None
        return ImportResult(added, changed, unchanged, findings, tx.appended)

    # -- questions ------------------------------------------------------------------------------
    def question(self, actor: str, power: str, on: date | str | None = None, amount: Decimal | str | int | None = None,
                 budget_key: str | None = None, unit: str | None = None, document_type: str | None = None,
                 issuer: str | None = None, matter: str | None = None, entity: str | None = None,
                 concerns: str | None = None, state: RegisterState | None = None,
                 actor_option: str = "--actor") -> Question:
        """A validated question; unknown ids are input errors with the closest ids suggested."""
        state = state or self.state()
        if isinstance(on, str) or on is None:
            try:
                on = parse_date(on) if on is not None else date.today()
            except FormatProblem as exc:
                raise InputError(Text(f"--on: verwacht {exc.expected.nl}, gevonden '{on}'",
                                      f"--on: expected {exc.expected.en}, found '{on}'")) from None
        if amount is not None:
            try:
                amount = parse_amount(amount)
            except FormatProblem as exc:
                raise InputError(Text(f"--amount: verwacht {exc.expected.nl}, gevonden '{amount}'",
                                      f"--amount: expected {exc.expected.en}, found '{amount}'")) from None
        cat = state.catalogue
        if actor not in state.persons and actor not in state.positions and not cat.is_organ(actor):
            _known(actor_option, actor, [*state.persons, *state.positions, *cat.organs], "persoon, functie of orgaan",
                   "person, position or organ")
        _known("--power", power, state.catalogue.powers, "bevoegdheid", "power")
        if unit is not None:
            _known("--unit", unit, state.units, "organisatie-eenheid", "unit")
        if document_type is not None:
            _known("--document-type", document_type, state.catalogue.document_types, "documenttype", "document type")
        if issuer is not None:
            _known("--issuer", issuer, cat.organs, "orgaan", "organ")
        if entity is not None:
            _known("--entity", entity, cat.entities, "rechtspersoon", "legal entity")
        if concerns is not None:
            _known("--concerns", concerns, state.persons, "persoon", "person")
        entity = _entity_of(cat, issuer, entity)
        for name, value in (("--budget-key", budget_key), ("--matter", matter)):
            if value is not None and (not value.strip() or len(value) > 200 or "\x00" in value):
                raise InputError(Text(f"{name}: verwacht een niet-lege waarde van hoogstens 200 tekens",
                                      f"{name}: expected a non-empty value of at most 200 characters"))
        return Question(actor=actor, power=power, on=on, amount=amount, budget_key=budget_key, unit=unit,
                        document_type=document_type, issuer=issuer, matter=matter, entity=entity, concerns=concerns)

    def check(self, actor: str, power: str, on: date | str | None = None, *, as_known_on: str | date | datetime | None = None,
              **scope: Any) -> Answer:
        moment = parse_moment(as_known_on)
        if moment is not None:
            state = self.state(moment)
            return self.ask(self.question(actor, power, on, state=state, **scope), state=state, moment=moment)
        snap = self._snapshot()  # one look at the database per check
        return self._evaluate(self.question(actor, power, on, state=snap[1], **scope), snap)

    def ask(self, q: Question, *, state: RegisterState | None = None, moment: str | None = None) -> Answer:
        if moment is not None:
            seq, head = self.head_at(moment)
            return evaluate(state or self.state(moment), q, usage=self._usage(moment), register={"seq": seq, "head": head})
        return self._evaluate(q, self._snapshot(), state)

    def _evaluate(self, q: Question, snap: tuple, state: RegisterState | None = None) -> Answer:
        _, current, seq, head, used = snap
        return evaluate(state or current, q, usage=self._usage(None, used), register={"seq": seq, "head": head})

    def check_many(self, questions: Iterable[Question]) -> list[Answer]:
        """Batch API for finance systems: one state, one register head, many answers."""
        _, state, seq, head, used = self._snapshot()
        usage = self._usage(None, used)
        register = {"seq": seq, "head": head}
        return [evaluate(state, q, usage=usage, register=register) for q in questions]

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

    def who(self, power: str, on: date | str | None = None, *, as_known_on: str | date | datetime | None = None,
            **scope: Any) -> list[Answer]:
        moment = parse_moment(as_known_on)
        state = self.state(moment)
        if not state.persons:
            return []
        base = self.question(next(iter(state.persons)), power, on, state=state, **scope)
        candidates = who_candidates(state, base.power)
        answers = []
        for person in sorted(candidates):
            ans = self.ask(Question(person, base.power, base.on, base.amount, base.budget_key, base.unit,
                                    base.document_type, base.issuer, base.matter, base.entity, base.concerns),
                           state=state, moment=moment)
            if ans.allowed:
                answers.append(ans)
        return answers

    def check_signature(self, *, document_type: str, issuer: str, signer: str, cosigner: str,
                        on: date | str | None = None, matter: str | None = None, entity: str | None = None,
                        as_known_on: str | date | datetime | None = None) -> SignatureAnswer:
        moment = parse_moment(as_known_on)
        state = self.state(moment)
        scope = {"document_type": document_type, "issuer": issuer, "matter": matter, "entity": entity}
        first = self.question(signer, "ondertekening", on, state=state, actor_option="--signer", **scope)
        second = self.question(cosigner, "medeondertekening", first.on, state=state, actor_option="--cosigner", **scope)
        return pair(state, self.ask(first, state=state, moment=moment), self.ask(second, state=state, moment=moment))

    # -- uses -----------------------------------------------------------------------------------
    def record_use(self, answer: Answer, reference: str, jti: str | None = None) -> Answer:
        """Record one exercise of an allowed answer; idempotent per reference.

        The check is repeated inside the write transaction, so two processes can never together
        exceed a yearly ceiling. Returns the answer that was recorded (or the refusal)."""
        if not reference or len(reference) > 200 or "\x00" in reference:
            raise InputError(Text("--record: verwacht een niet-lege referentie van hoogstens 200 tekens",
                                  "--record: expected a non-empty reference of at most 200 characters"))
        q = answer.question
        with self.store.transaction() as tx:
            row = tx.execute("SELECT seq FROM uses WHERE reference = ?", (reference,)).fetchone()
            # The use itself must not count against its own re-check (idempotent replays).
            conn = tx.conn

            def usage(grant: str, year: int) -> Decimal:
                return projections.used_amount(conn, grant, year, exclude=reference)

            fresh = evaluate(self.state(), q, usage=usage, register={"seq": tx.seq, "head": tx.prev})
            payload = _use_payload(q, fresh, reference, jti)
            if row is not None:
                old = json.loads(tx.execute("SELECT payload FROM events WHERE seq = ?", (row[0],)).fetchone()[0])
                if _same_use(old, payload):
                    return fresh
                raise InputError(Text(f"Referentie {reference} is al vastgelegd met andere inhoud.",
                                      f"Reference {reference} was already recorded with other content."))
            if not fresh.allowed:
                # A refused attempt is evidence too (the annual report counts them); once per reference.
                seen = tx.execute("SELECT 1 FROM refusals WHERE reference = ?", (reference,)).fetchone()
                if seen is None:
                    ev = tx.append("use.refused", {**payload, "codes": sorted({r.code for r in fresh.reasons}),
                                                   "grants": sorted({r.grant for r in fresh.reasons if r.grant})})
                    projections.apply(tx.conn, ev)
                return fresh
            ev = tx.append("use.recorded", payload)
            projections.apply(tx.conn, ev)
        return fresh

    # -- revocation, reading --------------------------------------------------------------------
    def revoke(self, target: str, effective_from: date | str, by: str, reason: str | None = None) -> Event | None:
        state = self.state()
        if target not in state.decisions and target not in state.grants:
            suggestion = _suggest(target, list(state.decisions) + list(state.grants))
            raise InputError(Text(f"--target: '{target}' is geen gekend besluit of delegatie{suggestion.nl}",
                                  f"--target: '{target}' is not a known decision or grant{suggestion.en}"))
        try:
            rev = structure({"target": target, "effective_from": effective_from if isinstance(effective_from, str)
                             else effective_from.isoformat(), "by": by, "reason": reason}, m.Revocation)
        except Exception:  # noqa: BLE001
            raise InputError(Text("--from: verwacht een datum JJJJ-MM-DD; --by: een besluitreferentie",
                                  "--from: expected a date YYYY-MM-DD; --by: a decision reference")) from None
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
        return self.store.events()

    def show(self, ident: str) -> dict[str, Any]:
        state = self.state()
        for kind in ("decision", "position", "person", "unit", "rule", "power"):
            obj = state.entities(kind).get(ident)
            if obj is not None:
                return {"kind": kind, "id": ident, "data": unstructure(obj), "versions": self._versions(kind, ident)}
        if ident in state.grants:
            g, d = state.grants[ident]
            rev = state.revocation_of(ident) or state.revocation_of(d.id)
            return {"kind": "grant", "id": ident, "decision": d.id, "data": unstructure(g),
                    "revocation": unstructure(rev) if rev else None}
        cat = state.catalogue
        if ident in cat.rules:
            return {"kind": "rule", "id": ident, "data": unstructure(cat.rules[ident]), "packaged": True}
        if ident in cat.powers:
            return {"kind": "power", "id": ident, "data": unstructure(cat.powers[ident]), "packaged": True}
        known = list(state.decisions) + list(state.grants) + list(state.positions) + list(state.persons) + list(cat.rules)
        s = _suggest(ident, known)
        raise InputError(Text(f"'{ident}' niet gevonden in het register{s.nl}", f"'{ident}' not found in the register{s.en}"))

    def _versions(self, kind: str, key: str) -> list[dict[str, Any]]:
        out = []
        for ev in self.store.events(kinds=("entity.put",)):
            d = ev.data
            if d["kind"] == kind and d["key"] == key:
                out.append({"seq": ev.seq, "recorded_at": ev.recorded_at, "file": d.get("file"),
                            "sha256": sha256(canonical(d["data"]))})
        return out

    def list(self, active_on: date | str | None = None) -> list[dict[str, Any]]:
        state = self.state()
        on = active_on
        if isinstance(active_on, str):
            try:
                on = parse_date(active_on)
            except FormatProblem as exc:
                raise InputError(Text(f"--active-on: verwacht {exc.expected.nl}, gevonden '{active_on}'",
                                      f"--active-on: expected {exc.expected.en}, found '{active_on}'")) from None
        out = []
        for d in sorted(state.decisions.values(), key=lambda d: (d.decided_on, d.id)):
            rev = state.revocation_of(d.id)
            if on is not None and not (m.covers(d.effective_from, d.effective_until, on) and (rev is None or rev.effective_from > on)):
                continue
            grants = []
            for g in d.grants:
                grev = state.revocation_of(g.id) or rev
                if on is not None and grev is not None and grev.effective_from <= on:
                    continue
                grants.append({"id": g.id, "to": g.to, "powers": list(g.powers),
                               "revoked_from": grev.effective_from.isoformat() if grev else None})
            if on is not None and not grants:
                continue  # every grant of the decision is revoked by then
            out.append({"id": d.id, "title": d.title, "by": d.by, "legal_basis": d.legal_basis,
                        "effective_from": d.effective_from.isoformat(),
                        "effective_until": d.effective_until.isoformat() if d.effective_until else None,
                        "revoked_from": rev.effective_from.isoformat() if rev else None, "grants": grants})
        return out

    # -- integrity ------------------------------------------------------------------------------
    def fsck(self) -> list[Text]:
        """Problems found (empty: the chain and every projection verify)."""
        from .fsck import fsck

        return fsck(self.store)


def _creatable(path: Path) -> None:
    parent = path.resolve().parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise InputError(Text(f"{path}: de map {parent} bestaat niet of is niet schrijfbaar",
                              f"{path}: the directory {parent} does not exist or is not writable"))


def _sections(f: m.RegisterFile) -> list[tuple[str, tuple]]:
    # Order matters for readability of the history only; references were validated already.
    return [("unit", f.units), ("position", f.positions), ("person", f.persons), ("appointment", f.appointments),
            ("absence", f.absences), ("rule", f.rules), ("power", f.powers), ("decision", f.decisions),
            ("revocation", f.revocations), ("conflict", f.conflicts)]


def _suggest(value: str, known: Iterable[str]) -> Text:
    known = list(known)
    lowered = {k.lower(): k for k in known}
    close = [lowered[c] for c in difflib.get_close_matches(value.lower(), list(lowered), n=3, cutoff=0.5)]
    if not close:
        return Text("", "")
    joined = ", ".join(close)
    return Text(f"; bedoelde u: {joined}?", f"; did you mean: {joined}?")


def _known(option: str, value: str, known, what_nl: str, what_en: str) -> None:
    if value not in known:  # a set or dict: O(1); the list for suggestions is built only on failure
        s = _suggest(value, known)
        raise InputError(Text(f"{option}: '{value}' is geen gekende {what_nl}{s.nl}",
                              f"{option}: '{value}' is not a known {what_en}{s.en}"))


def _entity_of(cat, issuer: str | None, entity: str | None) -> str:
    """The legal entity of a question: given, or implied by the issuer (a vast bureau letter is an
    OCMW document), else the jurisdiction's default. Given and implied must agree."""
    implied = cat.entities_of(issuer) if issuer is not None else ()
    if entity is not None and implied and entity not in implied:
        raise InputError(Text(f"--entity: documenten van {issuer} horen bij {', '.join(implied)}, niet bij {entity}",
                              f"--entity: documents of {issuer} belong to {', '.join(implied)}, not to {entity}"))
    return entity or cat.implied_entity(issuer) or cat.book.default_entity


def _use_payload(q: Question, answer: Answer, reference: str, jti: str | None) -> dict[str, Any]:
    grants = sorted({s.grant.id for c in answer.chains[:1] for s in c if hasattr(s, "grant")})
    return {"reference": reference, "on": q.on.isoformat(), "actor": q.actor, "power": q.power,
            "amount": money(q.amount), "budget_key": q.budget_key, "unit": q.unit,
            "matter": q.matter, "grants": grants, "jti": jti}


def _same_use(old: dict[str, Any], new: dict[str, Any]) -> bool:
    keys = ("on", "actor", "power", "budget_key", "unit", "matter")
    same_amount = (old.get("amount") is None) == (new.get("amount") is None) and (
        old.get("amount") is None or Decimal(old["amount"]) == Decimal(new["amount"]))
    return same_amount and all(old.get(k) == new.get(k) for k in keys)

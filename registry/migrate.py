"""`migrate`: copy a register with its whole history between engines (or files, or databases).

The events are copied as they are (seq, time stamp, kind, payload, prev, hash), so the copy has
the same head; the projections are rebuilt from them by the same handlers as on any append; the
copy is then verified (`fsck`) before the transaction commits. Nothing is written when the target
holds events already, or when the history belongs to another administration than a PostgreSQL
target's URL names. Private signing keys are files, not events: copy the key directory yourself.
"""

from __future__ import annotations

from pathlib import Path

from attrs import frozen

from delegations.texts import tr

from . import projections
from .errors import InputError, IntegrityError

__all__ = ["Migration", "migrate"]


@frozen
class Migration:
    events: int
    seq: int
    head: str

    def to_dict(self) -> dict[str, object]:
        return {"events": self.events, "seq": self.seq, "head": self.head}


def migrate(source: str | Path, target: str | Path, *, wait: float = 10.0) -> Migration:
    from .fsck import fsck
    from .pg import PgTarget
    from .registry import Registry, location

    src, dst_at = location(source), location(target)
    if str(src) == str(dst_at):
        raise InputError(tr("--from and --to name the same register"), parameter="to")
    with Registry.open(src, readonly=True, wait=wait) as reg_from:
        problems = reg_from.fsck()
        if problems:
            raise IntegrityError(tr("{path}: the register to copy does not verify: {problem}", path=src, problem=problems[0]))
        events = list(reg_from.store.events())
    admin = next((e.data.get("id") for e in events if e.kind == "administration.set"), None)
    if isinstance(dst_at, PgTarget) and admin is not None and admin != dst_at.administration:
        raise InputError(tr("administration: the register is of '{found}', the target URL names '{own}'; nothing was written", found=admin, own=dst_at.administration), parameter="to")
    new_file = not isinstance(dst_at, PgTarget) and not Path(dst_at).exists()
    reg_to = Registry.open(dst_at, create=True, wait=wait)
    try:
        with reg_to.store.transaction() as tx:
            if tx.seq != 0:
                raise InputError(tr("{path}: the target register holds {seq} event(s) already; migrate writes only into an empty one", path=dst_at, seq=tx.seq), parameter="to")
            for ev in events:
                tx.execute("INSERT INTO events (seq, recorded_at, kind, payload, prev, hash) VALUES (?, ?, ?, ?, ?, ?)",
                           (ev.seq, ev.recorded_at, ev.kind, ev.payload, ev.prev, ev.hash))
                projections.apply(tx.conn, ev)
            problems = fsck(reg_to.store)  # inside the transaction: a copy that does not verify is not kept
            if problems:
                raise IntegrityError(tr("{path}: the copy does not verify: {problem}; nothing was written", path=dst_at, problem=problems[0]))
        seq, head = reg_to.store.head()
    except BaseException:
        reg_to.close()
        if new_file:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{dst_at}{suffix}").unlink(missing_ok=True)
        raise
    reg_to.close()
    return Migration(len(events), seq, head)

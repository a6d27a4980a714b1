"""The change feed of a register: events after a sequence number, a page at a time, so that a
client can invalidate what it cached when a grant is revoked or a decision changes."""

from __future__ import annotations

from .store import Event, Store

MAX_PAGE = 1000


def events_after(store: Store, after: int = 0, limit: int = MAX_PAGE) -> tuple[list[Event], bool, tuple[int, str]]:
    """Up to `limit` events with seq > `after`, oldest first, whether more follow, and the head
    (seq, hash) of the same moment of the register."""
    limit = max(1, min(limit, MAX_PAGE))
    with store.snapshot():
        rows = store.conn.execute("SELECT seq, recorded_at, kind, payload, prev, hash FROM events WHERE seq > ? "
                                  "ORDER BY seq LIMIT ?", (max(after, 0), limit + 1)).fetchall()
        head = store.head()
    return [Event(*row) for row in rows[:limit]], len(rows) > limit, head

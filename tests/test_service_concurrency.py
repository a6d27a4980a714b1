"""Many recorders at once through HTTP: the yearly ceilings hold, every use answered 201 is in the
register exactly once, shared references are recorded once (201 for one caller, 200 for the others),
and the register verifies."""

from __future__ import annotations

import random
import sqlite3
from collections import defaultdict
from decimal import Decimal

from tests.helpers import VERBINTENIS, cli, new_register
from tests.service_helpers import new_token, record_concurrently, serve
from tests.test_concurrency_uses import ACTORS, CEILINGS
from tests.test_four_eyes import ceiling_register

CLIENTS = 8


def plan(seed: int) -> list[list[dict]]:
    rnd = random.Random(seed)
    shared = [{"actor": rnd.choice(ACTORS), "amount": str(rnd.randint(100, 1500)), "reference": f"SH-{i:02d}",
               "on": "2025-05-02"} for i in range(6)]
    out = []
    for w in range(CLIENTS):
        own = [{"actor": rnd.choice(ACTORS), "amount": str(rnd.randint(100, 1500)), "reference": f"W{w}-{i:02d}",
                "on": rnd.choice(["2025-03-03", "2025-06-30", "2025-11-12"])} for i in range(12)]
        mine = own + shared
        rnd.shuffle(mine)
        out.append(mine)
    return out


def test_concurrent_recorders_never_exceed_a_ceiling(tmp_path) -> None:
    db = new_register(tmp_path, ceiling_register(10_000, 6_000, None, 3_000), "gedeeld")
    token = new_token("--db", db, role="recorder")
    plans = plan(7)
    with serve("--db", db, tmp=tmp_path) as server:
        results = record_concurrently(server, token, plans, {"power": VERBINTENIS, "budget_key": "0119/6140000", "unit": "aankoop"})
    conn = sqlite3.connect(db)
    uses = {ref: (actor, Decimal(amount), on) for ref, actor, amount, on in
            conn.execute('SELECT reference, actor, amount, "on" FROM uses')}
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for g, amount in conn.execute('SELECT "grant", amount FROM use_grants WHERE year = 2025'):
        sums[g] += Decimal(amount)
    conn.close()
    for g, total in sums.items():
        if g in CEILINGS:
            assert total <= CEILINGS[g], (g, total)
    assert any(code == 422 for _, code, _ in results)  # the ceilings were reached
    accepted = {i["reference"]: (i["actor"], Decimal(i["amount"]), i["on"]) for i, code, _ in results if code in (200, 201)}
    assert uses == accepted
    for ref in {i["reference"] for i, _, _ in results if i["reference"].startswith("SH-")}:
        codes = sorted(code for i, code, _ in results if i["reference"] == ref)
        assert codes in ([200] * (CLIENTS - 1) + [201], [422] * CLIENTS), (ref, codes)
    for item, code, body in results:
        assert body["recorded"] == (item["reference"] if code in (200, 201) else None)
    fsck = cli("--db", db, "--json", "fsck")
    assert fsck.code == 0 and fsck.json["ok"] is True

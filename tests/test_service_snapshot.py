"""A long-running reader (the HTTP service) keeps its loaded state across uses recorded by others,
yet every answer counts those uses; a change of the entities (a revocation) is seen at once."""

from __future__ import annotations

from registry import Registry
from tests.helpers import EXAMPLE, VERBINTENIS, import_file

Q = {"actor": "p-001", "power": VERBINTENIS, "on": "2025-08-04", "amount": "8000", "budget_key": "0119/6140000",
     "unit": "aankoop"}


def test_uses_keep_the_state_and_count(tmp_path) -> None:
    db = tmp_path / "voorbeeldegem.db"
    import_file(db, EXAMPLE)
    reader, writer = Registry.open(db), Registry.open(db)
    state = reader.state()
    assert reader.check(**Q).allowed
    for ref in ("BB-1", "BB-2"):  # 16 000 of the 20 000 yearly ceiling of AD-2025-0007/1
        assert writer.record_use(writer.check(**Q), ref).allowed
    answer = reader.check(**Q)
    assert reader.state() is state  # not reloaded for uses ...
    assert not answer.allowed and "ANNUAL_CEILING_EXCEEDED" in {r.code for r in answer.reasons}  # ... but counted
    assert answer.register["seq"] == writer.head[0]
    writer.revoke("AD-2025-0007/1", "2025-08-01", "AD-2025-0099")
    after = reader.check(**{**Q, "amount": "100"})
    assert reader.state() is not state and "REVOKED" in {r.code for r in after.reasons}
    reader.close()
    writer.close()

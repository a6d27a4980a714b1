"""Issue 12 point 4 and issue 13 point 1: exercising a power is one library call. Check, record
and attest are committed together or not at all; a replay returns what was recorded; the same
reference with other content is a conflict; uses are recorded when they happen."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from registry import InputError, Registry
from tests.helpers import VERBINTENIS, cli

QUESTION = ("--actor", "p-001", "--power", VERBINTENIS, "--on", "2025-05-02", "--amount", "1200",
            "--budget-key", "0119/6140000", "--unit", "aankoop")


@pytest.fixture(autouse=True)
def _no_ambient_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DELEGATIES_KEYS", "DELEGATIES_KEY_PASSPHRASE", "DELEGATIES_DB"):
        monkeypatch.delenv(name, raising=False)


def kinds(db: Path) -> list[str]:
    return [e["kind"] for e in cli("--db", db, "--json", "history").json]


def test_with_the_key_missing_nothing_is_recorded_and_the_retry_keeps_one_jti(example_db: Path) -> None:
    r = cli("--db", example_db, "--json", "keys", "new")
    kid = r.json["kid"]
    key_file = example_db.parent / "keys" / f"{kid}.pem"
    hidden = key_file.rename(example_db.parent / "elders.pem")
    before = kinds(example_db)
    r = cli("--db", example_db, "--json", "check", *QUESTION, "--record", "BB-ATOOM-1", "--attest")
    assert r.code == 2 and r.json["code"] == "KEY_UNUSABLE", r
    assert kinds(example_db) == before  # dc662eb recorded the use, then said "nothing written"
    hidden.rename(key_file)
    r = cli("--db", example_db, "--json", "check", *QUESTION, "--record", "BB-ATOOM-1", "--attest")
    assert r.code == 0 and r.json["recorded"] == "BB-ATOOM-1" and r.json["replayed"] is False, r
    jti, token = r.json["jti"], r.json["attestation"]
    with sqlite3.connect(f"file:{example_db}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT jti FROM uses WHERE reference = 'BB-ATOOM-1'").fetchone() == (jti,)
        assert conn.execute("SELECT count(*) FROM attestations").fetchone() == (1,)
    conn.close()
    # A retry after a time-out: the same outcome, the same jti, the same token.
    again = cli("--db", example_db, "--json", "check", *QUESTION, "--record", "BB-ATOOM-1", "--attest")
    assert again.code == 0 and again.json["replayed"] is True, again
    assert again.json["jti"] == jti and again.json["attestation"] == token
    assert kinds(example_db).count("attestation.issued") == 1


def test_a_replay_after_a_retroactive_revocation_still_says_recorded(example_db: Path) -> None:
    r = cli("--db", example_db, "--json", "check", *QUESTION, "--record", "BB-TERUG-1")
    assert r.code == 0, r
    first = r.json
    assert cli("--db", example_db, "revoke", "--target", "AD-2025-0007/1", "--from", "2025-05-01", "--by",
               "AD-2025-0040").code == 0
    assert cli("--db", example_db, "check", *QUESTION).code == 1  # today's answer
    r = cli("--db", example_db, "--json", "check", *QUESTION, "--record", "BB-TERUG-1")
    assert r.code == 0, r  # dc662eb: refused, exit 1, although the use stands recorded
    assert r.json["allowed"] is True and r.json["recorded"] == "BB-TERUG-1" and r.json["replayed"] is True
    assert r.json["register"] == first["register"] and r.json["chains"] == first["chains"]
    assert "REVOKED" in r.json["note"]


def test_the_same_reference_with_other_content_is_a_conflict(example_db: Path) -> None:
    assert cli("--db", example_db, "check", *QUESTION, "--record", "BB-DUBBEL").code == 0
    other = [*QUESTION]
    other[other.index("--amount") + 1] = "1300"
    r = cli("--db", example_db, "--json", "check", *other, "--record", "BB-DUBBEL")
    assert r.code == 2 and r.json["code"] == "CONFLICT" and "--record" in r.json["error"], r


def test_a_use_for_a_later_date_is_refused(example_db: Path) -> None:
    """dc662eb recorded `--on 2999-12-31` once this year's ceiling was used up."""
    later = (date.today() + timedelta(days=3)).isoformat()
    for on in (later, "2999-12-31"):
        argv = [*QUESTION]
        argv[argv.index("--on") + 1] = on
        r = cli("--db", example_db, "--json", "check", *argv, "--record", f"BB-LATER-{on}")
        assert r.code == 2 and r.json["parameter"] == "on" and "--on" in r.json["error"], r
    assert "use.recorded" not in kinds(example_db) and "use.refused" not in kinds(example_db)


def test_minus_zero_is_zero(example_db: Path) -> None:
    argv = [*QUESTION]
    argv[argv.index("--amount") + 1] = "-0"
    r = cli("--db", example_db, "--json", "check", *argv, "--record", "BB-NUL")
    assert r.code == 0 and r.json["question"]["amount"] == "0.00", r
    with sqlite3.connect(f"file:{example_db}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT amount FROM uses WHERE reference = 'BB-NUL'").fetchone() == ("0.00",)
    conn.close()


def test_the_python_api_exercise(example_db: Path) -> None:
    from registry import ConflictError, Exercise

    with Registry.open(example_db) as reg:
        reg.keys_new()
        q = reg.question("p-001", VERBINTENIS, "2025-05-02", amount=Decimal("1200"), budget_key="0119/6140000",
                         unit="aankoop")
        result = reg.exercise(q, "BB-API-1", attest=True)
        assert isinstance(result, Exercise)
        assert result.recorded and not result.replayed and result.answer.allowed and result.jti and result.token
        assert result.note is None
        data = result.to_dict("en")
        assert data["recorded"] == "BB-API-1" and data["attestation"] == result.token and data["jti"] == result.jti
        replay = reg.exercise(q, "BB-API-1", attest=True)
        assert replay.replayed and replay.jti == result.jti and replay.token == result.token
        with pytest.raises(ConflictError) as caught:
            reg.exercise(reg.question("p-001", VERBINTENIS, "2025-05-03", amount="1200"), "BB-API-1")
        assert caught.value.parameter == "reference" and "--" not in caught.value.message()
        refused_q = reg.question("p-001", VERBINTENIS, "2025-05-02", amount="9000", budget_key="0119/6140000",
                                 unit="aankoop")
        refused = reg.exercise(refused_q, "BB-API-2")
        assert refused.recorded is False and refused.answer.allowed is False
        reg.exercise(refused_q, "BB-API-2")
        kinds_now = [e.kind for e in reg.history()]
        assert kinds_now.count("use.refused") == 1
        with pytest.raises(InputError) as caught:
            reg.question("p-999", VERBINTENIS)
        assert caught.value.parameter == "actor" and caught.value.code == "NOT_FOUND"
        with pytest.raises(InputError) as caught:
            reg.question("p-001", VERBINTENIS, amount="veel")
        assert caught.value.parameter == "amount" and not caught.value.message().startswith("--")


def test_an_attestation_recorded_with_the_use_is_in_the_same_transaction(example_db: Path) -> None:
    assert cli("--db", example_db, "keys", "new").code == 0
    r = cli("--db", example_db, "--json", "check", *QUESTION, "--record", "BB-SAMEN", "--attest")
    events = cli("--db", example_db, "--json", "history").json[-2:]
    assert [e["kind"] for e in events] == ["use.recorded", "attestation.issued"]
    assert events[0]["recorded_at"] == events[1]["recorded_at"]  # one transaction, one moment
    payload = json.loads(json.dumps(r.json))
    assert payload["jti"] in events[1]["summary"]

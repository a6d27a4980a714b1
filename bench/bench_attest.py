"""Cost of the attestation format on top of bare Ed25519.

    python -m bench.bench_attest [N]

Compares, in one process and best of 3 interleaved rounds, raw Ed25519 sign/verify of a message
as long as a real signing input with `sign_attestation` (build_claims + canonical JSON + JWS) and
`verify_attestation` (parsing, JWKS lookup, claim checks). Every token is distinct, so nothing
is answered from a cache of earlier results.
"""

from __future__ import annotations

import base64
import json
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from delegations.attestation import (
    build_claims,
    canonical_json,
    make_jwks,
    public_jwk,
    sign_attestation,
    verify_attestation,
)

GOALS = {"attest_over_raw_sign": 0.85, "verify_over_raw_verify": 0.9}  # issue 15
ROUNDS = 3
NOW = 1_746_180_000


def realistic_answer() -> dict[str, Any]:
    """An allowed answer in the form `Answer.to_dict()` gives it: one 4-step chain with the
    sha256 of each cited decision."""
    return {
        "allowed": True,
        "question": {
            "actor": "p-001",
            "power": "budgethouderschap.verbintenis",
            "on": "2025-05-02",
            "amount": "1200.00",
            "budget_key": "0119/6140000",
            "unit": "aankoop",
            "document_type": None,
            "issuer": None,
            "matter": None,
            "entity": "gemeente",
        },
        "chains": [
            [
                {
                    "step": "law",
                    "rule": "REGLEMENT-BUDGETHOUDERSCHAP",
                    "holder": "college",
                    "source": "https://example.invalid/voorbeeldegem/reglement-budgethouderschap",
                },
                {
                    "step": "grant",
                    "grant": "CBS-2025-0412/1",
                    "decision": "CBS-2025-0412",
                    "decision_sha256": "sha256:9b435200cdc23ff4bbf0c9919134269bfc94c4cd9408c933b74940dd59d2eb95",
                    "to": "ad",
                    "source": "https://example.invalid/voorbeeldegem/besluiten/CBS-2025-0412",
                },
                {
                    "step": "grant",
                    "grant": "AD-2025-0007/1",
                    "decision": "AD-2025-0007",
                    "decision_sha256": "sha256:51acdb03e7366a994b7e73749366845029e3878798b7db2dd741c3810298c5da",
                    "to": "dh-aankoop",
                    "source": "https://example.invalid/voorbeeldegem/besluiten/AD-2025-0007",
                },
                {"step": "appointment", "person": "p-001", "position": "dh-aankoop", "capacity": "titular"},
            ]
        ],
        "effective_limits": {
            "max_amount": "8500.00",
            "annual_ceiling": "20000.00",
            "budget_keys": ["0119/6140*"],
            "units": ["aankoop"],
        },
        "conditions": [],
        "reasons": [],
        "signature_mention": None,
        "reporting": [
            {"to": "college", "every": "quarter", "within_days": 30, "grant": "CBS-2025-0412/1"},
            {"to": "ad", "every": "month", "within_days": 10, "grant": "AD-2025-0007/1"},
        ],
        "register": {
            "seq": 54,
            "head": "sha256:1da1e2ea43591af67b757ae3a1f867e84cac0d4caa294909adbae7cfe8710cdb",
        },
    }


CHUNK = 100


def _interleaved_round(actions: dict[str, Callable[[int, int], object]], n: int) -> dict[str, float]:
    """One round: the actions take turns on chunks of the work, so that a noisy neighbour
    slows all of them alike instead of spoiling the ratio; returns microseconds per operation."""
    spent = dict.fromkeys(actions, 0.0)
    for start in range(0, n, CHUNK):
        stop = min(start + CHUNK, n)
        for name, action in actions.items():
            began = time.perf_counter()
            action(start, stop)
            spent[name] += time.perf_counter() - began
    return {name: seconds / n * 1e6 for name, seconds in spent.items()}


def run(n: int = 2000) -> dict[str, Any]:
    private_key = Ed25519PrivateKey.generate()
    jwk = public_jwk(private_key.public_key())
    kid = jwk["kid"]
    jwks = make_jwks([jwk])
    answer = realistic_answer()
    register = answer["register"]
    jtis = [f"urn:uuid:00000000-0000-4000-8000-{i:012d}" for i in range(n)]

    def attest(start: int, stop: int) -> list[str]:
        return [
            sign_attestation(
                build_claims(
                    answer, iss="voorbeeldegem", sub="p-001", jti=jti, iat=NOW, exp=None, register=register
                ),
                private_key,
                kid,
            )
            for jti in jtis[start:stop]
        ]

    tokens = attest(0, n)
    # The raw baseline signs and verifies exactly the bytes our tokens sign.
    messages = [token.rsplit(".", 1)[0].encode("ascii") for token in tokens]
    signatures = [private_key.sign(message) for message in messages]
    public_key = private_key.public_key()

    def raw_sign(start: int, stop: int) -> None:
        for message in messages[start:stop]:
            private_key.sign(message)

    def raw_verify(start: int, stop: int) -> None:
        for signature, message in zip(signatures[start:stop], messages[start:stop], strict=True):
            public_key.verify(signature, message)

    def verify(start: int, stop: int) -> None:
        for token in tokens[start:stop]:
            verify_attestation(token, jwks, now=NOW)

    # The JSON work alone, to show how much of the gap the standard library's json leaves.
    claims = [
        build_claims(answer, iss="voorbeeldegem", sub="p-001", jti=jti, iat=NOW, exp=None, register=register)
        for jti in jtis
    ]
    payloads = [token.split(".")[1] for token in tokens]

    def encode_json(start: int, stop: int) -> None:
        for item in claims[start:stop]:
            canonical_json(item)

    def decode_payload(start: int, stop: int) -> None:
        for payload in payloads[start:stop]:
            json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))

    actions = {
        "raw_sign": raw_sign,
        "attest": attest,
        "raw_verify": raw_verify,
        "verify": verify,
        "canonical_json": encode_json,
        "payload_decode": decode_payload,
    }
    rounds = [_interleaved_round(actions, n) for _ in range(ROUNDS)]
    best = {name: min(result[name] for result in rounds) for name in actions}

    # Throughput ratio ours/raw equals the inverse ratio of per-operation times.
    return {
        "attest_over_raw_sign": round(best["raw_sign"] / best["attest"], 3),
        "verify_over_raw_verify": round(best["raw_verify"] / best["verify"], 3),
        "raw_sign_us": round(best["raw_sign"], 2),
        "attest_us": round(best["attest"], 2),
        "raw_verify_us": round(best["raw_verify"], 2),
        "verify_us": round(best["verify"], 2),
        "canonical_json_us": round(best["canonical_json"], 2),
        "payload_decode_us": round(best["payload_decode"], 2),
        # What the ratios would be if everything but the JSON work were free.
        "attest_ceiling": round(best["raw_sign"] / (best["raw_sign"] + best["canonical_json"]), 3),
        "verify_ceiling": round(best["raw_verify"] / (best["raw_verify"] + best["payload_decode"]), 3),
        "goals": GOALS,
        "n": n,
        "rounds": ROUNDS,
        "token_bytes": len(tokens[0]),
        "signing_input_bytes": len(messages[0]),
        "python": platform.python_version(),
    }


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 2000), indent=2))

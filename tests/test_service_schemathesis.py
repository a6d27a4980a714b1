"""Property-based tests of the running service against its own OpenAPI document (schemathesis):
for generated requests to every operation, no 5xx, and every response (status code, media type,
headers, body) is one the document declares."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.helpers import EXAMPLE, cli, import_file
from tests.service_helpers import new_token, serve

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("schemathesis")
    db = tmp / "voorbeeldegem.db"
    import_file(db, EXAMPLE)
    assert cli("--db", db, "keys", "new").code == 0
    token = new_token("--db", db, role="admin")
    with serve("--db", db, tmp=tmp) as server:
        yield server, token


def run_operations(server, token: str, examples: int) -> dict[int, int]:
    """Statuses seen, per status code (so the test can tell that requests were really made)."""
    doc = schemathesis.openapi.from_url(server.url + "/openapi.json")
    seen: dict[int, int] = {}
    for result in doc.get_all_operations():
        operation = result.ok()

        @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def call(case) -> None:
            response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
            seen[response.status_code] = seen.get(response.status_code, 0) + 1

        call()
    return seen


def test_every_response_matches_the_document(site) -> None:
    server, token = site
    seen = run_operations(server, token, 12)
    assert seen.get(200, 0) > 19 and seen.get(422, 0) > 0 and not any(code >= 500 for code in seen), seen


@pytest.mark.slow
def test_every_response_matches_the_document_thoroughly(site) -> None:
    server, token = site
    seen = run_operations(server, token, 100)
    assert seen.get(200, 0) > 19 and not any(code >= 500 for code in seen), seen

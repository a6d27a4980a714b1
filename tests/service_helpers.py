"""A real `delegaties serve` process on 127.0.0.1 and a real HTTP client (httpx) for the service tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.helpers import REPO, cli


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    proc: subprocess.Popen
    log: Path

    def client(self, token: str | None = None, lang: str | None = None, **kw) -> httpx.Client:
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if lang:
            headers["Accept-Language"] = lang
        return httpx.Client(base_url=self.url, headers=headers, timeout=60, **kw)


@contextmanager
def serve(*args: object, tmp: Path, options: tuple = (), env: dict[str, str] | None = None) -> Iterator[Server]:
    """Start `delegaties ARGS serve OPTIONS` on a free port; stop it afterwards (SIGTERM, then SIGKILL)."""
    port = free_port()
    log = tmp / f"serve-{port}.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "cli.main", *[str(a) for a in args], "serve", "--host", "127.0.0.1",
                                 "--port", str(port), "--log-level", "warning", *[str(o) for o in options]], cwd=REPO, stdout=fh, stderr=fh,
                                env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"serve exited with {proc.returncode}: {log.read_text()[-3000:]}")
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"serve did not come up: {log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield Server(url, proc, log)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def new_token(*where: object, role: str = "reader") -> str:
    """A bearer token from `delegaties [WHERE] tokens new --role ROLE` (the last line of its output)."""
    r = cli(*where, "tokens", "new", "--role", role)
    assert r.code == 0, r
    return r.out.strip().splitlines()[-1]


def record_concurrently(server: Server, token: str, plans: list[list[dict]], scope: dict) -> list[tuple[dict, int, dict]]:
    """POST /v1/uses for every planned item, one client per plan at once; a 503 BUSY is retried
    (as a finance system would after Retry-After; the reference makes the retry idempotent).
    (item, status, answer) per item."""
    from concurrent.futures import ThreadPoolExecutor

    def run(items: list[dict]) -> list[tuple[dict, int, dict]]:
        out = []
        with server.client(token) as c:
            for item in items:
                body = {**item, **scope}
                for _attempt in range(30):
                    r = c.post("/v1/uses", json=body)
                    if r.status_code != 503:
                        break
                    assert r.json()["code"] == "BUSY" and r.headers["retry-after"] == "1", r.text
                assert r.status_code in (200, 201, 422), r.text
                out.append((item, r.status_code, r.json()))
        return out

    with ThreadPoolExecutor(len(plans)) as pool:
        return [x for chunk in pool.map(run, plans) for x in chunk]

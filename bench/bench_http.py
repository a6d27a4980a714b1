"""The HTTP service on loopback: requests per second and p50/p99 latency of `POST /v1/check` and
`POST /v1/uses` with 1, 8 and 32 concurrent clients, and an HTTP check over an in-process check.

    python -m bench.bench_http [DB QUESTIONS.json] [--budget SECONDS] [--requests N]

Without arguments it builds a register from examples/ and asks the demo's questions. With a
register (bench/run.py passes the city register) it works on a copy, since recording writes. The
server is `delegaties serve` in its own process on 127.0.0.1 (uvicorn, one worker); the clients
are asyncio tasks in this process, each on its own keep-alive connection with a minimal HTTP/1.1
client (httpx alone costs ~1.4 ms a request here, three times the server's own time). Each
level is bounded in requests and seconds; the warm-up pass is not timed. The in-process baseline
is `Registry.check` on the same questions, warm, in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.peers import scope_of

REPO = Path(__file__).resolve().parent.parent
LEVELS = (1, 8, 32)


def quantile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def body(q: dict[str, Any]) -> dict[str, Any]:
    return {"actor": q["actor"], "power": q["power"], "on": q["on"], **scope_of(q)}


class Connection:
    """One keep-alive HTTP/1.1 connection, as lean as a client can be, so that the figures are the
    server's (a general-purpose Python client costs more per request than the server does)."""

    def __init__(self, port: int, token: str):
        self.port, self.token = port, token

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def post(self, path: str, payload: dict[str, Any]) -> tuple[int, bytes]:
        data = json.dumps(payload).encode()
        self.writer.write(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {self.token}\r\n"
                          f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = next(int(v) for k, _, v in (x.partition(":") for x in lines[1:]) if k.lower() == "content-length")
        return int(lines[0].split()[1]), await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


async def level(port: int, token: str, make, clients: int, requests: int, budget: float) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    counter = iter(range(requests))
    stop_at = time.perf_counter() + budget
    connections = [Connection(port, token) for _ in range(clients)]
    for c in connections:
        await c.open()

    async def worker(client: Connection) -> None:
        for i in counter:
            if time.perf_counter() > stop_at:
                return
            path, payload = make(i)
            t = time.perf_counter()
            status, _ = await client.post(path, payload)
            latencies.append(time.perf_counter() - t)
            statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    elapsed = time.perf_counter() - started
    for c in connections:
        c.close()
    return {"requests": len(latencies), "rps": round(len(latencies) / elapsed, 1),
            "p50_ms": round(quantile(latencies, 0.5) * 1000, 3), "p99_ms": round(quantile(latencies, 0.99) * 1000, 3),
            "statuses": {str(k): v for k, v in sorted(statuses.items())}}


def in_process_p50_us(db: Path, questions: list[dict[str, Any]], n: int) -> float:
    from registry import Registry

    reg = Registry.open(db)
    asked = questions[:n]
    for q in asked:  # warm: state loaded, chains compiled
        reg.check(q["actor"], q["power"], q["on"], **scope_of(q))
    times = []
    for q in asked:
        t = time.perf_counter()
        reg.check(q["actor"], q["power"], q["on"], **scope_of(q))
        times.append(time.perf_counter() - t)
    reg.close()
    return quantile(times, 0.5) * 1e6


def example_register(work: Path) -> tuple[Path, list[dict[str, Any]]]:
    from registry import Registry

    db = work / "voorbeeldegem.db"
    Registry.import_files(db, REPO / "examples" / "voorbeeldegem.yaml")[0].close()
    # The demo's stories are data next to the example register.
    stories = json.loads((REPO / "examples" / "voorbeeldegem-demo.json").read_text(encoding="utf-8"))["scenarios"]
    return db, [story["question"] for story in stories]


def copy_of(db: Path, work: Path) -> Path:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    target = work / "http.db"
    target.write_bytes(db.read_bytes())
    return target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(db: Path | None, questions: list[dict[str, Any]] | None, budget: float, requests: int) -> dict[str, Any]:
    import httpx

    work = Path(tempfile.mkdtemp(prefix="delegaties-bench-http-"))
    if db is None or questions is None:
        db, questions = example_register(work)
    else:
        db = copy_of(db, work)
    cli = [sys.executable, "-m", "cli.main", "--db", str(db)]
    token = subprocess.run([*cli, "tokens", "new", "--role", "recorder"], capture_output=True, text=True, check=True,
                           cwd=REPO).stdout.strip().splitlines()[-1]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([*cli, "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                              cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    out: dict[str, Any] = {"register": str(db), "questions": len(questions), "levels": {}}
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start: {server.stderr.read().decode()[-2000:] if server.stderr else ''}")
            time.sleep(0.1)

        def check(i: int):
            return "/v1/check", body(questions[i % len(questions)])

        def record(i: int, tag: list[int] = [0]):  # noqa: B006 - a counter shared by the calls of one level
            tag[0] += 1
            return "/v1/uses", {**body(questions[i % len(questions)]), "reference": f"BENCH-{os.getpid()}-{tag[0]}"}

        # Warm-up, untimed: every pooled register loads its state and compiles the questions' chains.
        asyncio.run(level(port, token, check, LEVELS[-1], max(len(questions), 4 * LEVELS[-1]) * 2, budget * 3))
        for clients in LEVELS:
            for name, make in (("check", check), ("record", record)):
                out["levels"][f"{name}_c{clients}"] = asyncio.run(level(port, token, make, clients, requests, budget))
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
    base = in_process_p50_us(db, questions, min(len(questions), 2000))
    out["inprocess_check_p50_us"] = round(base, 1)
    out["http_check_c1_over_inprocess_p50"] = round(out["levels"]["check_c1"]["p50_ms"] * 1000 / base, 1)
    for key, figures in out["levels"].items():
        for fig in ("rps", "p50_ms", "p99_ms"):
            out[f"http_{key}_{fig}"] = figures[fig]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db", nargs="?")
    ap.add_argument("questions", nargs="?")
    ap.add_argument("--budget", type=float, default=10.0, help="seconds per level at most")
    ap.add_argument("--requests", type=int, default=2000, help="requests per level at most")
    args = ap.parse_args()
    questions = json.loads(Path(args.questions).read_text(encoding="utf-8")) if args.questions else None
    result = run(Path(args.db) if args.db else None, questions, args.budget, args.requests)
    for key, figures in result["levels"].items():
        sys.stderr.write(f"{key:<12} {figures['rps']:>9,.1f} req/s  p50 {figures['p50_ms']:>8.2f} ms  "
                         f"p99 {figures['p99_ms']:>8.2f} ms  {figures['statuses']}\n")
    sys.stderr.write(f"HTTP check (1 client) / in-process check, p50: {result['http_check_c1_over_inprocess_p50']}x "
                     f"(in-process p50 {result['inprocess_check_p50_us']} us)\n")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

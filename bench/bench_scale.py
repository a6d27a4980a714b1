"""Hosted registers at scale: many administrations in one PostgreSQL database against one SQLite
file per administration, through the real HTTP service (`delegaties serve`, one process).

    python -m bench.bench_scale            # N = 10, 100, 300 administrations (about 20 minutes here)
    python -m bench.bench_scale --quick    # N = 10, 50 (about 4 minutes)
    python -m bench.bench_scale --sizes 10,64,128 --budget 10 --out /tmp/scale.json

One register shape (`bench.generate`, `REGISTER` below: a small gemeente with its OCMW, 400
grants over two terms) is generated once; every administration is that register under its own id
and name (`administration.id` rewritten), imported through `Registry.import_files`: into one
PostgreSQL database of a throwaway cluster (`tests/pg_server.py`, the app role `delegaties_app`
given access per administration, `tests/pg_helpers.py`) and into DIR/<id>.db files. The sizes are
loaded incrementally (10, then 90 more, then 200 more), each import timed; one recorder token per
administration is issued through `registry.tokens.TokenStore`.

For each size and engine the service is started afresh (`--db postgresql://...` without an
administration, resp. `--data-dir DIR`: every administration under /t/<id>/), warmed up with
untimed checks, and then driven by 8 and 32 concurrent clients, each request to an administration
and a question drawn at random (seeded): `POST /t/<id>/v1/check` with the generator's questions,
and `POST /t/<id>/v1/uses` with its uses (fresh references, so every request writes: a use or a
refusal). A 503 is counted and retried after its Retry-After; its latency runs from the first try.
The clients are asyncio tasks in this process on keep-alive connections (bench_http's minimal
HTTP/1.1 client); that they are not the bottleneck is shown per level by their own CPU time and by
a `GET /health` level at 32 clients. Per level the server's CPU and the PostgreSQL backends' CPU
are sampled from /proc, per request, to show where the time goes. At the largest size one more
check level keeps 32 clients on 32 administrations only ("hot"): fewer than the service keeps
loaded (`ServiceConfig.max_administrations`), to tell the cost of more tenants in the database
from the cost of reloading evicted registers. After the levels: the PostgreSQL connections the
service holds (`pg_stat_activity`, application_name 'delegaties') and its RSS.

The engines are measured one after the other at each size, in alternating order; the ratios
(PostgreSQL / SQLite, and each engine at N over itself at the smallest N) come from one run.
Results: bench/results-scale.json (not committed) and a table on stderr; the JSON on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_http import Connection, free_port, quantile
from bench.generate import City, Params

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results-scale.json"
# A small gemeente with its OCMW (the first department is the social house): 300 persons,
# 120 positions, 400 grants in two two-year terms (the current one and one expired).
REGISTER = Params(persons=300, positions=120, grants=400, seed=7)
FIELDS = ("actor", "power", "on", "amount", "budget_key", "unit")
CLIENTS = (8, 32)
HOT = 32  # administrations of the "hot" level: below the service's max_administrations (64)
# The test cluster trades durability for speed (tests/pg_server.py); a register commits durably on
# SQLite (synchronous=FULL), so the cluster here commits durably too, as a production server would.
DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
PLAN = {
    True: {"sizes": (10, 50), "budget": 6.0, "requests": 3000, "warmup": 8.0, "health": 2.0},
    False: {"sizes": (10, 100, 300), "budget": 15.0, "requests": 20_000, "warmup": 15.0, "health": 3.0},
}
TICK = os.sysconf("SC_CLK_TCK")


def log(text: str) -> None:
    sys.stderr.write(f"[scale {time.strftime('%H:%M:%S')}] {text}\n")
    sys.stderr.flush()


def admin_id(i: int) -> str:
    return f"gem-{i:03d}"


# -- /proc ---------------------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def status_kb(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


class CpuSample:
    """CPU seconds of the client (this process), the server and the cluster's processes."""

    def __init__(self, server: int, cluster_dir: Path | None):
        from tests.pg_server import pids_in

        self.server, self.cluster_dir, self._pids_in = server, cluster_dir, pids_in
        self.start = self._now()

    def _now(self) -> tuple[float, float, dict[int, float]]:
        pg = {pid: cpu_seconds(pid) for pid in self._pids_in(self.cluster_dir)} if self.cluster_dir else {}
        return time.process_time(), cpu_seconds(self.server), pg

    def done(self) -> dict[str, float]:
        c0, s0, p0 = self.start
        c1, s1, p1 = self._now()
        # Backends that ended during the level are lost (the pool keeps its connections, so few).
        pg = sum(t - p0.get(pid, 0.0) for pid, t in p1.items())
        return {"client_cpu_s": round(c1 - c0, 3), "server_cpu_s": round(s1 - s0, 3), "pg_cpu_s": round(pg, 3)}


# -- the client ----------------------------------------------------------------------------------
class Client(Connection):
    """bench_http's keep-alive connection with a token per request (one per administration), GET,
    and the response's Retry-After."""

    async def send(self, method: str, path: str, token: str | None, payload: dict[str, Any] | None
                   ) -> tuple[int, bytes, float | None]:
        data = json.dumps(payload).encode() if payload is not None else b""
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        kind = "Content-Type: application/json\r\n" if payload is not None else ""
        self.writer.write(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}{kind}"
                          f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:] if x)}
        retry = headers.get("retry-after")
        return (int(lines[0].split()[1]), await self.reader.readexactly(int(headers.get("content-length", 0))),
                float(retry) if retry and retry.replace(".", "", 1).isdigit() else None)


async def level(port: int, make, clients: int, requests: int, budget: float) -> dict[str, Any]:
    """`requests` requests at most in `budget` seconds, from `clients` connections; make(i) gives
    (method, path, token, payload). A 503 is retried after its Retry-After (counted in `retries`)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    retries = 0
    counter = iter(range(requests))
    stop_at = time.perf_counter() + budget
    connections = [Client(port, "") for _ in range(clients)]
    for c in connections:
        await c.open()

    async def worker(client: Client) -> None:
        nonlocal retries
        for i in counter:
            if time.perf_counter() > stop_at:
                return
            method, path, token, payload = make(i)
            t = time.perf_counter()
            while True:
                status, _, retry_after = await client.send(method, path, token, payload)
                if status != 503:
                    break
                retries += 1
                await asyncio.sleep(retry_after if retry_after is not None else 1.0)
            latencies.append(time.perf_counter() - t)
            statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    elapsed = time.perf_counter() - started
    for c in connections:
        c.close()
    n = len(latencies)
    return {"requests": n, "seconds": round(elapsed, 2), "rps": round(n / elapsed, 1),
            "p50_ms": round(quantile(latencies, 0.5) * 1000, 2), "p90_ms": round(quantile(latencies, 0.9) * 1000, 2),
            "p99_ms": round(quantile(latencies, 0.99) * 1000, 2), "max_ms": round(max(latencies, default=0) * 1000, 2),
            "statuses": {str(k): v for k, v in sorted(statuses.items())}, "retries": retries}


# -- the registers -------------------------------------------------------------------------------
class Fleet:
    """The administrations, loaded into both engines, with a token each."""

    def __init__(self, work: Path, city: City, fast: bool = False):
        from tests.pg_helpers import prepared
        from tests.pg_server import Cluster

        self.work, self.city = work, city
        self.register = city.register()
        self.files = work / "files"
        self.sqlite_dir = work / "sqlite"
        self.files.mkdir()
        self.sqlite_dir.mkdir()
        started = time.perf_counter()
        self.cluster = Cluster.start(settings=None if fast else DURABLE)
        self.db = self.cluster.database("scale")
        prepared(self.db, admin_id(1))  # the schema; access is given per administration as it is loaded
        self.cluster_start_s = round(time.perf_counter() - started, 2)
        self.tokens: dict[str, dict[str, str]] = {"postgresql": {}, "sqlite": {}}
        self.load_ms: dict[str, list[float]] = {"postgresql": [], "sqlite": []}
        self.loaded = 0

    @property
    def pg_url(self) -> str:
        return self.db.app_url()

    def _file(self, admin: str) -> Path:
        data = {**self.register, "administration": {"id": admin, "name": f"Gemeente {admin}"}}
        path = self.files / f"{admin}.json"
        path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        return path

    def grow(self, n: int) -> dict[str, Any]:
        """Load administrations up to `n`; the seconds each engine spent importing them."""
        from registry import Registry, pg
        from registry.tokens import TokenStore
        from tests.pg_server import APP

        owner = pg.parse_url(self.db.owner_url)
        spent = {"postgresql": 0.0, "sqlite": 0.0}
        first = self.loaded
        for i in range(self.loaded + 1, n + 1):
            admin = admin_id(i)
            path = self._file(admin)
            pg.access(owner, APP, admin)
            # Alternate which engine imports first, so that neither always gets a warmer machine.
            order = (("postgresql", self.db.app_url(admin)), ("sqlite", self.sqlite_dir / f"{admin}.db"))
            for engine, where in order if i % 2 else order[::-1]:
                t = time.perf_counter()
                reg, _ = Registry.import_files(where, path)
                took = time.perf_counter() - t
                self.tokens[engine][admin] = TokenStore(reg.store.conn, admin).issue("recorder", "bench_scale").token
                reg.close()
                spent[engine] += took
                self.load_ms[engine].append(round(took * 1000, 1))
            path.unlink()
        self.loaded = n
        pg.close_pools()  # the bench's own connections must not be counted as the service's
        return {engine: {"added": n - first, "import_s": round(s, 2),
                         "per_administration_ms": round(s * 1000 / max(1, n - first), 1)} for engine, s in spent.items()}

    def sizes_on_disk(self) -> dict[str, int]:
        pg_bytes = self.cluster.sql("SELECT pg_database_size('scale')")[0][0]
        files = sum(p.stat().st_size for p in self.sqlite_dir.iterdir())
        return {"postgresql_bytes": int(pg_bytes), "sqlite_bytes": files}

    def pg_connections(self) -> int:
        return int(self.cluster.sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'delegaties'")[0][0])

    def stop(self) -> None:
        self.cluster.stop()


class Service:
    """`delegaties serve` for every administration of one engine, in its own process."""

    def __init__(self, engine: str, fleet: Fleet, work: Path):
        self.engine = engine
        where = ["--db", fleet.pg_url] if engine == "postgresql" else ["--data-dir", str(fleet.sqlite_dir)]
        self.port = free_port()
        self.log = work / f"serve-{engine}.log"
        started = time.perf_counter()
        with self.log.open("wb") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "cli.main", *where, "serve", "--host", "127.0.0.1",
                                          "--port", str(self.port), "--log-level", "warning"],
                                         cwd=REPO, stdout=subprocess.DEVNULL, stderr=err)
        import httpx

        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"the {engine} service did not start: {self.log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
        self.ready_s = round(time.perf_counter() - started, 2)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


# -- one size, one engine -------------------------------------------------------------------------
def measure(engine: str, fleet: Fleet, n: int, plan: dict[str, Any], work: Path, hot: bool,
            questions: list[dict[str, Any]], uses: list[dict[str, Any]], seed: int) -> dict[str, Any]:
    admins = [admin_id(i) for i in range(1, n + 1)]
    tokens = fleet.tokens[engine]
    service = Service(engine, fleet, work)
    port, budget, requests = service.port, plan["budget"], plan["requests"]
    out: dict[str, Any] = {"ready_s": service.ready_s, "levels": {}}

    def maker(kind: str, pool: list[str], tag: str):
        rng = random.Random(f"{seed}-{engine}-{n}-{tag}")  # the same stream for both engines

        def make(i: int):
            admin = pool[rng.randrange(len(pool))]
            if kind == "check":
                q = questions[rng.randrange(len(questions))]
                return "POST", f"/t/{admin}/v1/check", tokens[admin], {k: q[k] for k in FIELDS if q.get(k) is not None}
            u = uses[rng.randrange(len(uses))]
            return "POST", f"/t/{admin}/v1/uses", tokens[admin], {
                **{k: u[k] for k in FIELDS if u.get(k) is not None}, "reference": f"SCALE-{seed}-{n}-{tag}-{i}"}
        return make

    def timed(name: str, make, clients: int, seconds: float) -> dict[str, Any]:
        cpu = CpuSample(service.proc.pid, fleet.cluster.data_dir if engine == "postgresql" else None)
        figures = asyncio.run(level(port, make, clients, requests, seconds))
        used = cpu.done()
        figures.update(used)
        figures["load_average"] = round(os.getloadavg()[0], 2)
        per = max(1, figures["requests"])
        figures["cpu_ms_per_request"] = {k.removesuffix("_cpu_s"): round(v * 1000 / per, 3) for k, v in used.items()}
        out["levels"][name] = figures
        log(f"{engine:<10} N={n:<4} {name:<15} {figures['rps']:>8.1f} req/s  p99 {figures['p99_ms']:>8.1f} ms  "
            f"{figures['statuses']} retries {figures['retries']}  cpu/req ms {figures['cpu_ms_per_request']}")
        return figures

    try:
        # Untimed warm-up: states loaded and the questions' chains compiled, as far as the service keeps them.
        warm = asyncio.run(level(port, maker("check", admins, "warm"), CLIENTS[-1], max(2000, 20 * n), plan["warmup"]))
        out["warmup"] = {"requests": warm["requests"], "rps": warm["rps"], "statuses": warm["statuses"]}
        timed("health_c32", lambda i: ("GET", "/health", None, None), 32, plan["health"])
        for clients in CLIENTS:
            for kind in ("check", "record"):
                timed(f"{kind}_c{clients}", maker(kind, admins, f"{kind}{clients}"), clients, budget)
        if hot:
            hot_admins = admins[:HOT]
            asyncio.run(level(port, maker("check", hot_admins, "hotwarm"), 32, 20 * HOT, plan["warmup"] / 2))
            timed(f"check_c32_hot{HOT}", maker("check", hot_admins, "hot"), 32, budget)
        out["pg_connections"] = fleet.pg_connections() if engine == "postgresql" else None
        rss, peak = status_kb(service.proc.pid, "VmRSS"), status_kb(service.proc.pid, "VmHWM")
        out["rss_mb"] = round(rss / 1024, 1) if rss else None
        out["rss_peak_mb"] = round(peak / 1024, 1) if peak else None
    finally:
        service.stop()
    errors = service.log.read_text(errors="replace")
    if "Traceback" in errors or "ERROR" in errors:
        out["server_log_tail"] = errors[-3000:]
    return out


def in_process(fleet: Fleet, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """Per call, in this process, on administration 1 of each engine: a warm `Registry.check`, the
    freshness probe it makes first (`store.version()`), and the token look-up the service makes on
    its event loop for every request (`TokenStore.verify`). Wall p50 and mean CPU, microseconds."""
    from registry import Registry, pg
    from registry.tokens import TokenStore

    admin = admin_id(1)
    asked = [{k: q[k] for k in FIELDS if q.get(k) is not None} for q in questions]
    out: dict[str, Any] = {}
    for engine, where in (("postgresql", fleet.db.app_url(admin)), ("sqlite", fleet.sqlite_dir / f"{admin}.db")):
        reg = Registry.open(where)
        store, token = TokenStore(reg.store.conn, admin), fleet.tokens[engine][admin]
        calls = {"check": lambda i: reg.check(**asked[i]), "version": lambda i: reg.store.version(),  # noqa: B023
                 "token_verify": lambda i: store.verify(token)}  # noqa: B023
        figures: dict[str, float] = {}
        for name, call in calls.items():
            for i in range(len(asked)):  # warm: state loaded, chains compiled, pool filled
                call(i)
            times = []
            cpu = time.process_time()
            for i in range(len(asked)):
                t = time.perf_counter()
                call(i)
                times.append(time.perf_counter() - t)
            figures[f"{name}_p50_us"] = round(quantile(times, 0.5) * 1e6, 1)
            figures[f"{name}_cpu_us"] = round((time.process_time() - cpu) * 1e6 / len(asked), 1)
        reg.close()
        out[engine] = figures
    pg.close_pools()
    out["pg_over_sqlite"] = {k: _ratio(out["postgresql"][k], out["sqlite"][k]) for k in out["sqlite"]}
    return out


# -- report ----------------------------------------------------------------------------------------
def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def summarise(result: dict[str, Any]) -> None:
    sizes = result["sizes"]
    ratios: dict[str, Any] = {}
    scaling: dict[str, Any] = {"postgresql": {}, "sqlite": {}}
    for n in sizes:
        pg, lite = result["postgresql"][str(n)]["levels"], result["sqlite"][str(n)]["levels"]
        ratios[str(n)] = {f"{name}_{fig}": _ratio(pg[name][fig], lite[name][fig])
                          for name in pg if name in lite and name != "health_c32" for fig in ("rps", "p99_ms")}
    base = str(sizes[0])
    for engine in scaling:
        for n in sizes[1:]:
            now, then = result[engine][str(n)]["levels"], result[engine][base]["levels"]
            scaling[engine][str(n)] = {f"{name}_{fig}": _ratio(now[name][fig], then[name][fig])
                                       for name in then if name in now and name != "health_c32"
                                       for fig in ("rps", "p99_ms")}
    result["pg_over_sqlite"] = ratios
    result[f"over_{base}_administrations"] = scaling


def table(result: dict[str, Any]) -> str:
    sizes = result["sizes"]
    head = ("engine", "N", "load s", "check c8 rps (p99 ms)", "check c32", "record c8", "record c32",
            "CPU ms/check c32 (server+pg)", "CPU ms/record c32", "health c32 rps", "client cpu max", "pg conns", "RSS MB")
    rows = [head]
    for engine in ("postgresql", "sqlite"):
        for n in sizes:
            r = result[engine][str(n)]
            lv = r["levels"]
            cell = lambda k, lv=lv: f"{lv[k]['rps']:,.0f} ({lv[k]['p99_ms']:,.0f})" if k in lv else "-"  # noqa: E731
            cpu = lambda k, lv=lv: "{server:.2f}+{pg:.2f}".format(**lv[k]["cpu_ms_per_request"])  # noqa: E731
            client = max(v["client_cpu_s"] / v["seconds"] for k, v in lv.items() if k != "health_c32")
            rows.append((engine, str(n), f"{result['load'][str(n)][engine]['cumulative_s']:,.1f}", cell("check_c8"),
                         cell("check_c32"), cell("record_c8"), cell("record_c32"), cpu("check_c32"), cpu("record_c32"),
                         f"{lv['health_c32']['rps']:,.0f}", f"{client:.0%}", str(r["pg_connections"] or "-"),
                         str(r["rss_mb"])))
    lines = [_md(rows), "", "PostgreSQL / SQLite: throughput ratio (p99 ratio)"]
    names = [k for k in result["pg_over_sqlite"][str(sizes[0])] if k.endswith("_rps")]
    rows = [("N", *[k.removesuffix("_rps") for k in names])]
    for n in sizes:
        r = result["pg_over_sqlite"][str(n)]
        rows.append((str(n), *[f"{r[k]} ({r[k.replace('_rps', '_p99_ms')]})" for k in names]))
    lines.append(_md(rows))
    base = str(sizes[0])
    lines += ["", f"each engine at N over itself at N={base}: throughput ratio (p99 ratio)"]
    rows = [("engine", "N", *[k.removesuffix("_rps") for k in names])]
    for engine in ("postgresql", "sqlite"):
        for n, r in result[f"over_{base}_administrations"][engine].items():
            rows.append((engine, n, *[f"{r.get(k)} ({r.get(k.replace('_rps', '_p99_ms'))})" for k in names]))
    lines.append(_md(rows))
    ip = result.get("in_process")
    if ip:
        lines += ["", "in process, per call, wall p50 / CPU us, PostgreSQL against SQLite: " + "; ".join(
            f"{k} {ip['postgresql'][k + '_p50_us']} / {ip['postgresql'][k + '_cpu_us']} against "
            f"{ip['sqlite'][k + '_p50_us']} / {ip['sqlite'][k + '_cpu_us']}" for k in ("check", "version", "token_verify"))]
    hot = f"check_c32_hot{HOT}"
    top = str(sizes[-1])
    if hot in result["postgresql"][top]["levels"]:
        lines.append("")
        for engine in ("postgresql", "sqlite"):
            lv = result[engine][top]["levels"]
            lines.append(f"{engine} N={top}: check c32 over {HOT} administrations {lv[hot]['rps']:,.0f} req/s "
                         f"(p99 {lv[hot]['p99_ms']:,.0f} ms) against {lv['check_c32']['rps']:,.0f} over all {top}")
    return "\n".join(lines)


def _md(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(r)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
    return done.stdout.strip()


def run(sizes: tuple[int, ...], plan: dict[str, Any], seed: int = 1, fast_pg: bool = False) -> dict[str, Any]:
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="delegaties-bench-scale-"))
    city = City(REGISTER)
    questions = city.questions(400, seed=11)
    uses = city.uses(400, seed=12)
    result: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M"), "command": " ".join(["python -m bench.bench_scale", *sys.argv[1:]]),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_at_start": [round(x, 2) for x in os.getloadavg()]},
        "register": {"params": REGISTER.tag(), "grants": city.grant_count(), "decisions": len(city.decisions),
                     "persons": len(city.persons), "positions": len(city.positions), "units": len(city.units),
                     "appointments": len(city.appointments), "questions": len(questions), "uses": len(uses)},
        "commit": _git("rev-parse", "--short", "HEAD"), "work_tree_changed": bool(_git("status", "--porcelain", "-uno")),
        "sizes": list(sizes), "plan": plan, "pg_pool": int(os.environ.get("DELEGATIES_PG_POOL") or 10),
        "load": {}, "postgresql": {}, "sqlite": {},
    }
    fleet = Fleet(work, city, fast_pg)
    result["cluster_start_s"] = fleet.cluster_start_s
    result["pg_settings"] = {k: v for k, v in fleet.cluster.sql(
        "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', "
        "'max_connections', 'shared_buffers') ORDER BY name")}
    try:
        cumulative = {"postgresql": 0.0, "sqlite": 0.0}
        for k, n in enumerate(sizes):
            log(f"loading administrations {fleet.loaded + 1}..{n}")
            grown = fleet.grow(n)
            for engine in cumulative:
                cumulative[engine] += grown[engine]["import_s"]
                grown[engine]["cumulative_s"] = round(cumulative[engine], 2)
            grown.update(fleet.sizes_on_disk())
            result["load"][str(n)] = grown
            log(f"loaded {n}: {grown}")
            if k == 0:
                result["in_process"] = in_process(fleet, questions)
                log(f"in process: {result['in_process']}")
            order = ("postgresql", "sqlite") if k % 2 == 0 else ("sqlite", "postgresql")
            for engine in order:
                result[engine][str(n)] = measure(engine, fleet, n, plan, work, hot=(n == sizes[-1] and n > HOT),
                                                 questions=questions, uses=uses, seed=seed)
        for engine, times in fleet.load_ms.items():
            result["load"][f"{engine}_first10_ms_mean"] = round(sum(times[:10]) / len(times[:10]), 1)
            result["load"][f"{engine}_last10_ms_mean"] = round(sum(times[-10:]) / len(times[-10:]), 1)
    finally:
        fleet.stop()
        shutil.rmtree(work, ignore_errors=True)
    summarise(result)
    result["total_s"] = round(time.perf_counter() - started, 1)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="N = 10, 50 and shorter levels (about 4 minutes)")
    ap.add_argument("--sizes", help="comma-separated numbers of administrations, ascending")
    ap.add_argument("--budget", type=float, help="seconds per timed level")
    ap.add_argument("--requests", type=int, help="requests per timed level at most")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fast-pg", action="store_true", help="the test cluster's settings (fsync off) instead of durable ones")
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args()
    plan = dict(PLAN[args.quick])
    if args.sizes:
        plan["sizes"] = tuple(sorted(int(x) for x in args.sizes.split(",")))
    if args.budget:
        plan["budget"] = args.budget
    if args.requests:
        plan["requests"] = args.requests
    sizes = plan.pop("sizes")
    if len(sizes) < 2:
        ap.error("--sizes: at least two sizes (the ratios are against the smallest)")
    result = run(tuple(sizes), plan, args.seed, args.fast_pg)
    Path(args.out).write_text(json.dumps(result, indent=1), encoding="utf-8")
    sys.stderr.write(table(result) + f"\n\n{result['total_s']:.0f} s; results in {args.out}\n")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

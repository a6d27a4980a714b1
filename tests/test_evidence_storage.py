"""Issue 12, operating the register: readers without write access, read-only and full file
systems, a busy register, file modes, odd paths. Real conditions, not mocks: a child process as
another user, a read-only bind mount and a tiny tmpfs in a private mount namespace (`unshare`,
root only; skipped elsewhere), a second process holding the write lock."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from tests.helpers import EXAMPLE, REPO, VERBINTENIS, cli, copy_register

CHECK = ("check", "--actor", "p-001", "--power", VERBINTENIS, "--on", "2025-05-02", "--amount", "1200",
         "--budget-key", "0119/6140000", "--unit", "aankoop")
READS = (CHECK, ("fsck",), ("report", "--year", "2025", "--format", "json"), ("history",), ("list",),
         ("who", "--power", VERBINTENIS, "--on", "2025-05-02"), ("show", "AD-2025-0007/1"))
ENV = {k: v for k, v in os.environ.items() if not k.startswith("DELEGATIES_")} | {"PYTHONDONTWRITEBYTECODE": "1"}


# Root ignores file modes; without these capabilities it is held to them like any clerk.
AS_READER = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"] if os.geteuid() == 0 else []


def run(*argv: object, reader: bool = False, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "cli.main", *[str(a) for a in argv]]
    return subprocess.run([*(AS_READER if reader else []), *cmd], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, env=ENV)


@pytest.fixture
def shared_dir() -> Path:
    """A directory other accounts can enter (pytest's own tmp_path is private to its owner)."""
    path = Path(tempfile.mkdtemp(prefix="delegaties-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _can_unshare() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return probe.returncode == 0


needs_mounts = pytest.mark.skipif(not _can_unshare(), reason="needs root and unshare -m for private mounts")


def in_namespace(script: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["unshare", "-m", "bash", "-u", "-c", script], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, env=ENV)


def cmd(*argv: object) -> str:
    return " ".join([sys.executable, "-m", "cli.main", *[f"'{a}'" for a in argv]])


# -- readers without write access -----------------------------------------------------------------

needs_setpriv = pytest.mark.skipif(os.geteuid() == 0 and not shutil.which("setpriv"), reason="needs setpriv as root")


@needs_setpriv
def test_a_reader_without_write_permission_can_read(example_template: Path, shared_dir: Path) -> None:
    """The README's advice: readers get read access to the file, and no write access to it or
    its directory. dc662eb: "geen leesbaar delegatieregister (attempt to write a readonly database)", exit 3."""
    db = copy_register(example_template, shared_dir / "register.db")
    db.chmod(0o444)
    shared_dir.chmod(0o555)
    try:
        before = db.read_bytes()
        for argv in READS:
            p = run("--db", db, *argv, reader=True)
            assert p.returncode == 0, (argv, p)
            assert "alleen-lezen" not in p.stderr and "readonly" not in p.stderr
        p = run("--db", db, "--json", *CHECK, "--record", "BB-LEZER-1", reader=True)
        assert p.returncode == 2 and '"code": "READ_ONLY"' in p.stdout, p
        assert db.read_bytes() == before
        assert sorted(x.name for x in shared_dir.iterdir()) == ["register.db"]
    finally:
        shared_dir.chmod(0o755)


@needs_setpriv
def test_a_reader_sees_what_a_live_writer_committed(example_template: Path, shared_dir: Path) -> None:
    """While a writer holds the register open (its -wal and -shm exist), a reader without write
    access reads through them, committed uses included (a guard for the read-only fallback:
    reading the main file alone would silently miss the last commits)."""
    db = copy_register(example_template, shared_dir / "register.db")
    assert cli("--db", db, *CHECK, "--record", "BB-LIVE-1").code == 0
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import sqlite3, sys, time
        c = sqlite3.connect(sys.argv[1]); c.execute("SELECT count(*) FROM events").fetchall()
        print("open", flush=True); sys.stdin.read()
    """), str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"  # type: ignore[union-attr]
        assert cli("--db", db, *CHECK, "--record", "BB-LIVE-2").code == 0
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").chmod(0o444)
        shared_dir.chmod(0o555)
        p = run("--db", db, "--json", "history", reader=True)
        assert p.returncode == 0, p
        assert "BB-LIVE-2" in p.stdout
    finally:
        shared_dir.chmod(0o755)
        holder.communicate("", timeout=30)


@needs_mounts
def test_reads_work_on_a_read_only_file_system(example_template: Path, tmp_path: Path) -> None:
    area = tmp_path / "ro"
    area.mkdir()
    db = copy_register(example_template, area / "register.db")
    reads = " && ".join(cmd("--db", db, *argv) + " > /dev/null" for argv in READS)
    p = in_namespace(f"mount --bind '{area}' '{area}' && mount -o remount,ro,bind '{area}' || exit 99\n"
                     f"{reads} && echo reads-ok\n{cmd('--db', db, *CHECK, '--record', 'BB-RO-1')}; echo write-exit=$?")
    assert "reads-ok" in p.stdout, p
    assert "write-exit=2" in p.stdout, p
    assert "alleen-lezen" in p.stderr, p
    assert "onverwachte fout" not in p.stderr and "geen leesbaar" not in p.stderr, p


# -- a full disk ----------------------------------------------------------------------------------

@needs_mounts
def test_a_full_disk_is_named_and_reads_still_work(example_template: Path, tmp_path: Path) -> None:
    area = tmp_path / "vol"
    area.mkdir()
    size = example_template.stat().st_size
    script = f"""
        mount -t tmpfs -o size={size + 256 * 1024} tmpfs '{area}' || exit 99
        cp '{example_template}' '{area}/register.db'
        dd if=/dev/zero of='{area}/vuller' bs=4096 2>/dev/null || true
        {cmd('--db', f'{area}/register.db', *CHECK)} > /dev/null; echo read-exit=$?
        {cmd('--db', f'{area}/register.db', 'fsck')} > /dev/null; echo fsck-exit=$?
        {cmd('--db', f'{area}/register.db', '--json', *CHECK, '--record', 'BB-VOL-1')}; echo write-exit=$?
        {cmd('--db', f'{area}/register.db', 'import', EXAMPLE)}; echo import-exit=$?
    """
    p = in_namespace(script)
    out = p.stdout + p.stderr
    assert "read-exit=0" in p.stdout and "fsck-exit=0" in p.stdout, p
    assert "write-exit=2" in p.stdout and "import-exit=2" in p.stdout, p
    assert '"code": "DISK_FULL"' in p.stdout, p
    assert "cannot rollback" not in out and "onverwachte fout" not in out and "geen leesbaar" not in out, p


@needs_mounts
def test_a_disk_that_fills_during_a_write_is_named(example_template: Path, tmp_path: Path) -> None:
    """A writer already holding the register open (its -shm exists) when the disk fills: SQLite
    itself rolls back; dc662eb then failed with "cannot rollback - no transaction is active"."""
    area = tmp_path / "vol"
    area.mkdir()
    size = example_template.stat().st_size
    script = tmp_path / "schrijver.py"
    script.write_text(textwrap.dedent(f"""
        import json, sys
        sys.path.insert(0, {str(REPO)!r})
        from registry import Registry
        from registry.errors import RegistryError
        reg = Registry.open("{area}/register.db")
        reg.head
        import subprocess
        subprocess.run(["dd", "if=/dev/zero", "of={area}/vuller", "bs=4096"], capture_output=True)
        try:
            reg.load({str(REPO / 'tests' / 'data' / 'bad' / 'base.yaml')!r})
            print("no error")
        except RegistryError as exc:
            print(json.dumps({{"code": exc.code, "text": exc.text.en}}))
        print(reg.fsck() == [])
    """))
    p = in_namespace(f"mount -t tmpfs -o size={size + 512 * 1024} tmpfs '{area}' && "
                     f"cp '{example_template}' '{area}/register.db' && {sys.executable} '{script}'")
    assert p.returncode == 0, p
    assert '"code": "DISK_FULL"' in p.stdout and "cannot rollback" not in p.stdout, p
    assert p.stdout.strip().endswith("True"), p


# -- a busy register ------------------------------------------------------------------------------

def test_a_busy_register_is_named_after_the_bounded_wait(example_db: Path) -> None:
    locker = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sqlite3, sys
        c = sqlite3.connect({str(example_db)!r}, isolation_level=None)
        c.execute("BEGIN IMMEDIATE")
        print("locked", flush=True); sys.stdin.read()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert locker.stdout.readline().strip() == "locked"  # type: ignore[union-attr]
        r = cli("--db", example_db, "--json", "--wait", "0.5", *CHECK, "--record", "BB-BEZET-1")
        assert r.code == 2 and r.json["code"] == "BUSY" and "--wait" in r.json["error"], r
        # A reader is not held up by a writer.
        assert cli("--db", example_db, *CHECK).code == 0
    finally:
        locker.communicate("", timeout=30)
    assert cli("--db", example_db, "--json", *CHECK, "--record", "BB-BEZET-1").code == 0


def test_the_default_wait_is_at_most_ten_seconds() -> None:
    from cli.main import build_parser
    from registry.store import DEFAULT_WAIT

    assert DEFAULT_WAIT <= 10
    assert build_parser().parse_args(["history"]).wait <= 10
    assert build_parser().parse_args(["--wait", "3", "history"]).wait == 3


# -- file modes and odd paths -----------------------------------------------------------------------

@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize("how", ["init", "import"])
def test_register_wal_and_shm_are_private_whatever_the_umask(tmp_path: Path, how: str) -> None:
    db = tmp_path / "register.db"
    old = os.umask(0)
    try:
        r = cli("--db", db, "init") if how == "init" else cli("--db", db, "import", EXAMPLE)
        assert r.code == 0, r
        conn = sqlite3.connect(db)  # keeps -wal and -shm in place while we look
        conn.execute("SELECT count(*) FROM events").fetchall()
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir() if p.name.startswith("register.db")}
        conn.close()
    finally:
        os.umask(old)
    assert modes.get("register.db") == 0o600, modes
    assert all(mode == 0o600 for mode in modes.values()), modes


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_group_access_only_when_asked(tmp_path: Path) -> None:
    db = tmp_path / "register.db"
    assert cli("--db", db, "init", "--group-readable").code == 0
    assert stat.S_IMODE(db.stat().st_mode) == 0o640


@pytest.mark.parametrize("target", ["/dev/null", "directory"])
def test_init_on_something_that_is_not_a_file_is_a_clear_error(tmp_path: Path, target: str) -> None:
    path = tmp_path / "map" if target == "directory" else Path(target)
    if target == "directory":
        path.mkdir()
    r = cli("--db", path, "init")
    assert r.code == 2, r
    assert "geen gewoon bestand" in r.err and "onverwachte fout" not in r.err, r


def test_a_path_with_uri_characters_is_a_register_like_any_other(tmp_path: Path) -> None:
    db = tmp_path / "register #1 ?mode=ro.db"
    assert cli("--db", db, "import", EXAMPLE).code == 0
    assert cli("--db", db, *CHECK).code == 0
    assert db.exists() and not (tmp_path / "register ").exists()


def test_writes_refuse_a_clock_far_behind_the_last_event(example_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime

    last = datetime.fromisoformat(cli("--db", example_db, "--json", "history").json[-1]["recorded_at"]).timestamp()
    with monkeypatch.context() as m:
        m.setattr(time, "time", lambda: last - 3600)
        r = cli("--db", example_db, "--json", *CHECK, "--record", "BB-KLOK-2")
    assert r.code == 2 and r.json["code"] == "CLOCK_BEHIND", r
    assert "BB-KLOK-2" not in cli("--db", example_db, "--json", "history").out

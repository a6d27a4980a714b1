"""Writing an output file (a report, a JWKS, a checkpoint) without ever damaging something else.

The file is written under a temporary name in the target directory and renamed into place, so a
reader never sees half of it. Refused: the register itself, its -wal/-shm/-journal files and
anything in the key directory (whatever path leads there); a symbolic link (it is never followed);
an existing file unless `force` is given, and with `force` still only a regular file.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

from delegations.texts import Text, tr

from .errors import InputError

SIDE_FILES = ("", "-wal", "-shm", "-journal")


def _refuse(parameter: str, path: Path, why: Text) -> InputError:
    return InputError(tr("{path}: {why}; nothing was written", path=path, why=why), parameter=parameter)


def _same_file(a: os.stat_result, b: Path) -> bool:
    try:
        st = os.stat(b)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (st.st_dev, st.st_ino)


def write_text(out: str | Path, text: str, *, register: Path | None = None, key_directory: Path | None = None,
               force: bool = False, parameter: str = "out", mode: int = 0o644) -> Path:
    path = Path(out)
    target = path.parent.resolve() / path.name
    protected = [Path(f"{register}{s}") for s in SIDE_FILES] if register is not None else []
    protected_targets = {p.parent.resolve() / p.name for p in protected}
    if target in protected_targets:
        raise _refuse(parameter, path, tr("that is the register itself (or its -wal/-shm file)"))
    if key_directory is not None:
        keys = key_directory.resolve()
        if target == keys or keys in target.parents:
            raise _refuse(parameter, path, tr("that is inside the key directory"))
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise _refuse(parameter, path, tr("not reachable ({error})", error=exc.strerror)) from None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise _refuse(parameter, path, tr("that is a symbolic link; it is not followed"))
        if any(_same_file(st, p) for p in protected):
            raise _refuse(parameter, path, tr("that is (a hard link to) the register"))
        if not stat.S_ISREG(st.st_mode):
            raise _refuse(parameter, path, tr("that is not a regular file"))
        if not force:
            raise _refuse(parameter, path, tr("exists already; choose another file or overwrite with --force"))
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if st is None:
            try:
                os.link(temporary, path)  # never over a file that appeared meanwhile
            except FileExistsError:
                raise _refuse(parameter, path, tr("was created by someone else meanwhile")) from None
            except OSError:
                os.replace(temporary, path)  # file systems without hard links
        else:
            os.replace(temporary, path)
    except OSError as exc:
        raise _refuse(parameter, path, tr("cannot be written ({error})", error=exc.strerror)) from None
    finally:
        temporary.unlink(missing_ok=True)
    return path


def protected_paths(register: Path) -> Iterable[Path]:
    return [Path(f"{register}{s}") for s in SIDE_FILES]

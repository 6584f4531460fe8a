"""A throw-away PostgreSQL server for the test suite.

``start()`` initialises a fresh cluster in a temporary directory, starts it on a free
TCP port on 127.0.0.1 (plus a private unix socket directory), creates the database
``wutong_test`` and returns ``(url, stop)``:

* ``url`` is a SQLAlchemy URL, ``postgresql+psycopg://postgres@127.0.0.1:PORT/wutong_test``
  (trust authentication, no password);
* ``stop()`` shuts the server down (``pg_ctl -m immediate stop``) and removes the
  directory. It is idempotent and is also registered with ``atexit``.

PostgreSQL refuses to run as root, so when this process is root the directory is
chowned to the ``postgres`` user and ``initdb``/``pg_ctl`` run as that user through
``runuser`` (or ``su``). Servers left behind by a process that died without cleaning
up (SIGKILL, a crash) are stopped and removed by the next ``start()``.

The module is loaded by ``tests/conftest.py``; it can also be run by hand::

    .venv/bin/python scripts/pg_test_server.py          # start, print the URL, wait for Ctrl-C
    .venv/bin/python scripts/pg_test_server.py --check  # start, run SELECT version(), stop
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["PgTestServerError", "find_bindir", "start"]

DATABASE = "wutong_test"
SUPERUSER = "postgres"
OS_USER = "postgres"  # the OS account the server runs as when we are root
DIR_PREFIX = "wutong-pg-"
OWNER_FILE = "owner.pid"
START_ATTEMPTS = 4
TIMEOUT = 120  # seconds, for each initdb / pg_ctl call


class PgTestServerError(RuntimeError):
    """The test server could not be found, initialised or started."""


def _version_key(path: str) -> tuple[int, ...]:
    # /usr/lib/postgresql/15/bin -> (15,); newest first when sorted in reverse
    match = re.search(r"/postgresql/([0-9.]+)/bin$", path)
    return tuple(int(p) for p in match.group(1).split(".") if p) if match else (0,)


def find_bindir() -> Path:
    """The directory holding ``initdb`` and ``pg_ctl``.

    Looks in ``$WUTONG_PG_BINDIR``, then ``/usr/lib/postgresql/*/bin`` (newest version
    first), then ``PATH`` (following symlinks, so that ``pg_ctl`` sits next to ``postgres``).
    """
    candidates: list[Path] = []
    override = os.environ.get("WUTONG_PG_BINDIR")
    if override:
        candidates.append(Path(override))
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True):
        candidates.append(Path(d))
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found).resolve().parent)
        candidates.append(Path(found).parent)
    for d in candidates:
        if all(os.access(d / exe, os.X_OK) for exe in ("initdb", "pg_ctl")):
            return d
    raise PgTestServerError(
        "initdb/pg_ctl not found (looked in $WUTONG_PG_BINDIR, /usr/lib/postgresql/*/bin and PATH); "
        "install PostgreSQL, e.g. `apt-get install -y postgresql`, or run scripts/bootstrap.sh as root"
    )


def _is_root() -> bool:
    return os.geteuid() == 0


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    env.pop("LANG", None)
    return env


def _as_server_user(argv: Sequence[str]) -> list[str]:
    """Prefix ``argv`` so that it runs as the ``postgres`` OS user when we are root."""
    if not _is_root():
        return list(argv)
    runuser = shutil.which("runuser")
    if runuser is None and os.path.exists("/usr/sbin/runuser"):
        runuser = "/usr/sbin/runuser"
    if runuser:
        return [runuser, "-u", OS_USER, "--", *argv]
    # su runs the command through a shell; -s guards against a nologin shell
    return ["su", "-s", "/bin/sh", OS_USER, "-c", shlex.join(argv)]


def _run(argv: Sequence[str], *, cwd: Path, what: str) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(
            _as_server_user(argv),
            cwd=cwd,
            env=_clean_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PgTestServerError(f"{what} failed: {exc}") from exc
    return proc


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _base_dirs() -> list[str]:
    """Where server directories may live, best first (all of them are swept for leftovers).

    ``/dev/shm`` (tmpfs) first: CREATE DATABASE copies the template's files, which takes
    ~15 ms there and ~270 ms on a disk. As root the ``postgres`` user must be able to reach
    the directory: /dev/shm and /tmp allow that, while $TMPDIR might live under /root.
    """
    dirs: list[str] = []
    override = os.environ.get("WUTONG_PG_TMPDIR")
    if override:
        dirs.append(override)
    dirs += ["/dev/shm", "/tmp"]
    if not _is_root():
        dirs.append(tempfile.gettempdir())
    return list(dict.fromkeys(dirs))


def _usable(d: str, min_free: int = 512 * 1024 * 1024) -> bool:
    try:
        st = os.statvfs(d)
    except OSError:
        return False
    return os.path.isdir(d) and os.access(d, os.W_OK | os.X_OK) and st.f_bavail * st.f_frsize >= min_free


def _base_dir() -> str:
    for d in _base_dirs():
        if _usable(d):
            return d
    return tempfile.gettempdir()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed process may linger as a zombie until it is reaped
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat[stat.rindex(")") + 2 :][:1] != "Z"
    except (OSError, ValueError):
        return True


def _kill_postmaster(datadir: Path) -> None:
    """Immediate shutdown by signal, for when ``pg_ctl stop`` could not do it."""
    try:
        pid = int((datadir / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return
    for sig, wait in ((signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _pid_alive(pid):
                return
            time.sleep(0.05)


def _shutdown(bindir: Path | None, root: Path) -> None:
    datadir = root / "data"
    if (datadir / "postmaster.pid").exists():
        if bindir is not None:
            with contextlib.suppress(PgTestServerError):
                pg_ctl = str(bindir / "pg_ctl")
                _run(
                    [pg_ctl, "-D", str(datadir), "-m", "immediate", "-w", "-t", "30", "stop"],
                    cwd=root,
                    what="pg_ctl stop",
                )
        if (datadir / "postmaster.pid").exists():
            _kill_postmaster(datadir)
    shutil.rmtree(root, ignore_errors=True)


def cleanup_leftovers(bindir: Path | None = None) -> list[str]:
    """Stop and remove servers whose owning process is gone. Returns the removed dirs."""
    removed: list[str] = []
    for d in [d for base in _base_dirs() for d in glob.glob(os.path.join(base, DIR_PREFIX + "*"))]:
        root = Path(d)
        try:
            owner = int((root / OWNER_FILE).read_text().strip())
        except (OSError, ValueError):
            continue  # not ours, or still being set up
        if owner == os.getpid() or _pid_alive(owner):
            continue
        _shutdown(bindir, root)
        removed.append(d)
    return removed


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _create_database(port: int) -> None:
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - psycopg is a project dependency
        raise PgTestServerError("psycopg is needed to create the test database") from exc
    try:
        with psycopg.connect(
            host="127.0.0.1",
            port=port,
            user=SUPERUSER,
            dbname="postgres",
            autocommit=True,
            connect_timeout=30,
        ) as conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
    except psycopg.Error as exc:
        raise PgTestServerError(f"could not create database {DATABASE}: {exc}") from exc


def start() -> tuple[str, Callable[[], None]]:
    """Start a fresh server; return ``(sqlalchemy_url, stop)``."""
    bindir = find_bindir()
    if _is_root():
        try:
            pw = pwd.getpwnam(OS_USER)
        except KeyError as exc:
            raise PgTestServerError(
                f"running as root but there is no '{OS_USER}' OS user to run PostgreSQL as "
                "(installing the postgresql package creates it)"
            ) from exc
    cleanup_leftovers(bindir)

    root = Path(tempfile.mkdtemp(prefix=DIR_PREFIX, dir=_base_dir()))
    (root / OWNER_FILE).write_text(f"{os.getpid()}\n")
    datadir, sockdir, logfile = root / "data", root / "sock", root / "server.log"
    sockdir.mkdir()
    if _is_root():
        for p in (root, sockdir, root / OWNER_FILE):
            os.chown(p, pw.pw_uid, pw.pw_gid)

    lock = threading.Lock()
    stopped = False

    def stop() -> None:
        nonlocal stopped
        with lock:
            if stopped:
                return
            stopped = True
        _shutdown(bindir, root)
        atexit.unregister(stop)

    atexit.register(stop)
    try:
        proc = _run(
            [
                str(bindir / "initdb"),
                "-D",
                str(datadir),
                "-A",
                "trust",
                "-U",
                SUPERUSER,
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ],
            cwd=root,
            what="initdb",
        )
        if proc.returncode != 0:
            raise PgTestServerError(f"initdb failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")

        port = 0
        for attempt in range(1, START_ATTEMPTS + 1):
            port = _free_port()
            options = " ".join(
                [
                    "-c listen_addresses=127.0.0.1",
                    f"-p {port}",
                    f"-k {shlex.quote(str(sockdir))}",
                    "-c fsync=off",
                    "-c synchronous_commit=off",
                    "-c full_page_writes=off",
                ]
            )
            proc = _run(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(datadir),
                    "-l",
                    str(logfile),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    options,
                    "start",
                ],
                cwd=root,
                what="pg_ctl start",
            )
            if proc.returncode == 0:
                break
            # Most likely another process took the port between _free_port() and the bind.
            if (datadir / "postmaster.pid").exists():
                _kill_postmaster(datadir)
            if attempt == START_ATTEMPTS:
                raise PgTestServerError(
                    f"pg_ctl start failed ({proc.returncode}) {START_ATTEMPTS} times; last output:\n"
                    f"{proc.stdout}\n{proc.stderr}\nserver log:\n{_log_tail(logfile)}"
                )
        _create_database(port)
    except BaseException:
        stop()
        raise
    return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/{DATABASE}", stop


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="start, print version and timings, stop")
    args = parser.parse_args(argv)

    t0 = time.monotonic()
    try:
        url, stop = start()
    except PgTestServerError as exc:
        print(f"pg_test_server: {exc}", file=sys.stderr)
        return 1
    started = time.monotonic() - t0
    try:
        if args.check:
            import psycopg

            conninfo = url.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(conninfo) as conn:
                row = conn.execute("SELECT version()").fetchone()
            print(row[0] if row else "?")
            print(f"url: {url}\nstart: {started:.2f}s")
            return 0
        print(url, flush=True)
        print(f"started in {started:.2f}s; Ctrl-C stops it", file=sys.stderr, flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        return 0
    finally:
        t1 = time.monotonic()
        stop()
        if args.check:
            print(f"stop: {time.monotonic() - t1:.2f}s")


if __name__ == "__main__":
    sys.exit(main())

"""A throwaway PostgreSQL server for the tests: started once per session, gone at the end.

As the field notes describe: ``initdb`` refuses to run as root, so as root it runs as the
``postgres`` user in a temporary directory that user owns; the server listens only on a Unix
socket in that directory (no TCP port to collide with), fsync off. Each test gets a database of
its own (``PgServer.new_database``).
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

PORT = 5432  # only names the socket file inside the private directory


def dsn_url(dsn: str) -> str:
    """A ``key=value`` connection string of ``PgServer`` as the URL ``DATABASE_URL`` takes."""
    fields = dict(part.split("=", 1) for part in dsn.split())
    return (
        f"postgresql://{fields['user']}@/{fields['dbname']}"
        f"?host={fields['host']}&port={fields['port']}"
    )


class PostgresUnavailable(RuntimeError):
    """PostgreSQL could not be started here; the message says why, in one line."""


def find_bin(name: str) -> str | None:
    """``name`` on PATH, else in Debian's /usr/lib/postgresql/<version>/bin (not on PATH)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0,
    )
    return candidates[-1] if candidates else None


@dataclass
class PgServer:
    directory: Path
    pg_ctl: str
    as_postgres: list[str]
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def dsn(self, database: str = "postgres") -> str:
        return f"host={self.directory} port={PORT} user=postgres dbname={database}"

    def new_database(self) -> str:
        """A fresh, empty database; its connection string."""
        name = f"test_{next(self._names)}"
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.dsn(name)

    def stop(self) -> None:
        subprocess.run(
            [
                *self.as_postgres,
                self.pg_ctl,
                "-D",
                str(self.directory / "data"),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.directory, ignore_errors=True)


def start_server(*, fsync: bool = False) -> PgServer:
    initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise PostgresUnavailable(
            "PostgreSQL is not installed (no initdb): apt-get install postgresql"
        )
    directory = Path(tempfile.mkdtemp(prefix="warung-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
        shutil.chown(directory, "postgres", "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    data = directory / "data"
    options = f"-k {directory} -c listen_addresses='' -p {PORT} -c fsync={'on' if fsync else 'off'}"
    server = PgServer(directory, pg_ctl, as_postgres)
    steps = (
        [initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"],
        [pg_ctl, "-D", str(data), "-w", "-l", str(directory / "log"), "-o", options, "start"],
    )
    for step in steps:
        done = subprocess.run([*as_postgres, *step], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            server.stop()
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise PostgresUnavailable(f"{Path(step[0]).name} failed: {last[0]}")
    return server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One server for the whole session (tests/conftest.py shares it): skipped on a developer's
    machine without PostgreSQL, but in CI (``CI`` set) a failure naming why."""
    try:
        server = start_server()
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL tests cannot run in CI: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL not available: {exc}")
    yield server
    server.stop()

"""Shared pieces of the fault tests: servers, private PostgreSQL clusters, an HTTP client, checks.

Standard library only. Every wait has a deadline; every process started here is registered and
stopped by `Run.close()` (called from a `finally` and on SIGTERM/SIGINT), and its pid is also
written to `$FAULTS_PIDS` so that `run.sh` can stop what a killed test left behind.
"""

import glob
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KIM = os.environ.get("KIM_BIN") or str(ROOT / "target" / "release" / "kim")
# One signing key for every server of a run, so a token from one process is valid on another.
JWT_SECRET = "fault-tests-only-secret-0123456789abcdef0123456789"
PASSWORD = "demo-password"


class TestFailed(Exception):
    pass


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what, condition, timeout, interval=0.1):
    """Polls `condition` until it returns a true value; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TestFailed(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class Checks:
    """Named checks of one test: each prints what it verified; any failure fails the test."""

    def __init__(self, name):
        self.name = name
        self.failed = []
        self.passed = 0

    def check(self, ok, message):
        if ok:
            self.passed += 1
            log(f"  ok   {message}")
        else:
            self.failed.append(message)
            log(f"  FAIL {message}")
        return ok

    def finish(self):
        if self.failed:
            log(f"{self.name}: {len(self.failed)} of {self.passed + len(self.failed)} checks failed")
            for message in self.failed:
                log(f"  - {message}")
            return 1
        log(f"{self.name}: all {self.passed} checks passed")
        return 0


# ---------------------------------------------------------------------------------------------
# HTTP


class Response:
    def __init__(self, status, headers, body, elapsed):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body
        self.elapsed = elapsed

    @property
    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def is_problem(self, status=None):
        """An RFC 9457 problem document (with the given status)."""
        doc = self.json
        return (
            self.headers.get("content-type", "").startswith("application/problem+json")
            and isinstance(doc, dict)
            and all(k in doc for k in ("type", "title", "status", "detail"))
            and (status is None or doc.get("status") == status)
        )

    def etag_version(self):
        return int(self.headers["etag"].strip('"'))

    def __repr__(self):
        return f"<{self.status} {self.body[:200]!r}>"


class Client:
    """One keep-alive connection to a server; reconnects after a transport error."""

    def __init__(self, port, token=None, timeout=15):
        self.port = port
        self.token = token
        self.timeout = timeout
        self.conn = None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, body=None, headers=None, token=None):
        """The response, or raises OSError / http.client.HTTPException on a transport error."""
        all_headers = {"Accept": "application/json"}
        token = token or self.token
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        started = time.monotonic()
        try:
            self.conn.request(method, path, body=data, headers=all_headers)
            raw = self.conn.getresponse()
            payload = raw.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        response = Response(raw.status, raw.getheaders(), payload, time.monotonic() - started)
        if response.headers.get("connection", "").lower() == "close":
            self.close()
        return response


def login(port, username, password=PASSWORD):
    response = Client(port).request(
        "POST", "/api/v1/auth/login", {"username": username, "password": password}
    )
    if response.status != 200:
        raise TestFailed(f"login as {username} answered {response.status}: {response.body}")
    return response.json["access_token"]


# ---------------------------------------------------------------------------------------------
# Processes


class Run:
    """A temporary directory and every process started in it, stopped by `close()`."""

    def __init__(self, name):
        self.name = name
        base = os.environ.get("FAULTS_TMP") or None
        self.dir = Path(tempfile.mkdtemp(prefix=f"kim-faults-{name}-", dir=base))
        # PostgreSQL refuses to run as root: its clusters belong to the `postgres` account.
        os.chmod(self.dir, 0o755)
        self.servers = []
        self.clusters = []
        self._closed = False
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum, _frame):
        raise SystemExit(f"{self.name}: stopped by signal {signum}")

    def remember_pid(self, pid):
        pids = os.environ.get("FAULTS_PIDS")
        if pids:
            with open(pids, "a") as f:
                f.write(f"{pid}\n")

    def remember_cluster(self, data_dir):
        clusters = os.environ.get("FAULTS_CLUSTERS")
        if clusters:
            with open(clusters, "a") as f:
                f.write(f"{data_dir}\n")

    def close(self):
        if self._closed:
            return
        self._closed = True
        for server in self.servers:
            server.kill()
        for cluster in self.clusters:
            cluster.destroy()
        if os.environ.get("FAULTS_KEEP"):
            log(f"kept {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def kim(env, *args, timeout=120, check=True):
    """Runs a `kim` command to completion; its stdout, or fails with its stderr (`check=False`:
    the finished process)."""
    done = subprocess.run(
        [KIM, *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    if not check:
        return done
    if done.returncode != 0:
        raise TestFailed(f"kim {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
    return done.stdout


def base_env(database_url, **extra):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": database_url,
        "KIM_JWT_SECRET": JWT_SECRET,
        "RUST_LOG": "warn",
        "KIM_LOG_FORMAT": "text",
        # Tests log in many times from 127.0.0.1.
        "KIM_LOGIN_PER_ADDRESS_PER_MINUTE": "10000",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


def prepare_database(run, database_url):
    """Migrates and loads the demo county; returns the demo partner token's secret."""
    env = base_env(database_url)
    kim(env, "migrate")
    seeded = kim(env, "seed", "--demo")
    secrets = [w for w in seeded.split() if w.startswith("kimp_")]
    return secrets[0] if secrets else None


class Server:
    """One `kim serve` process on a free port."""

    def __init__(self, run, database_url, name="kim", **settings):
        self.run = run
        self.name = name
        self.database_url = database_url
        self.settings = settings
        self.port = free_port()
        self.proc = None
        self.log_path = run.dir / f"{name}.log"
        run.servers.append(self)

    def env(self):
        return base_env(self.database_url, KIM_BIND=f"127.0.0.1:{self.port}", **self.settings)

    def start(self, ready_timeout=30):
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [KIM, "serve"],
            env=self.env(),
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.run.remember_pid(self.proc.pid)
        wait_until(f"{self.name} to be ready", self.ready, ready_timeout, interval=0.1)
        return self

    def ready(self):
        if self.proc.poll() is not None:
            raise TestFailed(f"{self.name} exited with {self.proc.returncode}: {self.tail()}")
        try:
            return Client(self.port, timeout=5).request("GET", "/health/ready").status == 200
        except (OSError, http.client.HTTPException):
            return False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        if self.alive():
            self.proc.send_signal(sig)

    def wait(self, timeout):
        """The exit code, or None when the process is still running after `timeout` seconds."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait(timeout=10)

    def tail(self, lines=30):
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


# ---------------------------------------------------------------------------------------------
# A private PostgreSQL cluster: the tests stop and start it, which they must never do to the
# machine's shared server.


def pg_bindir():
    configured = os.environ.get("KIM_FAULTS_PG_BIN")
    if configured:
        return configured
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10)
        candidate = out.stdout.strip()
        if out.returncode == 0 and os.path.exists(os.path.join(candidate, "initdb")):
            return candidate
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return os.path.dirname(found[-1])
    raise TestFailed("no PostgreSQL server binaries (initdb, pg_ctl) found; set KIM_FAULTS_PG_BIN")


class Cluster:
    """A PostgreSQL cluster in the run's directory, on a free port, trust authentication."""

    def __init__(self, run, name="pg"):
        self.run = run
        self.bin = pg_bindir()
        self.port = free_port()
        self.home = run.dir / name
        self.home.mkdir()
        self.data = self.home / "data"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.home, "postgres", "postgres")
        run.clusters.append(self)
        run.remember_cluster(str(self.data))
        self._pg(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "--no-sync", "-E", "UTF8", "--locale=C", timeout=120,
        )
        self.running = False

    def _pg(self, tool, *args, timeout=60, check=True):
        command = [os.path.join(self.bin, tool), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise TestFailed(f"{tool} failed ({done.returncode}): {done.stderr.strip()}")
        return done

    def start(self):
        options = (
            f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 "
            "-c max_connections=60 -c fsync=on -c shared_buffers=32MB"
        )
        self._pg(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.home / "server.log"),
            "-w", "-t", "60", "start", timeout=90,
        )
        self.running = True

    def stop(self, mode="fast"):
        self._pg("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", timeout=90)
        self.running = False

    def url(self, database="postgres"):
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}?sslmode=disable"

    def psql(self, sql, database="postgres"):
        """Rows of a query as lists of strings (unaligned, tab-separated)."""
        done = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
             "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
             "-c", sql],
            capture_output=True, text=True, timeout=60,
        )
        if done.returncode != 0:
            raise TestFailed(f"psql failed: {done.stderr.strip()}")
        return [line.split("\t") for line in done.stdout.splitlines() if line]

    def create_database(self, name):
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self):
        if self.running or (self.data / "postmaster.pid").exists():
            self._pg(
                "pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop",
                timeout=60, check=False,
            )
            self.running = False


# ---------------------------------------------------------------------------------------------
# Reading what the server stored, straight from the database.


class Sql:
    """Runs queries against a test database, SQLite or a private PostgreSQL cluster."""

    def __init__(self, sqlite_path=None, cluster=None, database=None):
        self.sqlite_path = sqlite_path
        self.cluster = cluster
        self.database = database

    def rows(self, sql):
        if self.sqlite_path:
            import sqlite3

            conn = sqlite3.connect(f"file:{self.sqlite_path}?mode=ro", uri=True, timeout=10)
            try:
                return [[None if v is None else str(v) for v in row] for row in conn.execute(sql)]
            finally:
                conn.close()
        return [[None if v == "" else v for v in row] for row in self.cluster.psql(sql, self.database)]

    def scalar(self, sql):
        rows = self.rows(sql)
        return rows[0][0] if rows else None


def backend_setup(run, backend, name="db"):
    """(database url, Sql reader, cluster or None) for a fresh database of `backend`."""
    if backend == "sqlite":
        path = run.dir / f"{name}.sqlite"
        return str(path), Sql(sqlite_path=path), None
    cluster = Cluster(run, name=f"{name}-pg")
    cluster.start()
    url = cluster.create_database("kim")
    return url, Sql(cluster=cluster, database="kim"), cluster


def main(test, argv):
    """Runs `test(run, backend)` for the backends named on the command line; exit code 0/1."""
    backends = argv[1:] or ["sqlite", "postgres"]
    failures = 0
    for backend in backends:
        name = f"{Path(sys.argv[0]).stem}-{backend}"
        log(f"=== {name}")
        started = time.monotonic()
        with Run(name) as run:
            try:
                failures += test(run, backend)
            except TestFailed as e:
                log(f"{name}: FAILED: {e}")
                for server in run.servers:
                    log(f"--- last lines of {server.name}'s log:\n{server.tail()}")
                failures += 1
        log(f"=== {name} took {time.monotonic() - started:.1f} s")
    return 1 if failures else 0


def start_thread(target, *args):
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


# ---------------------------------------------------------------------------------------------
# Load


class Outcome:
    """One request of a load: what was asked, when, and how it ended."""

    __slots__ = ("kind", "key", "started", "ended", "status", "response", "error")

    def __init__(self, kind, key, started):
        self.kind = kind
        self.key = key
        self.started = started
        self.ended = None
        self.status = None
        self.response = None
        self.error = None

    @property
    def latency(self):
        return self.ended - self.started


class Load:
    """`threads` threads, each with its own keep-alive connection, calling
    `operation(client, thread, sequence)` -> (kind, key, method, path, body, headers) in a loop
    until `stop()`; every request becomes an `Outcome`."""

    def __init__(self, port, token, operation, threads=16, timeout=15, pause=0.0):
        self.port = port
        self.token = token
        self.operation = operation
        self.outcomes = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.timeout = timeout
        self.pause = pause
        self.threads = [
            threading.Thread(target=self._loop, args=(i,), daemon=True) for i in range(threads)
        ]

    def start(self):
        for thread in self.threads:
            thread.start()
        return self

    def _loop(self, index):
        client = Client(self.port, self.token, timeout=self.timeout)
        sequence = 0
        while not self.stopping.is_set():
            kind, key, method, path, body, headers = self.operation(client, index, sequence)
            sequence += 1
            outcome = Outcome(kind, key, time.monotonic())
            try:
                response = client.request(method, path, body, headers)
                outcome.status = response.status
                outcome.response = response
            except (OSError, http.client.HTTPException) as e:
                outcome.error = f"{type(e).__name__}: {e}"
                # The server is gone or going: do not spin.
                time.sleep(0.05)
            outcome.ended = time.monotonic()
            with self.lock:
                self.outcomes.append(outcome)
            if self.pause:
                time.sleep(self.pause)
        client.close()

    def count(self, predicate):
        with self.lock:
            return sum(1 for o in self.outcomes if predicate(o))

    def stop(self, timeout=30):
        self.stopping.set()
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if any(t.is_alive() for t in self.threads):
            raise TestFailed("load threads did not stop (a request hangs)")
        return self.outcomes


def case_manager_cases(port, token):
    """Ids of the demo case manager's cases that take new contacts and referrals."""
    page = Client(port, token).request("GET", "/api/v1/me/cases?limit=200").json
    ids = [c["id"] for c in page["items"] if c["status"] != "closed"]
    if not ids:
        raise TestFailed("the demo case manager has no open case")
    return ids


def recipient_organisation(port, token):
    page = Client(port, token).request("GET", "/api/v1/organisations?limit=200").json
    active = [o["id"] for o in page["items"] if o.get("active")]
    if not active:
        raise TestFailed("no active organisation in the demo data")
    return active[0]

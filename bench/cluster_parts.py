"""The parts of the cluster run (`bench/cluster.py`), each a real process in a process group of its own.

PostgreSQL and Redis come from `scripts/postgres-up` and `scripts/redis-up` (they outlive the run, as
they do for the tests); everything else is started here and stopped at the end, even on failure:
PgBouncer and HAProxy (Debian's packages, installed when absent) with their configuration in the
run's temporary directory, the API nodes, the delivery workers and the webhook receiver.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.processes import RENTENGINE, REPO, Process, ProcessError, Processes, free_port, tail

# Debian puts the daemons in sbin, which a non-login shell's PATH may lack.
SBIN_PATH = "/usr/local/sbin:/usr/sbin:/sbin"
STOP_SECONDS = 15.0


def ensure_debian_package(command: str, package: str) -> str:
    """The path of `command`, installing Debian's `package` first when it is absent (as root)."""
    search = f"{os.environ.get('PATH', '')}:{SBIN_PATH}"
    found = shutil.which(command, path=search)
    if found:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True, env=env)
    found = shutil.which(command, path=search)
    if not found:
        raise ProcessError(f"installing {package} gave no {command}")
    return found


@dataclass
class Part(Process):
    """A `Process` started in a new session, so that a kill or a stop reaches its whole group."""

    starts: int = 0

    def start(self) -> None:
        self.starts += 1
        with self.log.open("ab") as out:
            out.write(f"--- start {self.starts}\n".encode())
            out.flush()
            self.popen = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def signal_group(self, signum: int) -> None:
        if self.popen is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signum)

    def kill(self) -> None:
        """SIGKILL to the whole group: no shutdown code runs anywhere in it."""
        if self.popen is not None:
            self.signal_group(signal.SIGKILL)
            self.popen.wait()
            self.popen = None

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """SIGTERM to the group, SIGKILL after `timeout`."""
        if self.popen is None:
            return
        self.signal_group(signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=timeout)
        self.signal_group(signal.SIGKILL)  # also any child the leader left behind
        self.popen.wait()
        self.popen = None

    def wait_port(self, port: int, timeout: float = 30.0) -> None:
        """Blocks until something accepts on `port` (bounded), failing early if the process exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            with socket.socket() as sock:
                sock.settimeout(0.5)
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.05)
        raise ProcessError(f"{self.name} did not listen on {port} within {timeout:.0f} s:\n{tail(self.log)}")


@dataclass
class Parts(Processes):
    """Every part of one run; `stop_all` stops whatever still runs, newest first."""

    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> Part:
        part = Part(name, argv, env, self.log_dir / f"{name}.log")
        part.start()
        self.started.append(part)
        return part


@contextmanager
def parts(log_dir: Path) -> Iterator[Parts]:
    log_dir.mkdir(parents=True, exist_ok=True)
    group = Parts(log_dir)
    try:
        yield group
    finally:
        group.stop_all()


# --- PgBouncer ------------------------------------------------------------------------------------


@dataclass
class PgBouncer:
    """A PgBouncer of the run's own, on its own port, started by scripts/pgbouncer-up (which installs
    Debian's package when absent and writes a transaction-pooling configuration) in the run's
    temporary directory. The script daemonizes it: it is stopped through its pid file."""

    workdir: Path
    port: int
    admin_url: str = ""  # postgresql://…@127.0.0.1:PORT/postgres, as the script prints it

    @property
    def directory(self) -> Path:
        return self.workdir / f"rentengine-pgbouncer-{self.port}"

    def start(self) -> None:
        env = {**os.environ, "TMPDIR": str(self.workdir), "RENTENGINE_PGBOUNCER_PORT": str(self.port)}
        env.pop("RENTENGINE_TEST_PGBOUNCER_URL", None)
        script = REPO / "scripts" / "pgbouncer-up"
        done = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise ProcessError(f"scripts/pgbouncer-up failed:\n{done.stderr}")
        self.admin_url = done.stdout.strip()

    def check_alive(self) -> None:
        pid = self.pid()
        if pid is None or not _is_pgbouncer(pid):
            raise ProcessError(
                f"PgBouncer on {self.port} is gone; its log: {self.directory / 'pgbouncer.log'}"
            )

    def keep_log(self, log: Path) -> None:
        """A copy of its log (the temporary directory goes at the end)."""
        with suppress(OSError):
            shutil.copyfile(self.directory / "pgbouncer.log", log)

    def pid(self) -> int | None:
        try:
            return int((self.directory / "pgbouncer.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def stop(self, signum: int = signal.SIGINT, timeout: float = STOP_SECONDS) -> None:
        """SIGINT (safe shutdown: waits for the transactions under way), SIGKILL after `timeout`."""
        pid = self.pid()
        if pid is None:
            return
        with suppress(ProcessLookupError):
            os.kill(pid, signum)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            time.sleep(0.05)
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        while Path(f"/proc/{pid}").exists() and _is_pgbouncer(pid):
            time.sleep(0.05)
        (self.directory / "pgbouncer.pid").unlink(missing_ok=True)


def _is_pgbouncer(pid: int) -> bool:
    try:
        return b"pgbouncer" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


# --- HAProxy --------------------------------------------------------------------------------------

BACKEND = "api"


def haproxy_config(directory: Path, port: int, nodes: list[int], health_path: str) -> Path:
    """Round robin over the API nodes with active health checks.

    Retries: a request whose connection to a node could not be made was never sent, so it is sent to
    another node whatever its method (`retries`, `option redispatch`). A request that was sent and
    got no answer (the node died under it) is sent again only when it is a GET, HEAD or OPTIONS:
    `disable-l7-retry` for every other method, so a POST is never sent twice.
    """
    servers = [
        f"    server node{n} 127.0.0.1:{node_port} check" for n, node_port in enumerate(nodes, start=1)
    ]
    config = directory / "haproxy.cfg"
    config.write_text(
        "\n".join(
            [
                "global",
                "    maxconn 4096",
                f"    stats socket {directory / 'admin.sock'} mode 600 level admin",
                "defaults",
                "    mode http",
                "    timeout connect 2s",
                "    timeout client 60s",
                "    timeout server 30s",
                "    timeout http-keep-alive 30s",
                # A node too busy to answer within this long is busy, not dead; a dead one refuses
                # the connection at once, which fails the check without waiting.
                "    timeout check 5s",
                "    retries 2",
                "    option redispatch 1",
                "    retry-on conn-failure empty-response",
                f"frontend {BACKEND}_in",
                f"    bind 127.0.0.1:{port}",
                "    option forwardfor",
                f"    default_backend {BACKEND}",
                f"backend {BACKEND}",
                "    balance roundrobin",
                "    http-request disable-l7-retry if !{ method GET HEAD OPTIONS }",
                f"    option httpchk GET {health_path}",
                "    http-check expect status 200",
                "    default-server inter 1s fall 3 rise 2",
                *servers,
                "",
            ]
        )
    )
    return config


def haproxy_command(directory: Path, command: str) -> str:
    """One command on HAProxy's admin socket; its answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(str(directory / "admin.sock"))
        sock.sendall(command.encode() + b"\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def node_states(directory: Path) -> dict[str, str]:
    """Server name -> HAProxy's status of it (UP, DOWN, MAINT, ...)."""
    lines = haproxy_command(directory, "show stat").splitlines()
    header = lines[0].lstrip("# ").split(",")
    proxy, name, status = header.index("pxname"), header.index("svname"), header.index("status")
    states = {}
    for line in lines[1:]:
        cells = line.split(",")
        if len(cells) > status and cells[proxy] == BACKEND and cells[name].startswith("node"):
            states[cells[name]] = cells[status]
    return states


def set_node_state(directory: Path, node: int, state: str) -> None:
    """`ready` or `maint`: takes a node in or out of the rotation, as an operator would."""
    answer = haproxy_command(directory, f"set server {BACKEND}/node{node} state {state}")
    if answer.strip():
        raise ProcessError(f"haproxy: {answer.strip()}")


def wait_node_state(directory: Path, node: int, wanted: str, timeout: float = 60.0) -> float:
    """Waits until HAProxy reports node `node` in state `wanted` (e.g. UP); returns when (monotonic)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if node_states(directory).get(f"node{node}", "").startswith(wanted):
            return time.monotonic()
        time.sleep(0.1)
    raise ProcessError(f"haproxy did not see node{node} {wanted} within {timeout:.0f} s")


# --- the application ------------------------------------------------------------------------------


def api_node(group: Parts, number: int, env: dict[str, str]) -> tuple[Part, int]:
    port = free_port()
    argv = [
        str(RENTENGINE),
        "serve",
        "--no-worker",
        "--no-access-log",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    return group.spawn(f"api{number}", argv, env), port


def health_path(base: str) -> str:
    """/readyz where the server has it (it checks the database too), else /healthz."""
    try:
        status = httpx.get(f"{base}/readyz", timeout=5).status_code
    except httpx.TransportError:
        return "/healthz"
    return "/healthz" if status == 404 else "/readyz"


def receiver(group: Parts, env: dict[str, str]) -> tuple[Part, str]:
    """`bench.soak_receiver`: keeps every delivery's webhook-id, arrival time and marker."""
    import sys

    port = free_port()
    part = group.spawn("receiver", [sys.executable, "-m", "bench.soak_receiver", "--port", str(port)], env)
    base = f"http://127.0.0.1:{port}"
    part.wait_http(f"{base}/_bench/stats")
    return part, base

"""The organisations list under gunicorn, against a bare Flask app serving the same bytes.

Each server runs as `make serve` runs it (gunicorn, 2 sync workers, no control socket) on a
free loopback port, without the access log. Eight client threads, each with its own
connection, ask for one page of 50 organisations with two filters, as an anonymous caller
(the public directory: the hot path), for a fixed time after a warm-up. Rounds alternate
between the servers so that whatever else the machine does falls on all of them alike; each
figure is the median over the rounds. The app keeps no page (a proxy in front of it may:
deploy/nginx), so every request builds its page, which is what a request that reaches the app
costs. The workers' CPU time per request is reported too: on a
shared machine it says what a request costs better than the clock does. Peak RSS is each
worker's VmHWM after the last round.

    REGISTRY_CONTACT_KEYS_FILE=KEYS .venv/bin/python -m bench.bench_list DATABASE_URL [DATABASE_URL ...]

(KEYS: the contact key file the databases' contacts were sealed with, as bench/dataset.py made it.)
"""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).parent / "gunicorn"
PATH = "/api/v1/organisations?page_size=50&country=VN&priority_area=health"
CLIENTS = 8
TARGET_P95_SECONDS = 0.025
TARGET_CEILING_RATIO = 0.60


@dataclass
class Server:
    label: str
    port: int
    process: subprocess.Popen[bytes]
    env: dict[str, str]

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        return [int(pid) for pid in children.split()]

    def cpu_seconds(self) -> float:
        """CPU time the workers have used so far (user and system): what a request costs,
        whatever else the machine was doing meanwhile."""
        ticks = 0
        for pid in self.workers():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> list[float]:
        """VmHWM of each worker: the most memory it has held at once."""
        peaks = []
        for pid in self.workers():
            status = Path(f"/proc/{pid}/status").read_text()
            kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
            peaks.append(kb / 1024)
        return peaks


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn(label: str, app: str, env: dict[str, str]) -> Iterator[Server]:
    port = free_port()
    # gunicorn's own log goes to a file: a pipe nobody reads would block it once full.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [str(GUNICORN), "--bind", f"127.0.0.1:{port}", "--workers", "2", "--no-control-socket", app],
            cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
        server = Server(label, port, process, env)
        try:
            _wait_until_up(server, log)
            yield server
        finally:
            process.terminate()  # gunicorn's graceful stop: workers finish their request
            process.wait(timeout=60)


def _wait_until_up(server: Server, log: IO[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"{server.label}: gunicorn exited: {log.read().decode()[-2000:]}")
        try:
            status, _ = fetch(server.port)
            if status == 200 and len(server.workers()) == 2:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{server.label}: no answer on port {server.port} within {timeout:.0f} s")


def fetch(port: int, path: str = PATH) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def load(port: int, seconds: float, clients: int = CLIENTS) -> dict[str, Any]:
    """`clients` threads asking as fast as answers come, for `seconds`."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(n: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        start.wait()
        mine = latencies[n]
        while (began := time.perf_counter()) < stop_at[0]:
            try:
                connection.request("GET", PATH)  # reconnects by itself: sync workers close
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    errors[n] += 1
                    continue
            except (OSError, http.client.HTTPException):
                errors[n] += 1
                connection.close()
                continue
            mine.append(time.perf_counter() - began)
        connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    every = sorted(t for mine in latencies for t in mine)
    return {"requests": len(every), "errors": sum(errors), "seconds": elapsed,
            "requests_per_second": len(every) / elapsed,
            "p50_ms": _quantile(every, 0.50) * 1e3, "p95_ms": _quantile(every, 0.95) * 1e3}


def _quantile(ordered: list[float], q: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(database_urls: dict[str, str], keys_file: Path | None = None, *, seconds: float = 10.0, rounds: int = 3,
        warm_up: float = 2.0) -> dict[str, Any]:
    """Every list server (label: database URL; contacts sealed with the keys in `keys_file`,
    default: the environment's) and the bare ceiling, `rounds` times each."""
    keys = {"REGISTRY_CONTACT_KEYS_FILE": str(keys_file)} if keys_file else {}
    with ExitStack() as stack:
        servers = [stack.enter_context(gunicorn(label, "wsgi:app", {"DATABASE_URL": url, **keys}))
                   for label, url in database_urls.items()]
        status, body = fetch(servers[0].port)
        if status != 200:
            raise RuntimeError(f"the list answered {status}")
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        (Path(folder) / "body.json").write_bytes(body)
        bare = stack.enter_context(gunicorn("bare Flask", "bench.bare_app:app",
                                            {"BENCH_BODY": str(Path(folder) / "body.json")}))
        if fetch(bare.port)[1] != body:
            raise RuntimeError("the bare app does not serve the list's bytes")
        everyone = [bare, *servers]
        for server in everyone:
            load(server.port, warm_up)
        runs: dict[str, list[dict[str, Any]]] = {s.label: [] for s in everyone}
        for _ in range(rounds):
            for server in everyone:
                used = server.cpu_seconds()
                figures = load(server.port, seconds)
                figures["worker_cpu_ms_per_request"] = (server.cpu_seconds() - used) / max(1, figures["requests"]) * 1e3
                runs[server.label].append(figures)
        results = {s.label: _summary(runs[s.label], s) for s in everyone}
    ceiling = results["bare Flask"]["requests_per_second"]
    for server in servers:
        results[server.label]["ceiling_ratio"] = results[server.label]["requests_per_second"] / ceiling
    return {"path": PATH, "caller": "anonymous", "clients": CLIENTS, "workers": 2, "seconds": seconds,
            "rounds": rounds, "response_bytes": len(body), "servers": results,
            "databases": {label: make_url(url).get_backend_name() for label, url in database_urls.items()}}


def _summary(runs: list[dict[str, Any]], server: Server) -> dict[str, Any]:
    def median(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    return {"requests_per_second": median("requests_per_second"), "p50_ms": median("p50_ms"),
            "p95_ms": median("p95_ms"), "worker_cpu_ms_per_request": median("worker_cpu_ms_per_request"),
            "requests": sum(r["requests"] for r in runs),
            "errors": sum(r["errors"] for r in runs), "peak_rss_mb": server.peak_rss_mb()}


def main() -> None:
    urls = {make_url(u).get_backend_name(): u for u in sys.argv[1:]}
    if not urls:
        sys.exit(__doc__)
    result = run(urls)
    for label, figures in result["servers"].items():
        print(f"{label:<34} {figures['requests_per_second']:8.0f} req/s  p50 {figures['p50_ms']:6.1f} ms  "
              f"p95 {figures['p95_ms']:6.1f} ms  RSS {', '.join(f'{m:.0f}' for m in figures['peak_rss_mb'])} MB"
              + (f"  ({figures['ceiling_ratio']:.0%} of bare Flask)" if "ceiling_ratio" in figures else ""))


if __name__ == "__main__":
    main()

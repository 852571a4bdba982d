"""Load report for `fakescope serve` (not a test): concurrent uploads on loopback for a fixed time.

Starts `python -m fakescope serve` on 127.0.0.1 (a free port) with the checkpoint and admission limits, then
--clients threads (one keep-alive httpx client each) upload generated 4-10 s FLAC files as multipart to
POST /v1/scan until --duration seconds have passed (a request still in flight then is awaited, bounded by
the client timeout). After a 503/429 a client waits --backoff seconds before its next upload.

Reports requests/s, p50/p95/p99 latency of the 200 answers, counts per status, the server's peak RSS
(VmHWM) and how its RSS moved between the first and the last 10 s of load (bounded memory).
503 and 429 are the intended overload answers. Exit 1 when any other 5xx, an unexpected status (the
uploads are valid audio, so 4xx means a bug) or a transport error occurred; 2 when the server did not start.

    .venv/bin/python benchmarks/serve_load.py                        # the shipped model, 60 s, 20 clients
    .venv/bin/python benchmarks/serve_load.py --checkpoint runs/lfcc_lcnn/model.safetensors
    .venv/bin/python benchmarks/serve_load.py --make-untrained --duration 10 --clients 5   # quick check
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scan import resolve_checkpoint, speech  # noqa: E402  (the sibling benchmark: checkpoint and audio helpers)

HOST = "127.0.0.1"  # loopback only: this tool never sends uploads anywhere else
INTENDED = {200, 429, 503}


@dataclass(frozen=True)
class Result:
    started: float  # seconds since the load began
    latency: float
    status: str  # the HTTP status, or "error:<exception type>" when no answer came


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def flac_pool(count: int, low_s: float, high_s: float, seed: int = 0) -> list[tuple[bytes, float]]:
    """`count` distinct in-memory FLAC uploads (bytes, seconds) with durations uniform in [low_s, high_s]."""
    import soundfile as sf

    rng = np.random.default_rng(seed)
    pool = []
    for i in range(count):
        seconds = float(np.round(rng.uniform(low_s, high_s), 2))
        buffer = io.BytesIO()
        sf.write(buffer, speech(seconds, seed=1000 + i), 16000, format="FLAC")
        pool.append((buffer.getvalue(), seconds))
    return pool


def proc_status(pid: int, field: str) -> int | None:
    """A number from /proc/PID/status (VmRSS and VmHWM in KiB, Threads); psutil's RSS where /proc is missing."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    if field == "VmRSS":
        try:
            import psutil  # optional: only where /proc is absent

            return psutil.Process(pid).memory_info().rss // 1024
        except Exception:  # not installed, or the process is gone
            return None
    return None


class RssSampler(threading.Thread):
    """Samples the server's RSS every `interval` seconds as (seconds since the load began, KiB), and its threads."""

    def __init__(self, pid: int, origin: float, interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.pid, self.origin, self.interval = pid, origin, interval
        self.samples: list[tuple[float, int]] = []
        self.max_threads = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            kib = proc_status(self.pid, "VmRSS")
            if kib is not None:
                self.samples.append((time.perf_counter() - self.origin, kib))
            self.max_threads = max(self.max_threads, proc_status(self.pid, "Threads") or 0)
            self.stop.wait(self.interval)


def start_server(args: argparse.Namespace, checkpoint: Path, port: int, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "fakescope", "serve", "--host", HOST, "--port", str(port),
               "--checkpoint", str(checkpoint), "--max-concurrent", str(args.max_concurrent),
               "--max-queue", str(args.max_queue), "--timeout", str(args.server_timeout)]
    env = dict(os.environ, ORT_DISABLE_TELEMETRY="1", MPLBACKEND="Agg")
    if args.server_threads:
        env["OMP_NUM_THREADS"] = str(args.server_threads)  # torch's intra-op pool size in the server
    with open(log, "wb") as sink:
        return subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)


def wait_ready(server: subprocess.Popen, base: str, deadline_s: float) -> bool:
    import httpx

    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        try:
            if httpx.get(f"{base}/v1/health", timeout=2.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    return False


def client(base: str, pool: list[tuple[bytes, float]], index: int, origin: float, stop_at: float,
           timeout_s: float, backoff_s: float, out: list[Result]) -> None:
    """Upload files from the pool until `stop_at` (perf_counter time); append one Result per request."""
    import httpx

    rng = np.random.default_rng(index)
    with httpx.Client(base_url=base, timeout=timeout_s) as http:
        while time.perf_counter() < stop_at:
            data, _ = pool[int(rng.integers(len(pool)))]
            start = time.perf_counter()
            try:
                response = http.post("/v1/scan", files={"file": (f"client{index}.flac", data, "audio/flac")})
                status = str(response.status_code)
            except httpx.HTTPError as exc:
                status = f"error:{type(exc).__name__}"
            out.append(Result(start - origin, time.perf_counter() - start, status))
            if status in ("429", "503"):
                time.sleep(backoff_s)


def rss_report(samples: list[tuple[float, int]], duration: float) -> tuple[str, bool]:
    """Compare the RSS of the first and last window of the load; returns (text, looks bounded)."""
    window = min(10.0, duration / 2)
    first = [kib for t, kib in samples if 0.0 <= t <= window]
    last = [kib for t, kib in samples if duration - window <= t <= duration]
    if not first or not last:
        return "RSS: not enough samples", True
    a, b = max(first) / 1024, max(last) / 1024
    growth = b - a
    bounded = growth <= max(32.0, 0.1 * a)  # allocator arenas settle for a while; only sustained growth counts
    return (f"RSS max in the first {window:g} s: {a:.0f} MiB, in the last {window:g} s: {b:.0f} MiB "
            f"(growth {growth:+.0f} MiB, {100 * growth / a:+.1f} %): "
            f"{'bounded' if bounded else 'GROWING'} (bounded = growth <= max(32 MiB, 10 %))"), bounded


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=None, help="checkpoint or .onnx (default: the shipped model)")
    parser.add_argument("--make-untrained", action="store_true", help="serve an untrained LFCC-LCNN made in a temp folder")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--clients", type=int, default=20, help="concurrent uploading clients")
    parser.add_argument("--max-concurrent", type=int, default=2, help="server: analyses running at once")
    parser.add_argument("--max-queue", type=int, default=16, help="server: analyses waiting before 503")
    parser.add_argument("--server-timeout", type=float, default=120.0, help="server: per-request analysis limit (s)")
    parser.add_argument("--server-threads", type=int, default=None, help="server: torch threads (OMP_NUM_THREADS)")
    parser.add_argument("--min-seconds", type=float, default=4.0, help="shortest upload")
    parser.add_argument("--max-seconds", type=float, default=10.0, help="longest upload")
    parser.add_argument("--files", type=int, default=16, help="distinct generated uploads")
    parser.add_argument("--backoff", type=float, default=0.5, help="a client's pause after 503/429 (s)")
    parser.add_argument("--startup-timeout", type=float, default=120.0, help="seconds to wait for /v1/health")
    args = parser.parse_args()
    if args.duration <= 0 or args.clients < 1 or args.files < 1 or not 0 < args.min_seconds <= args.max_seconds:
        parser.error("need --duration > 0, --clients >= 1, --files >= 1 and 0 < --min-seconds <= --max-seconds")
    import httpx

    with tempfile.TemporaryDirectory(prefix="fakescope-load-") as tmp:
        tmp_path = Path(tmp)
        checkpoint = resolve_checkpoint(args.checkpoint, args.make_untrained, tmp_path)
        if checkpoint is None:
            return 2
        pool = flac_pool(args.files, args.min_seconds, args.max_seconds)
        mean_s = float(np.mean([s for _, s in pool]))
        port, log = free_port(), tmp_path / "server.log"
        base = f"http://{HOST}:{port}"
        server = start_server(args, checkpoint, port, log)
        try:
            if not wait_ready(server, base, args.startup_timeout):
                print(f"the server did not become ready (exit code {server.poll()}); its log ends with:\n"
                      + log.read_text(errors="replace")[-3000:], file=sys.stderr)
                return 2
            model = httpx.get(f"{base}/v1/model", timeout=10).json()
            warm = httpx.post(f"{base}/v1/scan", files={"file": ("warm.flac", pool[0][0], "audio/flac")}, timeout=120)
            idle_kib = proc_status(server.pid, "VmRSS") or 0
            print(f"server pid {server.pid} on {base}: model {model.get('name')}, max-concurrent {args.max_concurrent}, "
                  f"max-queue {args.max_queue}; warm-up answer {warm.status_code}; idle RSS {idle_kib / 1024:.0f} MiB")
            print(f"load: {args.clients} clients for {args.duration:g} s, {args.files} FLAC uploads of "
                  f"{args.min_seconds:g}-{args.max_seconds:g} s (mean {mean_s:.1f} s, "
                  f"{np.mean([len(d) for d, _ in pool]) / 1024:.0f} KiB); load average {os.getloadavg()[0]:.2f}", flush=True)

            results: list[Result] = []  # list.append is atomic, so the threads share one list
            origin = time.perf_counter()
            sampler = RssSampler(server.pid, origin)
            sampler.start()
            stop_at = origin + args.duration
            client_timeout = args.server_timeout + 30.0
            threads = [threading.Thread(target=client, daemon=True, name=f"client{i}",
                                        args=(base, pool, i, origin, stop_at, client_timeout, args.backoff, results))
                       for i in range(args.clients)]
            for thread in threads:
                thread.start()
            join_by = stop_at + client_timeout + 5.0  # one deadline for all: a hung client cannot stretch it
            for thread in threads:
                thread.join(timeout=max(0.0, join_by - time.perf_counter()))
            elapsed = time.perf_counter() - origin
            sampler.stop.set()
            sampler.join()
            peak_kib = proc_status(server.pid, "VmHWM")
            alive = server.poll() is None
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        log_tail = log.read_text(errors="replace")[-3000:]

    counts = Counter(r.status for r in results)
    ok = [r for r in results if r.status == "200"]
    failures = sum(n for status, n in counts.items() if not (status.isdigit() and int(status) in INTENDED))
    print(f"{len(results)} requests in {elapsed:.1f} s: {len(results) / elapsed:.2f} requests/s, "
          f"{len(ok) / elapsed:.2f} answered 200/s ({len(ok) * mean_s / elapsed:.1f} audio-s/s at the mean length)")
    print("status counts: " + ", ".join(f"{status}: {n}" for status, n in sorted(counts.items())))
    if ok:
        p50, p95, p99 = np.percentile([r.latency for r in ok], [50, 95, 99])
        print(f"latency of 200s: p50 {p50:.2f} s, p95 {p95:.2f} s, p99 {p99:.2f} s, max {max(r.latency for r in ok):.2f} s")
    else:
        print("latency of 200s: none answered 200")
    print(f"server peak RSS (VmHWM): {peak_kib / 1024:.0f} MiB" if peak_kib else "server peak RSS: unavailable")
    print(rss_report(sampler.samples, args.duration)[0])
    print(f"server threads, most seen at once: {sampler.max_threads}")
    problems = []
    if failures:
        problems.append(f"{failures} answer(s) other than 200/429/503 (5xx apart from 503, unexpected 4xx, or no answer)")
    if not alive:
        problems.append("the server exited during the load; its log ends with:\n" + log_tail)
    if any(t.is_alive() for t in threads):
        problems.append("some clients were still waiting after the client timeout")
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

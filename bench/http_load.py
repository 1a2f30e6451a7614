"""HTTP load: gunicorn with 4 workers on PostgreSQL (scratch database), concurrent loopback clients start
cases and complete their tasks through the JSON API for a fixed time. One request per completion: the
client works as a member of every lane of the ten-step diagram, takes the first task from the start answer
and each following one from the completion's `next_tasks`.

Reports completions per second, p50/p95 latency per request kind, the errors, and the CPU time spent per
completion (user + system, from /proc) split by the gunicorn workers, the PostgreSQL processes serving
the scratch database (their backends; the server's shared background processes separately) and the
client threads. Target: <= 6 ms CPU per completion (= 300 completions/s on two dedicated cores), 0 errors.

    python -m bench.http_load [--quick]
"""
import os
import subprocess
import threading
import time
from pathlib import Path

from . import common, server

NAME = "http_load"
WORKERS = 4
# clients, warm-up seconds, measured seconds
SIZES = {"full": (8, 5, 60), "quick": (8, 2, 15), "tiny": (2, 0, 2)}
TARGET_CPU_MS = 6.0
WORKER_USER = "bench_worker"  # a member of every lane of the ten-step diagram
TICK = os.sysconf("SC_CLK_TCK")
PG_AUX = ("checkpointer", "background writer", "walwriter", "wal writer", "autovacuum", "logical replication",
          "stats collector")


def add_lane_worker(url: str) -> None:
    """The client's user: member of sales, quality and production, so every next task is its own."""
    script = ("from app import create_app\nfrom app.services.organisation import org\n"
              "app = create_app()\n"
              "with app.extensions['db'].session() as s:\n"
              f"    org.create_user(s, {WORKER_USER!r}, 'demo', groups=['sales', 'quality', 'production'])\n")
    subprocess.run([str(common.PROJECT_ROOT / ".venv" / "bin" / "python"), "-c", script], env=server._env(url),
                   cwd=common.PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


# ---------------------------------------------------------------- CPU accounting from /proc

def _cpu_seconds(pid: int | str) -> float:
    """utime + stime of a process (all its threads), or 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def _postgres(database: str) -> dict[str, list[int]]:
    """PostgreSQL processes: backends of this database and the server's shared background processes."""
    found = {"backends": [], "aux": []}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if not cmd.startswith("postgres:"):
            continue
        if f" {database} " in cmd:
            found["backends"].append(int(entry.name))
        elif any(name in cmd for name in PG_AUX):
            found["aux"].append(int(entry.name))
    return found


class CpuMeter:
    """CPU seconds of the workers, the database's PostgreSQL processes and this (client) process between
    start() and stop(); processes that appear meanwhile count from zero."""

    def __init__(self, master_pid: int, database: str):
        self.master, self.database = master_pid, database

    def _read(self) -> dict[str, dict[int, float]]:
        pg = _postgres(self.database)
        return {"workers": {p: _cpu_seconds(p) for p in [self.master, *server.worker_pids(self.master)]},
                "postgres": {p: _cpu_seconds(p) for p in pg["backends"]},
                "postgres_shared": {p: _cpu_seconds(p) for p in pg["aux"]},
                "client": {os.getpid(): _cpu_seconds("self")}}

    def start(self):
        self.before = self._read()

    def stop(self) -> dict[str, float]:
        after = self._read()
        return {part: round(sum(v - self.before[part].get(p, 0.0) for p, v in pids.items()), 3)
                for part, pids in after.items()}


# ---------------------------------------------------------------- the client

def work_cases(port: int, token: str, stats: server.Stats, stop: threading.Event, prefix: str):
    """Start cases and complete each task from the previous answer (one request per completion)."""
    api, n = server.Api(port, token), 0
    while not stop.is_set():
        n += 1
        t0 = time.perf_counter()
        status, body = api.call("POST", f"/api/v1/processes/{server.PROCESS}/instances",
                                {"data": {"case_no": f"{prefix}-{n}"}})
        stats.record("start", time.perf_counter() - t0, status == 201, f"{status} {body}")
        following = [t["id"] for t in body.get("open_tasks", [])] if status == 201 else []
        while following and not stop.is_set():
            t0 = time.perf_counter()
            status, body = api.call("POST", f"/api/v1/tasks/{following[0]}/complete", {"data": server.STEP_DATA})
            stats.record("complete", time.perf_counter() - t0, status == 200, f"{status} {body}")
            following = [t["id"] for t in body.get("next_tasks", [])] if status == 200 else []


class Load(server.Load):
    def __init__(self, port: int, token: str, clients: int, prefix: str):
        self.stats, self.stop = server.Stats(), threading.Event()
        self.began = time.perf_counter()
        self.threads = [threading.Thread(target=work_cases, args=(port, token, self.stats, self.stop,
                                                                  f"{prefix}{i}")) for i in range(clients)]
        for thread in self.threads:
            thread.start()


def run(size: str = "full") -> dict:
    clients, warmup, seconds = SIZES[size]
    backend = "postgres" if common.postgres_available() else "sqlite"
    with common.scratch_database(backend) as url:
        server.prepare(url)
        add_lane_worker(url)
        with server.gunicorn(url, WORKERS) as (port, proc):
            token = server.tokens(port, [WORKER_USER])[WORKER_USER]
            warm = Load(port, token, clients, "W")
            time.sleep(warmup)
            warm.finish()
            meter = CpuMeter(proc.pid, url.rsplit("/", 1)[1])
            meter.start()
            load = Load(port, token, clients, "C")
            time.sleep(seconds)
            elapsed = load.finish()
            cpu = meter.stop()
    stats = load.stats
    rate = stats.completions / elapsed
    requests = sum(len(v) for v in stats.latency.values())
    done = max(stats.completions, 1)
    per = {part: round(seconds_ * 1000 / done, 3) for part, seconds_ in cpu.items()}
    per["total"] = round(sum(per.values()), 3)
    return common.write_result(NAME, size, {
        "backend": backend, "workers": WORKERS, "clients": clients, "seconds": round(elapsed, 2),
        "completions": stats.completions, "completions_per_s": round(rate, 1),
        "requests_per_s": round(requests / elapsed, 1), "requests_per_completion": round(requests / done, 2),
        "latency": server.latency_summary(stats),
        "cpu_seconds": cpu, "cpu_ms_per_completion": per,
        "completions_per_s_on_2_cores": round(2000 / per["total"], 1) if per["total"] else None,
        "errors": len(stats.errors), "error_samples": stats.errors[:5],
        "target_cpu_ms_per_completion": TARGET_CPU_MS,
        "target_met": per["total"] <= TARGET_CPU_MS and not stats.errors,
        "note": "client threads run on the same machine as the server and the database; the machine is "
                "shared, so throughput depends on its load while CPU per completion does much less; "
                "postgres_shared = the server's background writers (shared with other databases)",
    })


def describe(result: dict) -> str:
    lat, cpu = result["latency"], result["cpu_ms_per_completion"]
    return "\n".join([
        f"{result['backend']}, gunicorn {result['workers']} workers, {result['clients']} clients, "
        f"{result['seconds']} s, {result['requests_per_completion']} requests per completion",
        f"completions/s {result['completions_per_s']}, requests/s {result['requests_per_s']}, "
        f"errors {result['errors']}",
        f"CPU per completion {cpu['total']:.2f} ms (target <= {TARGET_CPU_MS}: "
        f"{'met' if result['target_met'] else 'MISSED'}; = {result['completions_per_s_on_2_cores']}/s on 2 cores): "
        + ", ".join(f"{part} {v:.2f}" for part, v in cpu.items() if part != "total"),
        *(f"  {kind:8} n={v['count']:6} p50 {v['p50_ms']:8.2f} ms  p95 {v['p95_ms']:8.2f} ms"
          for kind, v in lat.items() if v["count"]),
        *result["error_samples"]])


def main():
    common.cli(NAME, run, describe)


if __name__ == "__main__":
    main()

"""HTTP load: gunicorn with 4 workers on PostgreSQL (scratch database), concurrent loopback clients start
cases and complete their tasks through the JSON API for a fixed time. Reports completions per second,
p50/p95 latency per request kind and the errors. Target: >= 300 completions/s on 2 cores, 0 errors.

    python -m bench.http_load [--quick]
"""
import time

from . import common, server

NAME = "http_load"
WORKERS = 4
# clients, warm-up seconds, measured seconds
SIZES = {"full": (8, 5, 60), "quick": (8, 2, 15), "tiny": (2, 0, 2)}


def run(size: str = "full") -> dict:
    clients, warmup, seconds = SIZES[size]
    backend = "postgres" if common.postgres_available() else "sqlite"
    with common.scratch_database(backend) as url:
        server.prepare(url)
        with server.gunicorn(url, WORKERS) as (port, _proc):
            tokens = server.tokens(port)
            warm = server.Load(port, tokens, clients, "W")
            time.sleep(warmup)
            warm.finish()
            load = server.Load(port, tokens, clients, "C")
            time.sleep(seconds)
            elapsed = load.finish()
    stats = load.stats
    rate = stats.completions / elapsed
    requests = sum(len(v) for v in stats.latency.values())
    return common.write_result(NAME, size, {
        "backend": backend, "workers": WORKERS, "clients": clients, "seconds": round(elapsed, 2),
        "completions": stats.completions, "completions_per_s": round(rate, 1),
        "requests_per_s": round(requests / elapsed, 1), "latency": server.latency_summary(stats),
        "errors": len(stats.errors), "error_samples": stats.errors[:5],
        "target_completions_per_s": 300, "target_met": rate >= 300 and not stats.errors,
        "note": "client threads run on the same machine as the server and the database",
    })


def describe(result: dict) -> str:
    lat = result["latency"]
    return "\n".join([
        f"{result['backend']}, gunicorn {result['workers']} workers, {result['clients']} clients, "
        f"{result['seconds']} s",
        f"completions/s {result['completions_per_s']} (target >= 300: {'met' if result['target_met'] else 'MISSED'}),"
        f" requests/s {result['requests_per_s']}, errors {result['errors']}",
        *(f"  {kind:8} n={v['count']:6} p50 {v['p50_ms']:8.2f} ms  p95 {v['p95_ms']:8.2f} ms"
          for kind, v in lat.items()),
        *result["error_samples"]])


def main():
    common.cli(NAME, run, describe)


if __name__ == "__main__":
    main()

"""Memory: resident set size of one gunicorn web worker while loopback clients complete tasks through the
JSON API, sampled every tenth of 10,000 completions (or until the time limit). Warm-up is the first 30%:
by then the worker's cache of live workflows (256 cases = 2,560 completions) is full, so the growth
after it should be flat.

    python -m bench.memory [--quick]
"""
import time

from . import common, server

NAME = "memory"
CLIENTS = 2
# completions, time limit in seconds
SIZES = {"full": (10_000, 900), "quick": (600, 40), "tiny": (40, 30)}
WARM_UP = 0.3


def run(size: str = "full") -> dict:
    target, limit = SIZES[size]
    backend = "postgres" if common.postgres_available() else "sqlite"
    samples = []
    with common.scratch_database(backend) as url:
        server.prepare(url)
        with server.gunicorn(url, 1) as (port, proc):
            [worker] = server.worker_pids(proc.pid)
            samples.append({"completions": 0, "rss_mb": server.rss_mb(worker)})
            tokens = server.tokens(port)
            load = server.Load(port, tokens, CLIENTS, "M")
            stats = load.stats
            step = max(1, target // 10)
            next_mark = step
            while next_mark <= target:
                if stats.completions >= next_mark:
                    samples.append({"completions": stats.completions, "rss_mb": server.rss_mb(worker)})
                    next_mark += step
                elif not load.alive() or time.perf_counter() - load.began > limit:
                    break
                time.sleep(0.05)
            elapsed = load.finish()
    measured = [s for s in samples if s["completions"] >= WARM_UP * target] or samples[-1:]
    warm, final = measured[0]["rss_mb"], samples[-1]["rss_mb"]
    growth = round(final - warm, 1)
    span = (samples[-1]["completions"] - measured[0]["completions"]) / 1000
    return common.write_result(NAME, size, {
        "backend": backend, "completions": stats.completions, "seconds": round(elapsed, 1),
        "errors": len(stats.errors), "error_samples": stats.errors[:5], "samples": samples,
        "rss_start_mb": samples[0]["rss_mb"], "rss_after_warmup_mb": warm, "rss_final_mb": final,
        "growth_after_warmup_mb": growth,
        "warm_up_completions": measured[0]["completions"], "target_completions": target,
        "growth_per_1000_mb": round(growth / span, 2) if span > 0 else None,
    })


def describe(result: dict) -> str:
    points = ", ".join(f"{s['completions']}: {s['rss_mb']} MB" for s in result["samples"])
    return (f"one gunicorn worker on {result['backend']}: {result['completions']} completions in "
            f"{result['seconds']} s, errors {result['errors']}\n"
            f"RSS start {result['rss_start_mb']} MB, after warm-up ({result['warm_up_completions']} completions) "
            f"{result['rss_after_warmup_mb']} MB, "
            f"final {result['rss_final_mb']} MB (growth {result['growth_after_warmup_mb']} MB)\n{points}")


def main():
    common.cli(NAME, run, describe)


if __name__ == "__main__":
    main()

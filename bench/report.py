"""The latest figures of bench/results/*.json as the Markdown table of the README's "Benchmarks" section.

    python -m bench.report
"""
import json

from . import common


def _load(name: str) -> dict | None:
    path = common.RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _met(flag: bool) -> str:
    return "met" if flag else "**missed**"


def rows() -> list[str]:
    out = []
    if data := _load("engine_throughput"):
        for r in data["results"]:
            out.append(f"| engine throughput, {r['process']}, {r['backend']} | persisted {r['persisted_steps_s']:.0f} "
                       f"steps/s vs in memory {r['memory_steps_s']:.0f} steps/s: ratio {r['ratio_median']:.3f} "
                       f"(median of {len(r['repeats'])}) | ≥ 0.50 | {_met(r['target_met'])} |")
            if "floor_ms_per_step" in r:
                out.append(f"| P1 write floor, {r['process']}, {r['backend']} | step {r['persisted_ms_per_step']:.3f} ms "
                           f"persisted, {r['memory_ms_per_step']:.3f} ms in memory; floor {r['floor_ms_per_step']:.3f} ms "
                           f"(same {r['write_rows_per_step']:g} rows in {r['write_statements_per_step']:g} "
                           f"statements, raw driver, one transaction) vs product overhead "
                           f"{r['overhead_ms_per_step']:.3f} ms (persisted − in memory): ratio "
                           f"{r['floor_ratio_median']:.2f} | ≤ 2 | {_met(r['floor_target_met'])} |")
    if data := _load("history_growth"):
        o = data["overhead"]
        first, last = list(o)[0], list(o)[-1]
        curve = lambda c: ", ".join(f"{k}: {v if v is not None else '—'}" for k, v in c["ms_per_step"].items())
        out.append(f"| history growth, persistence overhead per step | pass {first}: {o[first]['overhead_ms']} ms, "
                   f"pass {last}: {o[last]['overhead_ms']} ms = {data['overhead_growth']}x | ≤ 2x | "
                   f"{_met(data['target_met'])} |")
        out.append(f"| in-memory ms/step by pass, compacted | {curve(data['memory_curve_compacted'])} | — | — |")
        out.append(f"| in-memory ms/step by pass, not compacted | {curve(data['memory_curve_uncompacted'])} | — | — |")
    if data := _load("inbox_scale"):
        top = str(data["levels"][-1])
        for r in data["results"]:
            for query, v in r["verdict"].items():
                first, deep = r["levels"][top][query]["first"], r["levels"][top][query]["page_100"]
                out.append(f"| inbox {query}, {r['backend']}, {top} open tasks | first page p95 "
                           f"{first['with_total_p95_ms']:.2f} ms with total (page alone {first['rows_p95_ms']:.2f}); "
                           f"page {deep['page_median']:g}: {deep['with_total_p95_ms']:.2f} ms (alone "
                           f"{deep['rows_p95_ms']:.2f}; by offset {deep['offset_rows_p95_ms']:.2f}) | ≤ 10 ms | "
                           f"{_met(v['first']['target_met'] and v['page_100']['target_met'])} |")
    if data := _load("http_load"):
        cpu = data["cpu_ms_per_completion"]
        out.append(f"| HTTP load, {data['backend']}, gunicorn {data['workers']} workers, {data['clients']} clients | "
                   f"CPU {cpu['total']:.1f} ms per completion (workers {cpu['workers']:.1f}, PostgreSQL "
                   f"{cpu['postgres'] + cpu['postgres_shared']:.1f}, client {cpu['client']:.1f}); "
                   f"{data['completions_per_s']} completions/s, complete p95 "
                   f"{data['latency']['complete']['p95_ms']:.0f} ms, {data['errors']} errors | ≤ 6 ms CPU, 0 errors | "
                   f"{_met(data['target_met'])} |")
    if data := _load("memory"):
        out.append(f"| memory of one worker, {data['completions']} completions | RSS {data['rss_after_warmup_mb']} MB "
                   f"after warm-up, {data['rss_final_mb']} MB at the end ({data['growth_per_1000_mb']} MB per 1,000) "
                   f"| no growth | — |")
    return out


def main():
    names = ("engine_throughput", "history_growth", "inbox_scale", "http_load", "memory")
    found = {name: data for name in names if (data := _load(name))}
    machine = next(iter(found.values()))["machine"] if found else common.machine()
    loads = ", ".join(f"{name} {data['machine'].get('loadavg_1min', '?')}" for name, data in found.items())
    print(f"Machine: {machine['nproc']} cores, {machine['cpu']}, Python {machine['python']}, "
          f"SQLite {machine['sqlite']}; 1-minute load average when each ran: {loads}\n")
    print("| benchmark | figures | target | |\n|---|---|---|---|")
    print("\n".join(rows()))


if __name__ == "__main__":
    main()

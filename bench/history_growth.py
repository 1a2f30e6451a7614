"""Growth with history: an instance that loops back through a gateway, one user task per pass.

1. Persistence overhead of a step (persisted step time minus in-memory time of the same step on a twin
   instance run in lockstep) at pass 300 versus pass 5. Target: <= 2x.
2. The in-memory step time at passes 5, 50, 100, 200, 300, 400, with the product's history compaction
   (app/engine/compaction.py) and without it.

    python -m bench.history_growth [--quick]
"""
from contextlib import contextmanager

from app.engine import compaction, runner

from . import common
from .driver import ProcessDriver

NAME = "history_growth"
PROCESS = "bench_one_task_loop"
AGAIN, FINISH = {"ok": False}, {"ok": True}
# passes for the overhead comparison, twin pairs, checkpoints of the in-memory curve, window per point
SIZES = {"full": ((5, 300), 5, (5, 50, 100, 200, 300, 400), 5),
         "quick": ((5, 300), 2, (5, 50, 100, 200, 300, 400), 3),
         "tiny": ((5, 20), 1, (5, 20), 1)}


@contextmanager
def compaction_disabled():
    original = runner.compact
    runner.compact = lambda live: compaction.compact(live, trigger_depth=10**9)
    try:
        yield
    finally:
        runner.compact = original


def _window(target: int, width: int) -> range:
    return range(target - width // 2, target - width // 2 + width)


def overhead(driver: ProcessDriver, passes: tuple, pairs: int, width: int) -> dict:
    """Per pair: persisted and in-memory step time around each of the compared passes."""
    last = max(passes) + width
    wanted = {p: set(_window(p, width)) for p in passes}
    samples = {p: {"persisted": [], "memory": []} for p in passes}
    for pair in range(pairs):
        iid, live = driver.start_persisted(10**5 + pair), driver.start_memory(10**5 + pair)
        for n in range(1, last + 1):
            _, p_time = driver.step_persisted(iid, AGAIN)
            _, m_time = driver.step_memory(live, AGAIN)
            for p, window in wanted.items():
                if n in window:
                    samples[p]["persisted"].append(p_time)
                    samples[p]["memory"].append(m_time)
        driver.step_persisted(iid, FINISH)
    out = {}
    for p, s in samples.items():
        persisted, memory = common.median(s["persisted"]), common.median(s["memory"])
        out[p] = {"persisted_ms": common.ms(persisted), "memory_ms": common.ms(memory),
                  "overhead_ms": common.ms(persisted - memory)}
    return out


def memory_curve(driver: ProcessDriver, checkpoints: tuple, width: int, repeats: int) -> dict:
    """ms per in-memory step around each checkpoint (median over repeats); None once the engine refuses."""
    last = max(checkpoints) + width
    per_point = {c: [] for c in checkpoints}
    failed_at = None
    for r in range(repeats):
        live = driver.start_memory(r)
        for n in range(1, last + 1):
            try:
                _, seconds = driver.step_memory(live, AGAIN)
            except runner.EngineError:
                failed_at = n
                break
            for c in checkpoints:
                if n in _window(c, width):
                    per_point[c].append(seconds)
    curve = {str(c): (common.ms(common.median(v)) if v and (failed_at is None or c < failed_at) else None)
             for c, v in per_point.items()}
    return {"ms_per_step": curve, "refused_at_pass": failed_at}


def run(size: str = "full") -> dict:
    passes, pairs, checkpoints, width = SIZES[size]
    repeats = max(1, pairs // 2)
    with common.scratch_database("sqlite") as url:
        app = common.make_app(url, [common.FIXTURES])
        db = app.extensions["db"]
        driver = ProcessDriver(db, PROCESS, common.demo_users(db))
        compared = overhead(driver, passes, pairs, width)
        with_compaction = memory_curve(driver, checkpoints, width, repeats)
        with compaction_disabled():
            without = memory_curve(driver, checkpoints, width, repeats)
        db.dispose()
    early, late = compared[passes[0]], compared[passes[1]]
    growth = late["overhead_ms"] / early["overhead_ms"] if early["overhead_ms"] > 0 else float("inf")
    first, last = str(checkpoints[0]), str(checkpoints[-1])

    def slowdown(curve):
        values = curve["ms_per_step"]
        known = [c for c in map(str, checkpoints) if values[c] is not None]
        return round(values[known[-1]] / values[first], 2) if values[first] and len(known) > 1 else None

    return common.write_result(NAME, size, {
        "backend": "sqlite", "process": PROCESS,
        "overhead": {str(p): v for p, v in compared.items()},
        "overhead_growth": round(growth, 3), "target_growth": 2.0, "target_met": growth <= 2.0,
        "memory_curve_compacted": with_compaction, "memory_curve_uncompacted": without,
        "memory_slowdown_compacted": slowdown(with_compaction),
        "memory_slowdown_uncompacted": slowdown(without),
        "compaction": {"trigger_depth": compaction.TRIGGER_DEPTH, "keep": compaction.KEEP},
        "checkpoints": list(checkpoints), "last_checkpoint": last,
    })


def describe(result: dict) -> str:
    lines = ["pass  persisted_ms  memory_ms  overhead_ms"]
    for p, v in result["overhead"].items():
        lines.append(f"{p:>4}  {v['persisted_ms']:12.3f}  {v['memory_ms']:9.3f}  {v['overhead_ms']:11.3f}")
    lines.append(f"overhead growth {result['overhead_growth']}x (target <= 2x: "
                 f"{'met' if result['target_met'] else 'MISSED'})")
    for label in ("compacted", "uncompacted"):
        curve = result[f"memory_curve_{label}"]
        points = ", ".join(f"{c}: {v if v is not None else 'refused'}" for c, v in curve["ms_per_step"].items())
        lines.append(f"in-memory ms/step {label:11} {points}")
        if curve["refused_at_pass"]:
            lines.append(f"  engine refused the step at pass {curve['refused_at_pass']} (tree too deep)")
    return "\n".join(lines)


def main():
    common.cli(NAME, run, describe)


if __name__ == "__main__":
    main()

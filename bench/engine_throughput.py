"""Engine throughput: user-task steps per second with full persistence (each step its own committed
transaction through the service layer: workflow state, task table, audit events) versus the same steps
with the engine purely in memory, measured alternately in the same run. Target: persisted >= 50%.

P1, the write floor (bench/write_floor.py): the rows each persisted step wrote, written again with the raw
driver in one transaction per step on a copy of the same database, in the same run. Reported per step:
floor, the product's overhead (persisted − in-memory) and overhead/floor (target <= 2).

Diagrams: bench/fixtures/ten_steps.bpmn and the four business processes (complaint handling, contract
review, export licence & customs, overseas repair) with the data their scenario tests submit.

    python -m bench.engine_throughput [--quick]
"""
from . import common, write_floor
from .driver import ProcessDriver, run_instances

NAME = "engine_throughput"
# instances per batch, batches (each batch: persisted then in memory)
SIZES = {"full": (20, 7), "quick": (4, 3), "tiny": (1, 1)}
PROCESSES = {"ten_steps": "bench_ten_steps", "complaint": "complaint_handling", "contract": "contract_review",
             "export": "export_licence", "repair": "overseas_repair"}


def measure(backend: str, process: str, per_batch: int, repeats: int) -> dict:
    with common.scratch_database(backend) as url:
        app = common.make_app(url, _sources(process))
        db = app.extensions["db"]
        driver = ProcessDriver(db, PROCESSES[process], common.demo_users(db), **_driver_data(process))
        run_instances(driver, "persisted", 2, 10**6)  # warm-up: specs built, statements compiled
        run_instances(driver, "memory", 2, 10**6)
        rows, units = [], []
        with write_floor.copy_of(db, url) as connect, write_floor.capture(db) as captured:
            driver.step_persisted = write_floor.marking(driver.step_persisted, captured)
            for r in range(repeats):
                captured.units = [("other", [])]
                p_steps, p_time = run_instances(driver, "persisted", per_batch, r * per_batch)
                units.append(captured.units)
                m_steps, m_time = run_instances(driver, "memory", per_batch, r * per_batch)
                persisted, memory = p_steps / p_time, m_steps / m_time
                rows.append({"persisted_steps_s": round(persisted, 1), "memory_steps_s": round(memory, 1),
                             "ratio": round(persisted / memory, 4), "steps": p_steps})
            for row, written in zip(rows, units):  # the same rows again, raw driver, same database
                captured.units = written
                floor = write_floor.replay(connect, captured)
                overhead = 1000 / row["persisted_steps_s"] - 1000 / row["memory_steps_s"]
                row.update(floor_ms_per_step=floor["floor_ms_per_step"], overhead_ms_per_step=round(overhead, 4),
                           floor_ratio=round(overhead / floor["floor_ms_per_step"], 2),
                           statements_per_step=floor["statements_per_step"], rows_per_step=floor["rows_per_step"])
        app.extensions["db"].dispose()
    ratio = common.median([r["ratio"] for r in rows])
    floor_ratio = common.median([r["floor_ratio"] for r in rows])
    return {"backend": backend, "process": process, "steps_per_instance": rows[0]["steps"] // per_batch,
            "persisted_steps_s": common.median([r["persisted_steps_s"] for r in rows]),
            "memory_steps_s": common.median([r["memory_steps_s"] for r in rows]),
            "ratio_median": round(ratio, 4), "target_ratio": 0.5, "target_met": ratio >= 0.5,
            "persisted_ms_per_step": round(1000 / common.median([r["persisted_steps_s"] for r in rows]), 3),
            "memory_ms_per_step": round(1000 / common.median([r["memory_steps_s"] for r in rows]), 3),
            "floor_ms_per_step": common.median([r["floor_ms_per_step"] for r in rows]),
            "overhead_ms_per_step": round(common.median([r["overhead_ms_per_step"] for r in rows]), 3),
            "floor_ratio_median": floor_ratio, "floor_target": 2.0, "floor_target_met": floor_ratio <= 2.0,
            "write_statements_per_step": common.median([r["statements_per_step"] for r in rows]),
            "write_rows_per_step": common.median([r["rows_per_step"] for r in rows]),
            "repeats": rows}


def _sources(process: str) -> list:
    if process in ("ten_steps", "complaint"):
        return common.diagram_sources(process)
    from . import business_steps
    return business_steps.DIAGRAMS[process][1]["sources"]


def _driver_data(process: str) -> dict:
    if process == "ten_steps":
        return {}
    if process == "complaint":
        from . import complaint_steps
        return {"step_data": complaint_steps.STEPS, "start": complaint_steps.START}
    from . import business_steps
    diagram = business_steps.DIAGRAMS[process][1]
    return {"step_data": diagram["steps"], "start": diagram["start"]}


def run(size: str = "full") -> dict:
    per_batch, repeats = SIZES[size]
    results, notes = [], []
    processes = ["ten_steps"]
    if common.COMPLAINT_BPMN.exists():
        processes += ["complaint", "contract", "export", "repair"]
    else:
        notes.append("processes/ not found: the business processes are skipped")
    for backend in common.backends():
        for process in processes:
            try:
                results.append(measure(backend, process, per_batch, repeats))
            except Exception as exc:  # a diagram the generic driver cannot run is reported, not fatal
                if process == "ten_steps":
                    raise
                notes.append(f"{process} on {backend}: not measured ({type(exc).__name__}: {exc})")
    if "postgres" not in common.backends():
        notes.append("PostgreSQL not reachable: measured on SQLite only")
    return common.write_result(NAME, size, {"results": results, "notes": notes})


def describe(result: dict) -> str:
    lines = [f"{'backend':9} {'process':10} {'pers. ms':>9} {'mem. ms':>8} {'ratio':>7} target>=0.50"
             f" {'floor ms':>9} {'overhead ms':>12} {'ovh/floor':>9} target<=2"]
    for r in result["results"]:
        lines.append(f"{r['backend']:9} {r['process']:10} {r['persisted_ms_per_step']:9.3f} "
                     f"{r['memory_ms_per_step']:8.3f} {r['ratio_median']:7.3f} "
                     f"{'met' if r['target_met'] else 'MISSED':12} {r.get('floor_ms_per_step', float('nan')):9.3f} "
                     f"{r.get('overhead_ms_per_step', float('nan')):12.3f} {r.get('floor_ratio_median', float('nan')):9.2f} "
                     f"{'met' if r.get('floor_target_met') else 'MISSED'}")
    return "\n".join(lines + result["notes"])


def main():
    common.cli(NAME, run, describe)


if __name__ == "__main__":
    main()

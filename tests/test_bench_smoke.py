"""Each benchmark runs end to end at its smallest size and writes the figures the README reports.

Checks the shape of the results, never the timings (speed is measured by `make bench`, not by tests)."""
import json

import pytest

from bench import common, dos, engine_throughput, history_growth, http_load, inbox_scale, memory


@pytest.fixture(autouse=True)
def results_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    return tmp_path


def _written(results_dir, name) -> dict:
    data = json.loads((results_dir / f"{name}.json").read_text())
    assert data["benchmark"] == name and data["size"] == "tiny"
    assert {"nproc", "cpu"} <= set(data["machine"])
    return data


def test_engine_throughput_compares_persisted_with_in_memory_steps(results_dir):
    engine_throughput.run("tiny")
    data = _written(results_dir, "engine_throughput")
    measured = [r for r in data["results"] if r["process"] == "ten_steps"]
    assert {r["backend"] for r in measured} == set(common.backends())
    for ten in measured:  # SQLite, and PostgreSQL where it runs (there the step is one joined round trip)
        assert {"persisted_steps_s", "memory_steps_s", "ratio_median", "target_met", "repeats"} <= set(ten)
        assert ten["steps_per_instance"] == 10  # every user task of the diagram was completed
        # P1: the floor rewrote the step's rows (the completed task, the next one, the case, its audit events)
        assert ten["floor_ms_per_step"] > 0 and ten["write_rows_per_step"] >= 5, ten["backend"]
        assert ten["floor_ratio_median"] == pytest.approx(ten["overhead_ms_per_step"] / ten["floor_ms_per_step"],
                                                          rel=0.5)


def test_the_write_floor_replays_what_a_step_writes_and_not_what_it_reads():
    from bench.write_floor import writes_of
    check = "WITH saved AS  (UPDATE process_instances SET lock_version=%(v_1)s RETURNING process_instances.id) " \
            "SELECT 1 / count(*) FROM saved"
    batch = ";\n".join([check, "INSERT INTO audit_events (x) VALUES (%(x_2)s)",
                         "SELECT human_tasks.id FROM human_tasks WHERE human_tasks.instance_id = %(iid_3)s"])
    assert writes_of(batch) == ";\n".join(batch.split(";\n")[:2])
    assert writes_of("UPDATE human_tasks SET state = ?") == "UPDATE human_tasks SET state = ?"
    assert writes_of("SELECT 1") == "" and writes_of("WITH x AS (SELECT 1) SELECT * FROM x") == ""


def test_history_growth_reports_overhead_and_both_curves(results_dir):
    history_growth.run("tiny")
    data = _written(results_dir, "history_growth")
    assert {"overhead_growth", "target_met", "memory_curve_compacted", "memory_curve_uncompacted"} <= set(data)
    assert set(data["overhead"]) == {"5", "20"}
    assert set(data["memory_curve_uncompacted"]["ms_per_step"]) == {"5", "20"}


def test_inbox_scale_measures_every_query_at_every_level(results_dir):
    inbox_scale.run("tiny")
    data = _written(results_dir, "inbox_scale")
    for result in data["results"]:
        assert set(result["levels"]) == {"200", "500"}
        for figures in result["levels"].values():
            for query in inbox_scale.QUERIES:  # the first page and the deep page, each with the list's total
                first, deep = figures[query]["first"], figures[query]["page_100"]
                assert {"rows_p95_ms", "with_total_p95_ms", "avg_rows"} <= set(first)
                assert {"rows_p95_ms", "with_total_p95_ms", "offset_rows_p95_ms", "page_median"} <= set(deep)
            assert figures["department_queue"]["first"]["avg_rows"] > 0
        assert set(result["verdict"]) == set(inbox_scale.QUERIES)


def test_http_load_completes_tasks_without_errors(results_dir):
    http_load.run("tiny")
    data = _written(results_dir, "http_load")
    assert {"completions_per_s", "latency", "errors", "target_met", "cpu_ms_per_completion"} <= set(data)
    assert data["completions"] > 0 and data["errors"] == 0, data["error_samples"]
    assert data["requests_per_completion"] < 1.5  # one request per completion (and a start per ten)
    assert {"workers", "postgres", "client"} <= set(data["cpu_ms_per_completion"])
    assert data["cpu_ms_per_completion"]["workers"] > 0


def test_memory_samples_the_worker_after_warm_up(results_dir):
    memory.run("tiny")
    data = _written(results_dir, "memory")
    assert {"rss_after_warmup_mb", "rss_final_mb", "growth_after_warmup_mb", "samples"} <= set(data)
    assert len(data["samples"]) >= 2 and data["samples"][0]["completions"] == 0
    assert data["completions"] > 0 and data["errors"] == 0, data["error_samples"]


def test_dos_answers_every_hostile_request_without_a_server_error(results_dir):
    dos.run("tiny")
    data = _written(results_dir, "dos")
    assert {"inbox_p95_ms_before", "inbox_p95_ms_during", "server_errors", "over_budget", "target_met"} <= set(data)
    assert data["server_errors"] == 0 and data["inbox_errors"] == 0, data["requests"]
    assert data["requests"]["step: endless_loop"]["statuses"] == ["422"]
    assert data["requests"]["validate slow timer as staff"]["statuses"] == ["403"]

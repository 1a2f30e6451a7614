"""Races: two clients act on the same task at the same moment, through the JSON API, against gunicorn with
several workers on PostgreSQL (a scratch database, created and dropped here).

Three kinds of round, each `--rounds N` times (default 1,000):
- complete_vs_complete: a member and a head of the task's group both complete it;
- claim_vs_claim: both claim it (the winner then completes it, so the case moves on);
- complete_vs_reassign: the member completes it while the head reassigns it to himself (when the
  reassignment wins, the head completes it afterwards).

Each round must have exactly one winner (200) and one loser (409); the instance's lock version must move by
exactly one per saved step (none skipped, none repeated); at the end no task has two `completed` audit
events and every completed task was completed by the round's winner.

    .venv/bin/python -m bench.races [--rounds N] [--workers N]
"""
import argparse
import http.client
import json
import threading
import time
from collections import Counter

from sqlalchemy import create_engine, text

from . import common, server

KINDS = ("complete_vs_complete", "claim_vs_claim", "complete_vs_reassign")
DATA = {"data": server.STEP_DATA}


class Client:
    """One HTTP request prepared up to the send, so both racers fire after the same barrier."""

    def __init__(self, port: int, token: str):
        self.port, self.token = port, token

    def race(self, barrier: threading.Barrier, path: str, body: dict, out: list, slot: int):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.connect()
            barrier.wait()
            conn.request("POST", path, body=json.dumps(body),
                         headers={"Content-Type": "application/json", "Authorization": "Bearer " + self.token})
            response = conn.getresponse()
            raw = response.read()
            out[slot] = (response.status, json.loads(raw) if raw else None)
        except Exception as exc:  # a transport failure is a result of the round, reported as such
            out[slot] = (0, {"error": repr(exc)})
        finally:
            conn.close()


def _both(port, first: tuple, second: tuple) -> list:
    """Send two (token, path, body) requests at the same moment; returns [(status, body), (status, body)]."""
    barrier, out = threading.Barrier(2), [None, None]
    threads = [threading.Thread(target=Client(port, tok).race, args=(barrier, path, body, out, i))
               for i, (tok, path, body) in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return out


class Cases:
    """Hands out the next open task of a ten-step case, starting a new case when one is finished."""

    def __init__(self, api: server.Api, tokens: dict, prefix: str):
        self.api, self.tokens, self.prefix, self.n = api, tokens, prefix, 0
        self.instance_id = None

    def instance(self) -> dict:
        status, body = self.api.call("GET", f"/api/v1/instances/{self.instance_id}", token=self.tokens["auditor"])
        if status != 200:
            raise RuntimeError(f"reading case {self.instance_id}: {status} {body}")
        return body

    def next_task(self) -> tuple[dict, dict]:
        body = self.instance() if self.instance_id else None
        if body is None or not body["open_tasks"]:
            self.n += 1
            status, body = self.api.call("POST", f"/api/v1/processes/{server.PROCESS}/instances",
                                         {"data": {"case_no": f"{self.prefix}-{self.n}"}}, self.tokens["sales"])
            if status != 201:
                raise RuntimeError(f"start failed: {status} {body}")
            self.instance_id = body["id"]
        return body, body["open_tasks"][0]


def _one_round(kind: str, port: int, cases: Cases, tokens: dict) -> dict:
    instance, task = cases.next_task()
    group = task["group"]
    member, head = tokens[group], tokens[f"{group}_head"]
    before = instance["lock_version"]
    path = f"/api/v1/tasks/{task['id']}"
    if kind == "complete_vs_complete":
        results = _both(port, (member, path + "/complete", DATA), (head, path + "/complete", DATA))
    elif kind == "claim_vs_claim":
        results = _both(port, (member, path + "/claim", {}), (head, path + "/claim", {}))
    else:
        results = _both(port, (member, path + "/complete", DATA),
                        (head, path + "/reassign", {"assignee": f"{group}_head"}))
    statuses = sorted(r[0] for r in results)
    winner = [group, f"{group}_head"][[r[0] for r in results].index(200)] if statuses == [200, 409] else None
    after_race = cases.instance()["lock_version"]
    saved_by_race = 1 if kind == "complete_vs_complete" or (kind == "complete_vs_reassign" and winner == group) else 0
    follow_up = None
    if winner and saved_by_race == 0:  # the claim or the reassignment won: the holder completes the task
        status, body = server.Api(port).call("POST", path + "/complete", DATA, tokens[winner])
        follow_up = status
    after = cases.instance()["lock_version"]
    return {"task_id": task["id"], "instance_id": instance["id"], "statuses": statuses, "winner": winner,
            "race_version_step": after_race - before, "expected_race_step": saved_by_race,
            "total_version_step": after - before, "follow_up": follow_up,
            "loser_message": next((r[1]["error"]["message"] for r in results
                                   if r[0] == 409 and r[1] and "error" in r[1]), None),
            "other": [r for r in results if r[0] not in (200, 409)]}


def _audit_checks(url: str, rounds: list[dict]) -> dict:
    """Completed events per task, and who completed each raced task (read from the database)."""
    engine = create_engine(url)
    with engine.connect() as conn:
        counts = dict(conn.execute(text(
            "select task_id, count(*) from audit_events where event_type = 'completed' group by task_id")).all())
        completed_by = dict(conn.execute(text(
            "select id, completed_by from human_tasks where state = 'completed'")).all())
    engine.dispose()
    twice = sorted(t for t, n in counts.items() if n > 1)
    wrong_winner = [r["task_id"] for r in rounds if r["winner"] and completed_by.get(r["task_id"]) != r["winner"]]
    not_completed = [r["task_id"] for r in rounds if r["winner"] and counts.get(r["task_id"]) != 1]
    return {"tasks_completed_twice": twice, "completed_by_someone_else": wrong_winner,
            "raced_tasks_not_completed_once": not_completed}


def run_on(url: str, rounds: int, workers: int) -> dict:
    server.prepare(url)
    users = [f"{g}{suffix}" for g in server.LANE_USERS for suffix in ("", "_head")] + ["auditor"]
    results: dict = {}
    with server.gunicorn(url, workers) as (port, _proc):
        api = server.Api(port)
        tokens = server.tokens(port, users)
        all_rounds = []
        for kind in KINDS:
            cases, began = Cases(api, tokens, kind), time.perf_counter()
            done = [_one_round(kind, port, cases, tokens) for _ in range(rounds)]
            seconds = time.perf_counter() - began
            all_rounds += done
            results[kind] = {
                "rounds": rounds, "seconds": round(seconds, 1),
                "outcomes": dict(Counter(",".join(map(str, r["statuses"])) for r in done)),
                "one_winner_one_409": sum(r["statuses"] == [200, 409] for r in done),
                "winners": dict(Counter(("member" if r["winner"] and not r["winner"].endswith("_head")
                                         else "head" if r["winner"] else "none") for r in done)),
                "version_skips_or_repeats": sum(r["race_version_step"] != r["expected_race_step"] or
                                                r["total_version_step"] != 1 for r in done if r["winner"]),
                "follow_up_failures": sum(1 for r in done if r["follow_up"] not in (None, 200)),
                "loser_messages": dict(Counter(r["loser_message"] for r in done if r["loser_message"])),
                "unexpected": [r for r in done if r["statuses"] != [200, 409]][:5],
            }
    audit = _audit_checks(url, all_rounds)
    ok = all(r["one_winner_one_409"] == rounds and r["version_skips_or_repeats"] == 0
             and r["follow_up_failures"] == 0 for r in results.values()) \
        and not any(audit.values())
    return {"workers": workers, "kinds": results, "audit": audit, "all_held": ok}


def run(rounds: int = 1000, workers: int = 4, write: bool = True) -> dict:
    if not common.postgres_available():
        raise RuntimeError(f"PostgreSQL is not reachable at {common.PG_ADMIN_URL}")
    with common.scratch_database("postgres") as url:
        figures = run_on(url, rounds, workers)
    return common.write_result("races", str(rounds), figures) if write else figures


def describe(result: dict) -> str:
    lines = [f"races, gunicorn {result['workers']} workers, PostgreSQL"]
    for kind, r in result["kinds"].items():
        lines.append(f"  {kind}: {r['one_winner_one_409']}/{r['rounds']} rounds with one winner and one 409 "
                     f"(outcomes {r['outcomes']}, winners {r['winners']}), lock version skipped or repeated "
                     f"{r['version_skips_or_repeats']}x, {r['seconds']} s")
    audit = result["audit"]
    lines.append(f"  tasks completed twice: {len(audit['tasks_completed_twice'])}; completed by someone other "
                 f"than the winner: {len(audit['completed_by_someone_else'])}")
    lines.append("  all held" if result["all_held"] else "  FAILED")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.races")
    parser.add_argument("--rounds", type=int, default=1000, help="rounds of each kind (default 1000)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    args = parser.parse_args()
    result = run(args.rounds, args.workers)
    print(describe(result))
    print(f"-> {common.RESULTS / 'races.json'}")
    raise SystemExit(0 if result["all_held"] else 1)


if __name__ == "__main__":
    main()

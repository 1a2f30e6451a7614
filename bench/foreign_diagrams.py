"""Diagrams exported by other modelling tools (tests/fixtures/foreign/): how many publish after the console's
fixes, how many of those start and reach an open task or a normal end, and how many requests failed with a
server error (must be 0). Also the cost of validation against diagram size (a parallel fan of N branches).

Everything goes through the JSON API as a process owner would use it: validate, take the fixes offered,
publish with them, start a case as a member of the staff.

    python -m bench.foreign_diagrams [--quick|--tiny]
"""
import io
import re
import time

from . import common

FOREIGN = common.PROJECT_ROOT / "tests" / "fixtures" / "foreign"
MESSAGE_START = re.compile(r'<message id="[^"]+" name="([^"]+)"')
FAN_SIZES = {"full": (500, 1000, 2000, 3000), "quick": (250, 500, 1000), "tiny": (50, 100)}


def _token(client, username: str) -> dict:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": "demo"})
    return {"Authorization": "Bearer " + response.get_json()["token"]}


def _upload(client, headers, url: str, name: str, data: bytes, fixes=()):
    form = {"files": [(io.BytesIO(data), name)], "fixes": list(fixes)}
    return client.post(url, headers=headers, data=form, content_type="multipart/form-data")


def corpus_figures(client, folder=FOREIGN) -> dict:
    """Run every .bpmn file of the folder through validate -> fix -> publish -> start."""
    owner, staff, admin = _token(client, "process_owner"), _token(client, "sales"), _token(client, "admin")
    files = sorted(p for p in folder.iterdir() if p.suffix == ".bpmn")
    rows, server_errors = [], 0
    for path in files:
        data = path.read_bytes()
        row = {"file": path.name, "published": [], "reached": [], "problems": []}
        checked = _upload(client, owner, "/api/v1/models/validate", path.name, data)
        server_errors += checked.status_code >= 500
        body = checked.get_json() or {}
        row["fixes"] = [f["fix"] for f in body.get("fixes", [])]
        row["warnings"] = len(body.get("warnings", []))
        response = _upload(client, owner, "/api/v1/models", path.name, data, row["fixes"])
        server_errors += response.status_code >= 500
        if response.status_code in (200, 201):
            row["published"] = [r["process_id"] for r in response.get_json()["published"]]
        else:
            row["problems"] = [p["message"] for p in (response.get_json() or {}).get("error", {}).get("problems", [])]
        messages = MESSAGE_START.findall(data.decode("utf-8", "replace"))
        for process_id in row["published"]:
            if messages:  # started by a message another system posts, not from the start list
                posted = client.post(f"/api/v1/messages/{messages[0]}", headers=admin, json={"data": {}})
                server_errors += posted.status_code >= 500
                iid = (posted.get_json() or {}).get("instance_id")
                started = client.get(f"/api/v1/instances/{iid}", headers=admin) if iid else posted
                started.status_code = 201 if iid and started.status_code == 200 else started.status_code
            else:
                started = client.post(f"/api/v1/processes/{process_id}/instances", headers=staff, json={})
            server_errors += started.status_code >= 500
            case = started.get_json() or {}
            if started.status_code == 201 and (case.get("open_tasks") or case.get("status") == "completed"):
                row["reached"].append(process_id)
            elif started.status_code != 201:
                row["problems"].append((case.get("error") or {}).get("message", ""))
        rows.append(row)
    published = [r for r in rows if r["published"]]
    return {"diagrams": len(rows), "published_after_fixes": len(published),
            "started_and_reached_task_or_end": sum(1 for r in published if r["reached"] == r["published"]),
            "server_errors": server_errors, "rows": rows}


def fan(branches: int) -> bytes:
    """A parallel split into `branches` manual tasks joined again, in one lane."""
    tasks = "".join(f'<bpmn:manualTask id="t{i}" name="Step {i}"/>' for i in range(branches))
    flows = "".join(f'<bpmn:sequenceFlow id="a{i}" sourceRef="split" targetRef="t{i}"/>'
                    f'<bpmn:sequenceFlow id="b{i}" sourceRef="t{i}" targetRef="join"/>' for i in range(branches))
    refs = "".join(f"<bpmn:flowNodeRef>t{i}</bpmn:flowNodeRef>" for i in range(branches))
    return (f'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            f'id="d" targetNamespace="x"><bpmn:process id="fan" name="Fan" isExecutable="true"><bpmn:laneSet id="ls">'
            f'<bpmn:lane id="l" name="Sales"><bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>split</bpmn:flowNodeRef>'
            f'<bpmn:flowNodeRef>join</bpmn:flowNodeRef><bpmn:flowNodeRef>e</bpmn:flowNodeRef>{refs}</bpmn:lane></bpmn:laneSet>'
            f'<bpmn:startEvent id="s"/><bpmn:parallelGateway id="split"/>{tasks}<bpmn:parallelGateway id="join"/>'
            f'<bpmn:endEvent id="e"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="split"/>{flows}'
            f'<bpmn:sequenceFlow id="f9" sourceRef="join" targetRef="e"/></bpmn:process></bpmn:definitions>').encode()


def validation_cost(sizes) -> list[dict]:
    """Seconds to validate a fan of N branches (no database: what `publish --check` does)."""
    from app.services.modelling import publishing
    out = []
    for n in sizes:
        sources = publishing.SourceSet({"fan.bpmn": fan(n)}, {}, {})
        started = time.perf_counter()
        _processes, problems = publishing.validate(None, sources)
        seconds = time.perf_counter() - started
        out.append({"branches": n, "seconds": round(seconds, 3), "ms_per_branch": round(1000 * seconds / n, 3),
                    "problems": len(problems)})
    return out


def run(size: str) -> dict:
    with common.scratch_database("sqlite") as url:
        app = common.make_app(url, [])
        figures = corpus_figures(app.test_client())
        app.extensions["db"].dispose()
    figures["validation_cost"] = validation_cost(FAN_SIZES[size])
    return common.write_result("foreign_diagrams", size, figures)


def describe(result: dict) -> str:
    lines = [f"{result['diagrams']} diagrams from other tools: {result['published_after_fixes']} publish after the "
             f"console's fixes, {result['started_and_reached_task_or_end']} of those start and reach an open task "
             f"or a normal end; {result['server_errors']} server errors"]
    for row in result["rows"]:
        state = "published" if row["published"] else "refused"
        reached = " started" if row["published"] and row["reached"] == row["published"] else ""
        why = f" — {row['problems'][0][:110]}" if row["problems"] else ""
        lines.append(f"  {row['file']:<42} {state}{reached} fixes={','.join(row['fixes']) or '-'}{why}")
    for cost in result["validation_cost"]:
        lines.append(f"  validate a {cost['branches']:>5}-branch fan: {cost['seconds']:.3f} s "
                     f"({cost['ms_per_branch']:.3f} ms per branch)")
    return "\n".join(lines)


def main():
    common.cli("foreign_diagrams", run, describe)


if __name__ == "__main__":
    main()

"""Hostile inputs against a running server: gunicorn with 4 workers on a scratch database, attack clients
send what one misbehaving case or client can send (runaway scripts, conditions, DMN and timer expressions,
computed multi-instance counts, start data that is no object, JSON nested 5,000 levels, lone surrogates,
NUL in a business key, validation of a slow timer by staff and by the process owner, a literal
multi-instance count of 100,000) while a second client reads GET /api/v1/tasks.

Figures: p95 of the inbox read without and during the attack (target < 200 ms during it), every hostile
request's answer and time (target: each answered within the step budget plus 1 s, none with a 5xx).

    python -m bench.dos [--quick|--tiny] [--port 5101]
"""
import argparse
import json
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from . import common, hostile, server

NAME = "dos"
WORKERS = 4
BUDGET = 1.0  # the product's default step budget (STEP_TIME_BUDGET)
# attack rounds, seconds of inbox reads before the attack, attack clients
SIZES = {"full": (3, 10, 2), "quick": (1, 5, 2), "tiny": (1, 1, 1)}
TINY_NAMES = ("endless_loop", "big_string", "set_value")
DEFAULT_PORT = 5101


def _publish_hostile(url: str) -> None:
    with tempfile.TemporaryDirectory(prefix="wf_dos_") as folder:
        for name, data in hostile.all_sources().items():
            (Path(folder) / name).write_bytes(data)
        flask = [str(common.PROJECT_ROOT / ".venv" / "bin" / "flask"), "--app", "app"]
        subprocess.run(flask + ["publish", folder, "--forms", folder], env=server._env(url),
                       cwd=common.PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _raw(port: int, method: str, path: str, body: bytes, token: str, content_type: str = "application/json"):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": content_type, "Authorization": "Bearer " + token})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _multipart(files: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = "dosboundary7MA4YWxk"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
             f"Content-Type: application/xml\r\n\r\n".encode() + data + b"\r\n" for name, data in files.items()]
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _timer_model(expression: str) -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/'
            b'20100524/MODEL" id="d" targetNamespace="t"><bpmn:process id="dos_timer" isExecutable="true">'
            b'<bpmn:startEvent id="start" /><bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
            b"<bpmn:timeDuration>" + expression.encode() + b"</bpmn:timeDuration></bpmn:timerEventDefinition>"
            b'</bpmn:intermediateCatchEvent><bpmn:endEvent id="end" /><bpmn:sequenceFlow id="f1" sourceRef="start" '
            b'targetRef="wait" /><bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end" /></bpmn:process>'
            b"</bpmn:definitions>")


def _requests(port: int, tokens: dict, names) -> list[tuple[str, callable]]:
    """(label, send) pairs; send() returns the HTTP status."""
    api = server.Api(port)
    staff, owner = tokens["production"], tokens["process_owner"]
    out = []
    for name in names:
        status, body = api.call("POST", f"/api/v1/processes/{hostile.process_id(name)}/instances", {"data": {}}, staff)
        if status != 201:
            raise RuntimeError(f"could not start {name}: {status} {body}")
        task = body["open_tasks"][0]["id"]
        payload = json.dumps({"data": hostile.enter_data(name)}).encode()
        out.append((f"step: {name}", lambda t=task, p=payload: _raw(port, "POST", f"/api/v1/tasks/{t}/complete", p, staff)))
    start = f"/api/v1/processes/{hostile.process_id('set_value')}/instances"
    nested = {}
    inner = nested
    for _ in range(900):
        inner["a"] = {}
        inner = inner["a"]
    bodies = {
        "start data: a list": b'{"data": [1, 2]}', "start data: a text": b'{"data": "x"}',
        "start data: a number": b'{"data": 42}', "start data: null": b'{"data": null}',
        "JSON nested 5,000 levels": b'{"data": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        "dict nested 900 levels": json.dumps({"data": nested}).encode(),
        "lone surrogate": b'{"data": {"x": "\\ud800"}}',
        "2 MB of case data": json.dumps({"data": {"x": "y" * 2_000_000}}).encode(),
    }
    out += [(label, lambda b=body: _raw(port, "POST", start, b, staff)) for label, body in bodies.items()]
    out.append(("NUL in a business key", lambda: _raw(
        port, "POST", f"/api/v1/processes/{server.PROCESS}/instances", b'{"data": {"case_no": "A\\u0000B"}}',
        tokens["sales"])))
    slow = _multipart({"dos_timer.bpmn": _timer_model(
        "'PT' + str(len([1 for a in range(10**6) for b in range(10**6)])) + 'S'")})
    big = _multipart({"dos_timer.bpmn": _timer_model("str(sum(range(10**9)))")})
    out.append(("validate slow timer as staff", lambda: _raw(port, "POST", "/api/v1/models/validate", *slow[:1], staff, slow[1])))
    out.append(("validate slow timer as owner", lambda: _raw(port, "POST", "/api/v1/models/validate", *slow[:1], owner, slow[1])))
    out.append(("validate sum(range(10**9)) as owner", lambda: _raw(port, "POST", "/api/v1/models/validate", *big[:1], owner, big[1])))
    mi = hostile.other_diagram("computed_cardinality").replace(b"<bpmn:loopCardinality>n<", b"<bpmn:loopCardinality>100000<")
    mi_body = _multipart({"hostile_literal.bpmn": mi.replace(b"hostile_computed_cardinality", b"hostile_literal"),
                          hostile.FORM: hostile.FORM_SCHEMA.encode()})
    out.append(("publish loopCardinality 100000", lambda: _raw(port, "POST", "/api/v1/models", *mi_body[:1], owner, mi_body[1])))
    return out


def _probe(port: int, token: str, stop: threading.Event, samples: list, errors: list):
    api = server.Api(port, token)
    while not stop.is_set():
        began = time.perf_counter()
        status, _body = api.call("GET", "/api/v1/tasks")
        samples.append(time.perf_counter() - began)
        if status != 200:
            errors.append(status)
        time.sleep(0.02)


def _attack(requests, rounds: int, answers: list):
    for _ in range(rounds):
        for label, send in requests:
            began = time.perf_counter()
            try:
                status = send()
            except OSError as exc:
                status = f"{exc.__class__.__name__}"
            answers.append({"request": label, "status": status, "seconds": round(time.perf_counter() - began, 3)})


def run(size: str = "full", port: int | None = None) -> dict:
    """port: loopback port of the server (None: a free one)."""
    rounds, baseline_seconds, attackers = SIZES[size]
    names = TINY_NAMES if size == "tiny" else (*hostile.SCRIPTS, *hostile.OTHER)
    backend = "postgres" if common.postgres_available() else "sqlite"
    with common.scratch_database(backend) as url:
        server.prepare(url)
        _publish_hostile(url)
        with server.gunicorn(url, WORKERS, port) as (port, _proc):
            tokens = server.tokens(port, ["sales", "production", "process_owner"])
            baseline, probe_errors = [], []
            stop = threading.Event()
            probe = threading.Thread(target=_probe, args=(port, tokens["sales"], stop, baseline, probe_errors))
            probe.start()
            time.sleep(baseline_seconds)
            stop.set()
            probe.join()
            during, answers = [], []
            batches = [_requests(port, tokens, names) for _ in range(attackers)]
            stop = threading.Event()
            probe = threading.Thread(target=_probe, args=(port, tokens["sales"], stop, during, probe_errors))
            probe.start()
            began = time.perf_counter()
            threads = [threading.Thread(target=_attack, args=(batch, rounds, answers)) for batch in batches]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            attack_seconds = time.perf_counter() - began
            stop.set()
            probe.join()
    limit = BUDGET + 1.0
    per_request: dict[str, dict] = {}
    for answer in answers:
        entry = per_request.setdefault(answer["request"], {"statuses": set(), "max_s": 0.0})
        entry["statuses"].add(answer["status"])
        entry["max_s"] = max(entry["max_s"], answer["seconds"])
    server_errors = [a for a in answers if not isinstance(a["status"], int) or a["status"] >= 500]
    slow = [a for a in answers if a["seconds"] > limit]
    p95_during = common.percentile(during, 95)
    return common.write_result(NAME, size, {
        "backend": backend, "workers": WORKERS, "attack_clients": attackers, "rounds": rounds,
        "attack_seconds": round(attack_seconds, 1), "hostile_requests": len(answers),
        "inbox_p95_ms_before": common.ms(common.percentile(baseline, 95)),
        "inbox_p50_ms_during": common.ms(common.median(during)), "inbox_p95_ms_during": common.ms(p95_during),
        "inbox_reads_during": len(during), "inbox_errors": len(probe_errors),
        "server_errors": len(server_errors), "over_budget": len(slow), "answer_limit_s": limit,
        "requests": {k: {"statuses": sorted(map(str, v["statuses"])), "max_s": v["max_s"]}
                     for k, v in per_request.items()},
        "target_met": p95_during < 0.2 and not server_errors and not slow and not probe_errors,
    })


def describe(result: dict) -> str:
    lines = [
        f"{result['backend']}, gunicorn {result['workers']} workers, {result['attack_clients']} attack clients, "
        f"{result['hostile_requests']} hostile requests in {result['attack_seconds']} s",
        f"GET /api/v1/tasks p95: {result['inbox_p95_ms_before']} ms before, {result['inbox_p95_ms_during']} ms "
        f"during the attack (target < 200 ms; {result['inbox_reads_during']} reads, {result['inbox_errors']} errors)",
        f"hostile requests with a 5xx: {result['server_errors']}, answered later than "
        f"{result['answer_limit_s']} s: {result['over_budget']} -> target {'met' if result['target_met'] else 'MISSED'}",
    ]
    lines += [f"  {name:40} {'/'.join(v['statuses']):12} max {v['max_s']:6.3f} s"
              for name, v in result["requests"].items()]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(prog="python -m bench.dos")
    parser.add_argument("--quick", action="store_true", help="one round (under a minute)")
    parser.add_argument("--tiny", action="store_true", help="smoke-test size (seconds)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="loopback port of the server")
    args = parser.parse_args()
    result = run("tiny" if args.tiny else "quick" if args.quick else "full", args.port)
    print(describe(result))
    print(f"-> {common.RESULTS / (NAME + '.json')}")


if __name__ == "__main__":
    main()

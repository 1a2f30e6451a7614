"""Diagrams whose scripts or conditions try imports, file access, builtins that reach code or dunder
escapes are refused at upload with the element and the reason; nothing is published."""
import io

SCRIPTS = {
    "s_import": "import os",
    "s_from": "from subprocess import run",
    "s_dunder_import": "x = __import__('os')",
    "s_open": "data = open('/etc/passwd').read()",
    "s_getattr": "g = getattr(len, '__globals__')",
    "s_globals": "g = globals()",
    "s_vars": "v = vars()",
    "s_compile": "c = compile('1', 'f', 'eval')",
    "s_subclasses": "k = ().__class__.__bases__[0].__subclasses__()",
    "s_eval": "y = eval('1 + 1')",
    "s_exec": "exec('import os')",
    "s_builtins": "b = __builtins__",
}
CONDITION = "open('/etc/passwd') is not None"


def _diagram() -> bytes:
    ids = list(SCRIPTS)
    tasks = "".join(f'<bpmn:scriptTask id="{i}" name="{i}"><bpmn:script>{s.replace("<", "&lt;")}</bpmn:script>'
                    f"</bpmn:scriptTask>" for i, s in SCRIPTS.items())
    chain = ["start", *ids, "gw"]
    flows = "".join(f'<bpmn:sequenceFlow id="f{n}" sourceRef="{a}" targetRef="{b}" />'
                    for n, (a, b) in enumerate(zip(chain, chain[1:])))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="hostile_scripts" isExecutable="true">
    <bpmn:startEvent id="start" />{tasks}
    <bpmn:exclusiveGateway id="gw" default="f_else" />
    <bpmn:endEvent id="end_a" /><bpmn:endEvent id="end_b" />{flows}
    <bpmn:sequenceFlow id="f_cond" sourceRef="gw" targetRef="end_a">
      <bpmn:conditionExpression>{CONDITION}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_else" sourceRef="gw" targetRef="end_b" />
  </bpmn:process>
</bpmn:definitions>""".encode()


def test_hostile_scripts_are_refused_at_upload_with_element_and_reason(api):
    owner = api("process_owner")
    for url in ("/api/v1/models/validate", "/api/v1/models"):
        response = owner.client.post(url, headers={**owner.headers, "Accept-Language": "en"},
                                     content_type="multipart/form-data",
                                     data={"files": [(io.BytesIO(_diagram()), "hostile_scripts.bpmn")]})
        body = response.get_json()
        problems = body["problems"] if url.endswith("validate") else body["error"]["problems"]
        assert response.status_code == (200 if url.endswith("validate") else 422)
        refused = {p["element_id"]: p["message"] for p in problems}
        for element_id in SCRIPTS:
            assert element_id in refused, (element_id, problems)
            assert "not allowed" in refused[element_id] or "invalid" in refused[element_id], refused[element_id]
        assert any("open" in p["message"] for p in problems if p["element_id"] == "gw"), problems
    assert owner.get("/api/v1/models").get_json()["processes"] == []

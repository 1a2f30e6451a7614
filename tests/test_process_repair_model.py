"""The overseas repair model itself: the arrival-deadline table rule by rule, and the diagram's conventions
(lanes, head-only tasks, due dates, sources, labels, forms, diagram interchange)."""
import json
import re
from datetime import datetime, timedelta
from xml.etree import ElementTree

import pytest

from app import clock
from repair_helpers import T0, publish_repair
from process_helpers import FORMS, PROCESSES, ROOT

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC", "di": "http://www.omg.org/spec/DD/20100524/DI",
      "spiff": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
DIAGRAM = ElementTree.parse(PROCESSES / "overseas_repair.bpmn").getroot()
PROCESS = DIAGRAM.find("bpmn:process", NS)
LABELS = json.loads((PROCESSES / "i18n" / "overseas_repair.en.json").read_text(encoding="utf-8"))
SOURCE = re.compile(r"\b(WI \d|BC \d|T\d+ L\d+|PROCESSES \d|S1 art)")
FLOW_NODES = ("startEvent", "endEvent", "userTask", "scriptTask", "businessRuleTask", "callActivity", "subProcess",
              "exclusiveGateway", "parallelGateway", "intermediateCatchEvent", "intermediateThrowEvent",
              "boundaryEvent")


def _all(tag):
    return PROCESS.iter(f"{{{NS['bpmn']}}}{tag}")


def _props(element) -> dict:
    return {p.get("name"): p.get("value") for p in element.iterfind(".//spiff:property", NS)}


@pytest.mark.parametrize("intake, sla, hours", [
    ({"region": "domestic", "same_city": True, "distance_km": 15}, "PT24H", 24),
    ({"region": "domestic", "distance_km": 0}, "PT48H", 48),
    ({"region": "domestic", "distance_km": 300}, "PT48H", 48),
    ({"region": "domestic", "distance_km": 301}, "PT72H", 72),
    ({"region": "domestic", "distance_km": 1000}, "PT72H", 72),
    ({"region": "domestic", "distance_km": 1001}, "PT96H", 96),
    ({"region": "overseas"}, "P7D", 168),
    ({"region": "overseas", "distance_km": 9000, "contract_arrival_days": 10}, "P10D", 240),
    ({"region": "overseas", "contract_arrival_days": 1}, "P1D", 24),
], ids=["same-city", "0km", "300km", "301km", "1000km", "1001km", "overseas-default", "overseas-10d", "overseas-1d"])
def test_repair_arrival_sla_rules(db, intake, sla, hours):
    """PROCESSES 4.7 [decision], DMN repair_arrival_sla: same city 24 h; within 300 km 48 h; within 1,000 km
    72 h; beyond 96 h (T: 48/72/96 h tiers); overseas: the contract's days, default 7 days — counted from
    intake and driving the arrival timer."""
    clock.set_now(T0)
    try:
        desk = publish_repair(db)
        data = desk.data(desk.open_repair(**intake))
    finally:
        clock.set_now(None)
    assert (data["arrival_sla"], data["arrival_sla_hours"]) == (sla, hours)
    due = T0 + timedelta(hours=hours)
    if sla.endswith("D"):  # whole calendar days end at 24:00 China time of the last day (15:59:59 UTC)
        due = datetime.combine((due + timedelta(hours=8)).date(), datetime.min.time()) \
            + timedelta(hours=15, minutes=59, seconds=59)
    assert data["arrival_due_at"].startswith(due.isoformat())


def test_lanes_are_groups_and_head_only_tasks_belong_to_the_sales_head():
    """PROCESSES 0, 4.1, 4.7: every lane is a group; both escalations are the Sales head's."""
    groups = json.loads((ROOT / "app" / "data" / "groups.json").read_text(encoding="utf-8"))
    names = {n for g in groups for n in [g["code"], g["name_zh"], *g["aliases"]]}
    lanes = {lane.get("name"): [r.text for r in lane.iterfind("bpmn:flowNodeRef", NS)] for lane in _all("lane")}
    assert set(lanes) <= names
    head_only = {t.get("id") for t in _all("userTask") if _props(t).get("headOnly") == "true"}
    assert head_only == {"escalate_first_reply", "escalate_arrival"}
    assert head_only <= set(lanes["业务部"])


def test_every_user_task_has_form_due_date_and_source():
    """PROCESSES 5: every task has a due date; each rule names its regulation source."""
    for task in _all("userTask"):
        props = _props(task)
        assert props.get("dueIn") in {"PT24H", "P2D", "1WD", "2WD"}, task.get("id")
        assert (FORMS / props["formJsonSchemaFilename"]).exists(), task.get("id")
        doc = task.findtext("bpmn:documentation", "", NS)
        assert SOURCE.search(doc), task.get("id")


def test_segregation_properties_name_recorded_fields():
    """PROCESSES 5; WI 5.3 (L429), WI 5.8 (L467): money approvals exclude whoever agreed or collected it."""
    recorded = {_props(t).get("recordActorAs") for t in _all("userTask")} - {None}
    excluded = {t.get("id"): _props(t).get("excludeActorsFrom") for t in _all("userTask")
                if _props(t).get("excludeActorsFrom")}
    assert excluded == {"finance_review_fee": "fee_agreed_by", "gm_confirm_free": "fee_agreed_by",
                        "finance_audit_costs": "costs_collected_by"}
    assert set(excluded.values()) <= recorded


def test_labels_chinese_in_the_diagram_english_in_one_file():
    """PROCESSES 0: every label in Simplified Chinese in the diagram, its English in i18n/ only."""
    named = [e for tag in (*FLOW_NODES, "lane", "sequenceFlow") for e in _all(tag) if e.get("name")]
    for element in named:
        assert re.search(r"[\u4e00-\u9fff]", element.get("name")), element.get("id")
        assert LABELS.get(element.get("id")), element.get("id")
    ids = {e.get("id") for e in PROCESS.iter()} | {"overseas_repair", "pool_overseas_repair"}
    assert {key.removesuffix(".documentation") for key in LABELS} <= ids


def test_diagram_interchange_is_complete_and_lanes_do_not_overlap():
    """Every element has a shape, every flow an edge; lanes do not overlap and hold their elements."""
    plane = DIAGRAM.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    bounds = {s.get("bpmnElement"): s.find("dc:Bounds", NS).attrib for s in plane.iterfind("bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e.findall("di:waypoint", NS) for e in plane.iterfind("bpmndi:BPMNEdge", NS)}
    nodes = [e for tag in FLOW_NODES for e in _all(tag)]
    assert {n.get("id") for n in nodes} <= set(bounds)
    assert all(len(edges.get(f.get("id"), [])) >= 2 for f in _all("sequenceFlow"))
    lanes = sorted((float(bounds[lane.get("id")]["y"]), float(bounds[lane.get("id")]["height"]), lane)
                   for lane in _all("lane"))
    for (y1, h1, _), (y2, _, _) in zip(lanes, lanes[1:]):
        assert y1 + h1 <= y2
    for y, h, lane in lanes:
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            box = bounds[ref.text]
            top = float(box["y"])
            bottom = top + float(box["height"])
            assert y <= top and bottom <= y + h + 20, ref.text  # boundary events straddle their host's edge


def test_return_shipment_calls_export_customs_and_the_table_exists():
    """WI 5.4 (L443), S1 art. 7: overseas return shipments reuse the export customs steps."""
    [call] = list(_all("callActivity"))
    assert call.get("calledElement") == "export_customs"
    assert (PROCESSES / "export_customs.bpmn").exists()
    decisions = {rule.findtext(".//spiff:calledDecisionId", "", NS) for rule in _all("businessRuleTask")}
    assert decisions == {"repair_arrival_sla", "customer_priority", "repair_batch_review"}
    assert 'decision id="repair_arrival_sla"' in (PROCESSES / "repair_arrival_sla.dmn").read_text(encoding="utf-8")
    assert 'decision id="repair_batch_review"' in (PROCESSES / "repair_batch_review.dmn").read_text(encoding="utf-8")


def test_forms_are_bilingual_json_schemas_with_typed_fields():
    """BC 2.1–2.2: forms with Chinese/English labels, required fields, integers, amounts ≥ 0, dates, enums."""
    for path in sorted(FORMS.glob("repair_*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert " / " in schema["title"] and schema["required"], path.name
        for name, field in schema["properties"].items():
            assert " / " in field["title"], (path.name, name)
            if field.get("type") == "number":
                assert field.get("minimum") == 0, (path.name, name)
            if "quantity" in name:
                assert field["type"] == "integer", (path.name, name)
            if name.endswith("_date"):
                assert field.get("format") == "date", (path.name, name)
        for name, field in _choices(schema):  # every choice has a bilingual label people read instead of its code
            assert field.get("oneOf") and "enum" not in field, (path.name, name)
            # (trade terms such as FOB are read as they are in both languages)
            assert all(" / " in c["title"] or c["title"] == c["const"].upper()
                       for c in field["oneOf"]), (path.name, name)
    intake = json.loads((FORMS / "repair_intake.schema.json").read_text(encoding="utf-8"))["properties"]
    assert [c["const"] for c in intake["service_type"]["oneOf"]] == ["A", "B", "C", "D"]
    assert [c["const"] for c in intake["region"]["oneOf"]] == ["domestic", "overseas"]


def _choices(schema):
    """(name, property) of every field or list entry part that is a choice among fixed values."""
    for name, field in (schema.get("properties") or {}).items():
        if field.get("oneOf") or field.get("enum"):
            yield name, field
        items = field.get("items") or {}
        if items.get("oneOf") or items.get("enum"):
            yield name, items
        yield from ((f"{name}.{part}", sub) for part, sub in _choices(items))

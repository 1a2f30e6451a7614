"""Every diagram and decision table in processes/ opens in bpmn-js / dmn-js (served by the app) with no
import warnings and with every flow node drawn — as a process owner or another BPMN tool would see it."""
import re

from app.config import PROJECT_ROOT
from test_web_browser import live_server, page, sign_in  # noqa: F401  (fixtures)

PROCESSES = PROJECT_ROOT / "processes"
BPMN = sorted(PROCESSES.glob("*.bpmn"))
DMN = sorted(PROCESSES.glob("*.dmn"))

IMPORT_BPMN = """async ([xml]) => {
  const box = document.createElement('div'); box.style.width = '1600px'; box.style.height = '900px';
  document.body.appendChild(box);
  const viewer = new BpmnJS({container: box});
  const result = await viewer.importXML(xml);
  const registry = viewer.get('elementRegistry');
  const drawn = registry.filter(e => e.type !== 'label').map(e => e.businessObject.id);
  return {warnings: result.warnings.map(w => w.message), drawn};
}"""

IMPORT_DMN = """async ([xml]) => {
  const box = document.createElement('div'); document.body.appendChild(box);
  const viewer = new DmnJS({container: box});
  const result = await viewer.importXML(xml);
  return {warnings: result.warnings.map(w => w.message), views: viewer.getViews().map(v => v.type)};
}"""


def test_the_processes_folder_has_the_four_processes():
    names = {p.stem for p in BPMN}
    assert {"complaint_handling", "contract_review", "export_licence", "overseas_repair"} <= names


def test_every_diagram_opens_in_bpmn_js_without_warnings(page):  # noqa: F811
    sign_in(page, "process_owner")
    page.add_script_tag(url="/vendor/bpmn-js/bpmn-viewer.production.min.js")
    for path in BPMN:
        xml = path.read_text(encoding="utf-8")
        result = page.evaluate(IMPORT_BPMN, [xml])
        assert result["warnings"] == [], f"{path.name}: {result['warnings']}"
        nodes = set(re.findall(r'<bpmn:(?:userTask|manualTask|scriptTask|serviceTask|businessRuleTask|callActivity|'
                               r'exclusiveGateway|parallelGateway|inclusiveGateway|startEvent|endEvent|'
                               r'boundaryEvent|intermediateCatchEvent|subProcess)\b[^>]*\bid="([^"]+)"', xml))
        missing = nodes - set(result["drawn"])
        assert not missing, f"{path.name}: elements without a shape: {sorted(missing)[:10]}"


def test_every_decision_table_opens_in_dmn_js_without_warnings(page):  # noqa: F811
    sign_in(page, "process_owner")
    page.add_script_tag(url="/vendor/dmn-js/dmn-viewer.production.min.js")
    assert len(DMN) >= 4
    for path in DMN:
        result = page.evaluate(IMPORT_DMN, [path.read_text(encoding="utf-8")])
        assert result["warnings"] == [], f"{path.name}: {result['warnings']}"
        assert "decisionTable" in result["views"], path.name

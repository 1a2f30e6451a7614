// A small properties panel for the extension properties this product uses: lane, form, due time,
// head only, the group taken from a case field, case deadline and breach fields, message forms, scripts,
// decision, timer expressions, conditions and documentation.
const SPIFF_KEYS = {
  "bpmn:UserTask": ["formJsonSchemaFilename", "dueIn", "headOnly", "groupField", "escalateTo", "recordActorAs",
                    "excludeActorsFrom", "notStarter", "refuseWhen", "refuseMessage", "refuseWhen2", "refuseMessage2",
                    "startsProcess", "startsProcessData", "messageForm", "amendmentField", "caseDeadlineField"],
  "bpmn:ManualTask": ["formJsonSchemaFilename", "dueIn", "headOnly", "groupField", "escalateTo", "recordActorAs"],
  "bpmn:StartEvent": ["formJsonSchemaFilename", "businessKey", "customerField", "starterGroups", "summaryFields",
                      "contactFields", "standing", "calledOnly", "uniqueBusinessKey", "amendmentField",
                      "caseDeadlineField", "caseBreachField", "searchFields"],
  "bpmn:BoundaryEvent": ["escalateTo", "messageForm"],
  "bpmn:IntermediateCatchEvent": ["escalateTo", "messageForm"],
  "bpmn:EndEvent": ["startsProcess", "startsProcessData"],
  "bpmn:ScriptTask": ["startsProcess", "startsProcessData"],
};
const FLAGS = ["headOnly", "notStarter", "calledOnly", "uniqueBusinessKey"];
const TIMER_KINDS = ["timeDuration", "timeDate", "timeCycle"];
const LISTS = { formJsonSchemaFilename: "form-files", messageForm: "form-files", escalateTo: "group-codes" };

export function createPanel(modeler, container, options) {
  const t = options.t;
  const modeling = modeler.get("modeling");
  const moddle = modeler.get("moddle");
  const registry = modeler.get("elementRegistry");
  let current = null;

  const values = (bo) => (bo.extensionElements && bo.extensionElements.get("values")) || [];
  const extOf = (bo, type) => values(bo).find((v) => v.$type === type);

  function ensureExtensions(element) {
    const bo = element.businessObject;
    if (!bo.extensionElements) {
      modeling.updateProperties(element, { extensionElements: moddle.create("bpmn:ExtensionElements", { values: [] }) });
    }
    return bo.extensionElements;
  }

  function setBodyExtension(element, type, value) {
    const bo = element.businessObject;
    const found = extOf(bo, type);
    if (found && !value) {
      modeling.updateModdleProperties(element, bo.extensionElements, { values: values(bo).filter((v) => v !== found) });
    } else if (found) {
      modeling.updateModdleProperties(element, found, { value });
    } else if (value) {
      const ext = ensureExtensions(element);
      modeling.updateModdleProperties(element, ext, { values: [...values(bo), moddle.create(type, { value })] });
    }
  }

  function getSpiff(bo, name) {
    const props = extOf(bo, "spiffworkflow:Properties");
    const prop = props && props.get("properties").find((p) => p.name === name);
    return prop ? prop.value : "";
  }

  function setSpiff(element, name, value) {
    const bo = element.businessObject;
    let props = extOf(bo, "spiffworkflow:Properties");
    if (!props) {
      if (!value) return;
      const ext = ensureExtensions(element);
      props = moddle.create("spiffworkflow:Properties", { properties: [] });
      modeling.updateModdleProperties(element, ext, { values: [...values(bo), props] });
    }
    const list = props.get("properties");
    const prop = list.find((p) => p.name === name);
    if (!value && prop) modeling.updateModdleProperties(element, props, { properties: list.filter((p) => p !== prop) });
    else if (prop) modeling.updateModdleProperties(element, prop, { value });
    else if (value) modeling.updateModdleProperties(element, props, { properties: [...list, moddle.create("spiffworkflow:Property", { name, value })] });
  }

  function laneOf(bo) {
    const lane = registry.filter((e) => e.type === "bpmn:Lane")
      .find((e) => (e.businessObject.flowNodeRef || []).includes(bo));
    return lane ? lane.businessObject.name || lane.id : "";
  }

  function row(label, control, help) {
    const wrap = document.createElement("div");
    wrap.className = "prop";
    const lab = document.createElement("label");
    lab.textContent = label;
    lab.append(control);
    wrap.append(lab);
    if (help) {
      const small = document.createElement("small");
      small.textContent = help;
      wrap.append(small);
    }
    return wrap;
  }

  function field(label, value, onChange, { multiline = false, list = null, readOnly = false, help = "", name = "" } = {}) {
    const input = document.createElement(multiline ? "textarea" : "input");
    if (multiline) input.rows = 4;
    input.value = value || "";
    input.readOnly = readOnly;
    if (name) input.dataset.prop = name;
    if (list) input.setAttribute("list", list);
    input.addEventListener("change", () => onChange(input.value.trim() ? input.value : ""));
    return row(label, input, help);
  }

  function render() {
    container.replaceChildren();
    const element = current || modeler.get("canvas").getRootElement();
    const bo = element && element.businessObject;
    if (!bo) return;
    const type = bo.$type;
    const title = document.createElement("h3");
    title.textContent = `${t(type).replace("bpmn:", "")} · ${bo.id}`;  // the element kind in the page language
    container.append(title);
    const isLane = type === "bpmn:Lane";
    container.append(field(t("Name"), bo.name, (v) => modeling.updateLabel(element, v), {
      name: "name", list: isLane ? "group-codes" : null,
      help: isLane ? t("The lane name is a group code or the group's Chinese name.") : "" }));
    if (!isLane && bo.$instanceOf && bo.$instanceOf("bpmn:FlowNode")) {
      container.append(field(t("Lane"), laneOf(bo), () => {}, { readOnly: true, help: t("Move the element into a lane to change it.") }));
    }
    const doc = (bo.documentation || [])[0];
    container.append(field(t("Documentation"), doc ? doc.text : "", (v) => modeling.updateProperties(element, {
      documentation: v ? [moddle.create("bpmn:Documentation", { text: v })] : [] }), { multiline: true, name: "documentation" }));
    for (const key of SPIFF_KEYS[type] || []) {
      if (FLAGS.includes(key)) {
        const box = document.createElement("input");
        box.type = "checkbox";
        box.dataset.prop = key;
        box.checked = String(getSpiff(bo, key)).toLowerCase() === "true";
        box.addEventListener("change", () => setSpiff(element, key, box.checked ? "true" : ""));
        container.append(row(t(key), box));
      } else {
        container.append(field(t(key), getSpiff(bo, key), (v) => setSpiff(element, key, v),
          { list: LISTS[key] || null, name: key }));
      }
    }
    // any other product property the diagram carries on this element stays editable too
    const known = new Set(SPIFF_KEYS[type] || []);
    const props = extOf(bo, "spiffworkflow:Properties");
    for (const prop of (props ? props.get("properties") : [])) {
      if (known.has(prop.name)) continue;
      container.append(field(t(prop.name), prop.value, (v) => setSpiff(element, prop.name, v), { name: prop.name }));
    }
    if (type === "bpmn:ScriptTask") {
      container.append(field(t("Script (Python)"), bo.script, (v) => modeling.updateProperties(element, { script: v, scriptFormat: bo.scriptFormat || "python" }), { multiline: true, name: "script" }));
    }
    if (type === "bpmn:BusinessRuleTask") {
      const ref = extOf(bo, "spiffworkflow:CalledDecisionId");
      container.append(field(t("Decision id (DMN)"), ref ? ref.value : "", (v) => setBodyExtension(element, "spiffworkflow:CalledDecisionId", v), { name: "calledDecisionId" }));
    }
    if (bo.$instanceOf && bo.$instanceOf("bpmn:Activity")) {
      for (const [type_, label] of [["spiffworkflow:PreScript", t("Pre-script")], ["spiffworkflow:PostScript", t("Post-script")]]) {
        const ext = extOf(bo, type_);
        container.append(field(label, ext ? ext.value : "", (v) => setBodyExtension(element, type_, v), { multiline: true }));
      }
    }
    const timer = (bo.eventDefinitions || []).find((d) => d.$type === "bpmn:TimerEventDefinition");
    if (timer) {
      const kind = TIMER_KINDS.find((k) => timer[k]) || "timeDuration";
      const select = document.createElement("select");
      TIMER_KINDS.forEach((k) => select.append(new Option(t(k), k, false, k === kind)));
      const expr = document.createElement("input");
      expr.dataset.prop = "timer";
      expr.value = timer[kind] ? timer[kind].body : "";
      const update = () => {
        const props = { timeDuration: undefined, timeDate: undefined, timeCycle: undefined };
        if (expr.value.trim()) props[select.value] = moddle.create("bpmn:FormalExpression", { body: expr.value.trim() });
        modeling.updateModdleProperties(element, timer, props);
      };
      select.addEventListener("change", update);
      expr.addEventListener("change", update);
      container.append(row(t("Timer type"), select));
      container.append(row(t("Timer expression"), expr, t('A Python expression giving ISO 8601 text, e.g. "P3D" or "PT24H" (with quotes).')));
    }
    if (type === "bpmn:SequenceFlow") {
      const cond = bo.conditionExpression;
      container.append(field(t("Condition (Python)"), cond ? cond.body : "", (v) => modeling.updateProperties(element, {
        conditionExpression: v ? moddle.create("bpmn:FormalExpression", { body: v }) : undefined }), { name: "condition" }));
    }
  }

  modeler.on("selection.changed", (e) => { current = e.newSelection.length === 1 ? e.newSelection[0] : null; render(); });
  modeler.on("import.done", () => { current = null; render(); });
  modeler.on("elements.changed", (e) => {
    if (!current || e.elements.some((el) => el.id === current.id)) {
      if (!container.contains(document.activeElement)) render();
    }
  });
  return { render };
}

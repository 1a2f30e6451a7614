// The process owner's editor: diagrams (bpmn-js), decision tables (dmn-js) and forms (JSON Schema with a
// live preview). Files are edited in memory, saved as drafts, checked and published through the JSON API.
import spiffModdle from "./spiff-moddle.js";
import { createPanel } from "./props.js";
import { renderPreview } from "./form-preview.js";

const cfg = JSON.parse(document.getElementById("editor-config").textContent);
const T = cfg.messages;
const t = (key) => T[key] || key;
const $ = (sel) => document.querySelector(sel);

// the modelers speak the page language: bpmn-js-i18n-zh for diagrams, ./dmn-zh.js for decision tables
const zh = cfg.locale === "zh" ? (await import(cfg.zhUrl)).default : {};
const dmnZh = cfg.locale === "zh" ? { ...zh, ...(await import("./dmn-zh.js")).default } : {};
function translator(words) {
  return (template, replacements = {}) => (words[template] || template)
    .replace(/{([^}]+)}/g, (_, key) => (replacements[key] !== undefined ? replacements[key] : `{${key}}`));
}
const translateModule = { translate: ["value", translator(zh)] };
const dmnTranslateModule = { translate: ["value", translator(dmnZh)] };

const state = { files: {}, dirty: new Set(), current: null, snapshot: null, problems: [] };
cfg.files.forEach((name) => { state.files[name] = null; });

const bpmn = new window.BpmnJS({ container: "#bpmn-canvas", moddleExtensions: { spiffworkflow: spiffModdle },
  additionalModules: [translateModule] });
createPanel(bpmn, $("#bpmn-props"), { t });
// dmn-js takes additionalModules per view (those under "common" are replaced by each view's own)
const dmnViews = ["drd", "decisionTable", "literalExpression", "boxedExpression"];
const dmn = new window.DmnJS({ container: "#dmn-canvas",
  ...Object.fromEntries(dmnViews.map((view) => [view, { additionalModules: [dmnTranslateModule] }])) });
const formText = $("#form-text");
formText.addEventListener("input", () => { renderPreview($("#form-preview"), formText.value, T); markDirty(); });
// an edit marks the open file as unsaved at once (• in the file list) until the draft is saved
function markDirty() {
  if (!state.current || state.dirty.has(state.current)) return;
  state.dirty.add(state.current);
  renderFileList();
}
bpmn.on("commandStack.changed", markDirty);
dmn.on("views.changed", () => {
  const viewer = dmn.getActiveViewer();
  if (viewer && !viewer.__dirtyHook) { viewer.__dirtyHook = true; viewer.on("commandStack.changed", markDirty); }
});

const kind = (name) => (name.endsWith(".dmn") ? "dmn" : name.endsWith(".json") ? "form" : "bpmn");

async function api(method, path, body) {
  const response = await fetch(cfg.api + path, {
    method, credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": cfg.csrf, Accept: "application/json",
      "Accept-Language": cfg.locale },  // problems come back in the page language, whatever the browser says
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await response.json(); } catch (err) { data = null; }
  return { ok: response.ok, status: response.status, data };
}

function status(text, isError = false) {
  const box = $("#editor-status");
  box.textContent = text;
  box.className = isError ? "flash error" : "flash";
}

async function currentText() {
  const name = state.current;
  if (!name) return null;
  if (kind(name) === "form") return formText.value;
  const modeler = kind(name) === "dmn" ? dmn : bpmn;
  return (await modeler.saveXML({ format: true })).xml;
}

async function stash() {
  const name = state.current;
  if (!name) return;
  const text = await currentText();
  if (text !== state.snapshot) {
    state.files[name] = text;
    state.snapshot = text;
    state.dirty.add(name);
  }
  renderFileList();
}

async function load(name) {
  if (state.files[name] === null) {
    const response = await api("GET", `/models/${cfg.processId}/drafts`);
    Object.assign(state.files, response.data.files);
  }
  return state.files[name];
}

async function open(name) {
  await stash();
  const text = await load(name);
  state.current = name;
  document.querySelectorAll(".editor-pane").forEach((pane) => { pane.hidden = pane.dataset.kind !== kind(name); });
  try {
    if (kind(name) === "bpmn") {
      await bpmn.importXML(text);
      const canvas = bpmn.get("canvas");
      const box = canvas.getContainer().getBoundingClientRect();
      if (box.width > 0 && box.height > 0) canvas.zoom("fit-viewport");  // a canvas without a size cannot fit
    } else if (kind(name) === "dmn") {
      await dmn.importXML(text);
      const table = dmn.getViews().find((v) => v.type === "decisionTable");
      if (table) await dmn.open(table);
    } else {
      formText.value = text;
      renderPreview($("#form-preview"), text, T);
    }
    state.snapshot = await currentText();
    status(name);
  } catch (err) {
    status(`${name}: ${t("The file cannot be opened in the editor")} (${err.message})`, true);
    state.snapshot = null;
  }
  markProblems();
  renderFileList();
}

function renderFileList() {
  const list = $("#file-list");
  list.replaceChildren();
  Object.keys(state.files).sort().forEach((name) => {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.file = name;
    button.textContent = name + (state.dirty.has(name) ? " •" : "");
    if (name === state.current) button.className = "current";
    button.addEventListener("click", () => open(name));
    const item = document.createElement("li");
    item.append(button);
    list.append(item);
  });
  const forms = $("#form-files");
  forms.replaceChildren(...Object.keys(state.files).filter((n) => n.endsWith(".json") && !n.includes("/"))
    .map((n) => new Option(n, n)));
}

function markProblems() {
  if (!state.current || kind(state.current) !== "bpmn") return;
  const canvas = bpmn.get("canvas");
  const registry = bpmn.get("elementRegistry");
  state.problems.filter((p) => p.file === state.current && p.element_id && registry.get(p.element_id))
    .forEach((p) => canvas.addMarker(p.element_id, "has-problem"));
}

async function highlight(file, elementId) {
  if (file && file !== state.current && file in state.files) await open(file);
  if (!elementId) return;
  if (kind(state.current) === "bpmn") {
    const element = bpmn.get("elementRegistry").get(elementId);
    if (!element) return;
    bpmn.get("canvas").addMarker(elementId, "has-problem");
    bpmn.get("selection").select(element);
    bpmn.get("canvas").scrollToElement(element);
  } else if (kind(state.current) === "dmn") {
    const view = dmn.getViews().find((v) => v.element.id === elementId && v.type === "decisionTable");
    if (view) await dmn.open(view);
  }
}

function showProblems(problems) {
  state.problems = problems;
  const list = $("#problems");
  list.replaceChildren();
  problems.forEach((p) => {
    const item = document.createElement("li");
    item.className = "problem";
    item.dataset.file = p.file;
    item.dataset.element = p.element_id;
    const link = document.createElement("a");
    link.href = "#" + (p.element_id || "");
    link.textContent = `${p.file}${p.element_id ? " · " + p.element_id : ""}`;
    link.addEventListener("click", (event) => { event.preventDefault(); highlight(p.file, p.element_id); });
    item.append(link, document.createTextNode(": " + p.message));
    list.append(item);
  });
  $("#problems-title").hidden = problems.length === 0;
  markProblems();
}

async function saveDrafts() {
  await stash();
  for (const name of [...state.dirty]) {
    const response = await api("PUT", `/models/${cfg.processId}/drafts/${encodeURI(name)}`, { content: state.files[name] });
    if (!response.ok) {
      status(`${name}: ${response.data ? response.data.error.message : response.status}`, true);
      return false;
    }
    state.dirty.delete(name);
  }
  renderFileList();
  return true;
}

$("#save-draft").addEventListener("click", async () => { if (await saveDrafts()) status(t("Draft saved.")); });

$("#validate").addEventListener("click", async () => {
  if (!(await saveDrafts())) return;
  const response = await api("POST", `/models/${cfg.processId}/drafts/validate`);
  showProblems(response.data.problems || []);
  status(response.data.valid ? t("No problems found.") : t("Problems found; see the list."), !response.data.valid);
});

$("#publish").addEventListener("click", async () => {
  if (!(await saveDrafts())) return;
  const response = await api("POST", `/models/${cfg.processId}/drafts/publish`);
  if (response.ok) {
    showProblems([]);
    const versions = response.data.published.map((r) => `${r.process_id} v${r.version}`).join(", ");
    status(`${t("Published")}: ${versions}`);
    $("#published").hidden = false;
  } else {
    showProblems((response.data && response.data.error.problems) || []);
    status(response.data ? response.data.error.message : String(response.status), true);
  }
});

$("#upload").addEventListener("change", async (event) => {
  await stash();
  const names = [];
  for (const file of event.target.files) {
    state.files[file.name] = await file.text();
    state.dirty.add(file.name);
    names.push(file.name);
  }
  event.target.value = "";
  if (names.length) {
    state.current = null;
    await open(names[0]);
    state.dirty.add(names[0]);
    renderFileList();
  }
});

$("#download").addEventListener("click", async () => {
  if (!state.current) return;
  const text = await currentText();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], { type: kind(state.current) === "form" ? "application/json" : "application/xml" }));
  link.download = state.current.split("/").pop();
  link.click();
  URL.revokeObjectURL(link.href);
});

window.addEventListener("beforeunload", (event) => { if (state.dirty.size) event.preventDefault(); });

renderFileList();
const first = cfg.initial && cfg.initial in state.files ? cfg.initial : Object.keys(state.files).sort((a, b) =>
  (kind(a) === "bpmn" ? 0 : 1) - (kind(b) === "bpmn" ? 0 : 1) || a.localeCompare(b))[0];
if (first) {
  await open(first);
  if (location.hash.length > 1) await highlight(first, decodeURIComponent(location.hash.slice(1)));
}
document.body.dataset.editorReady = "true";

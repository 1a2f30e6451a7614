// A live preview of a form's JSON Schema, close to how the task page renders it.
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
  for (const c of children) node.append(c);
  return node;
};

function input(name, spec) {
  if (Array.isArray(spec.enum)) {
    const select = el("select", { name });
    select.append(el("option", { value: "" }, "—"));
    spec.enum.forEach((v, i) => select.append(el("option", { value: v }, (spec.enumNames || [])[i] || String(v))));
    return select;
  }
  if (spec.type === "boolean") return el("input", { type: "checkbox", name });
  if (spec.type === "number" || spec.type === "integer") return el("input", { type: "number", name, step: spec.type === "integer" ? "1" : "any" });
  if (spec.type === "array" && spec.items && Array.isArray(spec.items.enum)) {
    const box = el("span");
    spec.items.enum.forEach((v) => box.append(el("label", { class: "choice" }, el("input", { type: "checkbox", name, value: v }), " " + v)));
    return box;
  }
  if (spec.format === "date") return el("input", { type: "date", name });
  if (spec.format === "date-time") return el("input", { type: "datetime-local", name });
  if ((spec.maxLength || 0) > 200) return el("textarea", { name, rows: "3" });
  return el("input", { type: "text", name });
}

export function renderPreview(target, text, messages) {
  target.replaceChildren();
  let schema;
  try {
    schema = JSON.parse(text);
  } catch (err) {
    target.append(el("p", { class: "error", role: "alert" }, messages.invalidJson + " " + err.message));
    return;
  }
  if (!schema || typeof schema !== "object" || Array.isArray(schema)) {
    target.append(el("p", { class: "error" }, messages.notObject));
    return;
  }
  const required = new Set(schema.required || []);
  if (schema.title) target.append(el("h3", {}, schema.title));
  const form = el("form", { class: "taskform preview", onsubmit: "return false" });
  for (const [name, spec] of Object.entries(schema.properties || {})) {
    const label = el("label", {}, (spec && spec.title) || name);
    if (required.has(name)) label.append(el("span", { class: "req" }, " *"));
    const field = el("div", { class: "field", "data-field": name }, label, input(name, spec || {}));
    if (spec && spec.description) field.append(el("small", { class: "help" }, spec.description));
    form.append(field);
  }
  target.append(form);
}

// The form preview: the product renders the JSON Schema with the task page's own renderer (the field()
// macro, POST /console/form-preview), so the preview is what staff will see. Invalid JSON is reported here.
const config = JSON.parse(document.getElementById("editor-config").textContent);
let pending = null;

export function renderPreview(target, text, messages) {
  let schema;
  try {
    schema = JSON.parse(text);
  } catch (err) {
    const p = document.createElement("p");
    p.className = "error"; p.setAttribute("role", "alert");
    p.textContent = messages.invalidJson + " " + err.message;
    target.replaceChildren(p);
    return;
  }
  if (!schema || typeof schema !== "object" || Array.isArray(schema)) {
    const p = document.createElement("p");
    p.className = "error"; p.textContent = messages.notObject;
    target.replaceChildren(p);
    return;
  }
  clearTimeout(pending);
  pending = setTimeout(() => {
    fetch(window.location.pathname.replace(/\/[^/]+\/edit$/, "/form-preview"), {
      method: "POST", credentials: "same-origin", body: text,
      headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrf },
    }).then((r) => r.text()).then((html) => {
      const doc = new DOMParser().parseFromString(html, "text/html");  // the server's escaped markup
      target.replaceChildren(...doc.body.childNodes);
    }).catch(() => {});
  }, 250);
}

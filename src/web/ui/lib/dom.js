import { t } from "/ui/lib/i18n.js";

// ---------------------------------------------------------------------------
// DOM building: never innerHTML with data.
// ---------------------------------------------------------------------------

const PROPS = new Set(["value", "checked", "disabled", "selected", "multiple", "required", "readOnly", "indeterminate", "open"]);

export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key === "test") node.setAttribute("data-test", value);
      else if (key === "for") node.htmlFor = value;
      else if (key.startsWith("on") && typeof value === "function") {
        node.addEventListener(key.slice(2), value);
      } else if (PROPS.has(key)) node[key] = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(node, children);
  return node;
}

export function append(node, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function replace(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

let idCounter = 0;
export function uid(prefix) {
  idCounter += 1;
  return `${prefix || "id"}-${idCounter}`;
}

/** A labelled form control with room for a hint and an error. */
export function field(label, control, opts = {}) {
  if (!control.id) control.id = uid("f");
  const errorId = uid("err");
  const hintId = opts.hint ? uid("hint") : null;
  control.setAttribute("aria-describedby", [hintId, errorId].filter(Boolean).join(" "));
  return el("div", { class: `field ${opts.class || ""}`, "data-field": opts.name || null },
    el("label", { for: control.id, text: label }),
    control,
    hintId ? el("p", { class: "hint", id: hintId, text: opts.hint }) : null,
    el("p", { class: "field-error", id: errorId, role: "alert" }));
}

/** A checkbox with its label after it. */
export function checkbox(label, opts = {}) {
  const input = el("input", { type: "checkbox", checked: !!opts.checked, disabled: opts.disabled, test: opts.test, value: opts.value, name: opts.name || null, onchange: opts.onchange });
  const wrap = el("label", { class: "check" }, input, el("span", { text: label }));
  wrap.input = input;
  return wrap;
}

export function button(label, opts = {}) {
  return el("button", {
    type: opts.type || "button",
    class: `btn ${opts.class || ""}`,
    test: opts.test,
    disabled: opts.disabled,
    title: opts.title,
    "aria-label": opts.ariaLabel,
    "aria-pressed": opts.pressed === undefined ? null : String(!!opts.pressed),
    onclick: opts.onclick,
  }, label);
}

export function select(options, value, attrs = {}) {
  return el("select", attrs, options.map(([v, label]) =>
    el("option", { value: v, selected: String(v) === String(value) }, label)));
}

export function heading(text, level = 1) {
  return el(`h${level}`, { tabindex: level === 1 ? "-1" : null, text });
}

export function card(title, ...children) {
  return el("section", { class: "card" }, title ? el("h2", { text: title }) : null, children);
}

export function table(headers, rows, attrs = {}) {
  return el("div", { class: "table-wrap" },
    el("table", Object.assign({ class: "table" }, attrs),
      attrs.caption ? el("caption", { class: "sr-only", text: attrs.caption }) : null,
      el("thead", null, el("tr", null, headers.map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", null, rows)));
}

export function emptyRow(colspan, text) {
  return el("tr", null, el("td", { colspan, class: "muted", text }));
}

export function badge(text, cls, attrs = {}) {
  return el("span", Object.assign({ class: `badge ${cls || ""}` }, attrs), text);
}

export function severityBadge(severity) {
  return badge(t(`sev.${severity}`), `sev-${severity}`, { "data-severity": severity });
}

export function splitList(text) {
  return String(text || "").split(/[;,\s]+/).map((s) => s.trim()).filter(Boolean);
}

export function setBusy(buttonNode, busy) {
  if (!buttonNode) return;
  buttonNode.disabled = busy;
  buttonNode.setAttribute("aria-busy", busy ? "true" : "false");
}

/** Hands `text` to the browser as a file to save. */
export function download(filename, text, type) {
  let href;
  let objectUrl = null;
  if (text.length < 1000000) {
    href = `data:${type},${encodeURIComponent(text)}`;
  } else {
    objectUrl = URL.createObjectURL(new Blob([text], { type }));
    href = objectUrl;
  }
  const link = el("a", { href, download: filename, class: "sr-only", test: "file-download" });
  document.body.append(link);
  link.click();
  setTimeout(() => {
    link.remove();
    if (objectUrl) URL.revokeObjectURL(objectUrl);
  }, 10000);
}

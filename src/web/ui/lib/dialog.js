import { button, el, field, setBusy, uid } from "/ui/lib/dom.js";
import { t } from "/ui/lib/i18n.js";
import { errorText, report } from "/ui/lib/toast.js";

function openDialog({ title, body, actions, test, wide }) {
  const titleId = uid("dlg");
  const previous = document.activeElement;
  const dialog = el("dialog", { class: `dialog ${wide ? "dialog-wide" : ""}`, "aria-labelledby": titleId, test },
    el("h2", { id: titleId, text: title }),
    el("div", { class: "dialog-body" }, body),
    actions ? el("div", { class: "dialog-actions" }, actions) : null);
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (previous && previous.isConnected && typeof previous.focus === "function") previous.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/** Asks before something that can't be undone; resolves true on confirm. */
export function confirmDialog({ title, message, details, confirmLabel, cancelLabel, danger, confirmTest }) {
  return new Promise((resolve) => {
    let answered = false;
    const finish = (value) => {
      if (answered) return;
      answered = true;
      resolve(value);
      if (dialog.open) dialog.close();
    };
    const ok = button(confirmLabel || t("common.confirm"), {
      class: danger ? "btn-danger" : "btn-primary", test: confirmTest, onclick: () => finish(true),
    });
    const cancel = button(cancelLabel || t("common.cancel"), { test: "dialog-cancel", onclick: () => finish(false) });
    const dialog = openDialog({
      title,
      body: [message ? el("p", { text: message }) : null, details || null],
      actions: [cancel, ok],
      test: "confirm-dialog",
    });
    dialog.addEventListener("close", () => finish(false));
    ok.focus();
  });
}

/** A dialog holding a form; `onSubmit` throws to keep it open with the error shown. */
export function formDialog({ title, fields, submitLabel, onSubmit, test, wide }) {
  const submit = button(submitLabel || t("common.save"), { type: "submit", class: "btn-primary", test: test ? `${test}-submit` : null });
  const cancel = button(t("common.cancel"), { onclick: () => dialog.close() });
  const form = el("form", { class: "form", novalidate: true }, fields,
    el("div", { class: "dialog-actions" }, cancel, submit));
  const dialog = openDialog({ title, body: form, test, wide });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    setBusy(submit, true);
    try {
      await onSubmit(form);
      dialog.close();
    } catch (err) {
      if (!showFieldError(form, err)) report(err);
    } finally {
      setBusy(submit, false);
    }
  });
  const first = form.querySelector("input:not([type=hidden]):not([disabled]), select, textarea");
  if (first) first.focus();
  return dialog;
}

// ---------------------------------------------------------------------------
// Field errors from problems
// ---------------------------------------------------------------------------

export function clearErrors(container) {
  for (const node of container.querySelectorAll(".field-error")) node.textContent = "";
  for (const node of container.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

/** "recipients.groups[0]" → the names to look for, most precise first. */
function fieldCandidates(name) {
  const out = [];
  let current = String(name || "");
  while (current) {
    out.push(current);
    const cut = Math.max(current.lastIndexOf("."), current.lastIndexOf("["));
    if (cut <= 0) break;
    current = current.slice(0, cut);
  }
  return out;
}

/** Puts a problem's detail next to the field it names; false when none fits. */
export function showFieldError(container, err) {
  const p = err && err.problem;
  if (!p || !p.field) return false;
  for (const name of fieldCandidates(p.field)) {
    const holder = container.querySelector(`[data-field="${cssEscape(name)}"]`);
    if (!holder) continue;
    const message = holder.querySelector(".field-error");
    if (message) message.textContent = p.detail || errorText(err);
    const control = holder.querySelector("input, select, textarea, button");
    if (control) {
      control.setAttribute("aria-invalid", "true");
      control.focus();
    }
    return true;
  }
  return false;
}

function cssEscape(value) {
  return window.CSS && CSS.escape ? CSS.escape(value) : String(value).replace(/["\\]/g, "\\$&");
}

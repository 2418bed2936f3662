import { el } from "/ui/lib/dom.js";
import { hasKey, t } from "/ui/lib/i18n.js";

// ---------------------------------------------------------------------------
// Toasts and dialogs
// ---------------------------------------------------------------------------

export function toast(message, kind = "info", opts = {}) {
  const region = document.getElementById("toasts");
  if (!region) return;
  const close = el("button", { type: "button", class: "toast-close", "aria-label": t("common.close"), text: "×" });
  const node = el("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status", test: `toast-${kind}` },
    el("div", { class: "toast-text" }, message, opts.link ? [" ", opts.link] : null),
    close);
  const remove = () => node.remove();
  close.addEventListener("click", remove);
  // Under stress a pile of notes hides the page: keep the two newest.
  const shown = region.querySelectorAll(".toast:not(.toast-error)");
  if (kind !== "error" && shown.length >= 2) shown[0].remove();
  region.append(node);
  setTimeout(remove, opts.timeout || (kind === "error" ? 15000 : 4000));
}

/** A localised sentence for an API problem; the server's detail where it is specific. */
export function errorText(err) {
  const p = err && err.problem;
  if (!p) return (err && err.message) || t("err.generic");
  const specific = ["invalid_field", "not_allowed", "refused", "conflict"];
  if (specific.includes(p.code) && p.detail) {
    return p.field && p.code !== "refused" ? `${p.field}: ${p.detail}` : p.detail;
  }
  if (p.code === "throttled") return t("err.throttled", { s: p.retryAfter || "?" });
  if (p.code && hasKey(`err.${p.code}`)) return t(`err.${p.code}`);
  return p.detail || t("err.generic");
}

/** Shows an error that nothing else showed. */
export function report(err) {
  if (err && err.handled) return;
  toast(errorText(err), "error");
}

import { api } from "/console/api.js";
import { clearErrors, showFieldError } from "/ui/lib/dialog.js";
import { append, badge, button, el, emptyRow, field, heading, replace, select, setBusy } from "/ui/lib/dom.js";
import { fmtTime, t, tn } from "/ui/lib/i18n.js";
import { report } from "/ui/lib/toast.js";

// ---------------------------------------------------------------------------
// #/audit
// ---------------------------------------------------------------------------

// The newest security findings, above the audit log.
async function findingsCard() {
  const data = await api("GET", "/api/v1/audit?action=security.finding&limit=10");
  const findings = data.events || [];
  return el("section", { class: "card", test: "security-findings" },
    el("h2", { text: t("audit.findings") }),
    findings.length
      ? el("ul", { class: "plain-list" }, findings.map((f) => el("li", { test: `finding-${f.target}` },
        badge(t("audit.finding"), "b-bad"), " ", el("span", { class: "nowrap", text: fmtTime(f.at) }), " ", el("span", { text: f.detail || f.target }))))
      : el("p", { class: "muted", text: t("audit.no_findings") }));
}

export async function renderAudit(page) {
  append(page, heading(t("audit.title")));
  append(page, await findingsCard());
  const action = el("input", { type: "text", test: "audit-action", placeholder: "alert.", spellcheck: "false" });
  const actor = el("input", { type: "text", test: "audit-actor", spellcheck: "false" });
  const outcome = select([["", t("common.any")], ["success", t("outcome.success")], ["failure", t("outcome.failure")], ["denied", t("outcome.denied")]], "", { test: "audit-outcome" });
  const since = el("input", { type: "datetime-local", test: "audit-since" });
  const limit = select([["100", "100"], ["500", "500"], ["1000", "1000"]], "100", { test: "audit-limit" });
  const tbody = el("tbody");
  const count = el("p", { class: "hint", role: "status" });
  const submit = button(t("common.search"), { type: "submit", class: "btn-primary", test: "audit-search" });
  const form = el("form", { class: "filters card", novalidate: true },
    field(t("audit.action"), action, { name: "action" }), field(t("audit.actor"), actor, { name: "actor" }),
    field(t("audit.outcome"), outcome, { name: "outcome" }), field(t("audit.since"), since, { name: "since" }),
    field(t("audit.limit"), limit, { name: "limit" }),
    el("div", { class: "field field-button" }, submit));
  const load = async () => {
    const q = new URLSearchParams();
    if (action.value.trim()) q.set("action", action.value.trim());
    if (actor.value.trim()) q.set("actor", actor.value.trim());
    if (outcome.value) q.set("outcome", outcome.value);
    if (since.value) {
      const at = new Date(since.value);
      if (!Number.isNaN(at.getTime())) q.set("since", at.toISOString());
    }
    q.set("limit", limit.value);
    const data = await api("GET", `/api/v1/audit?${q}`);
    const events = data.events || [];
    replace(tbody, events.length ? events.map((e) => el("tr", { class: `outcome-${e.outcome}` },
      el("td", { class: "nowrap", text: fmtTime(e.at) }),
      el("td", null, el("span", { text: e.actor ? e.actor.name : "–" }), e.actor ? el("div", { class: "hint", text: t(`actor.${e.actor.kind}`) }) : null),
      el("td", null, el("code", { text: e.action })),
      el("td", null, badge(t(`outcome.${e.outcome}`), `b-${e.outcome}`)),
      el("td", { class: "wrap", text: e.target || "–" }),
      el("td", { class: "wrap", text: e.detail || "–" }),
      el("td", { text: e.source || "–" }))) : emptyRow(7, t("audit.none")));
    count.textContent = tn("audit.count", events.length);
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    setBusy(submit, true);
    try {
      await load();
    } catch (err) {
      if (!showFieldError(form, err)) report(err);
    } finally {
      setBusy(submit, false);
    }
  });
  append(page, form, count, el("div", { class: "table-wrap" }, el("table", { class: "table", test: "audit-table" },
    el("caption", { class: "sr-only", text: t("audit.title") }),
    el("thead", null, el("tr", null, [t("audit.time"), t("audit.actor"), t("audit.action_col"), t("audit.outcome"), t("audit.target"), t("audit.detail"), t("audit.source")].map((h) => el("th", { scope: "col", text: h })))),
    tbody)));
  await load();
}

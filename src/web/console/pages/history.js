import { api } from "/console/api.js";
import { actorName } from "/console/deliveries.js";
import { exportCsv } from "/console/pages/print.js";
import { SEVERITIES } from "/console/state.js";
import { append, badge, button, el, emptyRow, field, heading, replace, select, severityBadge } from "/ui/lib/dom.js";
import { fmtNum, fmtTime, t } from "/ui/lib/i18n.js";
import { report } from "/ui/lib/toast.js";

// ---------------------------------------------------------------------------
// #/alerts: history
// ---------------------------------------------------------------------------

export async function renderHistory(page) {
  append(page, heading(t("history.title")));
  const search = el("input", { type: "search", test: "history-search" });
  const severity = select([["", t("common.any")], ...SEVERITIES.map((s) => [s, t(`sev.${s}`)])], "", { test: "history-severity" });
  const stateSel = select([["", t("common.any")], ["active", t("state.active")], ["cancelled", t("state.cancelled")]], "", { test: "history-state" });
  const from = el("input", { type: "date", test: "history-from" });
  const to = el("input", { type: "date", test: "history-to" });
  const tbody = el("tbody");
  const count = el("p", { class: "hint", role: "status" });
  let alerts = [];

  const dayOf = (iso) => {
    const d = new Date(iso);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  };
  const render = () => {
    const q = search.value.trim().toLowerCase();
    const list = alerts.filter((a) => (!q || a.title.toLowerCase().includes(q)) &&
      (!severity.value || a.severity === severity.value) &&
      (!stateSel.value || a.state === stateSel.value) &&
      (!from.value || dayOf(a.created_at) >= from.value) &&
      (!to.value || dayOf(a.created_at) <= to.value));
    replace(tbody, list.length ? list.map((a) => el("tr", { test: `alert-row-${a.id}`, class: `sev-row-${a.severity}` },
      el("td", { text: fmtTime(a.created_at) }),
      el("td", null, severityBadge(a.severity)),
      el("td", null, el("a", { href: `#/alerts/${a.id}`, text: a.title })),
      el("td", null, badge(t(`state.${a.state}`), `state-${a.state}`)),
      el("td", { text: actorName(a.created_by) }),
      el("td", { class: "actions-cell" },
        button(t("history.csv"), { class: "btn-small", test: `csv-${a.id}`, onclick: (e) => exportCsv(a.id, e.currentTarget) }),
        el("a", { class: "btn btn-small", href: `#/alerts/${a.id}/print`, text: t("history.print") })))) : emptyRow(6, t("history.none")));
    count.textContent = t("history.count", { n: fmtNum(list.length), all: fmtNum(alerts.length) });
  };
  for (const input of [search, severity, stateSel, from, to]) input.addEventListener("input", render);
  const load = async () => {
    const data = await api("GET", "/api/v1/alerts?limit=500");
    alerts = data.alerts || [];
    render();
  };
  append(page,
    el("form", { class: "filters card", onsubmit: (e) => e.preventDefault() },
      field(t("history.search"), search),
      field(t("history.severity"), severity),
      field(t("history.state"), stateSel),
      field(t("history.from"), from),
      field(t("history.to"), to),
      el("div", { class: "field field-button" }, button(t("common.refresh"), { test: "history-refresh", onclick: () => load().catch(report) }))),
    count,
    el("div", { class: "table-wrap" }, el("table", { class: "table", test: "alerts-table" },
      el("caption", { class: "sr-only", text: t("history.title") }),
      el("thead", null, el("tr", null, [t("history.time"), t("history.severity"), t("history.alert"), t("history.state"), t("history.by"), ""].map((h) => el("th", { scope: "col", text: h })))),
      tbody)));
  await load();
}

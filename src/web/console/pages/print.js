import { api } from "/console/api.js";
import { actorName, etaText, loadUsernames, normaliseRecipient, timelineList, timelineText, viaText } from "/console/deliveries.js";
import { onCleanup } from "/console/router.js";
import { S } from "/console/state.js";
import { enc } from "/ui/lib/api.js";
import { append, badge, button, download, el, heading, setBusy, severityBadge, table } from "/ui/lib/dom.js";
import { fmtNum, fmtTime, t } from "/ui/lib/i18n.js";
import { report } from "/ui/lib/toast.js";

// ---------------------------------------------------------------------------
// CSV export and the print view
// ---------------------------------------------------------------------------

function csvCell(value) {
  let s = value === null || value === undefined ? "" : String(value);
  // A cell a spreadsheet would run as a formula is made plain text; phone numbers stay as they are.
  if (/^[=@\t\r]/.test(s) || (/^[+-]/.test(s) && !/^[+-]?\d[\d ]*$/.test(s))) s = `'${s}`;
  if (/[",;\n\r]/.test(s)) s = `"${s.replace(/"/g, '""')}"`;
  return s;
}

function buildCsv(view, usernames) {
  const a = view.alert;
  const lines = [];
  const row = (...cells) => lines.push(cells.map(csvCell).join(","));
  row(t("csv.alert"), a.title);
  row(t("history.severity"), t(`sev.${a.severity}`));
  row(t("history.time"), a.created_at);
  row(t("history.state"), t(`state.${a.state}`));
  row(t("history.by"), actorName(a.created_by));
  lines.push("");
  row(t("csv.recipient"), t("users.username"), t("live.via"), t("csv.channel"), t("csv.state"), t("csv.attempts"), t("csv.error"), t("csv.read_at"), t("live.answer"), t("live.eta"), t("csv.answer_text"), t("csv.answered_at"));
  for (const raw of view.recipients || []) {
    const r = normaliseRecipient(raw);
    const resp = r.response || {};
    const base = [r.name, (r.user_id && usernames.get(r.user_id)) || "", viaText(r.via)];
    const tail = [resp.choice || "", resp.eta_minutes != null ? resp.eta_minutes : "", resp.text || "", resp.at || ""];
    if (!r.deliveries.length) row(...base, "", "", "", "", "", ...tail);
    for (const x of r.deliveries) row(...base, t(`ch.${x.channel}`), t(`ds.${x.state}`), x.attempts, x.last_error || "", x.read_at || "", ...tail);
  }
  lines.push("");
  row(t("live.timeline"));
  row(t("history.time"), t("csv.event"), t("csv.detail"));
  for (const e of view.timeline || []) row(e.at, e.kind, timelineText(e));
  return lines.join("\r\n") + "\r\n";
}

export async function exportCsv(id, trigger) {
  setBusy(trigger, true);
  try {
    const [view, usernames] = await Promise.all([api("GET", `/api/v1/alerts/${enc(id)}?for=export`), loadUsernames()]);
    const day = String(view.alert.created_at || "").slice(0, 10);
    download(`tocsin-${day}-${id}.csv`, `\uFEFF${buildCsv(view, usernames)}`, "text/csv;charset=utf-8");
  } catch (err) {
    report(err);
  } finally {
    setBusy(trigger, false);
  }
}

export async function renderPrint(page, match, query) {
  const id = match[1];
  const view = await api("GET", `/api/v1/alerts/${enc(id)}?for=print`);
  const a = view.alert;
  const x = view.totals || {};
  const recipients = (view.recipients || []).map(normaliseRecipient);
  append(page,
    el("div", { class: "actions no-print" },
      button(t("history.print"), { class: "btn-primary", test: "print-now", onclick: () => window.print() }),
      el("a", { class: "btn", href: `#/alerts/${id}`, text: t("print.back") })),
    el("div", { class: `print-head sev-edge-${a.severity}` },
      el("p", { class: "print-org", text: `${t("app.title")} · ${(S.me && S.me.org && S.me.org.name) || ""}` }),
      el("p", null, severityBadge(a.severity), " ", badge(t(`state.${a.state}`), `state-${a.state}`)),
      heading(a.title),
      a.body ? el("p", { class: "alert-body", text: a.body }) : null,
      el("p", { class: "muted", text: t("live.sent_by", { by: actorName(a.created_by), at: fmtTime(a.created_at) }) })),
    el("dl", { class: "facts print-totals" },
      [["live.reached", `${fmtNum(x.reached)} / ${fmtNum(x.recipients)}`], ["live.coming", fmtNum(x.coming)], ["live.not-coming", fmtNum(x.not_coming)], ["live.no-answer", fmtNum(x.no_answer)]]
        .map(([k, v]) => [el("dt", { text: t(k) }), el("dd", { text: v })])),
    el("h2", { text: t("live.timeline") }),
    timelineList(view.timeline || []),
    el("h2", { text: t("live.recipients") }),
    table([t("live.name"), t("live.via"), t("live.deliveries"), t("live.answer"), t("live.eta")],
      recipients.map((r) => el("tr", null,
        el("td", { text: r.name }),
        el("td", { text: viaText(r.via) }),
        el("td", { text: r.deliveries.map((d) => `${t(`ch.${d.channel}`)}: ${t(`ds.${d.state}`)}${d.read ? ` ✓ ${t("ds.read")}` : ""}`).join("; ") }),
        el("td", { text: r.response ? r.response.choice + (r.response.text ? ` – “${r.response.text}”` : "") : t("live.no_answer_short") }),
        el("td", { text: etaText(r.response) })))),
    el("p", { class: "hint", text: t("print.printed", { at: fmtTime(new Date().toISOString()) }) }));
  if (query.get("auto") !== "0") {
    const timer = setTimeout(() => window.print(), 400);
    onCleanup(() => clearTimeout(timer));
  }
}

import { api } from "/console/api.js";
import { actorName, answerKind, deliveryBadge, etaText, loadUsernames, normaliseRecipient, timelineList, viaText } from "/console/deliveries.js";
import { exportCsv } from "/console/pages/print.js";
import { onCleanup } from "/console/router.js";
import { DELIVERY_STATES, S } from "/console/state.js";
import { enc, settle } from "/ui/lib/api.js";
import { confirmDialog, formDialog } from "/ui/lib/dialog.js";
import { append, badge, button, el, emptyRow, field, heading, replace, select, severityBadge } from "/ui/lib/dom.js";
import { fmtNum, fmtTime, t, tn } from "/ui/lib/i18n.js";
import { report, toast } from "/ui/lib/toast.js";

// ---------------------------------------------------------------------------
// #/alerts/{id}: the live view
// ---------------------------------------------------------------------------

const ROW_LIMIT = 1000;

export async function renderLive(page, match) {
  const id = match[1];
  const [view, usernames] = await Promise.all([api("GET", `/api/v1/alerts/${enc(id)}`), loadUsernames()]);
  if (!page.isConnected) return;
  const st = {
    alert: view.alert,
    totals: view.totals,
    recipients: new Map(),
    timeline: view.timeline || [],
    filter: "all",
    search: "",
    rows: new Map(),
  };
  for (const r of view.recipients || []) st.recipients.set(r.id, normaliseRecipient(r));

  const head = el("div", { class: "live-head" });
  const counters = el("section", { class: "counters", "aria-live": "polite", "aria-label": t("live.counters") });
  const deliveryLine = el("p", { class: "delivery-line", test: "live-deliveries" });
  const conn = el("span", { class: "conn", role: "status", test: "live-connection" });
  const tbody = el("tbody");
  const rowNote = el("p", { class: "hint" });
  const timelineBox = el("div");

  const rowKey = (r) => (r.user_id && usernames.get(r.user_id)) || r.name;
  const matches = (r) => {
    if (st.search && !`${r.name} ${rowKey(r)}`.toLowerCase().includes(st.search)) return false;
    const kind = answerKind(st.alert, r.response);
    switch (st.filter) {
      case "no_answer": return kind === "none";
      case "coming": return kind === "coming";
      case "not_coming": return kind === "not_coming";
      case "failed": return r.deliveries.some((x) => x.state === "failed");
      case "unreached": return !r.deliveries.some((x) => x.state === "sent" || x.state === "delivered");
      default: return true;
    }
  };
  const rowCells = (r) => {
    const kind = answerKind(st.alert, r.response);
    return [
      el("td", { class: "name" }, el("strong", { text: r.name })),
      el("td", { text: viaText(r.via) }),
      el("td", { class: "badges" }, r.deliveries.length ? r.deliveries.map(deliveryBadge) : el("span", { class: "muted", text: t("live.no_channel") })),
      el("td", { test: "answer", "data-answer": kind, class: `answer ans-${kind}` },
        kind === "none" ? el("span", { class: "muted", text: t("live.no_answer_short") }) : [
          el("span", { class: "ans-icon", "aria-hidden": "true", text: kind === "coming" ? "✔ " : "✖ " }),
          el("strong", { text: r.response.choice })],
        r.response && r.response.text ? el("div", { class: "answer-text", text: `“${r.response.text}”` }) : null),
      el("td", { test: "eta", text: etaText(r.response) }),
    ];
  };
  const makeRow = (r) => el("tr", { test: `live-row-${rowKey(r)}`, "data-recipient": r.id, "data-answer": answerKind(st.alert, r.response) }, rowCells(r));
  const renderRows = () => {
    st.rows.clear();
    const all = [...st.recipients.values()].filter(matches);
    const shown = all.slice(0, ROW_LIMIT);
    replace(tbody, shown.length ? shown.map((r) => {
      const tr = makeRow(r);
      st.rows.set(r.id, tr);
      return tr;
    }) : emptyRow(5, t("live.no_rows")));
    rowNote.textContent = all.length > ROW_LIMIT ? t("live.rows_capped", { shown: fmtNum(ROW_LIMIT), all: fmtNum(all.length) }) : "";
  };
  let refilter = null;
  const updateRows = (changedIds) => {
    for (const rid of changedIds) {
      const r = st.recipients.get(rid);
      const tr = st.rows.get(rid);
      if (tr) {
        replace(tr, rowCells(r));
        tr.setAttribute("data-answer", answerKind(st.alert, r.response));
        tr.classList.remove("flash");
        void tr.offsetWidth;
        tr.classList.add("flash");
      }
    }
    const needFull = st.filter !== "all" || st.search || changedIds.some((rid) => !st.rows.has(rid));
    if (needFull) {
      clearTimeout(refilter);
      refilter = setTimeout(renderRows, 400);
    }
  };

  const counter = (key, value, cls, extra) => el("div", { class: `counter ${cls}` },
    el("span", { class: "counter-label", text: t(`live.${key}`) }),
    el("span", { class: "counter-value" },
      el("span", { class: "counter-number", test: `live-${key}`, text: fmtNum(value) }),
      extra ? el("span", { class: "counter-extra", text: extra }) : null));
  const renderCounters = () => {
    const x = st.totals || {};
    replace(counters,
      counter("reached", x.reached || 0, "c-reached", t("live.of", { n: fmtNum(x.recipients || 0) })),
      counter("coming", x.coming || 0, "c-coming"),
      counter("not-coming", x.not_coming || 0, "c-not-coming"),
      counter("no-answer", x.no_answer || 0, "c-no-answer"));
    const ds = x.deliveries || {};
    replace(deliveryLine, el("span", { class: "muted", text: `${t("live.deliveries")}: ` }),
      DELIVERY_STATES.filter((s) => ds[s]).map((s) => [badge(`${t(`ds.${s}`)} ${fmtNum(ds[s])}`, `ds ds-${s}`, { "data-state": s }), " "]));
  };

  const renderHead = () => {
    const a = st.alert;
    const active = a.state === "active";
    const sent = S.lastSend && S.lastSend.id === id ? S.lastSend.result : null;
    replace(head,
      el("div", { class: `live-title sev-edge-${a.severity}` },
        el("div", { class: "title-line" }, severityBadge(a.severity), " ",
          badge(t(`state.${a.state}`), `state-${a.state}`, { test: "live-state" })),
        heading(a.title),
        a.body ? el("p", { class: "alert-body", text: a.body }) : null,
        a.sealed ? el("p", { class: "alert-body muted", test: "live-sealed", text: t("live.sealed") }) : null,
        a.location ? el("p", { class: "muted", test: "live-location" }, t("live.location", { place: [a.location.label, `${a.location.lat}, ${a.location.lon}`].filter(Boolean).join(" · ") }),
          " · ", el("a", { href: `#/map?alert=${encodeURIComponent(a.id)}`, test: "live-map", text: t("live.on_map") })) : null,
        el("p", { class: "muted" }, t("live.sent_by", { by: actorName(a.created_by), at: fmtTime(a.created_at) }), " · ", conn)),
      sent ? el("div", { class: "notice", role: "status", test: "send-result" },
        t("live.accepted", { n: fmtNum(sent.recipients) }), " ",
        Object.entries(sent.deliveries || {}).map(([c, n]) => `${t(`ch.${c}`)} ${fmtNum(n)}`).join(", "),
        sent.unreachable ? el("strong", { class: "warn-text", text: ` · ${tn("send.unreachable", sent.unreachable)}` }) : null,
        sent.duplicate ? ` · ${t("live.duplicate")}` : null) : null,
      el("div", { class: "actions no-print" },
        active ? button(t("live.cancel"), { class: "btn-danger", test: "cancel-alert", onclick: () => cancelAlert(false) }) : null,
        active ? button(t("live.all_clear"), { class: "btn-primary", test: "all-clear-alert", onclick: () => cancelAlert(true) }) : null,
        active ? button(t("live.update"), { test: "update-alert", onclick: updateAlert }) : null,
        button(t("history.csv"), { test: "export-csv", onclick: (e) => exportCsv(id, e.currentTarget) }),
        el("a", { class: "btn", href: `#/alerts/${id}/print`, test: "print-alert", text: t("history.print") })));
  };

  async function cancelAlert(allClear) {
    const ok = await confirmDialog({
      title: allClear ? t("live.all_clear_title") : t("live.cancel_title"),
      message: allClear ? t("live.all_clear_text") : t("live.cancel_text"),
      confirmLabel: allClear ? t("live.all_clear_confirm") : t("live.cancel_confirm"),
      danger: !allClear,
      confirmTest: allClear ? "all-clear-confirm" : "cancel-confirm",
      cancelLabel: t("live.keep"),
    });
    if (!ok) return;
    try {
      const result = await api("POST", `/api/v1/alerts/${enc(id)}/cancel?all_clear=${allClear}`);
      st.alert = Object.assign({}, st.alert, result);
      renderHead();
      const link = result.all_clear ? el("a", { href: `#/alerts/${result.all_clear}`, text: t("live.open_all_clear") }) : null;
      toast(allClear ? t("live.all_clear_sent") : t("live.cancelled"), "success", { link });
      scheduleTimeline(0);
    } catch (err) {
      report(err);
    }
  }

  function updateAlert() {
    const titleInput = el("input", { type: "text", maxlength: "200", value: st.alert.title, test: "update-title" });
    const bodyInput = el("textarea", { rows: "4", maxlength: "4000", test: "update-body" });
    bodyInput.value = st.alert.body || "";
    formDialog({
      title: t("live.update_title"),
      test: "update-dialog",
      submitLabel: t("live.update_send"),
      fields: [el("p", { class: "hint", text: t("live.update_hint") }),
        field(t("send.title_label"), titleInput, { name: "title" }),
        field(t("send.body_label"), bodyInput, { name: "body" })],
      onSubmit: async () => {
        const result = await api("PATCH", `/api/v1/alerts/${enc(id)}`, { title: titleInput.value, body: bodyInput.value });
        st.alert = Object.assign({}, st.alert, result);
        renderHead();
        toast(t("live.update_sent"), "success");
        scheduleTimeline(0);
      },
    });
  }

  let timelineTimer = null;
  let timelineAt = 0;
  function scheduleTimeline(delay) {
    if (timelineTimer) return;
    const wait = delay === 0 ? 300 : Math.max(0, 5000 - (Date.now() - timelineAt));
    timelineTimer = setTimeout(async () => {
      timelineTimer = null;
      timelineAt = Date.now();
      const r = await settle(api("GET", `/api/v1/alerts/${enc(id)}`));
      if (!r.ok) return;
      st.timeline = r.value.timeline || [];
      replace(timelineBox, timelineList(st.timeline));
    }, wait);
  }

  // Live updates
  let source = null;
  let retry = null;
  const setConn = (key) => {
    conn.className = `conn conn-${key}`;
    conn.textContent = t(`live.conn_${key}`);
  };
  const apply = (data) => {
    const oldState = st.alert.state;
    if (data.alert) st.alert = Object.assign({}, st.alert, data.alert);
    if (data.totals) st.totals = data.totals;
    const changedIds = [];
    for (const r of data.recipients || []) {
      st.recipients.set(r.id, normaliseRecipient(r));
      changedIds.push(r.id);
    }
    renderCounters();
    if (st.alert.state !== oldState) renderHead();
    updateRows(changedIds);
    if (changedIds.length || st.alert.state !== oldState) scheduleTimeline();
  };
  const connect = () => {
    if (!page.isConnected) return;
    source = new EventSource(`/api/v1/alerts/${enc(id)}/events`);
    source.addEventListener("open", () => setConn("live"));
    source.addEventListener("snapshot", (e) => apply(JSON.parse(e.data)));
    source.addEventListener("update", (e) => apply(JSON.parse(e.data)));
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) {
        setConn("lost");
        source.close();
        api("GET", "/api/v1/me").then(() => {
          retry = setTimeout(connect, 5000);
        }, (err) => report(err));
      } else {
        setConn("reconnecting");
      }
    });
  };
  onCleanup(() => {
    if (source) source.close();
    clearTimeout(retry);
    clearTimeout(timelineTimer);
    clearTimeout(refilter);
  });

  const filterSelect = select([
    ["all", t("live.f_all")], ["no_answer", t("live.f_no_answer")], ["coming", t("live.f_coming")],
    ["not_coming", t("live.f_not_coming")], ["unreached", t("live.f_unreached")], ["failed", t("live.f_failed")],
  ], st.filter, { test: "live-filter" });
  filterSelect.addEventListener("change", () => {
    st.filter = filterSelect.value;
    renderRows();
  });
  const searchInput = el("input", { type: "search", test: "live-search" });
  searchInput.addEventListener("input", () => {
    st.search = searchInput.value.trim().toLowerCase();
    clearTimeout(refilter);
    refilter = setTimeout(renderRows, 200);
  });

  setConn("connecting");
  renderHead();
  renderCounters();
  renderRows();
  replace(timelineBox, timelineList(st.timeline));
  append(page, head, counters, deliveryLine,
    el("section", { class: "card" },
      el("div", { class: "table-tools" },
        el("h2", { text: t("live.recipients") }),
        field(t("live.filter"), filterSelect),
        field(t("live.search"), searchInput)),
      el("div", { class: "table-wrap" },
        el("table", { class: "table live-table", test: "live-table" },
          el("caption", { class: "sr-only", text: t("live.recipients") }),
          el("thead", null, el("tr", null, [t("live.name"), t("live.via"), t("live.deliveries"), t("live.answer"), t("live.eta")].map((h) => el("th", { scope: "col", text: h })))),
          tbody)),
      rowNote),
    el("section", { class: "card" }, el("h2", { text: t("live.timeline") }), timelineBox));
  connect();
}

import { api } from "/console/api.js";
import { onCleanup } from "/console/router.js";
import { CHANNELS, can } from "/console/state.js";
import { enc, settle } from "/ui/lib/api.js";
import { clearErrors, showFieldError } from "/ui/lib/dialog.js";
import { append, badge, button, card, checkbox, el, emptyRow, field, heading, replace, select, setBusy } from "/ui/lib/dom.js";
import { fmtDuration, fmtNum, fmtTime, t, tn } from "/ui/lib/i18n.js";
import { errorText, report } from "/ui/lib/toast.js";

// ---------------------------------------------------------------------------
// #/hardware: devices, health, inbound messages
// ---------------------------------------------------------------------------

function signalText(d) {
  if (d.signal === null || d.signal === undefined) return "–";
  const bars = d.signal >= 20 ? 4 : d.signal >= 15 ? 3 : d.signal >= 10 ? 2 : d.signal >= 2 ? 1 : 0;
  return `${"▮".repeat(bars)}${"▯".repeat(4 - bars)} ${d.signal_dbm != null ? `${d.signal_dbm} dBm` : d.signal}`;
}

function deviceCard(d) {
  const to = el("input", { type: "text", test: `hardware-test-to-${d.name}`, placeholder: d.kind === "radio" ? "2001001" : "+358401234567" });
  const text = el("input", { type: "text", maxlength: "500", test: `hardware-test-text-${d.name}`, placeholder: t("hardware.test_default") });
  const result = el("p", { class: "test-result", role: "status", test: `hardware-test-result-${d.name}` });
  const submit = button(t("hardware.test_send"), { type: "submit", test: `hardware-test-${d.name}` });
  const form = el("form", { class: "form compact", novalidate: true },
    el("h3", { text: t("hardware.test_title") }),
    field(d.kind === "radio" ? t("hardware.test_issi") : t("hardware.test_phone"), to, { name: "to" }),
    field(t("hardware.test_text"), text, { name: "text" }),
    el("div", { class: "form-actions" }, submit), result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!to.value.trim()) return showFieldError(form, { problem: { field: "to", detail: t("common.required") } });
    const body = { to: to.value.trim() };
    if (text.value.trim()) body.text = text.value.trim();
    setBusy(submit, true);
    result.className = "test-result";
    result.textContent = t("hardware.test_sending");
    try {
      await api("POST", `/api/v1/devices/hardware/${enc(d.name)}/test`, body);
      result.className = "test-result ok-text";
      result.textContent = t("hardware.test_ok");
    } catch (err) {
      result.className = "test-result error-text";
      result.textContent = t("hardware.test_failed", { why: errorText(err) });
      showFieldError(form, err);
    } finally {
      setBusy(submit, false);
    }
  });
  const fact = (label, value) => [el("dt", { text: label }), el("dd", { text: value === null || value === undefined || value === "" ? "–" : String(value) })];
  return el("article", { class: `card device device-${d.state}`, test: `hardware-device-${d.name}`, "data-state": d.state },
    el("div", { class: "title-line" },
      el("h2", { text: d.name }),
      badge(t(`dev.${d.state}`), `dev-${d.state}`, { test: "device-state" }),
      d.in_call ? badge(t("hardware.in_call"), "b-muted", { test: "device-in-call" }) : null,
      badge(t(`hardware.kind_${d.kind}`) === `hardware.kind_${d.kind}` ? d.kind : t(`hardware.kind_${d.kind}`), "b-muted")),
    el("dl", { class: "facts small" },
      fact(t("hardware.model"), [d.model, d.firmware].filter(Boolean).join(" · ")),
      fact(t("hardware.port"), d.device),
      fact(t("hardware.registration"), [d.registration, d.operator].filter(Boolean).join(" · ")),
      fact(t("hardware.signal"), signalText(d)),
      fact(t("hardware.queue"), fmtNum(d.queue)),
      fact(t("hardware.sent"), fmtNum(d.sent)),
      fact(t("hardware.received"), fmtNum(d.received)),
      fact(t("hardware.avg_send"), d.avg_send_ms != null ? `${fmtNum(d.avg_send_ms)} ms` : null),
      d.voice ? fact(t("hardware.calls"), d.avg_call_ms != null ? `${fmtNum(d.calls)} · ${t("hardware.avg_call", { s: fmtNum(Math.round(d.avg_call_ms / 1000)) })}` : fmtNum(d.calls)) : null,
      fact(t("hardware.since"), fmtTime(d.since))),
    d.last_error ? el("p", { class: "error-text", test: "device-error" }, t("hardware.last_error", { at: fmtTime(d.last_error_at) }), " ", el("span", { text: d.last_error })) : null,
    form);
}

function handlingText(h) {
  if (!h) return "–";
  switch (h.kind) {
    case "response": return t("inbound.response", { choice: h.choice });
    case "note": return t("inbound.note");
    case "trigger": return t("inbound.trigger");
    case "timer": return t("inbound.timer", { action: h.action || "" });
    case "ignored": return t("inbound.ignored", { why: h.why || "" });
    case "pending": return t("inbound.pending");
    default: return h.kind;
  }
}

// Each backup target: current, failing (and since when), or not reached yet.
function backupsCard(backups) {
  const rows = (backups.targets || []).map((target) => {
    const state = target.failing_since ? "failing" : target.last_success_at ? "ok" : "waiting";
    return el("tr", { test: `backup-target-${target.name}`, "data-state": state },
      el("td", { text: target.name }),
      el("td", null, badge(t(`backup.${state}`), state === "ok" ? "b-ok" : state === "failing" ? "b-bad" : "b-muted")),
      el("td", { text: target.last_success_at ? fmtTime(target.last_success_at) : "–" }),
      el("td", { class: "wrap", text: target.failing_since ? `${t("backup.since", { at: fmtTime(target.failing_since) })} ${target.last_error || ""}` : "" }));
  });
  return el("section", { class: "card", test: "backups" },
    el("h2", { text: t("backup.title") }),
    el("p", { class: "hint", text: backups.newest ? t("backup.newest", { name: backups.newest, at: fmtTime(backups.newest_at) }) : t("backup.none") }),
    el("table", { class: "table" },
      el("thead", null, el("tr", null,
        el("th", { text: t("backup.target") }), el("th", { text: t("backup.state") }),
        el("th", { text: t("backup.last_success") }), el("th", { text: t("backup.problem") }))),
      el("tbody", null, rows)));
}

export async function renderHardware(page) {
  append(page, heading(t("hardware.title")));
  const healthBox = el("div", { class: "health-row", "aria-live": "polite" });
  const devicesBox = el("div", { class: "device-grid" });
  const backupsBox = el("div");
  const auto = checkbox(t("hardware.auto"), { test: "hardware-auto" });
  let timer = null;
  const load = async () => {
    const [hw, ready] = await Promise.all([api("GET", "/api/v1/devices/hardware"), settle(fetch("/readyz", { cache: "no-store" }).then((r) => r.json()))]);
    if (!page.isConnected) return;
    const sms = hw.sms;
    const health = ready.ok ? ready.value : null;
    const statusKey = health ? health.status.replace(/\s+/g, "_") : "unknown";
    replace(healthBox,
      el("div", { class: `stat-card health-${statusKey}`, test: "health-status" },
        el("span", { class: "stat-label", text: t("hardware.health") }),
        el("span", { class: "stat-value", text: t(`health.${statusKey}`) }),
        health && health.checks ? el("span", { class: "hint", text: `${t("hardware.store")}: ${health.checks.store === "ok" ? t("common.ok") : health.checks.store}` }) : null),
      el("div", { class: "stat-card", test: "sms-queue" },
        el("span", { class: "stat-label", text: t("hardware.sms_queue") }),
        el("span", { class: "stat-value", text: sms ? fmtNum(sms.queued) : "–" })),
      el("div", { class: "stat-card", test: "sms-capacity" },
        el("span", { class: "stat-label", text: t("hardware.capacity") }),
        el("span", { class: "stat-value", text: sms ? t("hardware.per_minute", { n: fmtNum(sms.capacity_per_minute) }) : t("hardware.no_modems") })),
      el("div", { class: "stat-card", test: "sms-empty" },
        el("span", { class: "stat-label", text: t("hardware.to_empty") }),
        el("span", { class: "stat-value", text: !sms ? "–" : sms.estimated_seconds_to_empty == null ? t("send.no_modem") : fmtDuration(sms.estimated_seconds_to_empty) })),
      hw.voice ? el("div", { class: "stat-card", test: "voice-capacity" },
        el("span", { class: "stat-label", text: t("hardware.calls") }),
        el("span", { class: "stat-value", text: hw.voice.calls_per_hour == null ? t("send.voice_unmeasured") : t("hardware.per_hour", { n: fmtNum(hw.voice.calls_per_hour) }) }),
        el("span", { class: "hint", text: tn("hardware.calls_waiting", hw.voice.queued) })) : null,
      hw.outbox ? el("div", { class: "stat-card", test: "outbox" },
        el("span", { class: "stat-label", text: t("hardware.outbox") }),
        el("span", { class: "stat-value", text: fmtNum(Object.values(hw.outbox).reduce((a, b) => a + b, 0)) }),
        el("span", { class: "hint", text: Object.entries(hw.outbox).map(([c, n]) => `${c} ${fmtNum(n)}`).join(" · ") })) : null,
      hw.storage_bytes != null ? el("div", { class: "stat-card", test: "storage" },
        el("span", { class: "stat-label", text: t("hardware.storage") }),
        el("span", { class: "stat-value", text: `${(hw.storage_bytes / 1048576).toFixed(1)} MiB` })) : null);
    const devices = hw.devices || [];
    replace(devicesBox, devices.length ? devices.map(deviceCard) : el("p", { class: "muted", text: t("hardware.none") }));
    replace(backupsBox, hw.backups ? backupsCard(hw.backups) : null);
  };
  const refresh = () => load().catch(report);
  auto.input.addEventListener("change", () => {
    clearInterval(timer);
    timer = auto.input.checked ? setInterval(refresh, 30000) : null;
  });
  onCleanup(() => clearInterval(timer));
  append(page,
    el("div", { class: "actions" }, button(t("common.refresh"), { test: "hardware-refresh", onclick: refresh }), auto),
    healthBox, devicesBox, backupsBox);
  await load();
  if (can("send_alerts")) append(page, await inboundCard("/api/v1/inbound", t("inbound.title")));
  if (can("operate_appliance")) append(page, await inboundCard("/api/v1/system/inbound", t("appliance.unassigned")));
}

async function inboundCard(path, title) {
  const channel = select([["", t("common.any")], ...CHANNELS.map((c) => [c, t(`ch.${c}`)])], "", { test: "inbound-channel" });
  const from = el("input", { type: "text", test: "inbound-from" });
  const tbody = el("tbody");
  const load = async () => {
    const q = new URLSearchParams({ limit: "200" });
    if (channel.value) q.set("channel", channel.value);
    if (from.value.trim()) q.set("from", from.value.trim());
    const data = await api("GET", `${path}?${q}`);
    const messages = data.messages || [];
    replace(tbody, messages.length ? messages.map((m) => el("tr", { class: m.incomplete ? "row-muted" : null },
      el("td", { text: fmtTime(m.received_at) }),
      el("td", { text: t(`ch.${m.channel}`) }),
      el("td", { text: m.from }),
      el("td", { text: m.to || "–" }),
      el("td", { class: "wrap", text: m.text }),
      el("td", null, handlingText(m.handling),
        m.handling && m.handling.alert ? [" ", el("a", { href: `#/alerts/${m.handling.alert}`, text: t("inbound.open") })] : null,
        m.incomplete ? el("div", { class: "hint", text: t("inbound.incomplete") }) : null))) : emptyRow(6, t("inbound.none")));
  };
  const form = el("form", { class: "filters", novalidate: true },
    field(t("inbound.channel"), channel), field(t("inbound.from"), from),
    el("div", { class: "field field-button" }, button(t("common.search"), { type: "submit", test: "inbound-search" })));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load().catch(report);
  });
  await load().catch(report);
  return card(title, form, el("div", { class: "table-wrap" }, el("table", { class: "table", test: "inbound-table" },
    el("caption", { class: "sr-only", text: title }),
    el("thead", null, el("tr", null, [t("inbound.time"), t("inbound.channel"), t("inbound.from"), t("inbound.to"), t("inbound.text"), t("inbound.handling")].map((h) => el("th", { scope: "col", text: h })))),
    tbody)));
}

import { areaText, seenWithin } from "/console/areas.js";
import { CHANNELS, S, SEVERITIES } from "/console/state.js";
import { el } from "/ui/lib/dom.js";
import { fmtDuration, fmtNum, t, tn } from "/ui/lib/i18n.js";
import { seal } from "/ui/lib/seal.js";

// ---------------------------------------------------------------------------
// Alert drafts: what the send page and the template editor edit
// ---------------------------------------------------------------------------

export function newKey() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function newDraft() {
  return {
    title: "", body: "", severity: "critical", channels: ["app", "sms"],
    users: [], groups: [], roles: [], phones: [], emails: [], tetra_issi: [], tetra_gssi: [],
    responses: [t("send.default_yes"), t("send.default_no")], allow_eta: true, allow_text: false,
    next_channel_after: "", min_coming: "", coming_within: "", then_groups: [], max_rounds: "",
    callout: false, callout_severity: "", tetra_status: "",
    seal_password: "", lat: "", lon: "", place: "",
    area: null, seen_within: "", follow: false,
    key: newKey(),
  };
}

export function draftFromAlert(alert) {
  const d = newDraft();
  const r = alert.recipients || {};
  const e = alert.escalation || {};
  Object.assign(d, {
    title: alert.title || "",
    body: alert.body || "",
    severity: SEVERITIES.includes(alert.severity) ? alert.severity : "critical",
    channels: CHANNELS.filter((c) => (alert.channels || []).includes(c)),
    users: [...(r.users || [])], groups: [...(r.groups || [])], roles: [...(r.roles || [])],
    phones: [...(r.phones || [])], emails: [...(r.emails || [])],
    tetra_issi: [...(r.tetra_issi || [])], tetra_gssi: [...(r.tetra_gssi || [])],
    responses: alert.responses && alert.responses.length ? [...alert.responses] : d.responses,
    allow_eta: !!alert.allow_eta,
    allow_text: !!alert.allow_text,
    next_channel_after: e.next_channel_after_seconds != null ? String(e.next_channel_after_seconds) : "",
    min_coming: e.min_coming != null ? String(e.min_coming) : "",
    coming_within: e.coming_within_seconds != null ? String(e.coming_within_seconds) : "",
    then_groups: [...(e.then_groups || [])],
    max_rounds: e.max_rounds != null ? String(e.max_rounds) : "",
    callout: !!alert.tetra_callout,
    callout_severity: alert.tetra_callout && alert.tetra_callout.severity != null ? String(alert.tetra_callout.severity) : "",
    tetra_status: alert.tetra_status || "",
    lat: alert.location ? String(alert.location.lat) : "",
    lon: alert.location ? String(alert.location.lon) : "",
    place: alert.location ? alert.location.label || "" : "",
    area: r.area ? JSON.parse(JSON.stringify(r.area)) : null,
    seen_within: r.seen_within_minutes != null ? String(r.seen_within_minutes) : "",
    follow: !!r.follow,
  });
  return d;
}

function numberOrNull(text) {
  const s = String(text || "").trim();
  if (!s) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : s;
}

/** The AlertRequest body of POST /api/v1/alerts. */
export function requestFromDraft(d) {
  const request = {
    title: d.title.trim(),
    body: d.body.trim(),
    severity: d.severity,
    channels: CHANNELS.filter((c) => d.channels.includes(c)),
    recipients: {
      users: d.users, groups: d.groups, roles: d.roles, phones: d.phones, emails: d.emails,
      tetra_issi: d.tetra_issi, tetra_gssi: d.tetra_gssi,
    },
    responses: d.responses.map((r) => r.trim()).filter(Boolean),
    allow_eta: d.allow_eta,
    allow_text: d.allow_text,
  };
  const escalation = {
    next_channel_after_seconds: numberOrNull(d.next_channel_after),
    min_coming: numberOrNull(d.min_coming),
    coming_within_seconds: numberOrNull(d.coming_within),
    then_groups: d.then_groups,
    max_rounds: numberOrNull(d.max_rounds),
  };
  if (d.area) {
    request.recipients.area = d.area;
    request.recipients.seen_within_minutes = seenWithin(d.seen_within);
    if (d.follow) request.recipients.follow = true;
  }
  const anyEscalation = Object.entries(escalation).some(([k, v]) => (k === "then_groups" ? v.length > 0 : v !== null));
  if (anyEscalation) request.escalation = escalation;
  if (request.channels.includes("tetra")) {
    if (d.callout) request.tetra_callout = { severity: numberOrNull(d.callout_severity) };
    else if (d.tetra_status.trim()) request.tetra_status = d.tetra_status.trim();
  }
  if (String(d.lat).trim() || String(d.lon).trim()) {
    request.location = { lat: numberOrNull(d.lat), lon: numberOrNull(d.lon), label: d.place.trim() };
  }
  return request;
}

/** The request with its text sealed under the draft's password, when it has one. */
export async function sealedRequest(d) {
  const request = requestFromDraft(d);
  if (d.seal_password) {
    request.sealed = await seal(request.body, d.seal_password, { org: S.me.org.id, title: request.title });
    request.body = "";
  }
  return request;
}

export function recipientCount(d) {
  return d.users.length + d.groups.length + d.roles.length + d.phones.length + d.emails.length + d.tetra_issi.length + d.tetra_gssi.length + (d.area ? 1 : 0);
}

function reachableOn(user, channel) {
  switch (channel) {
    case "app": return !!user.can_log_in;
    case "sms":
    case "voice": return (user.phones || []).length > 0;
    case "email": return !!user.email;
    case "tetra": return user.tetra_issi !== null && user.tetra_issi !== undefined;
    default: return false;
  }
}

/** The server's rule: the user's preferred channels among the alert's, else the alert's; only those with an address. */
function userChannels(user, alertChannels) {
  const preferred = (user.channels || []).filter((c) => alertChannels.includes(c));
  const order = preferred.length ? preferred : alertChannels;
  return order.filter((c) => reachableOn(user, c));
}

/** People and deliveries as far as the browser can tell; the 202 answer gives the exact numbers. */
function estimate(d, dir) {
  const channels = CHANNELS.filter((c) => d.channels.includes(c));
  const firstOnly = Number(d.next_channel_after) > 0;
  const people = [];
  const seen = new Set();
  let uncertain = !dir.loaded && (d.users.length || d.groups.length || d.roles.length) > 0;
  const addUser = (user) => {
    if (!user || seen.has(user.id)) return;
    seen.add(user.id);
    people.push(userChannels(user, channels));
  };
  for (const ref of d.users) {
    const user = dir.user(ref);
    if (user) addUser(user);
    else uncertain = true;
  }
  for (const ref of d.groups) {
    const group = dir.group(ref);
    if (!group) {
      uncertain = true;
      continue;
    }
    for (const member of group.members || []) addUser(dir.byId.get(member));
  }
  for (const role of d.roles) for (const user of dir.users.filter((u) => (u.roles || []).includes(role))) addUser(user);
  const knownPhones = new Set();
  const knownEmails = new Set();
  const knownIssi = new Set();
  for (const id of seen) {
    const u = dir.byId.get(id);
    if (u.phones && u.phones[0]) knownPhones.add(u.phones[0]);
    if (u.email) knownEmails.add(u.email);
    if (u.tetra_issi != null) knownIssi.add(u.tetra_issi);
  }
  const adHoc = (values, known, kinds) => {
    for (const v of new Set(values)) if (!known.has(v)) people.push(channels.filter((c) => kinds.includes(c)));
  };
  adHoc(d.phones, knownPhones, ["sms", "voice"]);
  adHoc(d.emails, knownEmails, ["email"]);
  adHoc(d.tetra_issi, knownIssi, ["tetra"]);
  adHoc(d.tetra_gssi, new Set(), ["tetra"]);
  const deliveries = {};
  let unreachable = 0;
  for (const list of people) {
    const used = firstOnly ? list.slice(0, 1) : list;
    if (!used.length) unreachable += 1;
    for (const c of used) deliveries[c] = (deliveries[c] || 0) + 1;
  }
  return { people: people.length, deliveries, unreachable, uncertain, firstOnly };
}

function smsEstimateText(est, sms) {
  const count = est.deliveries.sms || 0;
  if (!count) return t("send.sms_none");
  if (!sms.known) return t("send.sms_unknown");
  if (!sms.capacity) return t("send.no_modem");
  return t("send.sms_eta", { time: fmtDuration((count / sms.capacity) * 60) });
}

/** When the last call is placed, from the measured average call. */
function voiceEstimateText(est, devices) {
  const count = est.deliveries.voice || 0;
  if (!devices.known) return t("send.sms_unknown");
  if (!devices.voice) return t("send.no_voice_modem");
  if (!devices.voice.perHour) return t("send.voice_unmeasured");
  return t("send.sms_eta", { time: fmtDuration(((count + devices.voice.queued) / devices.voice.perHour) * 3600) });
}

/** The numbers shown beside the form and again before sending. */
/** Members inside the draft's area as the server counted them: a line, or nothing without an area. */
function areaLine(d, inside) {
  if (!d.area) return null;
  const known = inside && inside.value !== null && inside.value !== undefined;
  const failed = inside && inside.error;
  return el("div", { class: "summary-area" },
    el("h3", { text: t("area.title") }),
    el("p", { class: "hint", text: areaText(d.area) }),
    el("p", { test: "summary-area", "data-count": known ? String(inside.value) : null, class: failed ? "warn-text" : null,
      text: known ? tn("area.inside", inside.value) : failed ? t("area.count_failed") : t("map.counting") }),
    el("p", { class: "hint", text: tn("area.seen_within_text", seenWithin(d.seen_within)) }),
    d.follow ? el("p", { class: "hint", test: "summary-follow", text: t("area.follow_text") }) : null,
    el("p", { class: "hint", text: t("area.deliveries_hint") }));
}

/** `inside`: {value, error} from the area count, when the draft has an area. */
export function summaryBlock(d, dir, sms, inside) {
  const est = estimate(d, dir);
  if (d.area) {
    if (inside && Number.isInteger(inside.value)) est.people += inside.value;
    // Someone inside may be in a chosen group too, and the count has no addresses.
    if (recipientCount(d) > 1 || !inside || !Number.isInteger(inside.value)) est.uncertain = true;
  }
  const rows = CHANNELS.filter((c) => est.deliveries[c]).map((c) =>
    el("li", { "data-channel": c }, el("span", { text: t(`ch.${c}`) }), el("strong", { text: fmtNum(est.deliveries[c]) })));
  return el("div", { class: "summary-block" },
    el("div", { class: "big-stat" },
      el("span", { class: "big-number", test: "summary-people", text: fmtNum(est.people) }),
      el("span", { class: "big-label", text: t("send.people_estimate") })),
    est.uncertain ? el("p", { class: "hint", text: t("send.estimate_uncertain") }) : null,
    areaLine(d, inside),
    el("h3", { text: est.firstOnly ? t("send.deliveries_first") : t("send.deliveries") }),
    rows.length ? el("ul", { class: "kv-list", test: "summary-deliveries" }, rows) : el("p", { class: "muted", text: "–" }),
    est.unreachable ? el("p", { class: "warn-text", test: "summary-unreachable", text: tn("send.unreachable", est.unreachable) }) : null,
    el("h3", { text: t("send.sms_time") }),
    el("p", { class: sms.known && !sms.capacity && est.deliveries.sms ? "warn-text" : "", test: "summary-sms", text: smsEstimateText(est, sms) }),
    sms.known && sms.queued ? el("p", { class: "hint", text: tn("send.sms_queued", sms.queued) }) : null,
    est.deliveries.voice ? el("h3", { text: t("send.voice_time") }) : null,
    est.deliveries.voice ? el("p", { class: sms.known && !sms.voice ? "warn-text" : "", test: "summary-voice", text: voiceEstimateText(est, sms) }) : null);
}

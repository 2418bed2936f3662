import { api } from "/console/api.js";
import { S, can } from "/console/state.js";
import { settle } from "/ui/lib/api.js";
import { badge, el } from "/ui/lib/dom.js";
import { LOCALES, fmtNum, fmtTime, hasKey, t, tn } from "/ui/lib/i18n.js";

// ---------------------------------------------------------------------------
// Recipients and deliveries as shown in the live view, print view and CSV
// ---------------------------------------------------------------------------

/** The alert's sender: a name in summaries, an actor object in the full view. */
export function actorName(actor) {
  if (!actor) return "–";
  return typeof actor === "object" ? actor.name || "–" : String(actor);
}

export function normaliseRecipient(r) {
  return {
    id: r.id,
    name: r.name,
    via: r.via,
    user_id: r.user_id || null,
    response: r.response || null,
    deliveries: (r.deliveries || []).map((x) => ({
      channel: x.channel, state: x.state, attempts: x.attempts || 0, last_error: x.last_error || null,
      read: x.read === true || !!x.read_at, read_at: x.read_at || null,
    })),
  };
}

export function viaText(via) {
  if (!via) return "–";
  const [kind, rest] = String(via).split(/:(.*)/s);
  if (kind === "group") return t("via.group", { name: rest });
  if (kind === "role") return t("via.role", { name: rest });
  const key = `via.${kind}`;
  return hasKey(key) ? t(key) : via;
}

export function answerKind(alert, response) {
  if (!response) return "none";
  const first = alert && alert.responses && alert.responses[0];
  return response.choice === first ? "coming" : "not_coming";
}

export function etaText(response) {
  if (!response || response.eta_minutes === null || response.eta_minutes === undefined) return "";
  const base = new Date(response.at || response.first_at || Date.now());
  const at = new Date(base.getTime() + response.eta_minutes * 60000);
  const clock = new Intl.DateTimeFormat(LOCALES[S.lang], { hour: "2-digit", minute: "2-digit" }).format(at);
  return t("live.eta_value", { m: response.eta_minutes, at: clock });
}

export function deliveryBadge(x) {
  const text = `${t(`ch.${x.channel}`)} · ${t(`ds.${x.state}`)}`;
  return el("span", {
    class: `badge ds ds-${x.state}`,
    "data-state": x.state,
    "data-channel": x.channel,
    "data-read": x.read ? "true" : null,
    title: x.last_error || (x.attempts > 1 ? tn("live.attempts", x.attempts) : null),
  }, text,
  x.read ? el("span", { class: "read-mark", "data-test": "read", text: ` ✓ ${t("ds.read")}` }) : null,
  x.last_error ? el("span", { class: "sr-only", text: ` (${x.last_error})` }) : null);
}

export function timelineText(event) {
  const x = event.detail || {};
  switch (event.kind) {
    case "created":
      if (x.follow_up_of) return t("tl.created_follow_up", { by: x.by || "?", n: fmtNum(x.recipients || 0) });
      return t("tl.created", {
        by: x.by || "?", n: fmtNum(x.recipients || 0),
        deliveries: Object.entries(x.deliveries || {}).map(([c, n]) => `${t(`ch.${c}`)} ${fmtNum(n)}`).join(", ") || "–",
      });
    case "escalation":
      if (x.step === "next_channel") return t("tl.next_channel", { name: x.name || "?", channel: t(`ch.${x.channel}`) });
      return t("tl.more_groups", { round: x.round, coming: x.coming, wanted: x.wanted, added: x.added });
    case "response":
      return [t("tl.response", { name: x.name || "?", choice: x.choice, channel: x.channel ? t(`ch.${x.channel}`) : "" }),
        x.eta_minutes != null ? t("tl.eta", { m: x.eta_minutes }) : "", x.text ? `“${x.text}”` : ""].filter(Boolean).join(" · ");
    case "note":
      return t("tl.note", { from: x.from || "?", channel: x.channel ? t(`ch.${x.channel}`) : "", text: x.text || "" });
    case "cancelled":
      return x.all_clear ? t("tl.cancelled_all_clear", { by: x.by || "?" }) : t("tl.cancelled", { by: x.by || "?" });
    case "updated":
      return t("tl.updated", { by: x.by || "?", title: x.title || "" });
    case "trigger_merged":
      return t("tl.merged", { by: x.by || "?", template: x.template || "" });
    case "tetra_group_sent":
      return t("tl.group_sent", { gssi: x.gssi, radio: x.radio || "?" });
    default:
      return `${event.kind}: ${Object.entries(x).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ")}`;
  }
}

export function timelineList(events) {
  if (!events.length) return el("p", { class: "muted", text: t("live.timeline_empty") });
  return el("ol", { class: "timeline", test: "timeline" }, events.map((e) => el("li", { "data-kind": e.kind },
    el("time", { datetime: e.at, text: fmtTime(e.at) }),
    el("span", { class: `tl-kind tl-${e.kind}`, text: t(`tlk.${e.kind}`) === `tlk.${e.kind}` ? e.kind : t(`tlk.${e.kind}`) }),
    el("span", { class: "tl-text", text: timelineText(e) }))));
}

export async function loadUsernames() {
  const map = new Map();
  if (!can("read_directory")) return map;
  const r = await settle(api("GET", "/api/v1/users"));
  if (r.ok) for (const u of r.value.users) map.set(u.id, u.username);
  return map;
}

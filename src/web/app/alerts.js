import { refreshLocation } from "/app/location.js";
import { route } from "/app/router.js";
import { failed } from "/app/session.js";
import { S } from "/app/state.js";
import { api, h, t, toast } from "/app/util.js";
import { notify, renderCritical, showCritical, stopSiren } from "/app/views/critical.js";
import { renderHome } from "/app/views/home.js";
import { open as openSealed } from "/ui/lib/seal.js";

// ---------------------------------------------------------------------------
// Alerts
// ---------------------------------------------------------------------------

export async function loadAlerts() {
  try {
    const data = await api("GET", "/api/v1/me/alerts");
    // The newest delivery of each alert stands for it.
    for (const item of data.alerts.slice().reverse()) receive(item, false);
    for (const item of data.alerts) if (!S.lastEventId || item.alert.id > S.lastEventId) S.lastEventId = item.alert.id;
    refresh();
  } catch (err) {
    await failed(err);
  }
}

export async function loadButtons() {
  try {
    S.buttons = (await api("GET", "/api/v1/me/buttons")).buttons;
  } catch (err) {
    S.buttons = [];
    await failed(err);
  }
}

/** One alert from the list or the live stream. */
export function receive(item, live) {
  const id = item.alert.id;
  const known = S.alerts.get(id);
  S.alerts.set(id, Object.assign({}, known || {}, item));
  const fresh = live && !known && !item.read && item.alert.state === "active";
  // Updates and all-clears follow an alert the member was already woken for.
  if (fresh && item.alert.severity === "critical" && !item.alert.follows) showCritical(id);
  else if (fresh) {
    toast(item.alert.title);
    notify(item.alert);
  }
  const closed = known && known.alert.state === "active" && item.alert.state !== "active";
  if (closed && S.critical === id) {
    stopSiren();
    if (!typing()) renderCritical();
  }
  if (live) refresh(id);
}

/** Whether the member is typing (an ETA, a message, a password): redraw nothing then. */
function typing() {
  const el = document.activeElement;
  return Boolean(el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT"));
}

/** Redraws the page if it shows the changed alert (any alert when `id` is not given). */
function refresh(id) {
  if (!S.me || typing()) return;
  const hash = location.hash;
  if (hash === "" || hash === "#") renderHome();
  else if (hash.startsWith("#alert=") && (id === undefined || hash === `#alert=${id}`)) route();
}

export function sortedAlerts() {
  return Array.from(S.alerts.values()).sort((a, b) => (a.alert.created_at < b.alert.created_at ? 1 : -1));
}

export async function markRead(id) {
  const item = S.alerts.get(id);
  if (!item || item.read) return;
  item.read = true;
  try {
    await api("POST", `/api/v1/me/alerts/${encodeURIComponent(id)}/read`);
  } catch (err) {
    await failed(err);
  }
}

async function answer(id, choice, extra) {
  const body = Object.assign({ choice }, extra || {});
  try {
    const done = await api("POST", `/api/v1/alerts/${encodeURIComponent(id)}/response`, body);
    const item = S.alerts.get(id);
    if (item) item.response = done.response;
    toast(t("member.answer.saved", { choice }));
    // Under the "while answering alerts" policy, an answer may start sharing.
    refreshLocation();
    return true;
  } catch (err) {
    await failed(err);
    return false;
  }
}

export function severityBadge(alert) {
  return h("span", { class: `badge ${alert.severity}` }, t(`member.severity.${alert.severity}`));
}

/** Where a sealed body is shown: a password box until it is opened. */
export function bodyOf(alert, onOpened) {
  if (!alert.sealed) return alert.body ? h("p", { class: "body", test: "alert-body" }, alert.body) : null;
  const plain = S.opened.get(alert.id);
  if (plain !== undefined) return h("p", { class: "body", test: "alert-body" }, plain);
  const password = h("input", { type: "password", autocomplete: "off", test: "sealed-password", "aria-label": t("member.sealed.password") });
  const wrong = h("p", { class: "field-error", test: "sealed-error", role: "alert", hidden: true }, t("member.sealed.wrong"));
  const button = h("button", { class: "btn", type: "submit", test: "sealed-open" }, t("member.sealed.open"));
  return h(
    "form",
    {
      class: "sealed",
      test: "sealed",
      onsubmit: async (e) => {
        e.preventDefault();
        button.disabled = true;
        try {
          S.opened.set(alert.id, await openSealed(alert.sealed, password.value, { org: S.me.org.id, title: alert.title }));
          onOpened();
        } catch (_) {
          wrong.hidden = false;
          button.disabled = false;
        }
      },
    },
    h("strong", {}, t("member.sealed.title")),
    h("p", { class: "meta" }, t("member.sealed.hint")),
    h("div", { class: "row" }, h("label", { class: "field" }, h("span", {}, t("member.sealed.password")), password), button),
    wrong,
  );
}

export function locationOf(alert) {
  const l = alert.location;
  if (!l) return null;
  const point = `${Number(l.lat).toFixed(6)},${Number(l.lon).toFixed(6)}`;
  const label = l.label || point;
  return h(
    "div",
    { class: "links", test: "location" },
    h("div", { class: "meta" }, label),
    h("a", { href: `geo:${point}?q=${point}(${encodeURIComponent(label)})`, test: "navigate" }, t("member.location.navigate")),
    h("a", { href: `https://www.openstreetmap.org/?mlat=${l.lat}&mlon=${l.lon}#map=17/${l.lat}/${l.lon}`, target: "_blank", rel: "noopener noreferrer" }, t("member.location.map")),
  );
}

/** The answer buttons, ETA and message fields of one alert. */
export function answersOf(item, after) {
  const alert = item.alert;
  if (alert.state !== "active") return item.response ? h("p", { class: "meta" }, t("member.answer.yours", { choice: item.response.choice })) : null;
  const eta = alert.allow_eta ? h("input", { type: "number", min: "0", max: "1440", inputmode: "numeric", test: "answer-eta" }) : null;
  const buttons = alert.responses.map((choice, i) =>
    h(
      "button",
      {
        class: `btn ${i === 0 ? "answer-yes" : i === 1 ? "answer-no" : ""} ${item.response && item.response.choice === choice ? "chosen" : ""}`,
        type: "button",
        test: `answer-${i}`,
        onclick: async () => {
          const extra = {};
          if (eta && eta.value !== "" && i === 0) extra.eta_minutes = Number(eta.value);
          if (await answer(alert.id, choice, extra)) after();
        },
      },
      choice,
    ),
  );
  const text = alert.allow_text ? h("input", { maxlength: "500", test: "answer-text" }) : null;
  return h(
    "div",
    {},
    item.response ? h("p", { class: "meta", test: "my-answer" }, t("member.answer.yours", { choice: item.response.choice })) : null,
    eta ? h("label", { class: "field" }, h("span", {}, t("member.answer.eta")), eta) : null,
    h("div", { class: buttons.length === 2 ? "answers two" : "answers" }, buttons),
    text
      ? h(
          "form",
          {
            class: "row",
            onsubmit: async (e) => {
              e.preventDefault();
              const choice = (item.response && item.response.choice) || alert.responses[0];
              if (text.value.trim() && (await answer(alert.id, choice, { text: text.value.trim() }))) after();
            },
          },
          h("label", { class: "field" }, h("span", {}, t("member.answer.text")), text),
          h("button", { class: "btn secondary", type: "submit" }, t("member.answer.send_text")),
        )
      : null,
  );
}

import { severityBadge, sortedAlerts } from "/app/alerts.js";
import { adoptTimer, left } from "/app/checkin.js";
import { failed } from "/app/session.js";
import { S } from "/app/state.js";
import { api, h, t, toast, when } from "/app/util.js";
import { bar } from "/app/views/login.js";
import { duration } from "/app/views/timer.js";

function homeBar() {
  return bar(h("button", { type: "button", test: "open-settings", onclick: () => (location.hash = "#settings") }, t("settings.title")));
}

export function renderHome() {
  const buttons = S.buttons.length
    ? [
        h("h2", {}, t("member.buttons.title")),
        h(
          "div",
          { class: "buttons" },
          S.buttons.map((b) =>
            h("button", { class: `alarm-button ${b.check_in_minutes ? "timer-button" : b.severity || "critical"}`, type: "button", test: `button-${b.template}`, onclick: () => confirmButton(b) }, b.button),
          ),
        ),
      ]
    : [];
  const timer = S.checkin.timer;
  const timerCard = h(
    "button",
    { class: `card timer-link ${timer ? timer.state : ""}`, type: "button", test: "open-timer", onclick: () => (location.hash = "#timer") },
    h("strong", {}, t("member.timer.title")),
    h(
      "span",
      { class: "meta", test: "timer-summary" },
      !timer ? t("member.timer.offer") : timer.state === "alarmed" ? t("member.timer.chip_alarmed") : [t("member.timer.left"), " ", h("span", { "data-countdown": "" }, left(timer))],
    ),
  );
  const items = sortedAlerts();
  const list = items.length
    ? items.map((item) =>
        h(
          "button",
          {
            class: `card alert-item ${item.alert.severity} ${item.read ? "" : "unread"}`,
            type: "button",
            test: "alert-item",
            onclick: () => (location.hash = `#alert=${item.alert.id}`),
          },
          h("div", {}, severityBadge(item.alert), item.alert.state !== "active" ? h("span", { class: "badge closed" }, t("member.state.cancelled")) : null, item.response ? h("span", { class: "badge answered" }, item.response.choice) : null),
          h("div", { class: "title" }, item.alert.title),
          h("div", { class: "meta" }, `${item.alert.created_by} · ${when(item.alert.created_at)}`),
        ),
      )
    : [h("p", { class: "empty", test: "no-alerts" }, t("member.alerts.none"))];
  document.getElementById("app").replaceChildren(homeBar(), h("main", {}, buttons, timerCard, h("h2", {}, t("member.alerts.title")), h("div", { test: "alerts" }, list)));
}

function confirmButton(b) {
  const close = () => sheet.remove();
  // A button may start the presser's own check-in timer instead of an alert.
  const timer = Boolean(b.check_in_minutes);
  const send = h(
    "button",
    {
      class: "btn",
      type: "button",
      test: "button-send",
      onclick: async () => {
        send.disabled = true;
        try {
          const fired = await api("POST", `/api/v1/oneclick/${encodeURIComponent(b.template)}`);
          close();
          if (fired.timer) {
            adoptTimer(fired.timer, true);
            toast(t("member.buttons.timer_started", { duration: duration(fired.timer.minutes) }));
            location.hash = "#timer";
          } else toast(t("member.buttons.sent", { n: fired.recipients }));
        } catch (err) {
          close();
          await failed(err);
        }
      },
    },
    timer ? t("member.timer.start") : t("member.buttons.send"),
  );
  const sheet = h(
    "div",
    { class: "sheet-back", onclick: (e) => e.target === sheet && close() },
    h(
      "div",
      { class: "sheet", role: "dialog", "aria-modal": "true", test: "button-confirm" },
      h("h3", {}, timer ? t("member.buttons.confirm_timer", { button: b.button, duration: duration(b.check_in_minutes) }) : t("member.buttons.confirm", { button: b.button })),
      b.title && !timer ? h("p", { class: "meta" }, b.title) : null,
      h("div", { class: "answers" }, send, h("button", { class: "btn secondary", type: "button", onclick: close }, t("member.cancel"))),
    ),
  );
  document.body.append(sheet);
  send.focus();
}

import { answersOf, bodyOf, locationOf, markRead, severityBadge } from "/app/alerts.js";
import { S } from "/app/state.js";
import { h, t, when } from "/app/util.js";
import { bar } from "/app/views/login.js";

export function renderAlert(id) {
  const item = S.alerts.get(id);
  const back = h("button", { type: "button", test: "back", onclick: () => (location.hash = "") }, t("member.alerts.back"));
  if (!item) {
    document.getElementById("app").replaceChildren(bar(back), h("main", {}, h("p", { class: "empty" }, t("member.alerts.none"))));
    return;
  }
  const alert = item.alert;
  const again = () => renderAlert(id);
  document.getElementById("app").replaceChildren(
    bar(back),
    h(
      "main",
      {},
      h(
        "article",
        { class: `card alert-item ${alert.severity}`, test: "alert-detail" },
        h("div", {}, severityBadge(alert), alert.state !== "active" ? h("span", { class: "badge closed" }, t("member.state.cancelled")) : null),
        h("h2", { class: "title", test: "alert-title" }, alert.title),
        h("div", { class: "meta" }, `${alert.created_by} · ${when(alert.created_at)}`),
        bodyOf(alert, again),
        locationOf(alert),
        answersOf(item, again),
      ),
    ),
  );
  markRead(id);
}

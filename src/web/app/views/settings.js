import { endSession, failed } from "/app/session.js";
import { CHANNELS, KEYS, LANGS, S } from "/app/state.js";
import { api, h, store, t, toast } from "/app/util.js";
import { bar } from "/app/views/login.js";

export function renderSettings() {
  const me = S.me;
  const language = h("select", { test: "settings-language" }, Object.entries(LANGS).map(([code, name]) => h("option", { value: code, selected: code === S.lang }, name)));
  const chosen = new Set(me.user.channels && me.user.channels.length ? me.user.channels : ["app"]);
  const boxes = CHANNELS.map((c) => h("input", { type: "checkbox", value: c, checked: chosen.has(c), test: `channel-${c}` }));
  const save = h(
    "button",
    {
      class: "btn wide",
      type: "submit",
      test: "settings-save",
    },
    t("member.settings.save"),
  );
  const form = h(
    "form",
    {
      class: "card",
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          const channels = boxes.filter((b) => b.checked).map((b) => b.value);
          const saved = await api("PATCH", "/api/v1/me", { language: language.value, channels });
          me.user.language = saved.language;
          me.user.channels = saved.channels;
          S.lang = saved.language || S.lang;
          store(KEYS.lang, S.lang);
          document.documentElement.lang = S.lang;
          renderSettings();
          toast(t("member.settings.saved"));
        } catch (err) {
          await failed(err);
        }
      },
    },
    h("label", { class: "field" }, h("span", {}, t("member.settings.language")), language),
    h("fieldset", { class: "field checks" }, h("legend", {}, h("strong", {}, t("member.settings.channels"))), CHANNELS.map((c, i) => h("label", {}, boxes[i], t(`member.channel.${c}`)))),
    save,
  );
  const notifications =
    window.Notification && Notification.permission === "default"
      ? h("button", { class: "btn secondary wide", type: "button", onclick: () => Notification.requestPermission().then(renderSettings) }, t("member.settings.notifications"))
      : null;
  const logout = h(
    "button",
    {
      class: "btn secondary wide",
      type: "button",
      test: "logout",
      onclick: async () => {
        try {
          await api("DELETE", "/api/v1/session");
        } catch (_) {
          /* the session is gone either way */
        }
        endSession(null);
      },
    },
    t("member.settings.logout"),
  );
  const policy = me.location && me.location.policy;
  const policyText = { never: t("member.location.policy_never"), alerts: t("member.location.policy_alerts"), duty: t("member.location.policy_duty") }[policy];
  const whereabouts = policyText ? h("section", { class: "card", test: "location-policy" }, h("strong", {}, t("member.location.title")), h("p", {}, policyText)) : null;
  const back = h("button", { type: "button", test: "back", onclick: () => (location.hash = "") }, t("member.alerts.back"));
  document.getElementById("app").replaceChildren(
    bar(back),
    h("main", {}, h("h2", {}, t("settings.title")), h("p", { class: "meta" }, `${me.user.name} · ${me.org.name}`), form, whereabouts, notifications, h("p", {}), logout),
  );
}

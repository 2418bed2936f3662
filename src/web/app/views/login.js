import { loadAlerts, loadButtons, sortedAlerts } from "/app/alerts.js";
import { adoptTimer, timerChip } from "/app/checkin.js";
import { adoptLocation, locationPart } from "/app/location.js";
import { loadStill } from "/app/motion.js";
import { route } from "/app/router.js";
import { sessionProblem, startLive } from "/app/session.js";
import { KEYS, LANGS, S } from "/app/state.js";
import { api, h, store, stored, t } from "/app/util.js";
import { showCritical, unlockSound } from "/app/views/critical.js";
import { isLanguage } from "/ui/lib/i18n.js";

// ---------------------------------------------------------------------------
// Sign-in
// ---------------------------------------------------------------------------

export function bar(extra) {
  const signedIn = S.me && S.me.session && S.me.session.stage === "full";
  return h(
    "header",
    { class: "top" },
    h(
      "div",
      { class: "bar" },
      h("h1", {}, t("app.title")),
      S.me ? h("span", { class: S.live ? "live on" : "live off", test: "live", "aria-live": "polite" }, S.live ? t("member.live.on") : t("member.live.off")) : null,
      extra,
    ),
    // Whether the phone shares its position is never more than a glance away.
    signedIn ? h("div", { class: "strip", test: "strip" }, locationPart(), timerChip()) : null,
  );
}

export function renderLogin(state) {
  const st = state || {};
  const root = document.getElementById("app");
  const error = h("p", { class: "notice bad", test: "login-error", role: "alert", hidden: !st.error }, st.error || "");
  const org = h("input", { name: "org", autocomplete: "organization", required: true, value: stored(KEYS.org) || "" });
  const username = h("input", { name: "username", autocomplete: "username", autocapitalize: "none", required: true, value: st.username || "" });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const code = h("input", { name: "code", inputmode: "numeric", autocomplete: "one-time-code" });
  const codeField = h("label", { class: "field", hidden: !st.needCode }, h("span", {}, t("member.login.code")), code);
  const submit = h("button", { class: "btn wide", type: "submit", test: "login-submit" }, t("login.submit"));
  const form = h(
    "form",
    {
      class: "card",
      test: "login",
      onsubmit: async (event) => {
        event.preventDefault();
        unlockSound();
        submit.disabled = true;
        const body = { org: org.value.trim(), username: username.value.trim(), password: password.value, platform: "web-app", device_name: deviceName() };
        if (code.value.trim()) body.code = code.value.trim();
        const device = stored(KEYS.device);
        if (device) body.device_id = device;
        try {
          const done = await api("POST", "/api/v1/session", body);
          store(KEYS.org, body.org);
          store(KEYS.device, done.device.id);
          S.csrf = done.csrf_token;
          store(KEYS.csrf, S.csrf);
          S.notice = null;
          await begin();
        } catch (err) {
          submit.disabled = false;
          const p = err.problem || {};
          let message = err.message;
          const sms = /ending (\d+)/.exec(p.detail || "");
          if (p.code === "login_refused") message = t("member.login.refused");
          else if (p.code === "second_factor_required") message = sms ? t("member.login.sms_sent", { tail: sms[1] }) : t("member.login.code_needed");
          else if (p.code === "throttled") message = t("member.login.throttled", { seconds: err.retryAfter || 60 });
          if (p.code === "second_factor_required") {
            codeField.hidden = false;
            code.focus();
          }
          error.textContent = message;
          error.hidden = false;
        }
      },
    },
    h("h2", {}, t("member.login.title")),
    error,
    h("label", { class: "field" }, h("span", {}, t("login.org")), org),
    h("label", { class: "field" }, h("span", {}, t("login.username")), username),
    h("label", { class: "field" }, h("span", {}, t("login.password")), password),
    codeField,
    submit,
  );
  const notice = S.notice ? h("p", { class: S.notice.bad ? "notice bad" : "notice", test: "session-notice" }, S.notice.text) : null;
  root.replaceChildren(bar(languagePicker()), h("main", {}, notice, form));
}

function languagePicker() {
  return h(
    "select",
    {
      "aria-label": "Language",
      test: "lang-picker",
      class: "lang",
      onchange: (e) => {
        S.lang = e.target.value;
        store(KEYS.lang, S.lang);
        document.documentElement.lang = S.lang;
        renderLogin();
      },
    },
    Object.entries(LANGS).map(([code, name]) => h("option", { value: code, selected: code === S.lang }, name)),
  );
}

function deviceName() {
  const ua = navigator.userAgent;
  const kind = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : "Browser";
  return `Tocsin app (${kind})`;
}

/** After sign-in or on opening the app with a live session. */
export async function begin() {
  let me;
  try {
    me = await api("GET", "/api/v1/me");
  } catch (err) {
    if (err.status === 401) {
      if (err.problem.code === "device_wiped") return sessionProblem(err);
      return renderLogin();
    }
    return renderLogin({ error: err.message });
  }
  if (me.kind !== "user") return renderLogin();
  S.me = me;
  S.hadDevice = Boolean(stored(KEYS.device));
  if (me.csrf_token) {
    S.csrf = me.csrf_token;
    store(KEYS.csrf, S.csrf);
  }
  if (me.user.language && isLanguage(me.user.language)) S.lang = me.user.language;
  document.documentElement.lang = S.lang;
  store(KEYS.lang, S.lang);
  if (me.session.stage === "must_change_password") return renderPasswordChange();
  if (me.session.stage === "must_enroll_second_factor") return renderEnrolNeeded();
  await Promise.all([loadAlerts(), loadButtons()]);
  startLive();
  adoptLocation(me);
  adoptTimer(me.timer);
  loadStill();
  route();
  // A critical alert that came while the app was closed is still unmissable.
  const pending = sortedAlerts().find((i) => i.alert.severity === "critical" && !i.alert.follows && i.alert.state === "active" && !i.read && !i.response);
  if (pending) showCritical(pending.alert.id);
}

function renderPasswordChange() {
  const current = h("input", { type: "password", autocomplete: "current-password", required: true });
  const next = h("input", { type: "password", autocomplete: "new-password", required: true });
  const error = h("p", { class: "notice bad", hidden: true, role: "alert" });
  const form = h(
    "form",
    {
      class: "card",
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          await api("POST", "/api/v1/me/password", { current_password: current.value, new_password: next.value });
          await begin();
        } catch (err) {
          if (await sessionProblem(err)) return;
          error.textContent = err.message;
          error.hidden = false;
        }
      },
    },
    h("h2", {}, t("member.password.title")),
    error,
    h("label", { class: "field" }, h("span", {}, t("password.current")), current),
    h("label", { class: "field" }, h("span", {}, t("password.new")), next),
    h("button", { class: "btn wide", type: "submit" }, t("member.password.submit")),
  );
  document.getElementById("app").replaceChildren(bar(), h("main", {}, form));
}

function renderEnrolNeeded() {
  document.getElementById("app").replaceChildren(
    bar(),
    h("main", {}, h("p", { class: "notice" }, t("member.login.enrol")), h("a", { class: "btn wide", href: "/console/" }, t("member.login.open_console"))),
  );
}

import { api } from "/console/api.js";
import { qrSvg } from "/console/qr.js";
import { defaultHash, navigate } from "/console/router.js";
import { setSession } from "/console/session.js";
import { S } from "/console/state.js";
import { enc } from "/ui/lib/api.js";
import { clearErrors, showFieldError } from "/ui/lib/dialog.js";
import { append, badge, button, card, el, field, heading, replace, setBusy, table, uid } from "/ui/lib/dom.js";
import { fmtTime, t } from "/ui/lib/i18n.js";
import { errorText, report, toast } from "/ui/lib/toast.js";

// ---------------------------------------------------------------------------
// Login and the stages before a full session
// ---------------------------------------------------------------------------

/** "Console · Firefox on Windows": how this browser shows in the device list. */
function browserName() {
  const ua = navigator.userAgent || "";
  const browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox" : /Chrom(e|ium)\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : "Browser";
  const os = /Windows/.test(ua) ? "Windows" : /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Mac OS X/.test(ua) ? "macOS" : /Linux/.test(ua) ? "Linux" : "";
  return `Console · ${browser}${os ? ` / ${os}` : ""}`;
}

export function renderLogin(page) {
  const org = el("input", { type: "text", name: "org", autocomplete: "organization", test: "login-org", required: true, autocapitalize: "none", spellcheck: "false" });
  const username = el("input", { type: "text", name: "username", autocomplete: "username", test: "login-username", required: true, autocapitalize: "none", spellcheck: "false" });
  const password = el("input", { type: "password", name: "password", autocomplete: "current-password", test: "login-password", required: true });
  const code = el("input", { type: "text", name: "code", autocomplete: "one-time-code", inputmode: "numeric", test: "login-code" });
  const codeHint = el("p", { class: "hint", id: uid("hint") });
  const codeField = field(t("login.code"), code, { name: "code" });
  codeField.insertBefore(codeHint, codeField.querySelector(".field-error"));
  code.setAttribute("aria-describedby", `${codeHint.id} ${code.getAttribute("aria-describedby")}`);
  codeField.hidden = true;
  const message = el("div", { class: "login-message", role: "alert", test: "login-error" });
  const submit = button(t("login.submit"), { type: "submit", class: "btn-primary btn-block", test: "login-submit" });
  const note = S.loginNote ? el("p", { class: "notice", role: "status", test: "login-note", text: S.loginNote }) : null;
  S.loginNote = null;

  const form = el("form", { class: "form login-form", novalidate: true },
    field(t("login.org"), org, { name: "org" }),
    field(t("login.username"), username, { name: "username" }),
    field(t("login.password"), password, { name: "password" }),
    codeField, message, submit);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    message.textContent = "";
    const missing = [[org, "org"], [username, "username"], [password, "password"]].find(([input]) => !input.value.trim());
    if (missing) {
      showFieldError(form, { problem: { field: missing[1], detail: t("common.required") } });
      return;
    }
    const body = { org: org.value.trim(), username: username.value.trim(), password: password.value, device_name: browserName() };
    if (!codeField.hidden && code.value.trim()) body.code = code.value.trim();
    setBusy(submit, true);
    try {
      const done = await api("POST", "/api/v1/session", body, { anonymous: true });
      password.value = "";
      setSession({ user: done.user, org: done.org, roles: done.roles, permissions: done.permissions, session: done.session }, done.csrf_token, done.idle_timeout_seconds);
      const next = S.afterLogin;
      S.afterLogin = null;
      navigate(next && S.me.session.stage === "full" ? next : defaultHash());
    } catch (err) {
      const p = err.problem || {};
      if (p.code === "second_factor_required") {
        codeField.hidden = false;
        const tail = /ending (\d+)/.exec(p.detail || "");
        codeHint.textContent = tail ? t("login.code_sms", { tail: tail[1] }) : t("login.code_totp");
        if (codeField.dataset.asked) message.textContent = t("login.code_wrong");
        codeField.dataset.asked = "1";
        code.value = "";
        code.focus();
      } else if (p.code === "login_refused") {
        message.textContent = t("err.login_refused");
        password.value = "";
        password.focus();
      } else {
        message.textContent = errorText(err);
      }
    } finally {
      setBusy(submit, false);
    }
  });

  append(page, el("div", { class: "login-box" },
    heading(t("login.title")),
    el("p", { class: "muted", text: t("login.intro") }),
    note, form));
  org.focus();
}

function passwordForm(onDone) {
  const current = el("input", { type: "password", autocomplete: "current-password", test: "password-current" });
  const next = el("input", { type: "password", autocomplete: "new-password", test: "password-new" });
  const again = el("input", { type: "password", autocomplete: "new-password", test: "password-again" });
  const submit = button(t("password.submit"), { type: "submit", class: "btn-primary", test: "password-submit" });
  const form = el("form", { class: "form narrow", novalidate: true },
    field(t("password.current"), current, { name: "current_password" }),
    field(t("password.new"), next, { name: "new_password", hint: t("password.hint") }),
    field(t("password.again"), again, { name: "again" }),
    submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (next.value !== again.value) {
      showFieldError(form, { problem: { field: "again", detail: t("password.mismatch") } });
      return;
    }
    setBusy(submit, true);
    try {
      const result = await api("POST", "/api/v1/me/password", { current_password: current.value, new_password: next.value });
      current.value = next.value = again.value = "";
      toast(t("password.changed"), "success");
      onDone(result);
    } catch (err) {
      if (!showFieldError(form, err)) report(err);
    } finally {
      setBusy(submit, false);
    }
  });
  return form;
}

export function renderPasswordStage(page) {
  append(page, heading(t("password.title")),
    el("p", { class: "notice", text: t("password.must") }),
    passwordForm((result) => {
      if (result && result.stage) S.me.session.stage = result.stage;
      navigate(defaultHash());
    }));
}

export async function renderEnroll(page) {
  const me = await api("GET", "/api/v1/me");
  const area = el("div", { class: "enroll-area" });
  const phones = (me.user && me.user.phones) || [];
  // Adding a second factor asks for the password again, so a session left
  // open can't be used to tie the account to someone else's phone.
  const password = el("input", { type: "password", autocomplete: "current-password", test: "enroll-password" });
  const confirmForm = el("form", { class: "form narrow", novalidate: true, onsubmit: (event) => event.preventDefault() },
    field(t("enroll.password"), password, { name: "current_password" }));
  const finish = (result) => {
    replace(area, card(t("enroll.codes_title"),
      el("p", { text: t("enroll.codes_intro") }),
      el("ol", { class: "codes", test: "recovery-codes" }, (result.recovery_codes || []).map((c) => el("li", { text: c }))),
      button(t("enroll.continue"), { class: "btn-primary", test: "enroll-continue", onclick: () => {
        S.me.session.stage = result.stage || "full";
        navigate(defaultHash());
      } })));
  };
  const startTotp = async () => {
    try {
      const begun = await api("POST", "/api/v1/me/totp", { current_password: password.value });
      const code = el("input", { type: "text", inputmode: "numeric", autocomplete: "one-time-code", test: "enroll-code" });
      const form = el("form", { class: "form narrow", novalidate: true },
        el("p", { text: t("enroll.totp_intro") }),
        el("div", { class: "qr-box", test: "enroll-qr" }, qrSvg(begun.otpauth_uri, t("enroll.qr"))),
        el("p", null, t("enroll.secret"), " ", el("code", { class: "secret", test: "enroll-secret", text: String(begun.secret).replace(/(.{4})/g, "$1 ").trim() })),
        field(t("enroll.code"), code, { name: "code" }),
        button(t("enroll.confirm"), { type: "submit", class: "btn-primary", test: "enroll-submit" }));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        clearErrors(form);
        try {
          finish(await api("POST", "/api/v1/me/totp/confirm", { code: code.value.trim() }));
        } catch (err) {
          if (!showFieldError(form, err)) report(err);
        }
      });
      replace(area, card(t("enroll.totp"), form));
      code.focus();
    } catch (err) {
      if (!showFieldError(confirmForm, err)) report(err);
    }
  };
  const startSms = async (phone) => {
    try {
      await api("POST", "/api/v1/me/sms-second-factor", { phone, current_password: password.value });
      const code = el("input", { type: "text", inputmode: "numeric", autocomplete: "one-time-code", test: "enroll-code" });
      const form = el("form", { class: "form narrow", novalidate: true },
        el("p", { text: t("enroll.sms_sent", { phone }) }),
        field(t("enroll.code"), code, { name: "code" }),
        button(t("enroll.confirm"), { type: "submit", class: "btn-primary", test: "enroll-submit" }));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        clearErrors(form);
        try {
          finish(await api("POST", "/api/v1/me/sms-second-factor/confirm", { code: code.value.trim() }));
        } catch (err) {
          if (!showFieldError(form, err)) report(err);
        }
      });
      replace(area, card(t("enroll.sms"), form));
      code.focus();
    } catch (err) {
      if (!showFieldError(confirmForm, err)) report(err);
    }
  };
  replace(area, confirmForm,
    el("div", { class: "choice-row" },
      button(t("enroll.totp"), { class: "btn-primary", test: "enroll-totp", onclick: () => { clearErrors(confirmForm); startTotp(); } }),
      phones.map((phone) => button(t("enroll.sms_to", { phone }), { test: "enroll-sms", onclick: () => { clearErrors(confirmForm); startSms(phone); } }))));
  append(page, heading(t("enroll.title")), el("p", { class: "notice", text: t("enroll.must") }), area);
}

export async function renderAccount(page) {
  append(page, heading(t("account.title")));
  const me = await api("GET", "/api/v1/me");
  append(page, card(t("account.me"),
    el("dl", { class: "facts" },
      el("dt", { text: t("users.name") }), el("dd", { text: me.user.name }),
      el("dt", { text: t("users.username") }), el("dd", { text: me.user.username }),
      el("dt", { text: t("login.org") }), el("dd", { text: `${me.org.name} (${me.org.slug})` }),
      el("dt", { text: t("users.roles") }), el("dd", { text: (me.roles || []).join(", ") || "–" }),
      el("dt", { text: t("users.second_factor") }), el("dd", { text: me.user.second_factor ? t("common.yes") : t("common.no") }))));
  append(page, card(t("password.title"), passwordForm((result) => {
    if (result && result.stage) S.me.session.stage = result.stage;
    if (S.me.session.stage !== "full") navigate(defaultHash());
  })));
  const sessionsBox = el("div");
  append(page, card(t("account.sessions"), sessionsBox));
  const loadSessions = async () => {
    const data = await api("GET", "/api/v1/me/sessions");
    replace(sessionsBox, table(
      [t("account.started"), t("account.last_seen"), t("account.source"), t("account.browser"), ""],
      data.sessions.map((s) => el("tr", null,
        el("td", { text: fmtTime(s.created_at) }),
        el("td", { text: fmtTime(s.last_seen_at) }),
        el("td", { text: s.source || "–" }),
        el("td", { class: "wrap", text: s.user_agent || "–" }),
        el("td", null, s.current ? badge(t("account.this_session"), "b-ok") : button(t("account.end"), {
          class: "btn-small", onclick: async () => {
            try {
              await api("DELETE", `/api/v1/me/sessions/${enc(s.id)}`);
              await loadSessions();
            } catch (err) {
              report(err);
            }
          },
        }))))));
  };
  await loadSessions();
}

export function renderHome(page) {
  append(page, heading(t("home.title")), el("p", { text: t("home.member") }));
}

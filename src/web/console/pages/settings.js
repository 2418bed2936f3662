import { api } from "/console/api.js";
import { S, can } from "/console/state.js";
import { enc, settle } from "/ui/lib/api.js";
import { clearErrors, showFieldError } from "/ui/lib/dialog.js";
import { append, badge, button, card, checkbox, el, emptyRow, field, heading, replace, select, setBusy, table } from "/ui/lib/dom.js";
import { fmtTime, t } from "/ui/lib/i18n.js";
import { report, toast } from "/ui/lib/toast.js";

// ---------------------------------------------------------------------------
// #/settings
// ---------------------------------------------------------------------------

/** Rows of "key → answer option" (reply codes, TETRA status replies). */
function mapEditor(initial, prefix, keyLabel, fieldName) {
  const rows = Object.entries(initial || {}).map(([k, v]) => ({ key: k, option: String(v) }));
  const box = el("div", { class: "map-editor", test: `${prefix}-editor` });
  const render = () => {
    replace(box, rows.map((r, i) => {
      const key = el("input", { type: "text", value: r.key, maxlength: "8", test: `${prefix}-${i}-key`, "aria-label": `${keyLabel} ${i + 1}` });
      key.addEventListener("input", () => {
        r.key = key.value;
      });
      const option = select([1, 2, 3, 4, 5, 6].map((n) => [String(n), t("settings.option_n", { n })]), r.option, { test: `${prefix}-${i}-option`, "aria-label": t("settings.option") });
      option.addEventListener("change", () => {
        r.option = option.value;
      });
      return el("div", { class: "inline map-row" }, key, el("span", { "aria-hidden": "true", text: "→" }), option,
        button("×", { class: "btn-small btn-quiet", ariaLabel: t("common.remove"), onclick: () => {
          rows.splice(i, 1);
          render();
        } }));
    }), button(t("settings.add_row"), { class: "btn-small", test: `${prefix}-add`, onclick: () => {
      rows.push({ key: "", option: "1" });
      render();
      const inputs = box.querySelectorAll("input");
      inputs[inputs.length - 1].focus();
    } }));
  };
  render();
  return {
    node: el("fieldset", { class: "fieldset", "data-field": fieldName }, el("legend", { text: keyLabel }), box, el("p", { class: "field-error", role: "alert" })),
    value: () => Object.fromEntries(rows.filter((r) => r.key.trim()).map((r) => [r.key.trim(), Number(r.option)])),
  };
}

const SECURITY_RULES = ["failed_logins_account", "failed_logins_address", "lockout", "privilege", "api_key", "new_network",
  "personal_data_export", "device_wipe", "backup", "audit_chain", "shipping_lag"];

// The security monitoring card of the settings page: contacts, how they
// are told, the login thresholds and which rules are on.
function securitySettings(sec, groupNames) {
  const contacts = el("input", { type: "text", value: (sec.contacts || []).join(", "), test: "settings-sec-contacts", autocomplete: "off" });
  const groups = groupNames.map((g) => checkbox(g, { value: g, checked: (sec.contact_groups || []).includes(g), test: `settings-sec-group-${g}` }));
  const channels = ["app", "sms", "email"].map((c) => checkbox(t(`ch.${c}`), { value: c, checked: (sec.channels || []).includes(c), test: `settings-sec-channel-${c}` }));
  const num = (value, test) => el("input", { type: "number", min: "1", max: "10000", value: value != null ? String(value) : "", test, inputmode: "numeric" });
  const perAccount = num(sec.failed_logins_per_account, "settings-sec-per-account");
  const perAddress = num(sec.failed_logins_per_address, "settings-sec-per-address");
  const windowMinutes = num(sec.window_minutes, "settings-sec-window");
  const rules = SECURITY_RULES.map((r) => checkbox(t(`settings.rule.${r}`), { value: r, checked: !(sec.rules_off || []).includes(r), test: `settings-sec-rule-${r}` }));
  const fieldset = (name, legend, boxes) => el("fieldset", { class: "fieldset", "data-field": name }, el("legend", { text: legend }),
    el("div", { class: "check-row" }, boxes), el("p", { class: "field-error", role: "alert" }));
  const node = card(t("settings.security"), el("p", { class: "hint", text: t("settings.security_hint") }),
    field(t("settings.sec_contacts"), contacts, { name: "security.contacts" }),
    groupNames.length ? fieldset("security.contact_groups", t("settings.sec_groups"), groups) : null,
    fieldset("security.channels", t("settings.sec_channels"), channels),
    el("div", { class: "grid-3" },
      field(t("settings.sec_per_account"), perAccount, { name: "security.failed_logins_per_account" }),
      field(t("settings.sec_per_address"), perAddress, { name: "security.failed_logins_per_address" }),
      field(t("settings.sec_window"), windowMinutes, { name: "security.window_minutes" })),
    fieldset("security.rules_off", t("settings.sec_rules"), rules));
  const checked = (boxes) => boxes.filter((c) => c.input.checked).map((c) => c.input.value);
  return {
    node,
    value: () => ({
      contacts: contacts.value.split(",").map((c) => c.trim()).filter(Boolean),
      contact_groups: groupNames.length ? checked(groups) : sec.contact_groups || [],
      channels: checked(channels),
      failed_logins_per_account: Number(perAccount.value),
      failed_logins_per_address: Number(perAddress.value),
      window_minutes: Number(windowMinutes.value),
      rules_off: rules.filter((c) => !c.input.checked).map((c) => c.input.value),
    }),
  };
}

// The webhooks card: subscriptions, a new one (its secret shown once),
// pause and resume, a test event and removal. Each button acts at once.
async function webhooksCard() {
  const box = el("div", { test: "webhooks-card" });
  const load = async () => {
    const data = await api("GET", "/api/v1/webhooks");
    const act = (label, test, run, cls = "btn-small") => button(label, { class: cls, test, onclick: async () => {
      try {
        await run();
        await load();
      } catch (err) {
        report(err);
      }
    } });
    const rows = data.webhooks.length ? data.webhooks.map((w) => el("tr", { test: `webhook-row-${w.id}` },
      el("td", null, el("code", { text: w.url })),
      el("td", { text: w.events.join(", ") }),
      el("td", null, badge(w.state === "active" ? t("webhooks.state_active") : t("webhooks.state_paused"), w.state === "active" ? "ok" : "warn", { test: `webhook-state-${w.id}` }),
        w.paused_reason ? el("p", { class: "hint", text: w.paused_reason }) : null,
        !w.paused_reason && w.last_error ? el("p", { class: "hint", text: t("webhooks.failing", { error: w.last_error, since: w.failing_since ? fmtTime(w.failing_since) : "" }) }) : null),
      el("td", { text: String(w.backlog) }),
      el("td", { class: "actions" },
        act(t("webhooks.test"), `webhook-test-${w.id}`, async () => {
          await api("POST", `/api/v1/webhooks/${enc(w.id)}/test`, {});
          toast(t("webhooks.test_queued"), "success");
        }),
        " ", w.state === "active"
          ? act(t("webhooks.pause"), `webhook-pause-${w.id}`, () => api("PATCH", `/api/v1/webhooks/${enc(w.id)}`, { state: "paused" }))
          : act(t("webhooks.resume"), `webhook-resume-${w.id}`, () => api("PATCH", `/api/v1/webhooks/${enc(w.id)}`, { state: "active" })),
        " ", act(t("common.remove"), `webhook-delete-${w.id}`, () => api("DELETE", `/api/v1/webhooks/${enc(w.id)}`), "btn-small btn-danger-quiet"))))
      : [emptyRow(5, t("webhooks.none"))];
    const url = el("input", { type: "url", test: "webhook-url", placeholder: "https://" });
    const events = data.events.map((e) => checkbox(e, { value: e, test: `webhook-event-${e}` }));
    const secretBox = el("div", { "aria-live": "polite" });
    const submit = button(t("webhooks.add"), { type: "submit", class: "btn-primary", test: "webhook-create" });
    const form = el("form", { class: "form", novalidate: true },
      field(t("webhooks.url"), url, { name: "url", hint: t("webhooks.url_hint") }),
      el("fieldset", { class: "fieldset", "data-field": "events" }, el("legend", { text: t("webhooks.events") }),
        el("div", { class: "check-row" }, events), el("p", { class: "field-error", role: "alert" })),
      el("div", { class: "form-actions" }, submit));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      setBusy(submit, true);
      try {
        const created = await api("POST", "/api/v1/webhooks", { url: url.value.trim(), events: events.filter((c) => c.input.checked).map((c) => c.input.value) });
        await load();
        replace(box.querySelector("[data-secret]"), el("div", { class: "notice secret-box", role: "status" },
          el("p", null, el("strong", { text: t("webhooks.secret_once") })), el("code", { class: "secret", test: "webhook-secret", text: created.secret })));
      } catch (err) {
        if (!showFieldError(form, err)) report(err);
      } finally {
        setBusy(submit, false);
      }
    });
    secretBox.setAttribute("data-secret", "");
    replace(box, el("p", { class: "hint", text: t("webhooks.hint") }),
      table([t("webhooks.url"), t("webhooks.events"), t("webhooks.state"), t("webhooks.backlog"), ""], rows, { test: "webhooks-table" }),
      el("h3", { text: t("webhooks.new") }), form, secretBox);
  };
  await load();
  return card(t("webhooks.title"), box);
}

export async function renderSettings(page) {
  append(page, heading(t("settings.title")));
  const directory = (path) => (can("read_directory") ? settle(api("GET", path)) : Promise.resolve({ ok: false }));
  const [data, roles, groups] = await Promise.all([api("GET", "/api/v1/settings"), directory("/api/v1/roles"), directory("/api/v1/groups")]);
  if (!page.isConnected) return;
  const s = data.settings;
  const num = (key, test, min, max) => el("input", { type: "number", min, max, value: s[key] != null ? String(s[key]) : "", test, inputmode: "numeric" });
  const inputs = {
    session_idle_minutes: num("session_idle_minutes", "settings-idle", "1", "1440"),
    session_lifetime_hours: num("session_lifetime_hours", "settings-lifetime", "1", "720"),
    password_min_length: num("password_min_length", "settings-pw-length", "8", "128"),
    password_max_age_days: num("password_max_age_days", "settings-pw-age", "1", "3650"),
    max_automated_alerts_per_minute: num("max_automated_alerts_per_minute", "settings-rate", "1", "10000"),
    location_retention_hours: num("location_retention_hours", "settings-keep-positions", "1", "720"),
    access_review_interval_days: num("access_review_interval_days", "settings-review-interval", "7", "730"),
  };
  const kept = s.retention || {};
  const keep = (key, min) => el("input", { type: "number", min, max: "3650", value: kept[key] != null ? String(kept[key]) : "", test: `settings-keep-${key}`, inputmode: "numeric" });
  const retention = { alerts_days: keep("alerts_days", "30"), inbound_days: keep("inbound_days", "7"), audit_days: keep("audit_days", "365") };
  const strength = select([0, 1, 2, 3, 4].map((n) => [String(n), t(`settings.strength_${n}`)]), String(s.password_min_strength), { test: "settings-pw-strength" });
  const language = select([["en", "English"], ["fi", "Suomi"], ["sv", "Svenska"]], s.language || "en", { test: "settings-language" });
  const roleNames = roles.ok ? roles.value.roles.map((r) => r.name) : s.require_second_factor_for || [];
  const twoFactor = roleNames.map((r) => checkbox(r, { value: r, checked: (s.require_second_factor_for || []).includes(r), test: `settings-2fa-${r}` }));
  const replyCodes = mapEditor(s.reply_codes, "reply-code", t("settings.reply_codes"), "reply_codes");
  const statusReplies = mapEditor(s.tetra_status_replies, "status-reply", t("settings.status_replies"), "tetra_status_replies");
  const security = securitySettings(s.security || {}, groups.ok ? groups.value.groups.map((g) => g.name) : []);
  const submit = button(t("common.save"), { type: "submit", class: "btn-primary", test: "settings-save" });
  const form = el("form", { class: "form", novalidate: true },
    card(t("settings.org"), el("dl", { class: "facts" },
      el("dt", { text: t("settings.org_name") }), el("dd", { text: data.org.name }),
      el("dt", { text: t("login.org") }), el("dd", null, el("code", { text: data.org.slug }))),
      field(t("settings.language"), language, { name: "language", hint: t("settings.language_hint") })),
    card(t("settings.sessions"), el("div", { class: "grid-2" },
      field(t("settings.idle"), inputs.session_idle_minutes, { name: "session_idle_minutes", hint: t("settings.idle_hint") }),
      field(t("settings.lifetime"), inputs.session_lifetime_hours, { name: "session_lifetime_hours" }))),
    card(t("settings.passwords"), el("div", { class: "grid-3" },
      field(t("settings.pw_length"), inputs.password_min_length, { name: "password_min_length" }),
      field(t("settings.pw_strength"), strength, { name: "password_min_strength" }),
      field(t("settings.pw_age"), inputs.password_max_age_days, { name: "password_max_age_days", hint: t("settings.pw_age_hint") })),
    el("fieldset", { class: "fieldset", "data-field": "require_second_factor_for" }, el("legend", { text: t("settings.require_2fa") }),
      el("div", { class: "check-row" }, twoFactor), el("p", { class: "field-error", role: "alert" }))),
    card(t("settings.integrations"), field(t("settings.rate"), inputs.max_automated_alerts_per_minute, { name: "max_automated_alerts_per_minute", hint: t("settings.rate_hint") })),
    card(t("settings.retention"), el("p", { class: "hint", text: t("settings.retention_hint") }), el("div", { class: "grid-2" },
      field(t("settings.keep_alerts"), retention.alerts_days, { name: "retention.alerts_days" }),
      field(t("settings.keep_inbound"), retention.inbound_days, { name: "retention.inbound_days" }),
      field(t("settings.keep_audit"), retention.audit_days, { name: "retention.audit_days" }),
      field(t("settings.keep_positions"), inputs.location_retention_hours, { name: "location_retention_hours" }))),
    card(t("settings.reviews"), field(t("settings.review_interval"), inputs.access_review_interval_days, { name: "access_review_interval_days", hint: t("settings.review_interval_hint") })),
    card(t("settings.replies"), el("p", { class: "hint", text: t("settings.replies_hint") }), el("div", { class: "grid-2" }, replyCodes.node, statusReplies.node)),
    security.node,
    el("div", { class: "form-actions sticky-actions" }, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const n = (input) => (input.value.trim() === "" ? null : Number(input.value));
    const body = {
      session_idle_minutes: n(inputs.session_idle_minutes),
      session_lifetime_hours: n(inputs.session_lifetime_hours),
      password_min_length: n(inputs.password_min_length),
      password_min_strength: Number(strength.value),
      password_max_age_days: n(inputs.password_max_age_days),
      max_automated_alerts_per_minute: n(inputs.max_automated_alerts_per_minute),
      access_review_interval_days: n(inputs.access_review_interval_days),
      require_second_factor_for: twoFactor.filter((c) => c.input.checked).map((c) => c.input.value),
      reply_codes: replyCodes.value(),
      tetra_status_replies: statusReplies.value(),
      language: language.value,
      security: security.value(),
      location_retention_hours: n(inputs.location_retention_hours),
      retention: { alerts_days: n(retention.alerts_days), inbound_days: n(retention.inbound_days), audit_days: n(retention.audit_days) },
    };
    for (const key of ["session_idle_minutes", "session_lifetime_hours", "password_min_length", "max_automated_alerts_per_minute", "location_retention_hours", "access_review_interval_days"]) {
      if (body[key] === null) return showFieldError(form, { problem: { field: key, detail: t("common.required") } });
    }
    for (const [key, value] of Object.entries(body.retention)) {
      if (value === null) return showFieldError(form, { problem: { field: `retention.${key}`, detail: t("common.required") } });
    }
    setBusy(submit, true);
    try {
      const saved = await api("PATCH", "/api/v1/settings", body);
      if (saved.settings && saved.settings.session_idle_minutes) S.idleSeconds = saved.settings.session_idle_minutes * 60;
      toast(t("common.saved"), "success");
    } catch (err) {
      if (!showFieldError(form, err)) report(err);
    } finally {
      setBusy(submit, false);
    }
  });
  append(page, form);
  if (can("manage_settings")) append(page, await webhooksCard());
}

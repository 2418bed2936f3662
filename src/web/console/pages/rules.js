import { api } from "/console/api.js";
import { settle } from "/ui/lib/api.js";
import { clearErrors, showFieldError } from "/ui/lib/dialog.js";
import { append, button, card, checkbox, el, field, heading, replace, select, setBusy, splitList } from "/ui/lib/dom.js";
import { t } from "/ui/lib/i18n.js";
import { report, toast } from "/ui/lib/toast.js";

// ---------------------------------------------------------------------------
// #/rules: inbound alarm rules, their test, SMS triggers, email rules
// ---------------------------------------------------------------------------

export async function renderRules(page) {
  append(page, heading(t("rules.title")));
  const [settingsData, templatesData] = await Promise.all([api("GET", "/api/v1/settings"), settle(api("GET", "/api/v1/templates"))]);
  if (!page.isConnected) return;
  const settings = settingsData.settings;
  const templateNames = templatesData.ok ? templatesData.value.templates.map((x) => x.name) : [];
  append(page, tetraRulesCard(settings.tetra_rules || [], templateNames), ruleTestCard(), smsTriggersCard(settings.sms_triggers || [], templateNames),
    emailRulesCard(settings.email_rules || [], templateNames));
}

function tetraRulesCard(initial, templateNames) {
  const rules = initial.map((r) => ({ name: r.name, from: (r.from || []).join(", "), mode: r.status ? "status" : "pattern", status: r.status || "", pattern: r.pattern || "", template: r.template }));
  const list = el("div", { class: "rule-list" });
  const form = el("form", { class: "form", novalidate: true });
  const render = () => {
    replace(list, rules.length ? rules.map((r, i) => {
      const input = (key, attrs) => boundInput(r, key, attrs);
      const mode = select([["pattern", t("rules.mode_pattern")], ["status", t("rules.mode_status")]], r.mode, { test: `rule-${i}-mode` });
      const statusField = field(t("rules.status"), input("status", { test: `rule-${i}-status` }), { name: `tetra_rules[${i}].status` });
      const patternField = field(t("rules.pattern"), input("pattern", { test: `rule-${i}-pattern`, class: "mono", spellcheck: "false" }), { name: `tetra_rules[${i}].pattern`, hint: t("rules.pattern_hint") });
      const sync = () => {
        statusField.hidden = r.mode !== "status";
        patternField.hidden = r.mode !== "pattern";
      };
      mode.addEventListener("change", () => {
        r.mode = mode.value;
        sync();
      });
      sync();
      const template = templateSelect(r, templateNames, `rule-${i}-template`);
      return el("fieldset", { class: "fieldset rule", "data-field": `tetra_rules[${i}]`, test: `rule-${i}` },
        el("legend", { text: t("rules.rule_n", { n: i + 1 }) }),
        el("p", { class: "field-error", role: "alert" }),
        el("div", { class: "grid-3" },
          field(t("rules.name"), input("name", { test: `rule-${i}-name` }), { name: `tetra_rules[${i}].name` }),
          field(t("rules.from"), input("from", { test: `rule-${i}-from`, inputmode: "numeric" }), { name: `tetra_rules[${i}].from`, hint: t("rules.from_hint") }),
          field(t("rules.template"), template, { name: `tetra_rules[${i}].template` })),
        el("div", { class: "grid-2" }, field(t("rules.match"), mode), statusField, patternField),
        ruleOrderButtons(rules, i, render, `rule-${i}-remove`));
    }) : el("p", { class: "muted", text: t("rules.none") }));
  };
  render();
  const submit = button(t("rules.save"), { type: "submit", class: "btn-primary", test: "rules-save" });
  append(form, el("p", { class: "hint", text: t("rules.intro") }), list,
    el("div", { class: "form-actions" },
      button(t("rules.add"), { test: "rule-add", onclick: () => {
        rules.push({ name: "", from: "", mode: "pattern", status: "", pattern: "", template: templateNames[0] || "" });
        render();
        const inputs = list.querySelectorAll("fieldset.rule");
        const last = inputs[inputs.length - 1];
        if (last) last.querySelector("input").focus();
      } }),
      submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = rules.map((r) => {
      const out = { name: r.name.trim(), from: splitList(r.from).map((x) => (/^\d+$/.test(x) ? Number(x) : x)), template: r.template };
      if (r.mode === "status") out.status = r.status.trim() || null;
      else out.pattern = r.pattern || null;
      return out;
    });
    setBusy(submit, true);
    try {
      await api("PATCH", "/api/v1/settings", { tetra_rules: body });
      toast(t("common.saved"), "success");
    } catch (err) {
      if (!showFieldError(form, err)) report(err);
    } finally {
      setBusy(submit, false);
    }
  });
  return card(t("rules.tetra"), form);
}

function ruleTestCard() {
  const from = el("input", { type: "text", inputmode: "numeric", test: "rule-test-from", placeholder: "4711000" });
  const mode = select([["text", t("rules.test_text")], ["status", t("rules.mode_status")]], "text", { test: "rule-test-mode" });
  const text = el("input", { type: "text", test: "rule-test-text", placeholder: "ALARM B3 Hauptstr 5 Brand" });
  const status = el("input", { type: "text", test: "rule-test-status", placeholder: "3" });
  const textField = field(t("rules.test_text"), text, { name: "text" });
  const statusField = field(t("rules.status"), status, { name: "status" });
  const sync = () => {
    textField.hidden = mode.value !== "text";
    statusField.hidden = mode.value !== "status";
  };
  mode.addEventListener("change", sync);
  sync();
  const result = el("div", { class: "test-result", "aria-live": "polite", test: "rule-test-result" });
  const submit = button(t("rules.test"), { type: "submit", class: "btn-primary", test: "rule-test-submit" });
  const form = el("form", { class: "form", novalidate: true },
    el("p", { class: "hint", text: t("rules.test_intro") }),
    el("div", { class: "grid-3" }, field(t("rules.test_from"), from, { name: "from" }), field(t("rules.match"), mode), textField, statusField),
    el("div", { class: "form-actions" }, submit), result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!/^\d+$/.test(from.value.trim())) return showFieldError(form, { problem: { field: "from", detail: t("rules.test_from_bad") } });
    const body = { from: Number(from.value.trim()) };
    if (mode.value === "text") body.text = text.value;
    else body.status = status.value.trim();
    setBusy(submit, true);
    try {
      const r = await api("POST", "/api/v1/settings/tetra-rules/test", body);
      const fields = Object.entries(r.fields || {});
      replace(result, r.rule
        ? [el("p", { class: "ok-text", test: "rule-test-match" }, t("rules.test_match", { rule: r.rule, template: r.template })),
          fields.length ? el("dl", { class: "facts" }, fields.map(([k, v]) => [el("dt", { text: k }), el("dd", { text: String(v) })])) : null]
        : el("p", { class: "warn-text", test: "rule-test-nomatch", text: t("rules.test_none") }));
    } catch (err) {
      if (!showFieldError(form, err)) report(err);
    } finally {
      setBusy(submit, false);
    }
  });
  return card(t("rules.test_title"), form);
}

function smsTriggersCard(initial, templateNames) {
  const triggers = initial.map((x) => ({ number: x.number, pin: "", pin_hash: x.pin_hash, templates: [...(x.templates || [])] }));
  const list = el("div");
  const render = () => {
    replace(list, triggers.length ? triggers.map((x, i) => {
      const number = el("input", { type: "tel", value: x.number, test: `trigger-${i}-number` });
      number.addEventListener("input", () => {
        x.number = number.value.trim();
      });
      const pin = el("input", { type: "password", inputmode: "numeric", autocomplete: "new-password", value: x.pin, test: `trigger-${i}-pin`, placeholder: x.pin_hash ? t("rules.pin_unchanged") : "" });
      pin.addEventListener("input", () => {
        x.pin = pin.value.trim();
      });
      const checks = templateNames.map((n) => checkbox(n, { checked: x.templates.includes(n), onchange: (e) => {
        x.templates = e.target.checked ? [...x.templates, n] : x.templates.filter((m) => m !== n);
      } }));
      return el("fieldset", { class: "fieldset", "data-field": `sms_triggers[${i}]`, test: `trigger-${i}` },
        el("legend", { text: t("rules.trigger_n", { n: i + 1 }) }),
        el("p", { class: "field-error", role: "alert" }),
        el("div", { class: "grid-2" },
          field(t("rules.number"), number, { name: `sms_triggers[${i}].number` }),
          field(t("rules.pin"), pin, { name: `sms_triggers[${i}].pin`, hint: t("rules.pin_hint") })),
        el("div", { class: "field" }, el("span", { class: "label", text: t("rules.trigger_templates") }), el("div", { class: "check-row" }, checks)),
        button(t("common.remove"), { class: "btn-small btn-danger-quiet", onclick: () => {
          triggers.splice(i, 1);
          render();
        } }));
    }) : el("p", { class: "muted", text: t("rules.no_triggers") }));
  };
  render();
  const submit = button(t("rules.save_triggers"), { type: "submit", class: "btn-primary", test: "triggers-save" });
  const form = el("form", { class: "form", novalidate: true },
    el("p", { class: "hint", text: t("rules.triggers_intro") }), list,
    el("div", { class: "form-actions" },
      button(t("rules.add_trigger"), { test: "trigger-add", onclick: () => {
        triggers.push({ number: "", pin: "", pin_hash: null, templates: [] });
        render();
      } }), submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = triggers.map((x) => {
      const out = { number: x.number, templates: x.templates };
      if (x.pin) out.pin = x.pin;
      else if (x.pin_hash) out.pin_hash = x.pin_hash;
      return out;
    });
    setBusy(submit, true);
    try {
      const saved = await api("PATCH", "/api/v1/settings", { sms_triggers: body });
      const stored = (saved.settings && saved.settings.sms_triggers) || [];
      triggers.forEach((x, i) => {
        x.pin = "";
        if (stored[i]) x.pin_hash = stored[i].pin_hash;
      });
      render();
      toast(t("common.saved"), "success");
    } catch (err) {
      if (!showFieldError(form, err)) report(err);
    } finally {
      setBusy(submit, false);
    }
  });
  return card(t("rules.triggers"), form);
}

function emailRulesCard(initial, templateNames) {
  const rules = initial.map((r) => ({ name: r.name, from: (r.from || []).join(", "), subject: r.subject || "", body: r.body || "", template: r.template }));
  const list = el("div", { class: "rule-list" });
  const render = () => {
    replace(list, rules.length ? rules.map((r, i) => {
      const input = (key, attrs) => boundInput(r, key, attrs);
      const template = templateSelect(r, templateNames, `email-rule-${i}-template`);
      const pattern = (key, label) => field(label, input(key, { test: `email-rule-${i}-${key}`, class: "mono", spellcheck: "false" }),
        { name: `email_rules[${i}].${key}`, hint: t("rules.email_pattern_hint") });
      return el("fieldset", { class: "fieldset rule", "data-field": `email_rules[${i}]`, test: `email-rule-${i}` },
        el("legend", { text: t("rules.rule_n", { n: i + 1 }) }),
        el("p", { class: "field-error", role: "alert" }),
        el("div", { class: "grid-3" },
          field(t("rules.name"), input("name", { test: `email-rule-${i}-name` }), { name: `email_rules[${i}].name` }),
          field(t("rules.email_from"), input("from", { test: `email-rule-${i}-from`, inputmode: "email", spellcheck: "false" }), { name: `email_rules[${i}].from`, hint: t("rules.email_from_hint") }),
          field(t("rules.template"), template, { name: `email_rules[${i}].template` })),
        el("div", { class: "grid-2" }, pattern("subject", t("rules.email_subject")), pattern("body", t("rules.email_body"))),
        ruleOrderButtons(rules, i, render, `email-rule-${i}-remove`));
    }) : el("p", { class: "muted", text: t("rules.email_none") }));
  };
  render();
  const submit = button(t("rules.email_save"), { type: "submit", class: "btn-primary", test: "email-rules-save" });
  const form = el("form", { class: "form", novalidate: true },
    el("p", { class: "hint", text: t("rules.email_intro") }), list,
    el("div", { class: "form-actions" },
      button(t("rules.add"), { test: "email-rule-add", onclick: () => {
        rules.push({ name: "", from: "", subject: "", body: "", template: templateNames[0] || "" });
        render();
        const all = list.querySelectorAll("fieldset.rule");
        const last = all[all.length - 1];
        if (last) last.querySelector("input").focus();
      } }),
      submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = rules.map((r) => ({ name: r.name.trim(), from: splitList(r.from), subject: r.subject || null, body: r.body || null, template: r.template }));
    setBusy(submit, true);
    try {
      await api("PATCH", "/api/v1/settings", { email_rules: body });
      toast(t("common.saved"), "success");
    } catch (err) {
      if (!showFieldError(form, err)) report(err);
    } finally {
      setBusy(submit, false);
    }
  });
  return card(t("rules.email"), form);
}

// A text input that keeps `r[key]` up to date.
function boundInput(r, key, attrs) {
  const node = el("input", Object.assign({ type: "text", value: r[key] }, attrs));
  node.addEventListener("input", () => {
    r[key] = node.value;
  });
  return node;
}

// The template a rule fires, kept in `r.template`.
function templateSelect(r, templateNames, test) {
  const node = select([["", "–"], ...templateNames.map((n) => [n, n])], r.template, { test });
  node.addEventListener("change", () => {
    r.template = node.value;
  });
  return node;
}

// Up, down and remove for rule `i` of an ordered list (first match wins).
function ruleOrderButtons(rules, i, render, removeTest) {
  const move = (delta) => {
    const j = i + delta;
    if (j < 0 || j >= rules.length) return;
    [rules[i], rules[j]] = [rules[j], rules[i]];
    render();
  };
  return el("div", { class: "inline" },
    button("↑", { class: "btn-small", ariaLabel: t("rules.up"), disabled: i === 0, onclick: () => move(-1) }),
    button("↓", { class: "btn-small", ariaLabel: t("rules.down"), disabled: i === rules.length - 1, onclick: () => move(1) }),
    button(t("common.remove"), { class: "btn-small btn-danger-quiet", test: removeTest, onclick: () => {
      rules.splice(i, 1);
      render();
    } }));
}

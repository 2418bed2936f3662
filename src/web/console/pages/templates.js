import { api } from "/console/api.js";
import { composer } from "/console/composer.js";
import { loadDirectory } from "/console/directory.js";
import { draftFromAlert, newDraft, requestFromDraft } from "/console/drafts.js";
import { navigate, route } from "/console/router.js";
import { can } from "/console/state.js";
import { enc } from "/ui/lib/api.js";
import { clearErrors, confirmDialog, showFieldError } from "/ui/lib/dialog.js";
import { append, button, card, el, field, heading, replace, setBusy, severityBadge } from "/ui/lib/dom.js";
import { fmtDuration, fmtNum, fmtTime, t, tn } from "/ui/lib/i18n.js";
import { report, toast } from "/ui/lib/toast.js";

// ---------------------------------------------------------------------------
// #/templates
// ---------------------------------------------------------------------------

function recipientsSummary(alert, dir) {
  const r = (alert && alert.recipients) || {};
  const parts = [];
  if ((r.groups || []).length) parts.push(`${t("send.kind_group")}: ${r.groups.map((g) => (dir.group(g) || { name: g }).name).join(", ")}`);
  if ((r.users || []).length) parts.push(`${t("send.kind_person")}: ${r.users.map(dir.label).join(", ")}`);
  if ((r.roles || []).length) parts.push(`${t("send.kind_role")}: ${r.roles.join(", ")}`);
  const adHoc = (r.phones || []).length + (r.emails || []).length + (r.tetra_issi || []).length + (r.tetra_gssi || []).length;
  if (adHoc) parts.push(tn("templates.addresses", adHoc));
  return parts.join(" · ") || "–";
}

export async function renderTemplates(page) {
  append(page, heading(t("templates.title")));
  const [data, dir] = await Promise.all([api("GET", "/api/v1/templates"), loadDirectory()]);
  if (!page.isConnected) return;
  const templates = data.templates || [];
  const editor = el("div");
  const list = templates.length ? el("div", { class: "template-grid" }, templates.map((tpl) => {
    const a = tpl.alert || {};
    return el("article", { class: `card template-card sev-edge-${a.severity || "info"}`, test: `template-card-${tpl.name}` },
      el("div", { class: "title-line" }, severityBadge(a.severity || "info"), " ", el("code", { text: tpl.name })),
      el("h2", { text: tpl.button || tpl.name }),
      el("p", { class: "alert-title", text: a.title || "" }),
      el("dl", { class: "facts small" },
        el("dt", { text: t("send.recipients") }), el("dd", { text: recipientsSummary(a, dir) }),
        el("dt", { text: t("send.channels") }), el("dd", { text: (a.channels || []).map((c) => t(`ch.${c}`)).join(", ") }),
        el("dt", { text: t("templates.merge") }), el("dd", { text: fmtDuration(tpl.merge_window_seconds || 0) }),
        tpl.button_roles && tpl.button_roles.length ? [el("dt", { text: t("templates.button_roles") }), el("dd", { text: tpl.button_roles.join(", ") })] : null,
        el("dt", { text: t("templates.last_fired") }), el("dd", null, tpl.last_fired ? el("a", { href: `#/alerts/${tpl.last_fired.alert}`, text: fmtTime(tpl.last_fired.at) }) : "–")),
      can("send_alerts") ? button(t("templates.fire"), { class: `btn-fire btn-block sev-${a.severity || "info"}`, test: `template-fire-${tpl.name}`, onclick: () => fireTemplate(tpl, dir) }) : null,
      el("div", { class: "actions" },
        can("send_alerts") ? el("a", { class: "btn btn-small", href: `#/send?template=${enc(tpl.name)}`, test: `template-use-${tpl.name}`, text: t("templates.use") }) : null,
        can("manage_settings") ? button(t("common.edit"), { class: "btn-small", test: `template-edit-${tpl.name}`, onclick: () => showTemplateEditor(editor, dir, tpl) }) : null,
        can("manage_settings") ? button(t("common.delete"), { class: "btn-small btn-danger-quiet", test: `template-delete-${tpl.name}`, onclick: () => deleteTemplate(tpl) }) : null));
  })) : el("p", { class: "muted", text: t("templates.none") });
  append(page, list);
  if (can("manage_settings")) {
    append(page, el("div", { class: "actions" }, button(t("templates.new"), { class: "btn-primary", test: "template-new", onclick: () => showTemplateEditor(editor, dir, null) })), editor);
  }
}

async function fireTemplate(tpl, dir) {
  const a = tpl.alert || {};
  const ok = await confirmDialog({
    title: t("templates.fire_title", { name: tpl.button || tpl.name }),
    details: el("div", null,
      el("p", { class: `confirm-title sev-edge-${a.severity}` }, severityBadge(a.severity || "info"), " ", el("strong", { text: a.title || "" })),
      el("p", { text: recipientsSummary(a, dir) }),
      el("p", { class: "hint", text: t("templates.fire_merge", { d: fmtDuration(tpl.merge_window_seconds || 0) }) })),
    confirmLabel: t("templates.fire_confirm"),
    danger: a.severity === "critical",
    confirmTest: "template-fire-confirm",
  });
  if (!ok) return;
  try {
    const result = await api("POST", `/api/v1/oneclick/${enc(tpl.name)}`);
    toast(result.merged ? t("templates.merged") : t("send.sent", { n: fmtNum(result.recipients) }), "success");
    navigate(`#/alerts/${result.id}`);
  } catch (err) {
    report(err);
  }
}

async function deleteTemplate(tpl) {
  if (!await confirmDialog({ title: t("templates.delete_title"), message: t("templates.delete_text", { name: tpl.name }), danger: true, confirmLabel: t("common.delete"), confirmTest: "delete-confirm" })) return;
  try {
    await api("DELETE", `/api/v1/templates/${enc(tpl.name)}`);
    toast(t("common.deleted"), "success");
    route();
  } catch (err) {
    report(err);
  }
}

function showTemplateEditor(box, dir, tpl) {
  const d = tpl ? draftFromAlert(tpl.alert || {}) : newDraft();
  const name = el("input", { type: "text", value: tpl ? tpl.name : "", test: "tpl-name", disabled: !!tpl, autocapitalize: "none", spellcheck: "false" });
  const label = el("input", { type: "text", value: tpl && tpl.button ? tpl.button : "", test: "tpl-button" });
  const merge = el("input", { type: "number", min: "0", max: "86400", value: tpl ? String(tpl.merge_window_seconds) : "300", test: "tpl-merge" });
  const pressers = el("input", { type: "text", value: tpl && tpl.button_roles ? tpl.button_roles.join(", ") : "", test: "tpl-button-roles", autocapitalize: "none" });
  const submit = button(tpl ? t("common.save") : t("templates.create"), { type: "submit", class: "btn-primary", test: "tpl-save" });
  const form = el("form", { class: "form", novalidate: true },
    el("section", { class: "card" },
      el("h2", { text: tpl ? t("templates.edit_title", { name: tpl.name }) : t("templates.new") }),
      el("div", { class: "grid-3" },
        field(t("templates.name"), name, { name: "name", hint: t("templates.name_hint") }),
        field(t("templates.button"), label, { name: "button" }),
        field(t("templates.merge_seconds"), merge, { name: "merge_window_seconds", hint: t("templates.merge_hint") })),
      field(t("templates.button_roles"), pressers, { name: "button_roles", hint: t("templates.button_roles_hint") })),
    composer(d, dir, { prefix: "tpl" }),
    el("div", { class: "form-actions" }, button(t("common.cancel"), { onclick: () => replace(box) }), submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = { alert: requestFromDraft(d), merge_window_seconds: Number(merge.value || 0) };
    body.button = label.value.trim() || null;
    body.button_roles = pressers.value.split(",").map((r) => r.trim()).filter(Boolean);
    setBusy(submit, true);
    try {
      if (tpl) {
        await api("PATCH", `/api/v1/templates/${enc(tpl.name)}`, body);
      } else {
        body.name = name.value.trim();
        if (!body.button) delete body.button;
        await api("POST", "/api/v1/templates", body);
      }
      toast(t("templates.saved"), "success");
      route();
    } catch (err) {
      const p = err.problem;
      const local = p && p.field && p.field.startsWith("alert.") ? { problem: Object.assign({}, p, { field: p.field.slice(6) }) } : err;
      if (!showFieldError(form, local)) report(err);
    } finally {
      setBusy(submit, false);
    }
  });
  replace(box, form);
  (tpl ? label : name).focus();
  form.scrollIntoView({ block: "start" });
}

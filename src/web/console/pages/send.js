import { api } from "/console/api.js";
import { countInside, seenWithin } from "/console/areas.js";
import { composer } from "/console/composer.js";
import { loadDirectory, loadDeviceCapacity } from "/console/directory.js";
import { draftFromAlert, newDraft, recipientCount, requestFromDraft, sealedRequest, summaryBlock } from "/console/drafts.js";
import { navigate } from "/console/router.js";
import { S, can } from "/console/state.js";
import { settle } from "/ui/lib/api.js";
import { clearErrors, confirmDialog, formDialog, showFieldError } from "/ui/lib/dialog.js";
import { append, button, el, field, heading, replace, setBusy, severityBadge } from "/ui/lib/dom.js";
import { fmtNum, t } from "/ui/lib/i18n.js";
import { errorText, report, toast } from "/ui/lib/toast.js";

// ---------------------------------------------------------------------------
// #/send
// ---------------------------------------------------------------------------

export async function renderSend(page, match, query) {
  append(page, heading(t("send.title")));
  const [dir, templatesResult, sms] = await Promise.all([
    loadDirectory(),
    settle(api("GET", "/api/v1/templates")),
    loadDeviceCapacity(),
  ]);
  if (!page.isConnected) return;
  const templates = templatesResult.ok ? templatesResult.value.templates : [];
  if (!templatesResult.ok) report(templatesResult.error);
  if (!S.sendDraft) S.sendDraft = newDraft();
  const wanted = query.get("template");
  if (wanted) {
    const tpl = templates.find((x) => x.name === wanted || x.id === wanted);
    if (tpl) S.sendDraft = draftFromAlert(tpl.alert);
    // Loaded once: a re-render (language change) keeps the edits.
    history.replaceState(null, "", "#/send");
  }
  const d = S.sendDraft;
  const summaryBox = el("div", { "aria-live": "polite", test: "send-summary" });
  // The server counts who is inside the area; asked again only when the area or the minutes change.
  let inside = { key: "", value: null, error: null };
  const showSummary = () => replace(summaryBox, summaryBlock(d, dir, sms, inside));
  const refreshSummary = () => {
    const key = d.area ? JSON.stringify([d.area, seenWithin(d.seen_within)]) : "";
    if (key !== inside.key) {
      const mine = { key, value: null, error: null };
      inside = mine;
      if (key) {
        countInside(d.area, d.seen_within).then((n) => {
          mine.value = n;
        }, (err) => {
          mine.error = err;
        }).then(() => {
          if (inside === mine && page.isConnected) showSummary();
        });
      }
    }
    showSummary();
  };
  const form = el("form", { class: "send-form", novalidate: true });
  const formError = el("div", { class: "error-box", role: "alert", hidden: true, test: "send-error" });

  const build = () => {
    const comp = composer(d, dir, { prefix: "send", onChange: refreshSummary });
    const submit = button(t("send.submit"), { type: "submit", class: "btn-primary btn-send", test: "send-submit" });
    const saveTemplate = can("manage_settings") ? button(t("send.save_template"), { class: "btn-quiet", test: "send-save-template", onclick: () => saveAsTemplate(d) }) : null;
    const clear = button(t("send.clear"), { class: "btn-quiet", test: "send-clear", onclick: () => {
      S.sendDraft = newDraft();
      navigate("#/send");
    } });
    replace(form,
      templates.length ? el("section", { class: "card templates-row" },
        el("h2", { text: t("send.templates") }),
        el("div", { class: "toggle-row" }, templates.map((tpl) => button(tpl.button || tpl.name, {
          class: `btn-template sev-edge-${(tpl.alert && tpl.alert.severity) || "info"}`,
          test: `template-${tpl.name}`,
          onclick: () => {
            Object.assign(d, draftFromAlert(tpl.alert));
            build();
            refreshSummary();
            toast(t("send.template_loaded", { name: tpl.button || tpl.name }), "info");
            form.querySelector("[data-test=send-title]").focus();
          },
        })))) : null,
      el("div", { class: "send-grid" },
        comp,
        el("aside", { class: "card summary", "aria-label": t("send.summary") },
          el("h2", { text: t("send.summary") }), summaryBox, formError, submit, el("div", { class: "inline" }, saveTemplate, clear))));
  };
  build();
  refreshSummary();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    formError.hidden = true;
    const problem = localCheck(d);
    if (problem) {
      if (!showFieldError(form, { problem })) showFormError(formError, problem.detail);
      return;
    }
    const fresh = await loadDeviceCapacity();
    Object.assign(sms, fresh);
    refreshSummary();
    const ok = await confirmDialog({
      title: t("send.confirm_title"),
      details: el("div", null,
        el("p", { class: `confirm-title sev-edge-${d.severity}` }, severityBadge(d.severity), " ", el("strong", { text: d.title.trim() })),
        summaryBlock(d, dir, sms, inside)),
      confirmLabel: t("send.confirm"),
      danger: d.severity === "critical",
      confirmTest: "send-confirm",
    });
    if (!ok) return;
    const submitButton = form.querySelector("[data-test=send-submit]");
    setBusy(submitButton, true);
    try {
      const result = await api("POST", "/api/v1/alerts", await sealedRequest(d), { headers: { "Idempotency-Key": d.key } });
      S.lastSend = { id: result.id, result };
      S.sendDraft = null;
      toast(t("send.sent", { n: fmtNum(result.recipients) }), "success");
      navigate(`#/alerts/${result.id}`);
    } catch (err) {
      if (!showFieldError(form, err)) {
        showFormError(formError, errorText(err));
        report(err);
      }
    } finally {
      setBusy(submitButton, false);
    }
  });
  append(page, form);
  if (!wanted) {
    const titleInput = form.querySelector("[data-test=send-title]");
    if (titleInput && S.renderCount > 1) titleInput.focus();
  }
}

function showFormError(box, text) {
  box.textContent = text;
  box.hidden = false;
}

/** What the browser can check before asking the server. */
function localCheck(d) {
  if (!d.title.trim()) return { field: "title", detail: t("send.need_title") };
  if (!d.channels.length) return { field: "channels", detail: t("send.need_channel") };
  if (!recipientCount(d)) return { field: "recipients", detail: t("send.need_recipients") };
  const lat = String(d.lat).trim(), lon = String(d.lon).trim();
  if ((lat || lon) && !(Number.isFinite(Number(lat)) && Number.isFinite(Number(lon)) && lat && lon)) return { field: "location.lat", detail: t("send.location_bad") };
  return null;
}

function saveAsTemplate(d) {
  if (d.seal_password && d.body.trim()) {
    toast(t("send.seal_no_template"), "error");
    return;
  }
  const name = el("input", { type: "text", test: "template-name", autocapitalize: "none", spellcheck: "false" });
  const label = el("input", { type: "text", test: "template-button" });
  formDialog({
    title: t("templates.save_as"),
    test: "save-template",
    fields: [
      field(t("templates.name"), name, { name: "name", hint: t("templates.name_hint") }),
      field(t("templates.button"), label, { name: "button" }),
    ],
    onSubmit: async () => {
      const body = { name: name.value.trim(), alert: requestFromDraft(d) };
      if (label.value.trim()) body.button = label.value.trim();
      await api("POST", "/api/v1/templates", body);
      toast(t("templates.saved"), "success");
    },
  });
}

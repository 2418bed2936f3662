import { api } from "/console/api.js";
import { clearErrors, showFieldError } from "/ui/lib/dialog.js";
import { append, button, card, el, field, heading, replace, setBusy, splitList } from "/ui/lib/dom.js";
import { t } from "/ui/lib/i18n.js";
import { report, toast } from "/ui/lib/toast.js";

// ---------------------------------------------------------------------------
// #/appliance: the operator's organisations and the senders assigned to them
// ---------------------------------------------------------------------------

export async function renderAppliance(page) {
  append(page, heading(t("appliance.title")), el("p", { class: "muted", text: t("appliance.intro") }));
  const list = el("div", { class: "stack" });
  const load = async () => {
    const data = await api("GET", "/api/v1/system/organisations");
    const orgs = data.organisations || [];
    replace(list, orgs.length ? orgs.map(assignmentCard) : el("p", { class: "muted", text: t("appliance.none") }));
  };
  append(page, list);
  await load();
}

function assignmentCard(org) {
  const numbers = el("input", { type: "text", test: `assign-sms-${org.slug}`, value: (org.assignments.sms_numbers || []).join(", ") });
  const ssis = el("input", { type: "text", test: `assign-tetra-${org.slug}`, inputmode: "numeric", value: (org.assignments.tetra_ssis || []).join(", ") });
  const form = el("form", { class: "form", novalidate: true, test: `assign-${org.slug}` },
    field(t("appliance.sms_numbers"), numbers, { name: "sms_numbers", hint: t("appliance.sms_hint") }),
    field(t("appliance.tetra_ssis"), ssis, { name: "tetra_ssis", hint: t("appliance.tetra_hint") }));
  const save = button(t("common.save"), { type: "submit", class: "btn-primary", test: `assign-save-${org.slug}` });
  append(form, el("div", { class: "actions" }, save));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const tetra = splitList(ssis.value).map((v) => (/^\d+$/.test(v) ? Number(v) : v));
    setBusy(save, true);
    try {
      const saved = await api("PUT", `/api/v1/system/assignments/${encodeURIComponent(org.slug)}`, { sms_numbers: splitList(numbers.value), tetra_ssis: tetra });
      numbers.value = saved.sms_numbers.join(", ");
      ssis.value = saved.tetra_ssis.join(", ");
      toast(t("appliance.saved", { org: org.name }), "success");
    } catch (err) {
      if (!showFieldError(form, err)) report(err);
    } finally {
      setBusy(save, false);
    }
  });
  return card(`${org.name} (${org.slug})`, form);
}

import { api } from "/console/api.js";
import { loadDirectory } from "/console/directory.js";
import { route } from "/console/router.js";
import { can } from "/console/state.js";
import { enc, settle } from "/ui/lib/api.js";
import { clearErrors, confirmDialog, showFieldError } from "/ui/lib/dialog.js";
import { append, badge, button, card, el, emptyRow, field, heading, replace, select, setBusy, table } from "/ui/lib/dom.js";
import { fmtTime, t } from "/ui/lib/i18n.js";
import { report, toast } from "/ui/lib/toast.js";

// ---------------------------------------------------------------------------
// #/access: API keys and members' devices
// ---------------------------------------------------------------------------

export async function renderAccess(page) {
  append(page, heading(t("access.title")));
  if (can("manage_api_keys")) append(page, await apiKeysCard());
  if (can("manage_devices")) append(page, await memberDevicesCard());
}

async function apiKeysCard() {
  const [data, roles] = await Promise.all([api("GET", "/api/v1/apikeys"), can("read_directory") ? settle(api("GET", "/api/v1/roles")) : Promise.resolve({ ok: false })]);
  const keys = data.apikeys || [];
  const keyState = (k) => (k.revoked_at ? "revoked" : k.expires_at && new Date(k.expires_at) < new Date() ? "expired" : "active");
  const rows = keys.length ? keys.map((k) => el("tr", { test: `apikey-row-${k.id}` },
    el("td", null, el("strong", { text: k.name })),
    el("td", { text: k.role }),
    el("td", { text: fmtTime(k.created_at) }),
    el("td", { text: k.expires_at ? fmtTime(k.expires_at) : t("access.never") }),
    el("td", { text: k.last_used_at ? fmtTime(k.last_used_at) : "–" }),
    el("td", null, badge(t(`access.key_${keyState(k)}`), keyState(k) === "active" ? "b-ok" : "b-muted")),
    el("td", null, k.revoked_at ? null : button(t("access.revoke"), { class: "btn-small btn-danger-quiet", test: `apikey-revoke-${k.id}`, onclick: async () => {
      if (!await confirmDialog({ title: t("access.revoke_title"), message: t("access.revoke_text", { name: k.name }), danger: true, confirmLabel: t("access.revoke"), confirmTest: "revoke-confirm" })) return;
      try {
        await api("DELETE", `/api/v1/apikeys/${enc(k.id)}`);
        toast(t("access.revoked"), "success");
        route();
      } catch (err) {
        report(err);
      }
    } })))) : emptyRow(7, t("access.no_keys"));
  const name = el("input", { type: "text", test: "apikey-name" });
  const roleNames = roles.ok ? roles.value.roles.map((r) => r.name) : ["sender"];
  const role = select(roleNames.map((r) => [r, r]), roleNames.includes("sender") ? "sender" : roleNames[0], { test: "apikey-role" });
  const expires = el("input", { type: "number", min: "1", max: "3650", test: "apikey-expires" });
  const secretBox = el("div", { "aria-live": "polite" });
  const submit = button(t("access.create_key"), { type: "submit", class: "btn-primary", test: "apikey-create" });
  const form = el("form", { class: "form", novalidate: true },
    el("div", { class: "grid-3" },
      field(t("access.key_name"), name, { name: "name" }),
      field(t("access.key_role"), role, { name: "role" }),
      field(t("access.expires_days"), expires, { name: "expires_in_days", hint: t("access.expires_hint") })),
    el("div", { class: "form-actions" }, submit), secretBox);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = { name: name.value.trim(), role: role.value };
    if (expires.value) body.expires_in_days = Number(expires.value);
    setBusy(submit, true);
    try {
      const created = await api("POST", "/api/v1/apikeys", body);
      const secret = el("code", { class: "secret", test: "apikey-secret", text: created.key });
      replace(secretBox, el("div", { class: "notice secret-box", role: "status" },
        el("p", null, el("strong", { text: t("access.secret_once") })), secret, " ",
        button(t("access.copy"), { class: "btn-small", test: "apikey-copy", onclick: async () => {
          try {
            await navigator.clipboard.writeText(created.key);
            toast(t("access.copied"), "success");
          } catch (_) {
            const range = document.createRange();
            range.selectNodeContents(secret);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            toast(t("access.copy_manual"), "info");
          }
        } }),
        " ", button(t("access.done"), { class: "btn-small", onclick: () => route() })));
      name.value = "";
    } catch (err) {
      if (!showFieldError(form, err)) report(err);
    } finally {
      setBusy(submit, false);
    }
  });
  return card(t("access.keys"),
    table([t("access.key_name"), t("access.key_role"), t("access.created"), t("access.expires"), t("access.last_used"), t("access.status"), ""], rows, { test: "apikeys-table" }),
    el("h3", { text: t("access.new_key") }), form);
}

async function memberDevicesCard() {
  const [data, dir] = await Promise.all([api("GET", "/api/v1/devices"), loadDirectory()]);
  const devices = data.devices || [];
  const who = (id) => {
    const u = dir.byId.get(id);
    return u ? `${u.name} (${u.username})` : id;
  };
  const status = (d) => (d.wipe_delivered_at ? "wiped" : d.wipe_requested_at ? "wipe_pending" : d.blocked_at ? "blocked" : "active");
  const act = async (d, action) => {
    const wipe = action === "wipe";
    if (!await confirmDialog({
      title: wipe ? t("access.wipe_title") : t("access.block_title"),
      message: t(wipe ? "access.wipe_text" : "access.block_text", { name: d.name, who: who(d.user_id) }),
      danger: true, confirmLabel: wipe ? t("access.wipe") : t("access.block"), confirmTest: `${action}-confirm`,
    })) return;
    try {
      await api("POST", `/api/v1/devices/${enc(d.id)}/${action}`);
      toast(wipe ? t("access.wipe_ordered") : t("access.blocked"), "success");
      route();
    } catch (err) {
      report(err);
    }
  };
  return card(t("access.devices"),
    table([t("access.person"), t("access.device"), t("access.platform"), t("access.first_seen"), t("access.last_seen"), t("access.status"), ""],
      devices.length ? devices.map((d) => el("tr", { test: `device-row-${d.id}` },
        el("td", { text: who(d.user_id) }),
        el("td", { class: "wrap", text: d.name }),
        el("td", { text: d.platform }),
        el("td", { text: fmtTime(d.created_at) }),
        el("td", { text: fmtTime(d.last_seen_at) }),
        el("td", null, badge(t(`access.dev_${status(d)}`), status(d) === "active" ? "b-ok" : "b-bad")),
        el("td", { class: "actions-cell" },
          d.blocked_at ? null : button(t("access.block"), { class: "btn-small", test: `device-block-${d.id}`, onclick: () => act(d, "block") }),
          d.wipe_requested_at ? null : button(t("access.wipe"), { class: "btn-small btn-danger-quiet", test: `device-wipe-${d.id}`, onclick: () => act(d, "wipe") })))) : emptyRow(7, t("access.no_devices")),
      { test: "devices-table" }));
}

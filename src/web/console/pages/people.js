import { api } from "/console/api.js";
import { loadDirectory } from "/console/directory.js";
import { route } from "/console/router.js";
import { CHANNELS, PERMISSIONS, can } from "/console/state.js";
import { enc, withoutField } from "/ui/lib/api.js";
import { clearErrors, confirmDialog, formDialog, showFieldError } from "/ui/lib/dialog.js";
import { append, badge, button, card, checkbox, download, el, emptyRow, field, heading, replace, select, setBusy, splitList, table, uid } from "/ui/lib/dom.js";
import { fmtNum, t, tn } from "/ui/lib/i18n.js";
import { report, toast } from "/ui/lib/toast.js";

// ---------------------------------------------------------------------------
// #/people: users, groups, roles, CSV import
// ---------------------------------------------------------------------------

const PEOPLE_TABS = [
  { name: "users", allowed: () => can("read_directory") },
  { name: "groups", allowed: () => can("read_directory") },
  { name: "roles", allowed: () => can("read_directory") },
  { name: "import", allowed: () => can("manage_users") },
];

export async function renderPeople(page, match) {
  const tabs = PEOPLE_TABS.filter((x) => x.allowed());
  const current = tabs.find((x) => x.name === (match[1] || "users")) || tabs[0];
  append(page, heading(t("people.title")));
  if (!current) {
    append(page, el("p", { text: t("common.not_allowed") }));
    return;
  }
  page.setAttribute("data-tab", current.name);
  append(page, el("nav", { class: "tabs", "aria-label": t("people.title") }, tabs.map((x) => el("a", {
    href: `#/people/${x.name}`, test: `people-tab-${x.name}`, class: x === current ? "active" : null,
    "aria-current": x === current ? "page" : null, text: t(`people.tab_${x.name}`),
  }))));
  const body = el("div", { class: "tab-body" });
  append(page, body);
  if (current.name === "import") {
    renderImport(body);
    return;
  }
  const dir = await loadDirectory();
  if (!page.isConnected) return;
  const reload = () => route();
  if (current.name === "users") renderUsers(body, dir, reload);
  else if (current.name === "groups") renderGroups(body, dir, reload);
  else renderRoles(body, dir, reload);
}

function languageOptions() {
  return [["", t("users.lang_none")], ["fi", "Suomi"], ["sv", "Svenska"], ["en", "English"]];
}

/** The inputs of a person, for creating (with username) or editing. */
function userInputs(dir, user, prefix) {
  const x = user || {};
  const test = (name) => (prefix ? `${prefix}-${name}` : null);
  const inputs = {
    username: el("input", { type: "text", test: test("username"), autocapitalize: "none", spellcheck: "false", autocomplete: "off" }),
    name: el("input", { type: "text", value: x.name || "", test: test("name"), autocomplete: "off" }),
    phones: el("input", { type: "text", value: (x.phones || []).join("; "), test: test("phones"), inputmode: "tel", autocomplete: "off" }),
    email: el("input", { type: "email", value: x.email || "", test: test("email"), autocomplete: "off" }),
    tetra_issi: el("input", { type: "text", inputmode: "numeric", value: x.tetra_issi != null ? String(x.tetra_issi) : "", test: test("issi") }),
    language: select(languageOptions(), x.language || "", { test: test("language") }),
  };
  inputs.channels = CHANNELS.map((c) => checkbox(t(`ch.${c}`), { checked: (x.channels || []).includes(c), value: c, test: test(`channel-${c}`) }));
  inputs.groups = dir.groups.map((g) => checkbox(g.name, { checked: !!user && (g.members || []).includes(user.id), value: g.name, test: test(`group-${g.name}`) }));
  inputs.roles = dir.roles.map((r) => checkbox(r.name, { checked: (x.roles || []).includes(r.name), value: r.name, test: test(`role-${r.name}`) }));
  const nodes = [
    user ? null : field(t("users.username"), inputs.username, { name: "username", hint: t("users.username_hint") }),
    field(t("users.name"), inputs.name, { name: "name" }),
    field(t("users.phones"), inputs.phones, { name: "phones", hint: t("users.phones_hint") }),
    el("div", { class: "grid-3" },
      field(t("users.email"), inputs.email, { name: "email" }),
      field(t("users.issi"), inputs.tetra_issi, { name: "tetra_issi" }),
      field(t("users.language"), inputs.language, { name: "language" })),
    el("fieldset", { class: "fieldset", "data-field": "channels" }, el("legend", { text: t("users.channels") }),
      el("p", { class: "hint", text: t("users.channels_hint") }), el("div", { class: "check-row" }, inputs.channels),
      el("p", { class: "field-error", role: "alert" })),
    dir.groups.length && can("manage_groups") ? el("fieldset", { class: "fieldset", "data-field": "groups" }, el("legend", { text: t("users.groups") }),
      el("div", { class: "check-row" }, inputs.groups), el("p", { class: "field-error", role: "alert" })) : null,
    can("manage_roles") ? el("fieldset", { class: "fieldset", "data-field": "roles" }, el("legend", { text: t("users.roles") }),
      el("div", { class: "check-row" }, inputs.roles), el("p", { class: "field-error", role: "alert" })) : null,
  ];
  const checked = (list) => list.filter((c) => c.input.checked).map((c) => c.input.value);
  const values = () => {
    const issi = inputs.tetra_issi.value.trim();
    return {
      name: inputs.name.value.trim(),
      phones: splitList(inputs.phones.value),
      email: inputs.email.value.trim() || null,
      tetra_issi: issi ? (/^\d+$/.test(issi) ? Number(issi) : issi) : null,
      language: inputs.language.value || null,
      channels: checked(inputs.channels),
      groups: checked(inputs.groups),
      roles: checked(inputs.roles),
    };
  };
  return { nodes, inputs, values };
}

function renderUsers(body, dir, reload) {
  const filter = el("input", { type: "search", test: "users-filter" });
  const tbody = el("tbody");
  const groupsOf = (u) => u.groups || dir.groups.filter((g) => (g.members || []).includes(u.id)).map((g) => g.name);
  const render = () => {
    const q = filter.value.trim().toLowerCase();
    const list = dir.users.filter((u) => !q || [u.name, u.username, u.email || "", ...(u.phones || [])].some((v) => v.toLowerCase().includes(q)));
    replace(tbody, list.length ? list.map((u) => el("tr", { test: `user-row-${u.username}` },
      el("td", null, el("strong", { text: u.name }), el("div", { class: "muted", text: u.username }),
        el("div", { class: "user-flags" },
          u.can_log_in ? null : badge(t("users.receive_only"), "b-muted"),
          u.must_change_password ? badge(t("users.must_change"), "b-warn") : null,
          u.second_factor ? badge(t("users.has_2fa"), "b-ok") : null,
          u.scim_managed ? badge(t("users.scim_managed"), "b-perm") : null,
          u.active === false ? badge(t("users.deactivated"), "b-bad") : null)),
      el("td", { class: "contact" },
        (u.phones || []).map((p) => el("div", { text: p })),
        u.email ? el("div", { text: u.email }) : null,
        u.tetra_issi != null ? el("div", { text: `ISSI ${u.tetra_issi}` }) : null,
        !(u.phones || []).length && !u.email && u.tetra_issi == null ? "–" : null),
      el("td", { text: groupsOf(u).join(", ") || "–" }),
      el("td", { text: (u.roles || []).join(", ") || "–" }),
      el("td", { class: "actions-cell actions-wrap" }, can("manage_users") ? [
        button(t("common.edit"), { class: "btn-small", test: `user-edit-${u.username}`, onclick: () => editUser(u, dir, reload) }),
        button(t("users.set_password"), { class: "btn-small", test: `user-password-${u.username}`, onclick: () => resetPassword(u) }),
        u.second_factor ? button(t("users.reset_2fa"), { class: "btn-small", test: `user-2fa-${u.username}`, onclick: () => resetSecondFactor(u, reload) }) : null,
        button(t("users.end_sessions"), { class: "btn-small", test: `user-sessions-${u.username}`, onclick: () => endSessions(u) }),
        button(t("users.export"), { class: "btn-small", test: `user-export-${u.username}`, onclick: (e) => exportUser(u, e.currentTarget) }),
        button(t("common.delete"), { class: "btn-small btn-danger-quiet", test: `user-delete-${u.username}`, onclick: () => deleteUser(u, reload) }),
        button(t("users.erase"), { class: "btn-small btn-danger-quiet", test: `user-erase-${u.username}`, onclick: () => eraseUser(u, reload) }),
      ] : null))) : emptyRow(5, t("users.none")));
  };
  filter.addEventListener("input", render);
  render();
  append(body,
    el("div", { class: "table-tools" }, el("h2", { text: tn("users.count", dir.users.length) }), field(t("common.filter"), filter)),
    el("div", { class: "table-wrap" }, el("table", { class: "table", test: "users-table" },
      el("caption", { class: "sr-only", text: t("people.tab_users") }),
      el("thead", null, el("tr", null, [t("users.name"), t("users.contact"), t("users.groups"), t("users.roles"), ""].map((h) => el("th", { scope: "col", text: h })))),
      tbody)));
  if (can("manage_users")) append(body, createUserCard(dir, reload));
}

function createUserCard(dir, reload) {
  const form = userInputs(dir, null, "user-create");
  const password = el("input", { type: "password", autocomplete: "new-password", test: "user-create-password" });
  const mustChange = checkbox(t("users.must_change_next"), { checked: true, test: "user-create-must-change" });
  const submit = button(t("users.create"), { type: "submit", class: "btn-primary", test: "user-create-submit" });
  const node = el("form", { class: "form", novalidate: true }, form.nodes,
    field(t("users.password_optional"), password, { name: "password", hint: t("users.password_hint") }),
    mustChange, el("div", { class: "form-actions" }, submit));
  node.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(node);
    const v = form.values();
    const body = { username: form.inputs.username.value.trim().toLowerCase(), name: v.name, phones: v.phones, channels: v.channels };
    if (v.email) body.email = v.email;
    if (v.tetra_issi !== null) body.tetra_issi = v.tetra_issi;
    if (v.language) body.language = v.language;
    if (v.groups.length) body.groups = v.groups;
    if (can("manage_roles") && v.roles.length) body.roles = v.roles;
    if (password.value) {
      body.password = password.value;
      body.must_change_password = mustChange.input.checked;
    }
    if (!body.username) return showFieldError(node, { problem: { field: "username", detail: t("common.required") } });
    if (!body.name) return showFieldError(node, { problem: { field: "name", detail: t("common.required") } });
    setBusy(submit, true);
    try {
      await api("POST", "/api/v1/users", body);
      toast(t("users.created", { name: body.name }), "success");
      reload();
    } catch (err) {
      if (!showFieldError(node, err)) report(err);
    } finally {
      setBusy(submit, false);
    }
  });
  return card(t("users.add"), node);
}

function editUser(user, dir, reload) {
  const form = userInputs(dir, user, "user-edit");
  formDialog({
    title: t("users.edit_title", { name: user.name }),
    test: "user-edit",
    wide: true,
    fields: form.nodes,
    onSubmit: async () => {
      const v = form.values();
      const body = { name: v.name, phones: v.phones, email: v.email, tetra_issi: v.tetra_issi, language: v.language, channels: v.channels };
      const oldRoles = [...(user.roles || [])].sort().join();
      if (can("manage_roles") && [...v.roles].sort().join() !== oldRoles) body.roles = v.roles;
      await api("PATCH", `/api/v1/users/${enc(user.username)}`, body);
      if (can("manage_groups")) {
        for (const g of dir.groups) {
          const was = (g.members || []).includes(user.id);
          const now = v.groups.includes(g.name);
          if (was === now) continue;
          const members = now ? [...(g.members || []), user.id] : (g.members || []).filter((m) => m !== user.id);
          await api("PATCH", `/api/v1/groups/${enc(g.id)}`, { members });
        }
      }
      toast(t("common.saved"), "success");
      reload();
    },
  });
}

function resetPassword(user) {
  const password = el("input", { type: "password", autocomplete: "new-password", test: "reset-password" });
  const mustChange = checkbox(t("users.must_change_next"), { checked: true, test: "reset-must-change" });
  formDialog({
    title: t("users.password_title", { name: user.name }),
    test: "reset-password-dialog",
    fields: [field(t("password.new"), password, { name: "password", hint: t("users.password_hint") }), mustChange],
    onSubmit: async () => {
      await api("PATCH", `/api/v1/users/${enc(user.username)}`, { password: password.value, must_change_password: mustChange.input.checked });
      toast(t("users.password_set"), "success");
    },
  });
}

async function resetSecondFactor(user, reload) {
  if (!await confirmDialog({ title: t("users.reset_2fa"), message: t("users.reset_2fa_text", { name: user.name }), danger: true, confirmLabel: t("users.reset_2fa"), confirmTest: "reset-2fa-confirm" })) return;
  try {
    await api("POST", `/api/v1/users/${enc(user.username)}/reset-second-factor`);
    toast(t("users.reset_2fa_done"), "success");
    reload();
  } catch (err) {
    report(err);
  }
}

async function endSessions(user) {
  if (!await confirmDialog({ title: t("users.end_sessions"), message: t("users.end_sessions_text", { name: user.name }), confirmLabel: t("users.end_sessions"), confirmTest: "end-sessions-confirm" })) return;
  try {
    const result = await api("DELETE", `/api/v1/users/${enc(user.username)}/sessions`);
    toast(tn("users.sessions_ended", (result && result.ended) || 0), "success");
  } catch (err) {
    report(err);
  }
}

async function deleteUser(user, reload) {
  if (!await confirmDialog({ title: t("users.delete_title"), message: t("users.delete_text", { name: user.name }), danger: true, confirmLabel: t("common.delete"), confirmTest: "delete-confirm" })) return;
  try {
    await api("DELETE", `/api/v1/users/${enc(user.username)}`);
    toast(t("common.deleted"), "success");
    reload();
  } catch (err) {
    report(err);
  }
}

async function exportUser(user, trigger) {
  setBusy(trigger, true);
  try {
    const data = await api("GET", `/api/v1/users/${enc(user.username)}/export`);
    download(`${user.username}-export.json`, JSON.stringify(data, null, 2), "application/json");
    toast(t("users.exported"), "success");
  } catch (err) {
    report(err);
  } finally {
    setBusy(trigger, false);
  }
}

async function eraseUser(user, reload) {
  if (!await confirmDialog({ title: t("users.erase_title"), message: t("users.erase_text", { name: user.name }), danger: true, confirmLabel: t("users.erase"), confirmTest: "erase-confirm" })) return;
  try {
    const result = await api("POST", `/api/v1/users/${enc(user.username)}/erase`, {});
    toast(t("users.erased", { pseudonym: result.pseudonym }), "success");
    reload();
  } catch (err) {
    report(err);
  }
}

/** A text field of usernames kept in step with a checkbox per person. */
function memberPicker(dir, initial, test) {
  const input = el("input", { type: "text", test, autocomplete: "off", autocapitalize: "none", spellcheck: "false", value: initial.join(", ") });
  const checks = dir.users.map((u) => checkbox(`${u.name} (${u.username})`, { value: u.username, checked: initial.includes(u.username) }));
  const syncChecks = () => {
    const names = new Set(splitList(input.value));
    for (const c of checks) c.input.checked = names.has(c.input.value);
  };
  for (const c of checks) {
    c.input.addEventListener("change", () => {
      const names = splitList(input.value).filter((n) => n !== c.input.value);
      if (c.input.checked) names.push(c.input.value);
      input.value = names.join(", ");
    });
  }
  input.addEventListener("input", syncChecks);
  const list = el("div", { class: "member-list" }, checks);
  return { input, list, values: () => splitList(input.value) };
}

function renderGroups(body, dir, reload) {
  const nameOf = (id) => {
    const u = dir.byId.get(id);
    return u ? u.name : id;
  };
  append(body,
    el("h2", { text: tn("groups.count", dir.groups.length) }),
    table([t("groups.name"), t("groups.members"), ""], dir.groups.length ? dir.groups.map((g) => el("tr", { test: `group-row-${g.name}` },
      el("td", null, el("strong", { text: g.name })),
      el("td", null, el("span", { class: "count-pill", text: fmtNum((g.members || []).length) }), " ",
        el("span", { class: "muted", text: (g.members || []).map(nameOf).join(", ") })),
      el("td", { class: "actions-cell" }, can("manage_groups") ? [
        button(t("common.edit"), { class: "btn-small", test: `group-edit-${g.name}`, onclick: () => editGroup(g, dir, reload) }),
        button(t("common.delete"), { class: "btn-small btn-danger-quiet", test: `group-delete-${g.name}`, onclick: async () => {
          if (!await confirmDialog({ title: t("groups.delete_title"), message: t("groups.delete_text", { name: g.name }), danger: true, confirmLabel: t("common.delete"), confirmTest: "delete-confirm" })) return;
          try {
            await api("DELETE", `/api/v1/groups/${enc(g.id)}`);
            toast(t("common.deleted"), "success");
            reload();
          } catch (err) {
            report(err);
          }
        } }),
      ] : null))) : emptyRow(3, t("groups.none")), { test: "groups-table" }));
  if (!can("manage_groups")) return;
  const name = el("input", { type: "text", test: "group-create-name", autocomplete: "off" });
  const picker = memberPicker(dir, [], "group-create-members");
  const submit = button(t("groups.create"), { type: "submit", class: "btn-primary", test: "group-create-submit" });
  const form = el("form", { class: "form", novalidate: true },
    field(t("groups.name"), name, { name: "name" }),
    field(t("groups.members"), picker.input, { name: "members", hint: t("groups.members_hint") }),
    dir.users.length ? el("details", { class: "more" }, el("summary", { text: t("groups.pick") }), picker.list) : null,
    el("div", { class: "form-actions" }, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!name.value.trim()) return showFieldError(form, { problem: { field: "name", detail: t("common.required") } });
    setBusy(submit, true);
    try {
      await api("POST", "/api/v1/groups", { name: name.value.trim(), members: picker.values() });
      toast(t("groups.created", { name: name.value.trim() }), "success");
      reload();
    } catch (err) {
      if (!showFieldError(form, err)) report(err);
    } finally {
      setBusy(submit, false);
    }
  });
  append(body, card(t("groups.add"), form));
}

function editGroup(group, dir, reload) {
  const name = el("input", { type: "text", value: group.name, test: "group-edit-name" });
  const usernames = (group.members || []).map((id) => (dir.byId.get(id) || { username: id }).username);
  const picker = memberPicker(dir, usernames, "group-edit-members");
  formDialog({
    title: t("groups.edit_title", { name: group.name }),
    test: "group-edit",
    wide: true,
    fields: [field(t("groups.name"), name, { name: "name" }),
      field(t("groups.members"), picker.input, { name: "members", hint: t("groups.members_hint") }), picker.list],
    onSubmit: async () => {
      const body = { members: picker.values() };
      if (name.value.trim() !== group.name) body.name = name.value.trim();
      await api("PATCH", `/api/v1/groups/${enc(group.id)}`, body);
      toast(t("common.saved"), "success");
      reload();
    },
  });
}

function permissionChecks(selected, disabled, prefix) {
  return PERMISSIONS.map((p) => checkbox(t(`perm.${p}`), { value: p, checked: selected.includes(p), disabled, test: `${prefix}-${p}` }));
}

function alertGroupsInputs(dir, current, prefix) {
  const limited = checkbox(t("roles.limit_groups"), { checked: Array.isArray(current), test: `${prefix}-limit` });
  const ids = current || [];
  const checks = dir.groups.map((g) => checkbox(g.name, { value: g.id, checked: ids.includes(g.id) || ids.includes(g.name) }));
  const list = el("div", { class: "check-row" }, checks);
  const sync = () => {
    list.hidden = !limited.input.checked;
  };
  limited.input.addEventListener("change", sync);
  sync();
  return {
    nodes: el("fieldset", { class: "fieldset", "data-field": "alert_groups" }, el("legend", { text: t("roles.alert_groups") }), limited, list, el("p", { class: "field-error", role: "alert" })),
    value: () => (limited.input.checked ? checks.filter((c) => c.input.checked).map((c) => c.input.value) : null),
  };
}

function renderRoles(body, dir, reload) {
  const groupName = (id) => (dir.group(id) || { name: id }).name;
  append(body,
    el("h2", { text: tn("roles.count", dir.roles.length) }),
    table([t("roles.name"), t("roles.description"), t("roles.permissions"), t("roles.alert_groups"), ""], dir.roles.map((r) => el("tr", { test: `role-row-${r.name}` },
      el("td", null, el("strong", { text: r.name }), r.built_in ? el("div", { class: "hint", text: t("roles.built_in") }) : null),
      el("td", { text: r.description || "–" }),
      el("td", null, (r.permissions || []).map((p) => badge(t(`perm.${p}`), "b-perm"))),
      el("td", { text: Array.isArray(r.alert_groups) ? r.alert_groups.map(groupName).join(", ") || t("roles.no_groups") : t("roles.any_group") }),
      el("td", { class: "actions-cell" }, can("manage_roles") ? [
        button(t("common.edit"), { class: "btn-small", test: `role-edit-${r.name}`, onclick: () => editRole(r, dir, reload) }),
        r.built_in ? null : button(t("common.delete"), { class: "btn-small btn-danger-quiet", test: `role-delete-${r.name}`, onclick: async () => {
          if (!await confirmDialog({ title: t("roles.delete_title"), message: t("roles.delete_text", { name: r.name }), danger: true, confirmLabel: t("common.delete"), confirmTest: "delete-confirm" })) return;
          try {
            await api("DELETE", `/api/v1/roles/${enc(r.name)}`);
            toast(t("common.deleted"), "success");
            reload();
          } catch (err) {
            report(err);
          }
        } }),
      ] : null))), { test: "roles-table" }));
  if (!can("manage_roles")) return;
  const name = el("input", { type: "text", test: "role-create-name", autocapitalize: "none", spellcheck: "false" });
  const description = el("input", { type: "text", test: "role-create-description" });
  const perms = permissionChecks([], false, "role-create-perm");
  const groups = alertGroupsInputs(dir, null, "role-create-groups");
  const submit = button(t("roles.create"), { type: "submit", class: "btn-primary", test: "role-create-submit" });
  const form = el("form", { class: "form", novalidate: true },
    field(t("roles.name"), name, { name: "name", hint: t("users.username_hint") }),
    field(t("roles.description"), description, { name: "description" }),
    el("fieldset", { class: "fieldset", "data-field": "permissions" }, el("legend", { text: t("roles.permissions") }), el("div", { class: "check-grid" }, perms), el("p", { class: "field-error", role: "alert" })),
    groups.nodes,
    el("div", { class: "form-actions" }, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    setBusy(submit, true);
    try {
      await api("POST", "/api/v1/roles", {
        name: name.value.trim(), description: description.value.trim(),
        permissions: perms.filter((c) => c.input.checked).map((c) => c.input.value),
        alert_groups: groups.value(),
      });
      toast(t("roles.created", { name: name.value.trim() }), "success");
      reload();
    } catch (err) {
      if (!showFieldError(form, err)) report(err);
    } finally {
      setBusy(submit, false);
    }
  });
  append(body, card(t("roles.add"), form));
}

function editRole(role, dir, reload) {
  const description = el("input", { type: "text", value: role.description || "", test: "role-edit-description" });
  const isAdmin = role.name === "admin";
  const perms = permissionChecks(role.permissions || [], isAdmin, "role-edit-perm");
  const groups = alertGroupsInputs(dir, role.alert_groups, "role-edit-groups");
  formDialog({
    title: t("roles.edit_title", { name: role.name }),
    test: "role-edit",
    wide: true,
    fields: [field(t("roles.description"), description, { name: "description" }),
      el("fieldset", { class: "fieldset", "data-field": "permissions" }, el("legend", { text: t("roles.permissions") }),
        isAdmin ? el("p", { class: "hint", text: t("roles.admin_all") }) : null,
        el("div", { class: "check-grid" }, perms), el("p", { class: "field-error", role: "alert" })),
      groups.nodes],
    onSubmit: async () => {
      const body = { description: description.value.trim(), alert_groups: groups.value() };
      if (!isAdmin) body.permissions = perms.filter((c) => c.input.checked).map((c) => c.input.value);
      await api("PATCH", `/api/v1/roles/${enc(role.name)}`, body);
      toast(t("common.saved"), "success");
      reload();
    },
  });
}

function renderImport(body) {
  const text = el("textarea", { rows: "10", test: "import-csv", spellcheck: "false", class: "mono", placeholder: "username,name,phones,email,tetra_issi,groups,roles,language" });
  const file = el("input", { type: "file", accept: ".csv,text/csv,text/plain", test: "import-file" });
  const preview = button(t("import.preview"), { type: "submit", class: "btn-primary", test: "import-preview" });
  const run = button(t("import.run"), { class: "btn-primary", test: "import-run", disabled: true });
  const result = el("div", { "aria-live": "polite", test: "import-result" });
  let previewed = null;

  file.addEventListener("change", () => {
    const chosen = file.files && file.files[0];
    if (!chosen) return;
    const reader = new FileReader();
    reader.onload = () => {
      text.value = String(reader.result || "").replace(/^\uFEFF/, "");
      previewed = null;
      run.disabled = true;
    };
    reader.onerror = () => toast(t("import.read_failed"), "error");
    reader.readAsText(chosen);
  });
  text.addEventListener("input", () => {
    previewed = null;
    run.disabled = true;
  });

  const showRows = (data, dryRun) => {
    const rows = data.rows || [];
    const bad = rows.filter((r) => !r.ok).length;
    const good = rows.length - bad;
    replace(result,
      el("p", { class: bad ? "warn-text" : "ok-text", role: "status", test: "import-summary" },
        dryRun ? t("import.preview_summary", { good: fmtNum(good), bad: fmtNum(bad) }) : t("import.done_summary", { n: fmtNum(data.imported || 0), bad: fmtNum(bad) })),
      table([t("import.row"), t("users.username"), t("import.status"), t("import.errors")], rows.map((r) => el("tr", {
        test: `import-row-${r.row}`, "data-ok": r.ok ? "true" : "false", class: r.ok ? "row-ok" : "row-bad",
      },
      el("td", { text: String(r.row) }),
      el("td", { text: r.username || "–" }),
      el("td", null, r.ok ? badge(dryRun ? t("import.ok") : t("import.imported"), "b-ok") : badge(t("import.refused"), "b-bad")),
      el("td", { class: "errors" }, (r.errors || []).map((e) => el("div", { class: "error-text", text: `${e.field}: ${withoutField(e.field, e.detail)}` }))))), { test: "import-table" }));
    return good;
  };

  const form = el("form", { class: "form", novalidate: true },
    el("p", { class: "hint", text: t("import.intro") }),
    el("pre", { class: "example", text: "username,name,phones,email,tetra_issi,groups,roles,language\naino,Aino Virtanen,+358401000001;+358401000009,aino@example.org,2001001,firefighters;officers,,fi" }),
    field(t("import.file"), file),
    el("div", { class: "field", "data-field": "body" },
      el("label", { for: text.id = uid("csv"), text: t("import.text") }), text, el("p", { class: "field-error", role: "alert" })),
    el("div", { class: "form-actions" }, preview, run));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!text.value.trim()) return showFieldError(form, { problem: { field: "body", detail: t("common.required") } });
    setBusy(preview, true);
    try {
      const data = await api("POST", "/api/v1/users/import?dry_run=true", text.value, { contentType: "text/csv; charset=utf-8" });
      const good = showRows(data, true);
      previewed = text.value;
      run.disabled = good === 0;
    } catch (err) {
      if (!showFieldError(form, err)) report(err);
    } finally {
      setBusy(preview, false);
    }
  });
  run.addEventListener("click", async () => {
    if (previewed === null || previewed !== text.value) return;
    setBusy(run, true);
    try {
      const data = await api("POST", "/api/v1/users/import?dry_run=false", previewed, { contentType: "text/csv; charset=utf-8" });
      showRows(data, false);
      toast(t("import.done_summary", { n: fmtNum(data.imported || 0), bad: fmtNum((data.rows || []).filter((r) => !r.ok).length) }), "success");
      previewed = null;
    } catch (err) {
      if (!showFieldError(form, err)) report(err);
    } finally {
      setBusy(run, previewed === null);
      run.disabled = previewed === null;
    }
  });
  append(body, card(t("import.title"), form), result);
}

import { SEEN_WITHIN_DEFAULT, areaText } from "/console/areas.js";
import { newKey } from "/console/drafts.js";
import { CHANNELS, SEVERITIES } from "/console/state.js";
import { append, button, checkbox, el, field, replace, uid } from "/ui/lib/dom.js";
import { fmtNum, t, tn } from "/ui/lib/i18n.js";

// ---------------------------------------------------------------------------
// The composer: one form for the send page (prefix "send") and templates ("tpl")
// ---------------------------------------------------------------------------

function parseAddress(text) {
  const raw = String(text || "").trim();
  const compact = raw.replace(/[\s\-().]/g, "");
  if (/^\+[1-9]\d{7,14}$/.test(compact)) return { kind: "phones", value: compact };
  if (/^00[1-9]\d{7,14}$/.test(compact)) return { kind: "phones", value: `+${compact.slice(2)}` };
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(raw)) return { kind: "emails", value: raw };
  const gssi = /^(?:g|gssi|group|ryhmä|grupp)[:\s]*(\d{1,8})$/i.exec(raw);
  if (gssi && Number(gssi[1]) >= 1 && Number(gssi[1]) <= 16777215) return { kind: "tetra_gssi", value: Number(gssi[1]) };
  const issi = /^(?:issi[:\s]*)?(\d{1,8})$/i.exec(raw);
  if (issi && Number(issi[1]) >= 1 && Number(issi[1]) <= 16777215) return { kind: "tetra_issi", value: Number(issi[1]) };
  return null;
}

export function composer(d, dir, opts) {
  const p = opts.prefix;
  const changed = () => {
    d.key = newKey();
    refreshChips();
    refreshTetra();
    if (opts.onChange) opts.onChange();
  };

  // Message
  const title = el("input", { type: "text", maxlength: "200", value: d.title, test: `${p}-title`, autocomplete: "off" });
  title.addEventListener("input", () => {
    d.title = title.value;
    changed();
  });
  const body = el("textarea", { rows: "4", maxlength: "4000", test: `${p}-body` });
  body.value = d.body;
  body.addEventListener("input", () => {
    d.body = body.value;
    changed();
  });
  const sealPassword = el("input", { type: "password", autocomplete: "new-password", value: d.seal_password, test: `${p}-seal` });
  sealPassword.addEventListener("input", () => {
    d.seal_password = sealPassword.value;
  });
  const place = (key, label, attrs) => {
    const input = el("input", Object.assign({ type: "text", value: d[key], test: `${p}-${key}` }, attrs));
    input.addEventListener("input", () => {
      d[key] = input.value;
    });
    return field(label, input, { name: key === "place" ? "location.label" : `location.${key}` });
  };
  const whereBox = el("div", { class: "inline" },
    place("lat", t("send.lat"), { inputmode: "decimal", size: "10" }),
    place("lon", t("send.lon"), { inputmode: "decimal", size: "10" }),
    place("place", t("send.location_label"), { maxlength: "200" }));

  // Severity
  const sevButtons = SEVERITIES.map((s) => {
    const b = el("button", {
      type: "button", class: `sev-toggle sev-${s}`, test: `${p}-severity-${s}`, "aria-pressed": String(d.severity === s),
      onclick: () => {
        d.severity = s;
        for (const other of sevButtons) other.setAttribute("aria-pressed", String(other === b));
        changed();
      },
    }, el("span", { class: "sev-dot", "aria-hidden": "true" }), t(`sev.${s}`));
    return b;
  });
  const severity = el("fieldset", { class: "fieldset", "data-field": "severity" },
    el("legend", { text: t("send.severity") }),
    el("div", { class: "sev-row" }, sevButtons),
    el("p", { class: "field-error", role: "alert" }));

  // Recipients
  const chipsBox = el("div", { class: "chips", test: `${p}-chosen`, "aria-live": "polite" });
  const groupToggles = el("div", { class: "toggle-row" });
  const roleToggles = el("div", { class: "toggle-row" });
  const toggleFor = (list, value, label, count, test) => {
    const pressed = d[list].includes(value);
    return el("button", {
      type: "button", class: "chip-toggle", test, "aria-pressed": String(pressed),
      onclick: () => {
        const i = d[list].indexOf(value);
        if (i >= 0) d[list].splice(i, 1);
        else d[list].push(value);
        changed();
      },
    }, label, count !== null ? el("span", { class: "chip-count" },
      el("span", { "aria-hidden": "true", text: fmtNum(count) }), el("span", { class: "sr-only", text: `(${tn("send.members", count)})` })) : null);
  };
  const removeChip = (list, value) => {
    const i = d[list].indexOf(value);
    if (i >= 0) d[list].splice(i, 1);
    changed();
  };
  const chip = (list, value, label, kindLabel) => el("span", { class: `chip chip-${list}` },
    el("span", { class: "chip-kind", text: kindLabel }), el("span", { text: label }),
    el("button", { type: "button", class: "chip-remove", "aria-label": t("send.remove", { name: label }), text: "×", onclick: () => removeChip(list, value) }));

  function refreshChips() {
    replace(groupToggles, dir.groups.map((g) => toggleFor("groups", g.name, g.name, (g.members || []).length, `${p}-group-${g.name}`)));
    replace(roleToggles, dir.roles.map((r) => toggleFor("roles", r.name, r.name, null, `${p}-role-${r.name}`)));
    const chips = [
      d.groups.map((g) => chip("groups", g, (dir.group(g) || { name: g }).name, t("send.kind_group"))),
      d.users.map((u) => chip("users", u, dir.label(u), t("send.kind_person"))),
      d.roles.map((r) => chip("roles", r, r, t("send.kind_role"))),
      d.phones.map((v) => chip("phones", v, v, t("send.kind_phone"))),
      d.emails.map((v) => chip("emails", v, v, t("send.kind_email"))),
      d.tetra_issi.map((v) => chip("tetra_issi", v, String(v), "ISSI")),
      d.tetra_gssi.map((v) => chip("tetra_gssi", v, String(v), "GSSI")),
    ].flat();
    replace(chipsBox, chips.length ? chips : el("span", { class: "muted", text: t("send.nobody") }));
  }

  // An area drawn on the map: whoever was last seen inside.
  const areaBox = el("div", { class: "area-box", test: `${p}-area` });
  function refreshArea() {
    if (!d.area) {
      // The map hands its area to the send page's draft only.
      replace(areaBox, p === "send" ? el("a", { href: "#/map", class: "hint", test: `${p}-area-draw`, text: t("area.draw_on_map") }) : null);
      return;
    }
    const minutes = el("input", { type: "number", min: "1", max: "1440", step: "1", inputmode: "numeric", class: "input-short",
      value: d.seen_within || String(SEEN_WITHIN_DEFAULT), test: `${p}-seen-within` });
    minutes.addEventListener("input", () => {
      d.seen_within = minutes.value;
      changed();
    });
    replace(areaBox,
      el("span", { class: "chip chip-area" },
        el("span", { class: "chip-kind", text: t("area.kind") }), el("span", { test: `${p}-area-text`, text: areaText(d.area) }),
        el("button", { type: "button", class: "chip-remove", test: `${p}-area-remove`, "aria-label": t("area.remove"), text: "×", onclick: () => {
          d.area = null;
          d.follow = false;
          d.seen_within = "";
          refreshArea();
          changed();
        } })),
      p === "send" ? el("a", { href: "#/map", class: "area-edit", test: `${p}-area-edit`, text: t("area.edit_on_map") }) : null,
      field(t("area.seen_within"), minutes, { name: "recipients.seen_within_minutes", hint: t("area.seen_within_hint") }),
      checkbox(t("area.follow"), { checked: d.follow, test: `${p}-follow`, onchange: (e) => { d.follow = e.target.checked; changed(); } }),
      el("div", { class: "field", "data-field": "recipients.area" }, el("p", { class: "field-error", role: "alert" })));
  }
  refreshArea();

  const search = el("input", { type: "search", test: `${p}-people-search`, autocomplete: "off", placeholder: t("send.search_placeholder") });
  const results = el("ul", { class: "search-results", test: `${p}-people-results` });
  const addUser = (user) => {
    if (!d.users.includes(user.username)) d.users.push(user.username);
    search.value = "";
    replace(results);
    changed();
    search.focus();
  };
  const showResults = () => {
    const q = search.value.trim().toLowerCase();
    if (!q) {
      replace(results);
      return;
    }
    const hits = dir.users.filter((u) => !d.users.includes(u.username) &&
      [u.name, u.username, ...(u.phones || []), u.email || ""].some((v) => String(v).toLowerCase().includes(q))).slice(0, 8);
    replace(results, hits.length ? hits.map((u) => el("li", null, el("button", {
      type: "button", class: "result", test: `${p}-person-${u.username}`, onclick: () => addUser(u),
    }, el("strong", { text: u.name }), " ", el("span", { class: "muted", text: u.username })))) : el("li", { class: "muted", text: t("send.no_match") }));
    return hits;
  };
  search.addEventListener("input", showResults);
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      const hits = showResults();
      if (hits && hits.length) addUser(hits[0]);
    } else if (event.key === "Escape") {
      search.value = "";
      replace(results);
    }
  });

  const address = el("input", { type: "text", test: `${p}-address`, autocomplete: "off", placeholder: t("send.address_placeholder") });
  const addressError = el("p", { class: "field-error", role: "alert" });
  const addAddress = () => {
    const parsed = parseAddress(address.value);
    if (!parsed) {
      addressError.textContent = t("send.address_bad");
      address.setAttribute("aria-invalid", "true");
      return;
    }
    addressError.textContent = "";
    address.removeAttribute("aria-invalid");
    if (!d[parsed.kind].includes(parsed.value)) d[parsed.kind].push(parsed.value);
    address.value = "";
    changed();
    address.focus();
  };
  address.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      addAddress();
    }
  });
  const addressId = uid("addr");
  address.id = addressId;

  const recipients = el("fieldset", { class: "fieldset", "data-field": "recipients" },
    el("legend", { text: t("send.recipients") }),
    el("p", { class: "field-error", role: "alert" }),
    dir.groups.length ? [el("h3", { text: t("send.groups") }), groupToggles] : null,
    dir.users.length ? el("div", { class: "field people-search" },
      el("label", { for: search.id = uid("search"), text: t("send.people") }), search, results) : null,
    el("div", { class: "field" },
      el("label", { for: addressId, text: t("send.address") }),
      el("div", { class: "inline" }, address, button(t("send.add"), { test: `${p}-address-add`, onclick: addAddress })),
      el("p", { class: "hint", text: t("send.address_hint") }), addressError),
    dir.roles.length ? el("details", { class: "more", open: d.roles.length > 0 },
      el("summary", { text: t("send.roles") }), roleToggles) : null,
    el("h3", { text: t("send.chosen") }), chipsBox,
    p === "send" || d.area ? [el("h3", { text: t("area.title") }), areaBox] : null);

  // Channels
  const channels = el("fieldset", { class: "fieldset", "data-field": "channels" },
    el("legend", { text: t("send.channels") }),
    el("div", { class: "check-row" }, CHANNELS.map((c) => checkbox(t(`ch.${c}`), {
      checked: d.channels.includes(c), test: `${p}-channel-${c}`, value: c,
      onchange: (event) => {
        if (event.target.checked) d.channels = CHANNELS.filter((x) => x === c || d.channels.includes(x));
        else d.channels = d.channels.filter((x) => x !== c);
        changed();
      },
    }))),
    el("p", { class: "field-error", role: "alert" }));

  // Answers
  const responsesList = el("div", { class: "responses" });
  const refreshResponses = () => {
    replace(responsesList, d.responses.map((value, i) => {
      const input = el("input", { type: "text", maxlength: "40", value, test: `${p}-response-${i}`, "aria-label": t("send.option_n", { n: i + 1 }) });
      input.addEventListener("input", () => {
        d.responses[i] = input.value;
        changed();
      });
      return el("div", { class: "inline" },
        el("span", { class: "option-n", "aria-hidden": "true", text: `${i + 1}.` }), input,
        button("×", { class: "btn-small btn-quiet", ariaLabel: t("send.remove_option", { n: i + 1 }), onclick: () => {
          d.responses.splice(i, 1);
          refreshResponses();
          changed();
        } }));
    }), d.responses.length < 6 ? button(t("send.add_option"), { class: "btn-small", test: `${p}-add-option`, onclick: () => {
      d.responses.push("");
      refreshResponses();
      const inputs = responsesList.querySelectorAll("input");
      inputs[inputs.length - 1].focus();
    } }) : null);
  };
  refreshResponses();
  const answers = el("fieldset", { class: "fieldset", "data-field": "responses" },
    el("legend", { text: t("send.answers") }),
    el("p", { class: "hint", text: t("send.answers_hint") }),
    responsesList,
    el("p", { class: "field-error", role: "alert" }),
    el("div", { class: "check-row" },
      checkbox(t("send.allow_eta"), { checked: d.allow_eta, test: `${p}-allow-eta`, onchange: (e) => { d.allow_eta = e.target.checked; changed(); } }),
      checkbox(t("send.allow_text"), { checked: d.allow_text, test: `${p}-allow-text`, onchange: (e) => { d.allow_text = e.target.checked; changed(); } })));

  // Escalation
  const numberInput = (key, test, min, max) => {
    const input = el("input", { type: "number", min, max, inputmode: "numeric", value: d[key], test });
    input.addEventListener("input", () => {
      d[key] = input.value;
      changed();
    });
    return input;
  };
  const thenGroups = el("div", { class: "check-row" }, dir.groups.map((g) => checkbox(g.name, {
    checked: d.then_groups.includes(g.name), onchange: (e) => {
      if (e.target.checked) d.then_groups.push(g.name);
      else d.then_groups = d.then_groups.filter((x) => x !== g.name);
      changed();
    },
  })));
  const escalationOpen = !!(d.next_channel_after || d.min_coming || d.coming_within || d.then_groups.length);
  const escalation = el("details", { class: "more fieldset-like", open: escalationOpen },
    el("summary", { text: t("send.escalation") }),
    field(t("send.next_channel_after"), numberInput("next_channel_after", `${p}-escalation-seconds`, "5", "86400"), { name: "escalation.next_channel_after_seconds", hint: t("send.next_channel_hint") }),
    el("div", { class: "grid-3" },
      field(t("send.min_coming"), numberInput("min_coming", `${p}-min-coming`, "1", "100000"), { name: "escalation.min_coming" }),
      field(t("send.coming_within"), numberInput("coming_within", `${p}-coming-within`, "5", "86400"), { name: "escalation.coming_within_seconds" }),
      field(t("send.max_rounds"), numberInput("max_rounds", `${p}-max-rounds`, "1", "10"), { name: "escalation.max_rounds" })),
    el("div", { class: "field", "data-field": "escalation.then_groups" },
      el("span", { class: "label", text: t("send.then_groups") }), thenGroups,
      el("p", { class: "field-error", role: "alert" })));

  // TETRA
  const tetraBox = el("fieldset", { class: "fieldset" }, el("legend", { text: t("send.tetra") }));
  const calloutSeverity = numberInput("callout_severity", `${p}-callout-severity`, "1", "15");
  const status = el("input", { type: "text", maxlength: "8", value: d.tetra_status, test: `${p}-tetra-status` });
  status.addEventListener("input", () => {
    d.tetra_status = status.value;
    changed();
  });
  const calloutCheck = checkbox(t("send.callout"), { checked: d.callout, test: `${p}-callout`, onchange: (e) => { d.callout = e.target.checked; changed(); } });
  const calloutField = field(t("send.callout_severity"), calloutSeverity, { name: "tetra_callout.severity", hint: t("send.callout_hint") });
  const statusField = field(t("send.tetra_status"), status, { name: "tetra_status", hint: t("send.tetra_status_hint") });
  append(tetraBox, calloutCheck, calloutField, statusField);
  function refreshTetra() {
    tetraBox.hidden = !d.channels.includes("tetra");
    calloutField.hidden = !d.callout;
    statusField.hidden = d.callout;
  }

  refreshChips();
  refreshTetra();
  const root = el("div", { class: "composer" },
    el("section", { class: "card" },
      el("h2", { text: t("send.message") }),
      field(t("send.title_label"), title, { name: "title" }),
      field(t("send.body_label"), body, { name: "body" }),
      // Templates are stored as written: only a send can seal its text.
      p === "send" ? field(t("send.seal"), sealPassword, { name: "sealed", hint: t("send.seal_hint") }) : null,
      severity,
      el("h3", { text: t("send.location") }), whereBox),
    el("section", { class: "card" }, recipients),
    el("section", { class: "card" }, channels, tetraBox),
    el("section", { class: "card" }, answers, escalation));
  root.focusTitle = () => title.focus();
  return root;
}

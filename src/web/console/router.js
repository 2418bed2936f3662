import { renderAccess } from "/console/pages/access.js";
import { renderAppliance } from "/console/pages/appliance.js";
import { renderAudit } from "/console/pages/audit.js";
import { renderHardware } from "/console/pages/hardware.js";
import { renderHistory } from "/console/pages/history.js";
import { renderLive } from "/console/pages/live.js";
import { renderMap } from "/console/pages/map.js";
import { renderAccount, renderEnroll, renderHome, renderLogin, renderPasswordStage } from "/console/pages/login.js";
import { renderPeople } from "/console/pages/people.js";
import { renderPrint } from "/console/pages/print.js";
import { renderReview } from "/console/pages/review.js";
import { renderRules } from "/console/pages/rules.js";
import { renderSend } from "/console/pages/send.js";
import { renderSettings } from "/console/pages/settings.js";
import { renderTemplates } from "/console/pages/templates.js";
import { renderShell } from "/console/shell.js";
import { S, can } from "/console/state.js";
import { el, heading, replace } from "/ui/lib/dom.js";
import { t } from "/ui/lib/i18n.js";
import { errorText, report } from "/ui/lib/toast.js";

// ---------------------------------------------------------------------------
// Router
// ---------------------------------------------------------------------------

export const NAV = [
  { name: "send", hash: "#/send", label: "nav.send", allowed: () => can("send_alerts") },
  { name: "alerts", hash: "#/alerts", label: "nav.alerts", allowed: () => can("send_alerts") },
  { name: "map", hash: "#/map", label: "nav.map", allowed: () => can("send_alerts") },
  { name: "people", hash: "#/people", label: "nav.people", allowed: () => can("manage_users") || can("manage_groups") || can("manage_roles") },
  { name: "templates", hash: "#/templates", label: "nav.templates", allowed: () => can("send_alerts") || can("manage_settings") },
  { name: "rules", hash: "#/rules", label: "nav.rules", allowed: () => can("manage_settings") },
  { name: "appliance", hash: "#/appliance", label: "nav.appliance", allowed: () => can("operate_appliance") },
  { name: "hardware", hash: "#/hardware", label: "nav.hardware", allowed: () => can("manage_devices") || can("operate_appliance") },
  { name: "access", hash: "#/access", label: "nav.access", allowed: () => can("manage_api_keys") || can("manage_devices") },
  { name: "review", hash: "#/review", label: "nav.review", allowed: () => can("manage_users") },
  { name: "audit", hash: "#/audit", label: "nav.audit", allowed: () => can("read_audit") },
  { name: "settings", hash: "#/settings", label: "nav.settings", allowed: () => can("manage_settings") },
];

const ROUTES = [
  { name: "login", re: /^\/login$/, public: true, render: renderLogin },
  { name: "password", re: /^\/password$/, stage: true, render: renderPasswordStage },
  { name: "enroll", re: /^\/enroll$/, stage: true, render: renderEnroll },
  { name: "account", re: /^\/account$/, stage: true, render: renderAccount },
  { name: "send", re: /^\/send$/, nav: "send", render: renderSend },
  { name: "print", re: /^\/alerts\/([0-9A-Za-z]+)\/print$/, nav: "alerts", render: renderPrint },
  { name: "live", re: /^\/alerts\/([0-9A-Za-z]+)$/, nav: "alerts", render: renderLive },
  { name: "alerts", re: /^\/alerts$/, nav: "alerts", render: renderHistory },
  { name: "map", re: /^\/map$/, nav: "map", render: renderMap },
  { name: "people", re: /^\/people(?:\/(users|groups|roles|import))?$/, nav: "people", render: renderPeople },
  { name: "templates", re: /^\/templates$/, nav: "templates", render: renderTemplates },
  { name: "rules", re: /^\/rules$/, nav: "rules", render: renderRules },
  { name: "appliance", re: /^\/appliance$/, nav: "appliance", render: renderAppliance },
  { name: "hardware", re: /^\/hardware$/, nav: "hardware", render: renderHardware },
  { name: "access", re: /^\/access$/, nav: "access", render: renderAccess },
  { name: "review", re: /^\/review$/, nav: "review", render: renderReview },
  { name: "audit", re: /^\/audit$/, nav: "audit", render: renderAudit },
  { name: "settings", re: /^\/settings$/, nav: "settings", render: renderSettings },
  { name: "home", re: /^\/home$/, render: renderHome },
];

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, search] = raw.split("?");
  return { path, query: new URLSearchParams(search || "") };
}

export function defaultHash() {
  if (!S.me) return "#/login";
  const stage = S.me.session && S.me.session.stage;
  if (stage === "must_change_password") return "#/password";
  if (stage === "must_enroll_second_factor") return "#/enroll";
  const first = NAV.find((item) => item.allowed());
  return first ? first.hash : "#/home";
}

export function onCleanup(fn) {
  S.cleanups.push(fn);
}

export function runCleanups() {
  const list = S.cleanups;
  S.cleanups = [];
  for (const fn of list) {
    try {
      fn();
    } catch (_) {
      // A cleanup that fails must not stop the next page.
    }
  }
}

export async function route() {
  runCleanups();
  const { path, query } = parseHash();
  let match = null;
  let found = ROUTES.find((r) => (match = path.match(r.re)));
  if (!S.me) {
    if (!found || !found.public) {
      if (found && path !== "/") S.afterLogin = location.hash;
      if (location.hash !== "#/login") {
        location.replace("#/login");
        return;
      }
      found = ROUTES[0];
      match = ["/login"];
    }
  } else {
    const stage = S.me.session && S.me.session.stage;
    if (!found || found.public) {
      location.replace(defaultHash());
      return;
    }
    if (stage && stage !== "full" && !found.stage) {
      location.replace(defaultHash());
      return;
    }
  }
  S.renderCount += 1;
  const page = el("div", { class: "page", "data-page": found.name });
  renderShell(found, page);
  const navItem = found.nav && NAV.find((n) => n.name === found.nav);
  if (navItem && !navItem.allowed()) {
    replace(page, heading(t("common.not_allowed_title")), el("p", { text: t("common.not_allowed") }));
    return;
  }
  try {
    await found.render(page, match, query);
  } catch (err) {
    if (page.isConnected) page.append(el("p", { class: "error-box", role: "alert", text: errorText(err) }));
    report(err);
  }
  if (S.renderCount > 1 && page.isConnected && !document.querySelector("dialog[open]")) {
    const h1 = page.querySelector("h1");
    if (h1 && !page.contains(document.activeElement)) h1.focus({ preventScroll: true });
  }
}

import { NAV, route } from "/console/router.js";
import { logOut } from "/console/session.js";
import { S } from "/console/state.js";
import { button, el, replace, select } from "/ui/lib/dom.js";
import { LANGS, LANG_NAMES, t } from "/ui/lib/i18n.js";
import { storageSet } from "/ui/lib/storage.js";

// ---------------------------------------------------------------------------
// Shell: header, navigation, main
// ---------------------------------------------------------------------------

function languageSelect() {
  const sel = select(LANGS.map((l) => [l, LANG_NAMES[l]]), S.lang, { test: "lang", id: "lang-select", "aria-label": t("common.language") });
  sel.addEventListener("change", () => {
    S.lang = sel.value;
    storageSet(window.localStorage, "tocsin.lang", S.lang);
    document.documentElement.lang = S.lang;
    route();
    const again = document.getElementById("lang-select");
    if (again) again.focus();
  });
  return sel;
}

export function renderShell(current, page) {
  const app = document.getElementById("app");
  document.documentElement.lang = S.lang;
  document.title = `${t("app.title")} – ${t(`page.${current.name}`)}`;
  const full = S.me && S.me.session && S.me.session.stage === "full";
  const header = el("header", { class: "topbar" },
    el("div", { class: "brand" }, el("span", { class: "brand-mark", "aria-hidden": "true", text: "▲" }), t("app.title")),
    S.me ? el("span", { class: "org", text: S.me.org && S.me.org.name }) : null,
    el("span", { class: "spacer" }),
    S.me ? el("a", { href: "#/account", class: "user-link", test: "account", text: (S.me.user && (S.me.user.name || S.me.user.username)) || "" }) : null,
    el("label", { class: "lang" }, el("span", { class: "sr-only", text: t("common.language") }), languageSelect()),
    S.me ? button(t("nav.logout"), { test: "logout", class: "btn-quiet", onclick: () => logOut() }) : null);
  const main = el("main", { id: "main", tabindex: "-1" }, page);
  let nav = null;
  if (S.me && full && NAV.some((item) => item.allowed())) {
    nav = el("nav", { class: "sidenav", "aria-label": t("nav.label") },
      el("ul", null, NAV.filter((item) => item.allowed()).map((item) =>
        el("li", null, el("a", {
          href: item.hash,
          test: `nav-${item.name}`,
          class: current.nav === item.name ? "active" : null,
          "aria-current": current.nav === item.name ? "page" : null,
        }, t(item.label))))));
  }
  const skip = el("button", { type: "button", class: "skip", text: t("common.skip"), onclick: () => main.focus() });
  replace(app, skip, header, el("div", { class: `shell ${nav ? "" : "shell-bare"}` }, nav, main));
}

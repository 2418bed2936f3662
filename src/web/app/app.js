/*
 * The members' app, entry module: alerts as they happen, answers, alarm
 * buttons and the member's own settings. It talks only to the appliance's
 * JSON API, keeps no alerts in the browser (they live in memory while the
 * page is open) and obeys a remote wipe order. Its views are in views/.
 */
import { route } from "/app/router.js";
import { check } from "/app/session.js";
import { KEYS, S } from "/app/state.js";
import { stored, t } from "/app/util.js";
import { unlockSound } from "/app/views/critical.js";
import { begin, renderLogin } from "/app/views/login.js";
import { isLanguage } from "/ui/lib/i18n.js";

// ---------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------

function boot() {
  const saved = stored(KEYS.lang);
  const browser = (navigator.language || "en").slice(0, 2);
  S.lang = isLanguage(saved) ? saved : isLanguage(browser) ? browser : "en";
  document.documentElement.lang = S.lang;
  S.csrf = stored(KEYS.csrf);
  window.addEventListener("hashchange", route);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) check();
  });
  document.addEventListener("click", unlockSound, { capture: true });
  window.addEventListener("online", () => (S.me ? check() : begin()));
  if (navigator.serviceWorker) navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => {});
  if (!navigator.onLine) {
    S.notice = { text: t("member.offline"), bad: true };
    renderLogin();
  }
  begin();
}

boot();

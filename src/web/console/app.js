/*
 * Tocsin admin console, entry module. No framework and no build step: the
 * browser loads these ES modules as the appliance serves them, under a strict
 * Content-Security-Policy (no inline script or style, no eval). Pages live in
 * pages/, what both front ends share in /ui/lib/, and every visible string
 * goes through t(key) with the dictionaries in /ui/i18n/.
 */
import { api } from "/console/api.js";
import { route } from "/console/router.js";
import { noteActivity, setSession } from "/console/session.js";
import { CSRF_KEY, S, can } from "/console/state.js";
import { settle } from "/ui/lib/api.js";
import { pickLanguage } from "/ui/lib/i18n.js";
import { storageGet, storageSet } from "/ui/lib/storage.js";
import { report } from "/ui/lib/toast.js";

// ---------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------

async function boot() {
  S.lang = pickLanguage("tocsin.lang");
  document.documentElement.lang = S.lang;
  S.csrf = storageGet(window.sessionStorage, CSRF_KEY);
  for (const type of ["pointerdown", "keydown", "wheel", "touchstart"]) {
    document.addEventListener(type, noteActivity, { passive: true, capture: true });
  }
  let lastMove = 0;
  document.addEventListener("mousemove", () => {
    if (Date.now() - lastMove > 5000) {
      lastMove = Date.now();
      noteActivity();
    }
  }, { passive: true });
  window.addEventListener("hashchange", route);
  if (S.csrf) {
    try {
      const me = await api("GET", "/api/v1/me", null, { anonymous: true });
      if (me.kind === "user") {
        setSession(me, null, me.idle_timeout_seconds);
        if (!me.idle_timeout_seconds && can("manage_settings") && me.session.stage === "full") {
          const r = await settle(api("GET", "/api/v1/settings"));
          if (r.ok) S.idleSeconds = r.value.settings.session_idle_minutes * 60;
        }
      }
    } catch (err) {
      storageSet(window.sessionStorage, CSRF_KEY, null);
      S.csrf = null;
      if (err.status && err.status !== 401) report(err);
    }
  }
  route();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();

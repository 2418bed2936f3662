import { api } from "/console/api.js";
import { navigate, runCleanups } from "/console/router.js";
import { CSRF_KEY, S } from "/console/state.js";
import { el } from "/ui/lib/dom.js";
import { t } from "/ui/lib/i18n.js";
import { storageSet } from "/ui/lib/storage.js";

// ---------------------------------------------------------------------------
// Session
// ---------------------------------------------------------------------------

export function setSession(me, csrf, idleSeconds) {
  S.me = me;
  S.perms = new Set(me.permissions || []);
  if (csrf) {
    S.csrf = csrf;
    storageSet(window.sessionStorage, CSRF_KEY, csrf);
  }
  if (idleSeconds) S.idleSeconds = idleSeconds;
  S.lastActivity = Date.now();
  startIdleWatch();
}

function clearSession() {
  S.me = null;
  S.perms = new Set();
  S.csrf = null;
  S.sendDraft = null;
  S.lastSend = null;
  storageSet(window.sessionStorage, CSRF_KEY, null);
  stopIdleWatch();
  runCleanups();
  for (const dialog of document.querySelectorAll("dialog")) dialog.close();
}

export function sessionLost(reason) {
  if (!S.me) return;
  clearSession();
  S.loginNote = t(`login.note_${reason}`);
  S.afterLogin = null;
  navigate("#/login");
}

export async function logOut(reason) {
  try {
    await api("DELETE", "/api/v1/session", null, { anonymous: true });
  } catch (_) {
    // Gone already: the login page is what matters.
  }
  clearSession();
  S.loginNote = reason ? t(`login.note_${reason}`) : t("login.note_logged_out");
  navigate("#/login");
}

/** Idle auto-logout: no keyboard, mouse or touch input for the organisation's idle time. */
function startIdleWatch() {
  stopIdleWatch();
  S.idleTimer = setInterval(checkIdle, 1000);
}

function stopIdleWatch() {
  if (S.idleTimer) clearInterval(S.idleTimer);
  S.idleTimer = null;
  const warning = document.getElementById("idle-warning");
  if (warning) warning.remove();
}

export function noteActivity() {
  S.lastActivity = Date.now();
  const warning = document.getElementById("idle-warning");
  if (warning) warning.remove();
  // Keep the server's session as alive as the person at the keyboard.
  const every = Math.min(60, (S.idleSeconds || 1800) / 3) * 1000;
  if (S.me && Date.now() - S.lastTouch > every) {
    S.lastTouch = Date.now();
    api("GET", "/api/v1/me").catch(() => {});
  }
}

function checkIdle() {
  if (!S.me) return;
  const idle = S.idleSeconds || 30 * 60;
  const left = idle - (Date.now() - S.lastActivity) / 1000;
  if (left <= 0) {
    logOut("idle");
    return;
  }
  if (left <= 60) {
    let warning = document.getElementById("idle-warning");
    if (!warning) {
      warning = el("div", { id: "idle-warning", class: "idle-warning", role: "alert", test: "idle-warning" });
      document.body.append(warning);
    }
    warning.textContent = t("idle.warning", { s: Math.ceil(left) });
  }
}

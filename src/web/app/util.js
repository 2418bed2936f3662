// The app's small helpers on top of the shared library: its own storage keys,
// its notes (no close button: a phone user just waits) and a CSRF token that
// another tab may have replaced.

import { KEYS, S } from "/app/state.js";
import { problemError, request } from "/ui/lib/api.js";
import { t } from "/ui/lib/i18n.js";
import { el as h } from "/ui/lib/dom.js";
import { storageGet, storageSet } from "/ui/lib/storage.js";

export { h, t };

export function store(key, value) {
  storageSet(window.localStorage, key, value);
}

export function stored(key) {
  return storageGet(window.localStorage, key);
}

export function toast(text, bad) {
  const box = document.getElementById("toasts");
  const note = h("div", { class: bad ? "toast toast-error" : "toast", role: bad ? "alert" : "status" }, text);
  box.append(note);
  setTimeout(() => note.remove(), bad ? 6000 : 3500);
}

export function when(iso) {
  const d = new Date(iso);
  return d.toLocaleString(S.lang === "en" ? "en-GB" : S.lang, { weekday: "short", hour: "2-digit", minute: "2-digit", day: "numeric", month: "numeric" });
}

export async function api(method, path, body, retried) {
  const { response, data } = await request(method, path, body, { csrf: S.csrf, offline: t("member.offline") });
  if (response.ok) return data;
  // Another tab's sign-in or lost storage leaves a stale CSRF token: fetch
  // the session's own and try once more.
  if (response.status === 403 && data && data.code === "csrf" && !retried) {
    const me = await api("GET", "/api/v1/me");
    S.csrf = me.csrf_token;
    store(KEYS.csrf, S.csrf);
    return api(method, path, body, true);
  }
  const err = problemError(response, data);
  err.retryAfter = err.problem.retryAfter;
  throw err;
}

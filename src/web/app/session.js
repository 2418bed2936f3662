import { loadAlerts, receive } from "/app/alerts.js";
import { adoptTimer, stopTimer } from "/app/checkin.js";
import { adoptLocation, stopWatch } from "/app/location.js";
import { quiet } from "/app/motion.js";
import { CHECK_EVERY_MS, KEYS, S } from "/app/state.js";
import { api, store, stored, t, toast } from "/app/util.js";
import { closeCritical } from "/app/views/critical.js";
import { renderLogin } from "/app/views/login.js";

// ---------------------------------------------------------------------------
// Session, wipe and the background check
// ---------------------------------------------------------------------------

/** Everything this app kept in the browser goes: storage, caches, the service worker. */
async function wipeLocal() {
  try {
    localStorage.clear();
    sessionStorage.clear();
  } catch (_) {
    /* nothing to clear */
  }
  if (window.caches) {
    for (const key of await caches.keys()) await caches.delete(key);
  }
  if (navigator.serviceWorker) {
    for (const reg of await navigator.serviceWorker.getRegistrations()) {
      for (const note of await reg.getNotifications()) note.close();
      await reg.unregister();
    }
  }
}

export function endSession(reason) {
  stopLive();
  stopWatch();
  stopTimer();
  quiet();
  S.me = null;
  S.csrf = null;
  S.alerts.clear();
  S.opened.clear();
  S.lastEventId = null;
  S.buttons = [];
  closeCritical();
  store(KEYS.csrf, null);
  S.notice = reason ? { text: t(`member.${reason}`), bad: reason === "wiped" } : null;
  renderLogin();
}

/** Whether an API failure means the session is over; handles it if so. */
export async function sessionProblem(err) {
  if (err.status !== 401) return false;
  // The wipe order comes once; if another request (the feed reconnecting)
  // took it, the browser has already emptied storage, device id included.
  const wipedElsewhere = S.me && S.hadDevice && !stored(KEYS.device);
  if (err.problem.code === "device_wiped" || wipedElsewhere) {
    await wipeLocal();
    S.lang = "en";
    endSession("wiped");
  } else {
    endSession("expired");
  }
  return true;
}

export async function failed(err) {
  if (await sessionProblem(err)) return;
  toast(t("member.error", { detail: err.message }), true);
}

export function startLive() {
  stopLive();
  // A new stream starts after what the page already has.
  const after = S.lastEventId ? `?after=${encodeURIComponent(S.lastEventId)}` : "";
  const stream = new EventSource(`/api/v1/me/alerts/stream${after}`);
  S.stream = stream;
  stream.addEventListener("open", () => setLive(true));
  stream.addEventListener("alert", (event) => {
    if (event.lastEventId) S.lastEventId = event.lastEventId;
    try {
      receive(JSON.parse(event.data), true);
    } catch (_) {
      /* a malformed event is skipped, the next one still counts */
    }
    // A new alert may be the all-clear of another: see their states.
    reloadSoon();
  });
  stream.addEventListener("error", () => {
    setLive(false);
    // A refused reconnect closes the stream; the check finds out why.
    if (stream.readyState === EventSource.CLOSED) check();
  });
  S.timer = setInterval(check, CHECK_EVERY_MS);
}

function stopLive() {
  if (S.stream) S.stream.close();
  S.stream = null;
  if (S.timer) clearInterval(S.timer);
  S.timer = null;
  setLive(false);
}

function setLive(on) {
  S.live = on;
  const dot = document.querySelector("[data-test=live]");
  if (dot) {
    dot.className = on ? "live on" : "live off";
    dot.textContent = on ? t("member.live.on") : t("member.live.off");
  }
}

/** Is the session still good (not ended, the device not blocked or wiped)? */
export async function check() {
  if (!S.me) return;
  try {
    const me = await api("GET", "/api/v1/me");
    if (me.csrf_token && me.csrf_token !== S.csrf) {
      S.csrf = me.csrf_token;
      store(KEYS.csrf, S.csrf);
    }
    if (S.stream && S.stream.readyState === EventSource.CLOSED) startLive();
    if (me.session && me.session.stage === "full") {
      adoptLocation(me);
      adoptTimer(me.timer);
    }
    // Cancelled alerts come to the list, not the feed.
    if (++S.checks % 3 === 0) await loadAlerts();
  } catch (err) {
    if (!(await sessionProblem(err)) && err.status === 0) setLive(false);
  }
}

function reloadSoon() {
  if (S.reloading) return;
  S.reloading = setTimeout(async () => {
    S.reloading = null;
    if (S.me) await loadAlerts();
  }, 1000);
}

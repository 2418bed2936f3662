/*
 * Position sharing under the organisation's policy. The appliance decides
 * when it wants positions (`location.sharing` in GET /api/v1/me: on duty,
 * or answering an active alert); the app watches the position only then,
 * says plainly in the top bar whether it is sharing, and sends nothing
 * otherwise.
 */
import { S } from "/app/state.js";
import { api, h, t, toast } from "/app/util.js";

// A stationary phone still proves every 30 s that it is where it was; a
// moving one reports each 50 m sooner, but no more than every 5 s, so a car
// doesn't flood the appliance.
const EVERY_MS = 30000;
const SOONEST_MS = 5000;
const MOVED_M = 50;
// Browsers call a position watch only when the position changes: a fresh
// reading on this beat keeps a still member's position from going stale.
const HEARTBEAT_MS = 60000;
const WATCH = { enableHighAccuracy: true, maximumAge: 10000, timeout: 60000 };

export function wanted() {
  const loc = S.me && S.me.location;
  return Boolean(loc && loc.policy !== "never" && loc.sharing === true);
}

/** Takes what GET /api/v1/me says about duty and location, and follows it. */
export function adoptLocation(me) {
  if (!S.me || !me) return;
  S.me.on_duty = Boolean(me.on_duty);
  S.me.location = me.location || null;
  syncLocation();
}

/** Asks the appliance again, after something that may change whether it wants positions. */
export async function refreshLocation() {
  if (!S.me) return;
  try {
    adoptLocation(await api("GET", "/api/v1/me"));
  } catch (_) {
    /* the periodic check tries again and handles an ended session */
  }
}

export function syncLocation() {
  if (wanted()) startWatch();
  else stopWatch();
  paintLocation();
}

function startWatch() {
  if (S.geo.watch !== null) return;
  if (!navigator.geolocation) {
    S.geo.state = "denied";
    return;
  }
  if (S.geo.state === "off") S.geo.state = "waiting";
  S.geo.watch = navigator.geolocation.watchPosition(onPosition, onError, WATCH);
  S.geo.heartbeat = setInterval(() => navigator.geolocation.getCurrentPosition(onPosition, onError, WATCH), HEARTBEAT_MS);
}

export function stopWatch() {
  if (S.geo.watch !== null && navigator.geolocation) navigator.geolocation.clearWatch(S.geo.watch);
  if (S.geo.heartbeat) clearInterval(S.geo.heartbeat);
  clearTimeout(S.geo.later);
  S.geo.watch = null;
  S.geo.heartbeat = null;
  S.geo.later = null;
  S.geo.latest = null;
  S.geo.sent = null;
  S.geo.state = "off";
}

function onError(err) {
  if (!wanted()) return;
  // Denied stays denied until the member changes the browser's setting;
  // a lost fix is only waiting.
  S.geo.state = err && err.code === 1 ? "denied" : S.geo.sent ? "on" : "waiting";
  paintLocation();
}

function onPosition(pos) {
  if (!wanted()) return;
  if (S.geo.state === "denied") S.geo.state = S.geo.sent ? "on" : "waiting";
  S.geo.latest = { lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy_m: Math.round(pos.coords.accuracy || 0) };
  consider();
}

/**
 * Sends the newest reading when its time has come; otherwise waits for that
 * time, because a watch says nothing more while the phone stays put.
 */
function consider() {
  clearTimeout(S.geo.later);
  S.geo.later = null;
  const here = S.geo.latest;
  if (!here || !wanted() || S.geo.sending) return;
  const last = S.geo.sent;
  const now = Date.now();
  if (last && here.lat === last.lat && here.lon === last.lon && now - last.at < EVERY_MS) return;
  const moved = last && metres(last, here) > MOVED_M;
  const at = !last ? now : moved ? last.at + SOONEST_MS : last.at + EVERY_MS;
  if (at > now) {
    S.geo.later = setTimeout(consider, at - now);
    return;
  }
  send(here, now);
}

async function send(here, now) {
  S.geo.sending = true;
  try {
    await api("POST", "/api/v1/me/location", here);
    // Sharing may have stopped while the request was out.
    if (wanted()) {
      S.geo.sent = Object.assign({ at: now }, here);
      S.geo.state = "on";
    }
  } catch (err) {
    if (err.status === 403 && err.problem && err.problem.code === "not_sharing") {
      // The appliance no longer wants positions (duty ended elsewhere, the
      // alert closed): stop at once and learn the new state.
      if (S.me && S.me.location) S.me.location.sharing = false;
      syncLocation();
      refreshLocation();
    }
    // Other failures (no network) wait for the next reading; the Live
    // indicator already tells the member that the appliance is out of reach.
  } finally {
    S.geo.sending = false;
  }
  paintLocation();
  // A reading that came while this one was out.
  if (S.geo.latest !== here) consider();
}

/** Great-circle distance in metres. */
function metres(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371000 * Math.asin(Math.min(1, Math.sqrt(s)));
}

function statusText() {
  const state = wanted() ? S.geo.state : "off";
  if (state === "on") return [state, t("member.location.sharing")];
  if (state === "waiting") return [state, t("member.location.waiting")];
  if (state === "denied") return [state, t("member.location.denied")];
  return ["off", t("member.location.not_sharing")];
}

function dutySwitch() {
  const loc = S.me && S.me.location;
  if (!loc || loc.policy !== "duty") return null;
  const box = h("input", {
    type: "checkbox",
    role: "switch",
    checked: Boolean(S.me.on_duty),
    test: "duty",
    onchange: async () => {
      box.disabled = true;
      const on = box.checked;
      try {
        await api("PATCH", "/api/v1/me", { on_duty: on });
        S.me.on_duty = on;
        toast(on ? t("member.duty.started") : t("member.duty.ended"));
        await refreshLocation();
      } catch (err) {
        box.checked = !on;
        toast(t("member.error", { detail: err.message }), true);
      } finally {
        box.disabled = false;
      }
    },
  });
  return h("label", { class: "duty" }, box, h("span", {}, t("member.duty.label")));
}

/** Whether the position is shared, and the duty switch: in the strip under the top bar. */
export function locationPart() {
  const [state, text] = statusText();
  return h(
    "div",
    { class: "loc-box", test: "loc-box" },
    h("span", { class: `loc ${state}`, test: "location", "data-state": state, role: "status" }, text),
    dutySwitch(),
  );
}

/** Updates the indicator in place, so a new reading doesn't redraw the page. */
export function paintLocation() {
  const spot = document.querySelector("[data-test=location]");
  if (!spot) return;
  const box = document.querySelector("[data-test=duty]");
  const duty = Boolean(S.me && S.me.location && S.me.location.policy === "duty");
  if (Boolean(box) !== duty) {
    document.querySelector("[data-test=loc-box]").replaceWith(locationPart());
    return;
  }
  const [state, text] = statusText();
  spot.className = `loc ${state}`;
  spot.dataset.state = state;
  if (spot.textContent !== text) spot.textContent = text;
  if (box && !box.disabled) box.checked = Boolean(S.me.on_duty);
}

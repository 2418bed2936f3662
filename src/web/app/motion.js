/*
 * "Alarm when I don't move": while the app is open and the member chose it,
 * the phone's motion sensor watches for movement; none for the chosen
 * minutes starts the check-in timer's pre-alarm on the appliance, with its
 * siren and grace period, so a member who is fine only has to check in.
 */
import { adoptTimer } from "/app/checkin.js";
import { KEYS, S } from "/app/state.js";
import { api, store, stored, t, toast } from "/app/util.js";

export const STILL_MINUTES = { min: 1, max: 120, default: 10 };
// Changes of the acceleration (gravity included, m/s²) below this are a
// phone lying or carried still; a step or a turn of the phone is more.
const MOVED = 1.2;
// Readings come many times a second while the page is shown; a longer gap
// means the page was hidden or the sensor paused, and no one knows what
// happened meanwhile, so stillness counts again from the next reading.
const GAP_MS = 5000;
// A sensor that has said nothing this long after the start isn't there.
const SILENT_MS = 4000;

/** The member's choice, kept on the phone: on or off, and the minutes. */
export function loadStill() {
  const minutes = Number(stored(KEYS.stillMinutes));
  S.still.minutes = Number.isInteger(minutes) && minutes >= STILL_MINUTES.min && minutes <= STILL_MINUTES.max ? minutes : STILL_MINUTES.default;
  S.still.on = stored(KEYS.still) === "on";
  if (S.still.on) listen();
}

export function setStillMinutes(minutes) {
  S.still.minutes = minutes;
  store(KEYS.stillMinutes, String(minutes));
  S.still.moved = Date.now();
  paintStill();
}

/** Switched on or off by the member: a tap, so iOS may ask for the sensor. */
export async function setStill(on) {
  S.still.on = on;
  store(KEYS.still, on ? "on" : null);
  if (on) await listen();
  else quiet();
  paintStill();
}

async function listen() {
  if (S.still.listening) return;
  if (!window.DeviceMotionEvent) {
    S.still.state = "none";
    return;
  }
  // iOS shows the motion sensor only after the member allows it, and asks
  // only from a tap: at start-up the first tap anywhere asks.
  if (typeof DeviceMotionEvent.requestPermission === "function") {
    let answer;
    try {
      answer = await DeviceMotionEvent.requestPermission();
    } catch (_) {
      S.still.state = "tap";
      document.addEventListener("click", () => S.still.on && listen().then(paintStill), { once: true, capture: true });
      return;
    }
    if (answer !== "granted") {
      S.still.state = "denied";
      return;
    }
  }
  window.addEventListener("devicemotion", onMotion);
  S.still.listening = true;
  S.still.ref = null;
  S.still.last = 0;
  S.still.state = "waiting";
  const started = Date.now();
  setTimeout(() => {
    if (S.still.listening && S.still.last < started) {
      S.still.state = "none";
      paintStill();
    }
  }, SILENT_MS);
  keepAwake();
}

export function quiet() {
  window.removeEventListener("devicemotion", onMotion);
  S.still.listening = false;
  S.still.state = "off";
  S.still.ref = null;
  if (S.still.lock) S.still.lock.release().catch(() => {});
  S.still.lock = null;
}

/** The sensor stops when the screen goes off: keep it on while watching, where the browser can. */
function keepAwake() {
  if (!navigator.wakeLock || S.still.lock || document.hidden) return;
  navigator.wakeLock.request("screen").then(
    (lock) => {
      S.still.lock = lock;
      lock.addEventListener("release", () => (S.still.lock = null));
    },
    () => {},
  );
}

document.addEventListener("visibilitychange", () => {
  if (S.still.listening && !document.hidden) keepAwake();
});

function onMotion(event) {
  const a = event.accelerationIncludingGravity && event.accelerationIncludingGravity.x !== null ? event.accelerationIncludingGravity : event.acceleration;
  if (!a || a.x === null || a.x === undefined) return;
  const now = Date.now();
  const reading = { x: a.x || 0, y: a.y || 0, z: a.z || 0 };
  const before = S.still.state;
  if (!S.still.ref || now - S.still.last > GAP_MS || apart(reading, S.still.ref) > MOVED) {
    S.still.ref = reading;
    S.still.moved = now;
  }
  S.still.last = now;
  S.still.state = "watching";
  if (before !== "watching") paintStill();
  if (S.me && !S.still.firing && now - S.still.moved >= S.still.minutes * 60000) fire();
}

function apart(a, b) {
  return Math.hypot(a.x - b.x, a.y - b.y, a.z - b.z);
}

/** No movement: the pre-alarm on the appliance, unless one is already under way. */
async function fire() {
  const timer = S.checkin.timer;
  if (timer && (timer.state === "grace" || timer.state === "alarmed")) {
    S.still.moved = Date.now();
    return;
  }
  S.still.firing = true;
  try {
    const done = await api("POST", "/api/v1/me/timer", { minutes: 0, note: "no movement" });
    adoptTimer(done.timer, true);
  } catch (err) {
    toast(t("member.error", { detail: err.message }), true);
  } finally {
    // The next one only after the chosen time again.
    S.still.moved = Date.now();
    S.still.firing = false;
  }
}

export function stillText() {
  const state = S.still.on ? S.still.state : "off";
  if (state === "watching") return t("member.still.watching", { n: S.still.minutes });
  if (state === "waiting") return t("member.still.waiting");
  if (state === "none") return t("member.still.none");
  if (state === "denied") return t("member.still.denied");
  if (state === "tap") return t("member.still.tap");
  return t("member.still.off");
}

function paintStill() {
  const spot = document.querySelector("[data-test=still-state]");
  if (!spot) return;
  spot.textContent = stillText();
  spot.dataset.state = S.still.on ? S.still.state : "off";
}

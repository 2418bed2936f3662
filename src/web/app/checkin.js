/*
 * The check-in timer (dead man's switch). It lives on the appliance, which
 * raises the alarm even when this phone is dead; the app shows the time
 * left, beeps when the reminder comes, sounds a siren over every view in
 * the grace period, and checks in, extends and ends it.
 */
import { failed, sessionProblem } from "/app/session.js";
import { S } from "/app/state.js";
import { api, h, t } from "/app/util.js";
import { unlockSound } from "/app/views/critical.js";

const POLL_MS = 3000;
const BEEP_EVERY_MS = 4000;
// The appliance moves a timer on within a second or two of its times; only a
// larger disagreement means the phone's clock is off.
const SKEW_SLACK_MS = 3000;

/** The appliance's time as well as the phone can tell. */
export function serverNow() {
  return Date.now() + S.checkin.offset;
}

export function reminderAt(timer) {
  const due = Date.parse(timer.due_at);
  return due - Math.min(5 * 60000, (timer.minutes * 60000) / 2);
}

/**
 * Takes the timer from an answer of the appliance. `fresh` means the answer
 * to a start or check-in made just now, whose due time is its minutes from
 * the appliance's now.
 */
export function adoptTimer(timer, fresh) {
  const before = S.checkin.timer;
  S.checkin.timer = timer || null;
  if (timer) align(timer, fresh);
  if (!timer || !before || before.id !== timer.id) S.checkin.dismissed = null;
  react();
  keepTicking();
  const changed = !before !== !timer || (before && timer && (before.id !== timer.id || before.state !== timer.state || before.due_at !== timer.due_at));
  if (changed && redraw) redraw();
  paintTimer();
}

/** Phones' clocks drift, and a test moves the appliance's: the states say where it stands. */
function align(timer, fresh) {
  const now = Date.now();
  const due = Date.parse(timer.due_at);
  if (fresh) {
    S.checkin.offset = due - timer.minutes * 60000 - now;
    return;
  }
  const guess = now + S.checkin.offset;
  const remind = reminderAt(timer);
  const late = timer.state === "grace" || timer.state === "alarmed";
  if (late && guess < due - SKEW_SLACK_MS) S.checkin.offset = due - now;
  else if (timer.state === "reminded" && guess < remind - SKEW_SLACK_MS) S.checkin.offset = remind - now;
  else if (timer.state === "reminded" && guess > due + SKEW_SLACK_MS) S.checkin.offset = due - now - 1000;
  else if (timer.state === "running" && guess > remind + SKEW_SLACK_MS) S.checkin.offset = remind - now - 1000;
}

// The page redraws itself when the timer's state changes; set by the view.
let redraw = null;
export function onTimerChange(fn) {
  redraw = fn;
}

export async function startTimer(minutes, note) {
  const done = await api("POST", "/api/v1/me/timer", { minutes, note });
  adoptTimer(done.timer, true);
  return done.timer;
}

export async function checkIn() {
  unlockSound();
  try {
    const done = await api("POST", "/api/v1/me/timer/check-in");
    adoptTimer(done.timer, true);
    return true;
  } catch (err) {
    await failed(err);
    poll();
    return false;
  }
}

export async function endTimer() {
  try {
    await api("DELETE", "/api/v1/me/timer");
    adoptTimer(null);
    return true;
  } catch (err) {
    await failed(err);
    return false;
  }
}

export async function poll() {
  if (!S.me || S.checkin.polling) return;
  S.checkin.polling = true;
  S.checkin.polled = Date.now();
  try {
    const data = await api("GET", "/api/v1/me/timer");
    if (S.me) adoptTimer(data.timer);
  } catch (err) {
    // A lost network shows in the Live indicator; only an ended session matters here.
    await sessionProblem(err);
  } finally {
    S.checkin.polling = false;
  }
}

/** Once a second while there is a timer or its page is open: the countdowns, and the polls. */
function keepTicking() {
  const needed = Boolean(S.me && (S.checkin.timer || S.checkin.view));
  if (needed && !S.checkin.tick) S.checkin.tick = setInterval(tick, 1000);
  if (!needed && S.checkin.tick) {
    clearInterval(S.checkin.tick);
    S.checkin.tick = null;
  }
}

export function timerViewOpen(open) {
  S.checkin.view = open;
  keepTicking();
  if (open) poll();
}

function tick() {
  const timer = S.checkin.timer;
  // The session's check reads the timer every 10 s anyway; closer to a
  // change, while its page is open, or once it needs the member, every 3 s.
  const close = timer && (timer.state !== "running" || reminderAt(timer) - serverNow() < 15000);
  if ((S.checkin.view || close) && Date.now() - S.checkin.polled >= POLL_MS) poll();
  paintTimer();
}

// ---------------------------------------------------------------------------
// Sound: a beep for the reminder, a siren for the grace period
// ---------------------------------------------------------------------------

function react() {
  const state = S.checkin.timer ? S.checkin.timer.state : null;
  if (state === "reminded") startBeeping();
  else stopBeeping();
  if (state === "grace") startSiren();
  else stopSiren();
  renderOverlay();
}

function beep() {
  unlockSound();
  const ctx = S.audio;
  if (ctx && ctx.state === "running") {
    const t0 = ctx.currentTime;
    for (const [at, freq] of [
      [0, 880],
      [0.3, 1175],
    ]) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t0 + at);
      gain.gain.exponentialRampToValueAtTime(0.35, t0 + at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + at + 0.22);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t0 + at);
      osc.stop(t0 + at + 0.25);
    }
  }
  if (navigator.vibrate) navigator.vibrate([200, 120, 200]);
}

function startBeeping() {
  if (S.checkin.beep) return;
  beep();
  S.checkin.beep = setInterval(beep, BEEP_EVERY_MS);
}

function stopBeeping() {
  if (S.checkin.beep) clearInterval(S.checkin.beep);
  S.checkin.beep = null;
}

/** A rising and falling whoop, unlike an alert's two tones, until the member checks in. */
function startSiren() {
  unlockSound();
  if (!S.audio || S.checkin.siren) return;
  const ctx = S.audio;
  const osc = ctx.createOscillator();
  const sweep = ctx.createOscillator();
  const depth = ctx.createGain();
  const gain = ctx.createGain();
  osc.type = "sawtooth";
  osc.frequency.value = 950;
  sweep.type = "triangle";
  sweep.frequency.value = 0.7;
  depth.gain.value = 320;
  sweep.connect(depth).connect(osc.frequency);
  gain.gain.value = 0.2;
  osc.connect(gain).connect(ctx.destination);
  osc.start();
  sweep.start();
  osc.addEventListener("ended", () => sweep.stop());
  S.checkin.siren = osc;
  if (navigator.vibrate) {
    navigator.vibrate([800, 200, 800]);
    S.checkin.buzz = setInterval(() => navigator.vibrate([800, 200, 800]), 2000);
  }
}

function stopSiren() {
  if (S.checkin.siren) {
    try {
      S.checkin.siren.stop();
    } catch (_) {
      /* already stopped */
    }
    if (navigator.vibrate) navigator.vibrate(0);
  }
  S.checkin.siren = null;
  if (S.checkin.buzz) clearInterval(S.checkin.buzz);
  S.checkin.buzz = null;
}

/** Everything stops: signing out, a wipe. */
export function stopTimer() {
  stopBeeping();
  stopSiren();
  S.checkin.timer = null;
  S.checkin.view = false;
  keepTicking();
  const root = document.getElementById("timer-root");
  if (root) root.replaceChildren();
}

// ---------------------------------------------------------------------------
// What the member sees
// ---------------------------------------------------------------------------

/** "12:05" or "1:02:05", rounded up so 0:00 means the time is up. */
export function clock(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}

/** Time left to check in; in the grace period, time left before the alarm. */
export function left(timer) {
  if (timer.state === "grace") return clock(Date.parse(timer.grace_until || timer.due_at) - serverNow());
  if (timer.state === "alarmed") return clock(0);
  return clock(Date.parse(timer.due_at) - serverNow());
}

/** The chip in the strip under the top bar: the timer at a glance, one tap from its page. */
export function timerChip() {
  const timer = S.checkin.timer;
  if (!timer) return null;
  const text = timer.state === "alarmed" ? t("member.timer.chip_alarmed") : t("member.timer.chip", { left: left(timer) });
  return h("a", { class: `chip ${timer.state}`, href: "#timer", test: "timer-chip", "data-state": timer.state }, text);
}

function paintTimer() {
  const timer = S.checkin.timer;
  const strip = document.querySelector("[data-test=strip]");
  const chip = document.querySelector("[data-test=timer-chip]");
  if (strip) {
    const fresh = timerChip();
    if (!fresh) {
      if (chip) chip.remove();
    } else if (!chip || chip.dataset.state !== fresh.dataset.state) {
      if (chip) chip.replaceWith(fresh);
      else strip.append(fresh);
    } else if (chip.textContent !== fresh.textContent) chip.textContent = fresh.textContent;
  }
  if (!timer) return;
  for (const spot of document.querySelectorAll("[data-countdown]")) spot.textContent = left(timer);
  const card = document.querySelector("[data-test=timer]");
  if (card) card.dataset.beep = S.checkin.beep ? "on" : "off";
  const overlay = document.querySelector("[data-test=timer-alarm]");
  if (overlay) {
    const on = Boolean(S.checkin.siren) && S.audio && S.audio.state === "running";
    overlay.dataset.sound = on ? "on" : "off";
    const hint = overlay.querySelector("[data-test=tap-sound]");
    if (hint) hint.hidden = on || !S.checkin.siren;
  }
}

/** Over every view: the grace period's "are you OK?", then the alarm raised. */
function renderOverlay() {
  const root = document.getElementById("timer-root");
  if (!root) return;
  const timer = S.checkin.timer;
  const state = timer && timer.state;
  const shown = root.firstElementChild;
  const wanted = state === "grace" || (state === "alarmed" && S.checkin.dismissed !== timer.id) ? state : null;
  if (!wanted) {
    root.replaceChildren();
    return;
  }
  if (shown && shown.dataset.state === wanted) return;
  // A pre-alarm for no movement has no task to name.
  const still = timer.minutes === 0;
  const note = timer.note && !still ? h("p", { class: "note" }, t("member.timer.note_is", { note: timer.note })) : null;
  if (wanted === "grace") {
    const ok = h(
      "button",
      {
        class: "btn wide ok",
        type: "button",
        test: "timer-ok",
        onclick: async () => {
          ok.disabled = true;
          if (!(await checkIn())) ok.disabled = false;
        },
      },
      t("member.timer.ok"),
    );
    root.replaceChildren(
      h(
        "section",
        { class: "timer-alarm", test: "timer-alarm", "data-state": "grace", role: "alertdialog", "aria-modal": "true", "aria-labelledby": "timer-alarm-title", onclick: unlockSound },
        h("div", { class: "kicker" }, t("member.timer.title")),
        h("h2", { id: "timer-alarm-title" }, t("member.timer.grace_title")),
        h("p", {}, still ? t("member.timer.still_text") : t("member.timer.grace_text")),
        h("div", { class: "countdown", test: "timer-alarm-countdown", "data-countdown": "" }, left(timer)),
        note,
        ok,
        h("p", { class: "meta", test: "tap-sound", hidden: true }, t("member.critical.tap_sound")),
      ),
    );
    ok.focus();
  } else {
    const end = h(
      "button",
      {
        class: "btn",
        type: "button",
        test: "timer-alarm-end",
        onclick: async () => {
          end.disabled = true;
          if (!(await endTimer())) end.disabled = false;
        },
      },
      t("member.timer.end"),
    );
    const close = h(
      "button",
      {
        class: "btn secondary",
        type: "button",
        test: "timer-alarm-close",
        onclick: () => {
          S.checkin.dismissed = timer.id;
          renderOverlay();
        },
      },
      t("member.critical.close"),
    );
    root.replaceChildren(
      h(
        "section",
        { class: "timer-alarm alarmed", test: "timer-alarm", "data-state": "alarmed", role: "alertdialog", "aria-modal": "true", "aria-labelledby": "timer-alarm-title" },
        h("div", { class: "kicker" }, t("member.timer.title")),
        h("h2", { id: "timer-alarm-title" }, t("member.timer.alarmed_title")),
        h("p", {}, t("member.timer.alarmed_text")),
        note,
        h("div", { class: "answers two" }, end, close),
      ),
    );
  }
  paintTimer();
}

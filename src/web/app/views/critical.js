import { answersOf, bodyOf, locationOf, markRead } from "/app/alerts.js";
import { route } from "/app/router.js";
import { S } from "/app/state.js";
import { h, t, when } from "/app/util.js";

// ---------------------------------------------------------------------------
// The critical view: full screen, sound and vibration until answered
// ---------------------------------------------------------------------------

/** Audio may only start after a tap; the sign-in tap or any later one unlocks it. */
export function unlockSound() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  if (!S.audio) S.audio = new Ctx();
  // iOS may leave it "interrupted" after the app was in the background.
  if (S.audio.state !== "running") S.audio.resume().then(updateSoundState, () => {});
}

function updateSoundState() {
  const view = document.querySelector("[data-test=critical]");
  if (!view) return;
  const on = Boolean(S.siren) && S.audio && S.audio.state === "running";
  view.dataset.sound = on ? "on" : "off";
  const hint = view.querySelector("[data-test=tap-sound]");
  if (hint) hint.hidden = on || !S.siren;
}

/** A two-tone siren, like a pager's, that runs until silenced. */
function startSiren() {
  unlockSound();
  if (!S.audio || S.siren) return;
  // A slow square wave swings the tone between 770 and 960 Hz for as long
  // as it plays.
  const osc = S.audio.createOscillator();
  const swing = S.audio.createOscillator();
  const depth = S.audio.createGain();
  const gain = S.audio.createGain();
  osc.type = "square";
  osc.frequency.value = 865;
  swing.type = "square";
  swing.frequency.value = 1.1;
  depth.gain.value = 95;
  swing.connect(depth).connect(osc.frequency);
  gain.gain.value = 0.2;
  osc.connect(gain).connect(S.audio.destination);
  osc.start();
  swing.start();
  osc.addEventListener("ended", () => swing.stop());
  S.siren = osc;
  if (navigator.vibrate) {
    navigator.vibrate([600, 250, 600, 250, 600]);
    S.buzz = setInterval(() => navigator.vibrate([600, 250, 600, 250, 600]), 3000);
  }
  updateSoundState();
}

export function stopSiren() {
  if (S.siren) {
    try {
      S.siren.stop();
    } catch (_) {
      /* already stopped */
    }
  }
  S.siren = null;
  if (S.buzz) clearInterval(S.buzz);
  S.buzz = null;
  if (navigator.vibrate) navigator.vibrate(0);
  updateSoundState();
}

export function showCritical(id) {
  S.critical = id;
  renderCritical();
  startSiren();
  notify(S.alerts.get(id).alert);
}

export function closeCritical() {
  S.critical = null;
  stopSiren();
  const root = document.getElementById("overlay-root");
  if (root) root.replaceChildren();
}

export function renderCritical() {
  const item = S.alerts.get(S.critical);
  const root = document.getElementById("overlay-root");
  if (!item) return closeCritical();
  const alert = item.alert;
  const done = () => {
    stopSiren();
    renderCritical();
  };
  const view = h(
    "section",
    { class: "critical-view", test: "critical", role: "alertdialog", "aria-modal": "true", "aria-labelledby": "critical-title", onclick: unlockSound },
    h("div", { class: "kicker" }, t("member.critical.kicker")),
    h("h2", { id: "critical-title", test: "critical-title" }, alert.title),
    h("div", { class: "meta" }, `${alert.created_by} · ${when(alert.created_at)}`),
    bodyOf(alert, renderCritical),
    locationOf(alert),
    answersOf(item, done),
    h("p", { class: "meta", test: "tap-sound", hidden: true }, t("member.critical.tap_sound")),
    h(
      "div",
      { class: "answers two" },
      h("button", { class: "btn secondary", type: "button", test: "silence", onclick: stopSiren }, t("member.critical.silence")),
      h(
        "button",
        {
          class: "btn secondary",
          type: "button",
          test: "critical-close",
          onclick: () => {
            closeCritical();
            location.hash = `#alert=${alert.id}`;
            route();
          },
        },
        t("member.critical.close"),
      ),
    ),
  );
  root.replaceChildren(view);
  markRead(alert.id);
  updateSoundState();
}

/** A system notification while the app is in the background, when allowed. */
export function notify(alert) {
  if (!document.hidden || !window.Notification || Notification.permission !== "granted" || !navigator.serviceWorker) return;
  navigator.serviceWorker.ready
    .then((reg) => reg.showNotification(alert.title, { tag: alert.id, requireInteraction: alert.severity === "critical", icon: "/app/icon-192.png" }))
    .catch(() => {});
}

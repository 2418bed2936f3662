import { language } from "/ui/lib/i18n.js";

export const LANGS = { en: "English", fi: "Suomi", sv: "Svenska" };
export const CHANNELS = ["app", "sms", "voice", "email", "tetra"];
// Only what the app needs to call in again, and the member's choice of the
// no-movement alarm: never alerts, answers or positions.
export const KEYS = {
  lang: "tocsin.app.lang",
  org: "tocsin.app.org",
  device: "tocsin.app.device",
  csrf: "tocsin.app.csrf",
  still: "tocsin.app.still",
  stillMinutes: "tocsin.app.still_minutes",
};
export const CHECK_EVERY_MS = 10000;

export const S = {
  get lang() {
    return language.current;
  },
  set lang(code) {
    language.current = code;
  },
  me: null,
  csrf: null,
  alerts: new Map(),
  opened: new Map(),
  buttons: [],
  stream: null,
  live: false,
  timer: null,
  audio: null,
  siren: null,
  buzz: null,
  lastEventId: null,
  hadDevice: false,
  checks: 0,
  reloading: null,
  notice: null,
  // Position sharing: the watch while the appliance wants positions, and
  // the last one sent, which paces the next.
  geo: { watch: null, heartbeat: null, later: null, state: "off", latest: null, sent: null, sending: false },
  // The check-in timer as the appliance last told it, and how far the
  // appliance's clock is ahead of the phone's (ms).
  checkin: { timer: null, offset: 0, polled: 0, polling: false, tick: null, beep: null, siren: null, buzz: null, view: false },
  // The no-movement alarm while the app is open.
  still: { on: false, minutes: 10, listening: false, ref: null, moved: 0, last: 0, state: "off", firing: false, lock: null },
};

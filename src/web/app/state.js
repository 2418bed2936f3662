import { language } from "/ui/lib/i18n.js";

export const LANGS = { en: "English", fi: "Suomi", sv: "Svenska" };
export const CHANNELS = ["app", "sms", "voice", "email", "tetra"];
// Only what the app needs to call in again: never alerts or answers.
export const KEYS = { lang: "tocsin.app.lang", org: "tocsin.app.org", device: "tocsin.app.device", csrf: "tocsin.app.csrf" };
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
};

// Texts, numbers and times in the chosen language, for the console and the
// members' app alike.

import en from "/ui/i18n/en.js";
import fi from "/ui/i18n/fi.js";
import sv from "/ui/i18n/sv.js";
import { storageGet } from "/ui/lib/storage.js";

const DICTIONARIES = { en, fi, sv };

export const LANGS = ["fi", "sv", "en"];
export const LANG_NAMES = { fi: "Suomi", sv: "Svenska", en: "English" };
export const LOCALES = { fi: "fi-FI", sv: "sv-FI", en: "en-GB" };

/** The language shown; each front end keeps it in its own state as `lang`. */
export const language = { current: "en" };

export function isLanguage(code) {
  return Object.prototype.hasOwnProperty.call(DICTIONARIES, code);
}

/** Whether `key` has a text, so a code from the server can pick its own sentence. */
export function hasKey(key) {
  return Object.prototype.hasOwnProperty.call(DICTIONARIES.en, key);
}

/** The saved choice under `storageKey`, else the browser's first language we have. */
export function pickLanguage(storageKey) {
  const saved = storageGet(window.localStorage, storageKey);
  if (LANGS.includes(saved)) return saved;
  const wanted = navigator.languages && navigator.languages.length
    ? navigator.languages
    : [navigator.language || "en"];
  for (const tag of wanted) {
    const base = String(tag).slice(0, 2).toLowerCase();
    if (LANGS.includes(base)) return base;
  }
  return "en";
}

/** The text for `key` in the chosen language, with {name} filled in. */
export function t(key, vars) {
  let text = DICTIONARIES[language.current][key];
  if (text === undefined) text = DICTIONARIES.en[key];
  if (text === undefined) return key;
  if (vars) {
    text = text.replace(/\{(\w+)\}/g, (whole, name) =>
      Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole);
  }
  return text;
}

/** Singular or plural form: `key.one` or `key.other`, with {n}. */
export function tn(key, n, vars) {
  return t(`${key}.${n === 1 ? "one" : "other"}`, Object.assign({ n: fmtNum(n) }, vars));
}

export function fmtNum(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return "–";
  return new Intl.NumberFormat(LOCALES[language.current]).format(n);
}

export function fmtTime(iso, withDate = true) {
  if (!iso) return "–";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const options = withDate
    ? { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" }
    : { hour: "2-digit", minute: "2-digit", second: "2-digit" };
  return new Intl.DateTimeFormat(LOCALES[language.current], options).format(date);
}

export function fmtDuration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return t("dur.s", { s });
  if (s < 3600) {
    const m = Math.floor(s / 60);
    const rest = s % 60;
    return rest ? t("dur.m_s", { m, s: rest }) : t("dur.m", { m });
  }
  const h = Math.floor(s / 3600);
  const m = Math.round((s % 3600) / 60);
  return t("dur.h_m", { h, m });
}

import { language } from "/ui/lib/i18n.js";

// ---------------------------------------------------------------------------
// State. Only the CSRF token (sessionStorage) and the language
// (localStorage) are ever stored in the browser.
// ---------------------------------------------------------------------------

export const S = {
  get lang() {
    return language.current;
  },
  set lang(code) {
    language.current = code;
  },
  csrf: null,
  me: null,
  perms: new Set(),
  idleSeconds: 0,
  lastActivity: Date.now(),
  lastTouch: 0,
  idleTimer: null,
  cleanups: [],
  loginNote: null,
  afterLogin: null,
  lastSend: null,
  sendDraft: null,
  renderCount: 0,
};

export const CSRF_KEY = "tocsin.csrf";
export const PERMISSIONS = [
  "read_directory", "manage_users", "manage_groups", "manage_roles", "send_alerts",
  "read_audit", "manage_devices", "manage_settings", "manage_api_keys", "read_locations",
  "provision",
];
export const CHANNELS = ["app", "sms", "voice", "email", "tetra"];
export const SEVERITIES = ["critical", "warning", "info"];
export const DELIVERY_STATES = ["queued", "sending", "sent", "delivered", "failed", "cancelled"];

export function can(permission) {
  return S.perms.has(permission);
}

/*
 * The members' app: alerts as they happen, answers, alarm buttons and the
 * member's own settings. It talks only to the appliance's JSON API, keeps
 * no alerts in the browser (they live in memory while the page is open) and
 * obeys a remote wipe order.
 */
(function () {
  "use strict";

  const DICT = {
    en: {
      "app.title": "Tocsin",
      "live.on": "Live",
      "live.off": "Reconnecting",
      "login.title": "Sign in",
      "login.org": "Organisation",
      "login.username": "Username",
      "login.password": "Password",
      "login.code": "Code from your authenticator app or SMS",
      "login.submit": "Sign in",
      "login.refused": "Wrong organisation, username or password.",
      "login.code_needed": "Enter the code from your authenticator app.",
      "login.sms_sent": "A code was sent by SMS to the number ending {tail}.",
      "login.throttled": "Too many attempts. Try again in {seconds} s.",
      "login.enrol": "Your organisation requires a second factor. Set it up in the console first.",
      "login.open_console": "Open the console",
      "wiped": "This device was wiped by your administrator. Everything Tocsin kept on it is gone.",
      "expired": "Your session has ended. Please sign in again.",
      "offline": "The appliance can't be reached. Alerts still come by SMS, call and radio.",
      "password.title": "Choose a new password",
      "password.current": "Current password",
      "password.new": "New password",
      "password.submit": "Save password",
      "buttons.title": "Alarm buttons",
      "buttons.confirm": "Send the alarm \"{button}\"?",
      "buttons.send": "Send now",
      "buttons.sent": "Alarm sent: {n} people reached.",
      "cancel": "Cancel",
      "alerts.title": "Alerts",
      "alerts.none": "No alerts. When one comes, it shows here at once.",
      "alerts.back": "All alerts",
      "severity.critical": "Critical",
      "severity.warning": "Warning",
      "severity.info": "Info",
      "state.cancelled": "Closed",
      "critical.kicker": "Critical alert",
      "critical.silence": "Silence",
      "critical.close": "Close",
      "critical.tap_sound": "Tap anywhere to allow sound",
      "answer.yours": "Your answer: {choice}",
      "answer.eta": "Arriving in (minutes)",
      "answer.text": "Message",
      "answer.send_text": "Send message",
      "answer.saved": "Answer sent: {choice}",
      "sealed.title": "This message is encrypted.",
      "sealed.hint": "Type the password agreed beforehand to read it.",
      "sealed.password": "Password",
      "sealed.open": "Open",
      "sealed.wrong": "Wrong password.",
      "location.navigate": "Navigate",
      "location.map": "Map",
      "settings.title": "Settings",
      "settings.language": "Language",
      "settings.channels": "Reach me on",
      "settings.save": "Save",
      "settings.saved": "Saved.",
      "settings.notifications": "Show notifications when the app is in the background",
      "settings.logout": "Sign out",
      "channel.app": "This app",
      "channel.sms": "SMS",
      "channel.voice": "Voice call",
      "channel.email": "Email",
      "channel.tetra": "TETRA radio",
      "error": "Something went wrong: {detail}",
    },
    fi: {
      "app.title": "Tocsin",
      "live.on": "Yhteys",
      "live.off": "Yhdistetään",
      "login.title": "Kirjaudu",
      "login.org": "Organisaatio",
      "login.username": "Käyttäjätunnus",
      "login.password": "Salasana",
      "login.code": "Koodi todennussovelluksesta tai tekstiviestistä",
      "login.submit": "Kirjaudu",
      "login.refused": "Väärä organisaatio, käyttäjätunnus tai salasana.",
      "login.code_needed": "Anna koodi todennussovelluksesta.",
      "login.sms_sent": "Koodi lähetettiin tekstiviestinä numeroon, joka päättyy {tail}.",
      "login.throttled": "Liian monta yritystä. Yritä uudelleen {seconds} s kuluttua.",
      "login.enrol": "Organisaatiosi vaatii toisen tunnistautumistavan. Ota se käyttöön ensin konsolissa.",
      "login.open_console": "Avaa konsoli",
      "wiped": "Ylläpitäjä tyhjensi tämän laitteen. Kaikki Tocsinin tallentama on poistettu.",
      "expired": "Istuntosi päättyi. Kirjaudu uudelleen.",
      "offline": "Laitteeseen ei saada yhteyttä. Hälytykset tulevat yhä tekstiviestinä, puheluna ja radiolla.",
      "password.title": "Valitse uusi salasana",
      "password.current": "Nykyinen salasana",
      "password.new": "Uusi salasana",
      "password.submit": "Tallenna salasana",
      "buttons.title": "Hälytyspainikkeet",
      "buttons.confirm": "Lähetetäänkö hälytys \"{button}\"?",
      "buttons.send": "Lähetä nyt",
      "buttons.sent": "Hälytys lähetetty: {n} henkilöä tavoitettu.",
      "cancel": "Peruuta",
      "alerts.title": "Hälytykset",
      "alerts.none": "Ei hälytyksiä. Uusi hälytys näkyy tässä heti.",
      "alerts.back": "Kaikki hälytykset",
      "severity.critical": "Kriittinen",
      "severity.warning": "Varoitus",
      "severity.info": "Tiedote",
      "state.cancelled": "Päättynyt",
      "critical.kicker": "Kriittinen hälytys",
      "critical.silence": "Hiljennä",
      "critical.close": "Sulje",
      "critical.tap_sound": "Napauta salliaksesi äänen",
      "answer.yours": "Vastauksesi: {choice}",
      "answer.eta": "Saavun (minuuttia)",
      "answer.text": "Viesti",
      "answer.send_text": "Lähetä viesti",
      "answer.saved": "Vastaus lähetetty: {choice}",
      "sealed.title": "Tämä viesti on salattu.",
      "sealed.hint": "Kirjoita etukäteen sovittu salasana lukeaksesi sen.",
      "sealed.password": "Salasana",
      "sealed.open": "Avaa",
      "sealed.wrong": "Väärä salasana.",
      "location.navigate": "Navigoi",
      "location.map": "Kartta",
      "settings.title": "Asetukset",
      "settings.language": "Kieli",
      "settings.channels": "Tavoita minut",
      "settings.save": "Tallenna",
      "settings.saved": "Tallennettu.",
      "settings.notifications": "Näytä ilmoitukset, kun sovellus on taustalla",
      "settings.logout": "Kirjaudu ulos",
      "channel.app": "Tämä sovellus",
      "channel.sms": "Tekstiviesti",
      "channel.voice": "Puhelu",
      "channel.email": "Sähköposti",
      "channel.tetra": "TETRA-radio",
      "error": "Jokin meni vikaan: {detail}",
    },
    sv: {
      "app.title": "Tocsin",
      "live.on": "Ansluten",
      "live.off": "Ansluter",
      "login.title": "Logga in",
      "login.org": "Organisation",
      "login.username": "Användarnamn",
      "login.password": "Lösenord",
      "login.code": "Kod från autentiseringsappen eller sms",
      "login.submit": "Logga in",
      "login.refused": "Fel organisation, användarnamn eller lösenord.",
      "login.code_needed": "Ange koden från autentiseringsappen.",
      "login.sms_sent": "En kod skickades med sms till numret som slutar på {tail}.",
      "login.throttled": "För många försök. Försök igen om {seconds} s.",
      "login.enrol": "Din organisation kräver en andra faktor. Ställ in den i konsolen först.",
      "login.open_console": "Öppna konsolen",
      "wiped": "Den här enheten har rensats av administratören. Allt Tocsin sparade på den är borta.",
      "expired": "Din session har tagit slut. Logga in igen.",
      "offline": "Enheten går inte att nå. Larm kommer fortfarande via sms, samtal och radio.",
      "password.title": "Välj ett nytt lösenord",
      "password.current": "Nuvarande lösenord",
      "password.new": "Nytt lösenord",
      "password.submit": "Spara lösenord",
      "buttons.title": "Larmknappar",
      "buttons.confirm": "Skicka larmet \"{button}\"?",
      "buttons.send": "Skicka nu",
      "buttons.sent": "Larmet skickat: {n} personer nådda.",
      "cancel": "Avbryt",
      "alerts.title": "Larm",
      "alerts.none": "Inga larm. När ett kommer syns det här direkt.",
      "alerts.back": "Alla larm",
      "severity.critical": "Kritiskt",
      "severity.warning": "Varning",
      "severity.info": "Info",
      "state.cancelled": "Avslutat",
      "critical.kicker": "Kritiskt larm",
      "critical.silence": "Tysta",
      "critical.close": "Stäng",
      "critical.tap_sound": "Tryck för att tillåta ljud",
      "answer.yours": "Ditt svar: {choice}",
      "answer.eta": "Framme om (minuter)",
      "answer.text": "Meddelande",
      "answer.send_text": "Skicka meddelande",
      "answer.saved": "Svar skickat: {choice}",
      "sealed.title": "Det här meddelandet är krypterat.",
      "sealed.hint": "Skriv det överenskomna lösenordet för att läsa det.",
      "sealed.password": "Lösenord",
      "sealed.open": "Öppna",
      "sealed.wrong": "Fel lösenord.",
      "location.navigate": "Navigera",
      "location.map": "Karta",
      "settings.title": "Inställningar",
      "settings.language": "Språk",
      "settings.channels": "Nå mig via",
      "settings.save": "Spara",
      "settings.saved": "Sparat.",
      "settings.notifications": "Visa aviseringar när appen är i bakgrunden",
      "settings.logout": "Logga ut",
      "channel.app": "Den här appen",
      "channel.sms": "Sms",
      "channel.voice": "Röstsamtal",
      "channel.email": "E-post",
      "channel.tetra": "TETRA-radio",
      "error": "Något gick fel: {detail}",
    },
  };
  const LANGS = { en: "English", fi: "Suomi", sv: "Svenska" };
  const CHANNELS = ["app", "sms", "voice", "email", "tetra"];
  // Only what the app needs to call in again: never alerts or answers.
  const KEYS = { lang: "tocsin.app.lang", org: "tocsin.app.org", device: "tocsin.app.device", csrf: "tocsin.app.csrf" };
  const CHECK_EVERY_MS = 10000;

  const S = {
    lang: "en",
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

  // ---------------------------------------------------------------------------
  // Small helpers
  // ---------------------------------------------------------------------------

  function t(key, values) {
    let text = (DICT[S.lang] && DICT[S.lang][key]) || DICT.en[key] || key;
    for (const [name, value] of Object.entries(values || {})) text = text.split(`{${name}}`).join(String(value));
    return text;
  }

  /** Builds an element; text is always set as text, never parsed as HTML. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "test") el.dataset.test = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "text") el.textContent = v;
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function store(key, value) {
    try {
      if (value === null || value === undefined) localStorage.removeItem(key);
      else localStorage.setItem(key, value);
    } catch (_) {
      /* private mode: the app still works, it just forgets */
    }
  }

  function stored(key) {
    try {
      return localStorage.getItem(key);
    } catch (_) {
      return null;
    }
  }

  function toast(text, bad) {
    const box = document.getElementById("toasts");
    const note = h("div", { class: bad ? "toast toast-error" : "toast", role: bad ? "alert" : "status" }, text);
    box.append(note);
    setTimeout(() => note.remove(), bad ? 6000 : 3500);
  }

  function when(iso) {
    const d = new Date(iso);
    return d.toLocaleString(S.lang === "en" ? "en-GB" : S.lang, { weekday: "short", hour: "2-digit", minute: "2-digit", day: "numeric", month: "numeric" });
  }

  async function api(method, path, body, retried) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && S.csrf) headers["X-CSRF-Token"] = S.csrf;
    let response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin", cache: "no-store" });
    } catch (_) {
      const err = new Error(t("offline"));
      err.problem = { code: "network" };
      err.status = 0;
      throw err;
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (_) {
      data = null;
    }
    if (response.ok) return data;
    // Another tab's sign-in or lost storage leaves a stale CSRF token: fetch
    // the session's own and try once more.
    if (response.status === 403 && data && data.code === "csrf" && !retried) {
      const me = await api("GET", "/api/v1/me");
      S.csrf = me.csrf_token;
      store(KEYS.csrf, S.csrf);
      return api(method, path, body, true);
    }
    const err = new Error((data && data.detail) || response.statusText);
    err.problem = data || {};
    err.status = response.status;
    err.retryAfter = response.headers.get("Retry-After");
    throw err;
  }

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

  function endSession(reason) {
    stopLive();
    S.me = null;
    S.csrf = null;
    S.alerts.clear();
    S.opened.clear();
    S.lastEventId = null;
    S.buttons = [];
    closeCritical();
    store(KEYS.csrf, null);
    S.notice = reason ? { text: t(reason), bad: reason === "wiped" } : null;
    renderLogin();
  }

  /** Whether an API failure means the session is over; handles it if so. */
  async function sessionProblem(err) {
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

  async function failed(err) {
    if (await sessionProblem(err)) return;
    toast(t("error", { detail: err.message }), true);
  }

  function startLive() {
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
      dot.textContent = on ? t("live.on") : t("live.off");
    }
  }

  /** Is the session still good (not ended, the device not blocked or wiped)? */
  async function check() {
    if (!S.me) return;
    try {
      const me = await api("GET", "/api/v1/me");
      if (me.csrf_token && me.csrf_token !== S.csrf) {
        S.csrf = me.csrf_token;
        store(KEYS.csrf, S.csrf);
      }
      if (S.stream && S.stream.readyState === EventSource.CLOSED) startLive();
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

  // ---------------------------------------------------------------------------
  // Sign-in
  // ---------------------------------------------------------------------------

  function bar(extra) {
    return h(
      "header",
      { class: "bar" },
      h("h1", {}, t("app.title")),
      S.me ? h("span", { class: S.live ? "live on" : "live off", test: "live", "aria-live": "polite" }, S.live ? t("live.on") : t("live.off")) : null,
      extra,
    );
  }

  function renderLogin(state) {
    const st = state || {};
    const root = document.getElementById("app");
    const error = h("p", { class: "notice bad", test: "login-error", role: "alert", hidden: !st.error }, st.error || "");
    const org = h("input", { name: "org", autocomplete: "organization", required: true, value: stored(KEYS.org) || "" });
    const username = h("input", { name: "username", autocomplete: "username", autocapitalize: "none", required: true, value: st.username || "" });
    const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
    const code = h("input", { name: "code", inputmode: "numeric", autocomplete: "one-time-code" });
    const codeField = h("label", { class: "field", hidden: !st.needCode }, h("span", {}, t("login.code")), code);
    const submit = h("button", { class: "btn wide", type: "submit", test: "login-submit" }, t("login.submit"));
    const form = h(
      "form",
      {
        class: "card",
        test: "login",
        onsubmit: async (event) => {
          event.preventDefault();
          unlockSound();
          submit.disabled = true;
          const body = { org: org.value.trim(), username: username.value.trim(), password: password.value, platform: "web-app", device_name: deviceName() };
          if (code.value.trim()) body.code = code.value.trim();
          const device = stored(KEYS.device);
          if (device) body.device_id = device;
          try {
            const done = await api("POST", "/api/v1/session", body);
            store(KEYS.org, body.org);
            store(KEYS.device, done.device.id);
            S.csrf = done.csrf_token;
            store(KEYS.csrf, S.csrf);
            S.notice = null;
            await begin();
          } catch (err) {
            submit.disabled = false;
            const p = err.problem || {};
            let message = err.message;
            const sms = /ending (\d+)/.exec(p.detail || "");
            if (p.code === "login_refused") message = t("login.refused");
            else if (p.code === "second_factor_required") message = sms ? t("login.sms_sent", { tail: sms[1] }) : t("login.code_needed");
            else if (p.code === "throttled") message = t("login.throttled", { seconds: err.retryAfter || 60 });
            if (p.code === "second_factor_required") {
              codeField.hidden = false;
              code.focus();
            }
            error.textContent = message;
            error.hidden = false;
          }
        },
      },
      h("h2", {}, t("login.title")),
      error,
      h("label", { class: "field" }, h("span", {}, t("login.org")), org),
      h("label", { class: "field" }, h("span", {}, t("login.username")), username),
      h("label", { class: "field" }, h("span", {}, t("login.password")), password),
      codeField,
      submit,
    );
    const notice = S.notice ? h("p", { class: S.notice.bad ? "notice bad" : "notice", test: "session-notice" }, S.notice.text) : null;
    root.replaceChildren(bar(languagePicker()), h("main", {}, notice, form));
  }

  function languagePicker() {
    return h(
      "select",
      {
        "aria-label": "Language",
        test: "lang-picker",
        class: "lang",
        onchange: (e) => {
          S.lang = e.target.value;
          store(KEYS.lang, S.lang);
          document.documentElement.lang = S.lang;
          renderLogin();
        },
      },
      Object.entries(LANGS).map(([code, name]) => h("option", { value: code, selected: code === S.lang }, name)),
    );
  }

  function deviceName() {
    const ua = navigator.userAgent;
    const kind = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : "Browser";
    return `Tocsin app (${kind})`;
  }

  /** After sign-in or on opening the app with a live session. */
  async function begin() {
    let me;
    try {
      me = await api("GET", "/api/v1/me");
    } catch (err) {
      if (err.status === 401) {
        if (err.problem.code === "device_wiped") return sessionProblem(err);
        return renderLogin();
      }
      return renderLogin({ error: err.message });
    }
    if (me.kind !== "user") return renderLogin();
    S.me = me;
    S.hadDevice = Boolean(stored(KEYS.device));
    if (me.csrf_token) {
      S.csrf = me.csrf_token;
      store(KEYS.csrf, S.csrf);
    }
    if (me.user.language && DICT[me.user.language]) S.lang = me.user.language;
    document.documentElement.lang = S.lang;
    store(KEYS.lang, S.lang);
    if (me.session.stage === "must_change_password") return renderPasswordChange();
    if (me.session.stage === "must_enroll_second_factor") return renderEnrolNeeded();
    await Promise.all([loadAlerts(), loadButtons()]);
    startLive();
    route();
    // A critical alert that came while the app was closed is still unmissable.
    const pending = sortedAlerts().find((i) => i.alert.severity === "critical" && !i.alert.follows && i.alert.state === "active" && !i.read && !i.response);
    if (pending) showCritical(pending.alert.id);
  }

  function renderPasswordChange() {
    const current = h("input", { type: "password", autocomplete: "current-password", required: true });
    const next = h("input", { type: "password", autocomplete: "new-password", required: true });
    const error = h("p", { class: "notice bad", hidden: true, role: "alert" });
    const form = h(
      "form",
      {
        class: "card",
        onsubmit: async (e) => {
          e.preventDefault();
          try {
            await api("POST", "/api/v1/me/password", { current_password: current.value, new_password: next.value });
            await begin();
          } catch (err) {
            if (await sessionProblem(err)) return;
            error.textContent = err.message;
            error.hidden = false;
          }
        },
      },
      h("h2", {}, t("password.title")),
      error,
      h("label", { class: "field" }, h("span", {}, t("password.current")), current),
      h("label", { class: "field" }, h("span", {}, t("password.new")), next),
      h("button", { class: "btn wide", type: "submit" }, t("password.submit")),
    );
    document.getElementById("app").replaceChildren(bar(), h("main", {}, form));
  }

  function renderEnrolNeeded() {
    document.getElementById("app").replaceChildren(
      bar(),
      h("main", {}, h("p", { class: "notice" }, t("login.enrol")), h("a", { class: "btn wide", href: "/console/" }, t("login.open_console"))),
    );
  }

  // ---------------------------------------------------------------------------
  // Alerts
  // ---------------------------------------------------------------------------

  async function loadAlerts() {
    try {
      const data = await api("GET", "/api/v1/me/alerts");
      // The newest delivery of each alert stands for it.
      for (const item of data.alerts.slice().reverse()) receive(item, false);
      for (const item of data.alerts) if (!S.lastEventId || item.alert.id > S.lastEventId) S.lastEventId = item.alert.id;
      refresh();
    } catch (err) {
      await failed(err);
    }
  }

  async function loadButtons() {
    try {
      S.buttons = (await api("GET", "/api/v1/me/buttons")).buttons;
    } catch (err) {
      S.buttons = [];
      await failed(err);
    }
  }

  /** One alert from the list or the live stream. */
  function receive(item, live) {
    const id = item.alert.id;
    const known = S.alerts.get(id);
    S.alerts.set(id, Object.assign({}, known || {}, item));
    const fresh = live && !known && !item.read && item.alert.state === "active";
    // Updates and all-clears follow an alert the member was already woken for.
    if (fresh && item.alert.severity === "critical" && !item.alert.follows) showCritical(id);
    else if (fresh) {
      toast(item.alert.title);
      notify(item.alert);
    }
    const closed = known && known.alert.state === "active" && item.alert.state !== "active";
    if (closed && S.critical === id) {
      stopSiren();
      if (!typing()) renderCritical();
    }
    if (live) refresh(id);
  }

  /** Whether the member is typing (an ETA, a message, a password): redraw nothing then. */
  function typing() {
    const el = document.activeElement;
    return Boolean(el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT"));
  }

  /** Redraws the page if it shows the changed alert (any alert when `id` is not given). */
  function refresh(id) {
    if (!S.me || typing()) return;
    const hash = location.hash;
    if (hash === "" || hash === "#") renderHome();
    else if (hash.startsWith("#alert=") && (id === undefined || hash === `#alert=${id}`)) route();
  }

  function sortedAlerts() {
    return Array.from(S.alerts.values()).sort((a, b) => (a.alert.created_at < b.alert.created_at ? 1 : -1));
  }

  async function markRead(id) {
    const item = S.alerts.get(id);
    if (!item || item.read) return;
    item.read = true;
    try {
      await api("POST", `/api/v1/me/alerts/${encodeURIComponent(id)}/read`);
    } catch (err) {
      await failed(err);
    }
  }

  async function answer(id, choice, extra) {
    const body = Object.assign({ choice }, extra || {});
    try {
      const done = await api("POST", `/api/v1/alerts/${encodeURIComponent(id)}/response`, body);
      const item = S.alerts.get(id);
      if (item) item.response = done.response;
      toast(t("answer.saved", { choice }));
      return true;
    } catch (err) {
      await failed(err);
      return false;
    }
  }

  function severityBadge(alert) {
    return h("span", { class: `badge ${alert.severity}` }, t(`severity.${alert.severity}`));
  }

  /** Where a sealed body is shown: a password box until it is opened. */
  function bodyOf(alert, onOpened) {
    if (!alert.sealed) return alert.body ? h("p", { class: "body", test: "alert-body" }, alert.body) : null;
    const plain = S.opened.get(alert.id);
    if (plain !== undefined) return h("p", { class: "body", test: "alert-body" }, plain);
    const password = h("input", { type: "password", autocomplete: "off", test: "sealed-password", "aria-label": t("sealed.password") });
    const wrong = h("p", { class: "field-error", test: "sealed-error", role: "alert", hidden: true }, t("sealed.wrong"));
    const button = h("button", { class: "btn", type: "submit", test: "sealed-open" }, t("sealed.open"));
    return h(
      "form",
      {
        class: "sealed",
        test: "sealed",
        onsubmit: async (e) => {
          e.preventDefault();
          button.disabled = true;
          try {
            S.opened.set(alert.id, await window.TocsinSeal.open(alert.sealed, password.value, { org: S.me.org.id, title: alert.title }));
            onOpened();
          } catch (_) {
            wrong.hidden = false;
            button.disabled = false;
          }
        },
      },
      h("strong", {}, t("sealed.title")),
      h("p", { class: "meta" }, t("sealed.hint")),
      h("div", { class: "row" }, h("label", { class: "field" }, h("span", {}, t("sealed.password")), password), button),
      wrong,
    );
  }

  function locationOf(alert) {
    const l = alert.location;
    if (!l) return null;
    const point = `${Number(l.lat).toFixed(6)},${Number(l.lon).toFixed(6)}`;
    const label = l.label || point;
    return h(
      "div",
      { class: "links", test: "location" },
      h("div", { class: "meta" }, label),
      h("a", { href: `geo:${point}?q=${point}(${encodeURIComponent(label)})`, test: "navigate" }, t("location.navigate")),
      h("a", { href: `https://www.openstreetmap.org/?mlat=${l.lat}&mlon=${l.lon}#map=17/${l.lat}/${l.lon}`, target: "_blank", rel: "noopener noreferrer" }, t("location.map")),
    );
  }

  /** The answer buttons, ETA and message fields of one alert. */
  function answersOf(item, after) {
    const alert = item.alert;
    if (alert.state !== "active") return item.response ? h("p", { class: "meta" }, t("answer.yours", { choice: item.response.choice })) : null;
    const eta = alert.allow_eta ? h("input", { type: "number", min: "0", max: "1440", inputmode: "numeric", test: "answer-eta" }) : null;
    const buttons = alert.responses.map((choice, i) =>
      h(
        "button",
        {
          class: `btn ${i === 0 ? "answer-yes" : i === 1 ? "answer-no" : ""} ${item.response && item.response.choice === choice ? "chosen" : ""}`,
          type: "button",
          test: `answer-${i}`,
          onclick: async () => {
            const extra = {};
            if (eta && eta.value !== "" && i === 0) extra.eta_minutes = Number(eta.value);
            if (await answer(alert.id, choice, extra)) after();
          },
        },
        choice,
      ),
    );
    const text = alert.allow_text ? h("input", { maxlength: "500", test: "answer-text" }) : null;
    return h(
      "div",
      {},
      item.response ? h("p", { class: "meta", test: "my-answer" }, t("answer.yours", { choice: item.response.choice })) : null,
      eta ? h("label", { class: "field" }, h("span", {}, t("answer.eta")), eta) : null,
      h("div", { class: buttons.length === 2 ? "answers two" : "answers" }, buttons),
      text
        ? h(
            "form",
            {
              class: "row",
              onsubmit: async (e) => {
                e.preventDefault();
                const choice = (item.response && item.response.choice) || alert.responses[0];
                if (text.value.trim() && (await answer(alert.id, choice, { text: text.value.trim() }))) after();
              },
            },
            h("label", { class: "field" }, h("span", {}, t("answer.text")), text),
            h("button", { class: "btn secondary", type: "submit" }, t("answer.send_text")),
          )
        : null,
    );
  }

  // ---------------------------------------------------------------------------
  // The critical view: full screen, sound and vibration until answered
  // ---------------------------------------------------------------------------

  /** Audio may only start after a tap; the sign-in tap or any later one unlocks it. */
  function unlockSound() {
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

  function stopSiren() {
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

  function showCritical(id) {
    S.critical = id;
    renderCritical();
    startSiren();
    notify(S.alerts.get(id).alert);
  }

  function closeCritical() {
    S.critical = null;
    stopSiren();
    const root = document.getElementById("overlay-root");
    if (root) root.replaceChildren();
  }

  function renderCritical() {
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
      h("div", { class: "kicker" }, t("critical.kicker")),
      h("h2", { id: "critical-title", test: "critical-title" }, alert.title),
      h("div", { class: "meta" }, `${alert.created_by} · ${when(alert.created_at)}`),
      bodyOf(alert, renderCritical),
      locationOf(alert),
      answersOf(item, done),
      h("p", { class: "meta", test: "tap-sound", hidden: true }, t("critical.tap_sound")),
      h(
        "div",
        { class: "answers two" },
        h("button", { class: "btn secondary", type: "button", test: "silence", onclick: stopSiren }, t("critical.silence")),
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
          t("critical.close"),
        ),
      ),
    );
    root.replaceChildren(view);
    markRead(alert.id);
    updateSoundState();
  }

  /** A system notification while the app is in the background, when allowed. */
  function notify(alert) {
    if (!document.hidden || !window.Notification || Notification.permission !== "granted" || !navigator.serviceWorker) return;
    navigator.serviceWorker.ready
      .then((reg) => reg.showNotification(alert.title, { tag: alert.id, requireInteraction: alert.severity === "critical", icon: "/app/icon-192.png" }))
      .catch(() => {});
  }

  // ---------------------------------------------------------------------------
  // Views
  // ---------------------------------------------------------------------------

  function route() {
    if (!S.me) return;
    const hash = location.hash;
    if (hash.startsWith("#alert=")) {
      let id = "";
      try {
        id = decodeURIComponent(hash.slice(7));
      } catch (_) {
        /* a damaged link shows the not-found page */
      }
      renderAlert(id);
    } else if (hash === "#settings") renderSettings();
    else renderHome();
  }

  function homeBar() {
    return bar(h("button", { type: "button", test: "open-settings", onclick: () => (location.hash = "#settings") }, t("settings.title")));
  }

  function renderHome() {
    const buttons = S.buttons.length
      ? [
          h("h2", {}, t("buttons.title")),
          h(
            "div",
            { class: "buttons" },
            S.buttons.map((b) =>
              h("button", { class: `alarm-button ${b.severity || "critical"}`, type: "button", test: `button-${b.template}`, onclick: () => confirmButton(b) }, b.button),
            ),
          ),
        ]
      : [];
    const items = sortedAlerts();
    const list = items.length
      ? items.map((item) =>
          h(
            "button",
            {
              class: `card alert-item ${item.alert.severity} ${item.read ? "" : "unread"}`,
              type: "button",
              test: "alert-item",
              onclick: () => (location.hash = `#alert=${item.alert.id}`),
            },
            h("div", {}, severityBadge(item.alert), item.alert.state !== "active" ? h("span", { class: "badge closed" }, t("state.cancelled")) : null, item.response ? h("span", { class: "badge answered" }, item.response.choice) : null),
            h("div", { class: "title" }, item.alert.title),
            h("div", { class: "meta" }, `${item.alert.created_by} · ${when(item.alert.created_at)}`),
          ),
        )
      : [h("p", { class: "empty", test: "no-alerts" }, t("alerts.none"))];
    document.getElementById("app").replaceChildren(homeBar(), h("main", {}, buttons, h("h2", {}, t("alerts.title")), h("div", { test: "alerts" }, list)));
  }

  function confirmButton(b) {
    const close = () => sheet.remove();
    const send = h(
      "button",
      {
        class: "btn",
        type: "button",
        test: "button-send",
        onclick: async () => {
          send.disabled = true;
          try {
            const fired = await api("POST", `/api/v1/oneclick/${encodeURIComponent(b.template)}`);
            toast(t("buttons.sent", { n: fired.recipients }));
            close();
          } catch (err) {
            close();
            await failed(err);
          }
        },
      },
      t("buttons.send"),
    );
    const sheet = h(
      "div",
      { class: "sheet-back", onclick: (e) => e.target === sheet && close() },
      h(
        "div",
        { class: "sheet", role: "dialog", "aria-modal": "true", test: "button-confirm" },
        h("h3", {}, t("buttons.confirm", { button: b.button })),
        b.title ? h("p", { class: "meta" }, b.title) : null,
        h("div", { class: "answers" }, send, h("button", { class: "btn secondary", type: "button", onclick: close }, t("cancel"))),
      ),
    );
    document.body.append(sheet);
    send.focus();
  }

  function renderAlert(id) {
    const item = S.alerts.get(id);
    const back = h("button", { type: "button", test: "back", onclick: () => (location.hash = "") }, t("alerts.back"));
    if (!item) {
      document.getElementById("app").replaceChildren(bar(back), h("main", {}, h("p", { class: "empty" }, t("alerts.none"))));
      return;
    }
    const alert = item.alert;
    const again = () => renderAlert(id);
    document.getElementById("app").replaceChildren(
      bar(back),
      h(
        "main",
        {},
        h(
          "article",
          { class: `card alert-item ${alert.severity}`, test: "alert-detail" },
          h("div", {}, severityBadge(alert), alert.state !== "active" ? h("span", { class: "badge closed" }, t("state.cancelled")) : null),
          h("h2", { class: "title", test: "alert-title" }, alert.title),
          h("div", { class: "meta" }, `${alert.created_by} · ${when(alert.created_at)}`),
          bodyOf(alert, again),
          locationOf(alert),
          answersOf(item, again),
        ),
      ),
    );
    markRead(id);
  }

  function renderSettings() {
    const me = S.me;
    const language = h("select", { test: "settings-language" }, Object.entries(LANGS).map(([code, name]) => h("option", { value: code, selected: code === S.lang }, name)));
    const chosen = new Set(me.user.channels && me.user.channels.length ? me.user.channels : ["app"]);
    const boxes = CHANNELS.map((c) => h("input", { type: "checkbox", value: c, checked: chosen.has(c), test: `channel-${c}` }));
    const save = h(
      "button",
      {
        class: "btn wide",
        type: "submit",
        test: "settings-save",
      },
      t("settings.save"),
    );
    const form = h(
      "form",
      {
        class: "card",
        onsubmit: async (e) => {
          e.preventDefault();
          try {
            const channels = boxes.filter((b) => b.checked).map((b) => b.value);
            const saved = await api("PATCH", "/api/v1/me", { language: language.value, channels });
            me.user.language = saved.language;
            me.user.channels = saved.channels;
            S.lang = saved.language || S.lang;
            store(KEYS.lang, S.lang);
            document.documentElement.lang = S.lang;
            renderSettings();
            toast(t("settings.saved"));
          } catch (err) {
            await failed(err);
          }
        },
      },
      h("label", { class: "field" }, h("span", {}, t("settings.language")), language),
      h("fieldset", { class: "field checks" }, h("legend", {}, h("strong", {}, t("settings.channels"))), CHANNELS.map((c, i) => h("label", {}, boxes[i], t(`channel.${c}`)))),
      save,
    );
    const notifications =
      window.Notification && Notification.permission === "default"
        ? h("button", { class: "btn secondary wide", type: "button", onclick: () => Notification.requestPermission().then(renderSettings) }, t("settings.notifications"))
        : null;
    const logout = h(
      "button",
      {
        class: "btn secondary wide",
        type: "button",
        test: "logout",
        onclick: async () => {
          try {
            await api("DELETE", "/api/v1/session");
          } catch (_) {
            /* the session is gone either way */
          }
          endSession(null);
        },
      },
      t("settings.logout"),
    );
    const back = h("button", { type: "button", test: "back", onclick: () => (location.hash = "") }, t("alerts.back"));
    document.getElementById("app").replaceChildren(
      bar(back),
      h("main", {}, h("h2", {}, t("settings.title")), h("p", { class: "meta" }, `${me.user.name} · ${me.org.name}`), form, notifications, h("p", {}), logout),
    );
  }

  // ---------------------------------------------------------------------------
  // Start
  // ---------------------------------------------------------------------------

  function boot() {
    const saved = stored(KEYS.lang);
    const browser = (navigator.language || "en").slice(0, 2);
    S.lang = DICT[saved] ? saved : DICT[browser] ? browser : "en";
    document.documentElement.lang = S.lang;
    S.csrf = stored(KEYS.csrf);
    window.addEventListener("hashchange", route);
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) check();
    });
    document.addEventListener("click", unlockSound, { capture: true });
    window.addEventListener("online", () => (S.me ? check() : begin()));
    if (navigator.serviceWorker) navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => {});
    if (!navigator.onLine) {
      S.notice = { text: t("offline"), bad: true };
      renderLogin();
    }
    begin();
  }

  boot();
})();

import { checkIn, endTimer, left, startTimer } from "/app/checkin.js";
import { setStill, setStillMinutes, STILL_MINUTES, stillText } from "/app/motion.js";
import { failed } from "/app/session.js";
import { S } from "/app/state.js";
import { h, t } from "/app/util.js";
import { bar } from "/app/views/login.js";
import { LOCALES } from "/ui/lib/i18n.js";

const PRESETS = [15, 30, 60, 120];
const MAX_MINUTES = 720;

/** A clock time: a timer runs at most 12 hours, so the hour says when. */
function hourMinute(iso) {
  return new Date(iso).toLocaleTimeString(LOCALES[S.lang], { hour: "2-digit", minute: "2-digit" });
}

export function duration(minutes) {
  return minutes % 60 === 0 ? t("member.timer.hours", { n: minutes / 60 }) : t("member.timer.minutes", { n: minutes });
}

export function renderTimer() {
  const back = h("button", { type: "button", test: "back", onclick: () => (location.hash = "") }, t("member.alerts.back"));
  const timer = S.checkin.timer;
  document
    .getElementById("app")
    .replaceChildren(
      bar(back),
      h(
        "main",
        { test: "timer-view" },
        h("h2", {}, t("member.timer.title")),
        timer ? running(timer) : startForm(),
        stillCard(),
        h("p", { class: "meta", test: "timer-sms" }, t("member.timer.sms")),
      ),
    );
}

function startForm() {
  const minutes = h("input", { type: "number", min: "1", max: String(MAX_MINUTES), step: "1", inputmode: "numeric", required: true, value: "30", test: "timer-minutes" });
  const presets = PRESETS.map((m) =>
    h(
      "button",
      {
        type: "button",
        class: "preset",
        test: `timer-preset-${m}`,
        onclick: () => {
          minutes.value = String(m);
          mark();
        },
      },
      duration(m),
    ),
  );
  const mark = () => presets.forEach((b, i) => b.setAttribute("aria-pressed", String(Number(minutes.value) === PRESETS[i])));
  minutes.addEventListener("input", mark);
  mark();
  const note = h("input", { maxlength: "200", test: "timer-note", placeholder: t("member.timer.note_hint") });
  const error = h("p", { class: "field-error", role: "alert", hidden: true });
  const start = h("button", { class: "btn wide", type: "submit", test: "timer-start" }, t("member.timer.start"));
  return h(
    "form",
    {
      class: "card",
      test: "timer-form",
      onsubmit: async (e) => {
        e.preventDefault();
        const n = Number(minutes.value);
        if (!Number.isInteger(n) || n < 1 || n > MAX_MINUTES) {
          error.textContent = t("member.timer.bad_minutes", { max: MAX_MINUTES });
          error.hidden = false;
          minutes.focus();
          return;
        }
        start.disabled = true;
        try {
          // The redraw comes with the new timer.
          minutes.blur();
          note.blur();
          await startTimer(n, note.value.trim());
        } catch (err) {
          start.disabled = false;
          await failed(err);
        }
      },
    },
    h("p", {}, t("member.timer.intro")),
    h("div", { class: "presets", role: "group", "aria-label": t("member.timer.how_long") }, presets),
    h("label", { class: "field" }, h("span", {}, t("member.timer.how_long")), minutes),
    error,
    h("label", { class: "field" }, h("span", {}, t("member.timer.note")), note),
    start,
  );
}

function running(timer) {
  const state = timer.state;
  const headline = {
    running: t("member.timer.due_by", { time: hourMinute(timer.due_at) }),
    reminded: t("member.timer.reminded"),
    grace: t("member.timer.grace_title"),
    alarmed: t("member.timer.alarmed_title"),
  }[state];
  const check = h(
    "button",
    {
      class: "btn wide ok",
      type: "button",
      test: "timer-checkin",
      onclick: async () => {
        check.disabled = true;
        if (!(await checkIn())) check.disabled = false;
      },
    },
    timer.minutes === 0 ? t("member.timer.ok") : t("member.timer.check_in", { duration: duration(timer.minutes) }),
  );
  const end = h(
    "button",
    {
      class: "btn secondary wide",
      type: "button",
      test: "timer-end",
      onclick: async () => {
        end.disabled = true;
        if (!(await endTimer())) end.disabled = false;
      },
    },
    t("member.timer.end"),
  );
  return h(
    "section",
    { class: `card timer ${state}`, test: "timer", "data-state": state },
    h("p", { class: "headline", test: "timer-headline" }, headline),
    state === "alarmed"
      ? h("p", {}, t("member.timer.alarmed_text"))
      : h("div", { class: "countdown", test: "timer-countdown", "data-countdown": "", role: "timer" }, left(timer)),
    state === "grace" ? h("p", { class: "meta" }, timer.minutes === 0 ? t("member.timer.still_text") : t("member.timer.grace_text")) : null,
    timer.note && timer.minutes !== 0 ? h("p", { class: "meta", test: "timer-note-shown" }, t("member.timer.note_is", { note: timer.note })) : null,
    h("div", { class: "answers" }, state === "alarmed" ? null : check, end),
  );
}

function stillCard() {
  const box = h("input", {
    type: "checkbox",
    role: "switch",
    checked: S.still.on,
    test: "still",
    onchange: async () => {
      await setStill(box.checked);
    },
  });
  const minutes = h("input", {
    type: "number",
    min: String(STILL_MINUTES.min),
    max: String(STILL_MINUTES.max),
    step: "1",
    inputmode: "numeric",
    value: String(S.still.minutes),
    test: "still-minutes",
    onchange: () => {
      const n = Number(minutes.value);
      if (Number.isInteger(n) && n >= STILL_MINUTES.min && n <= STILL_MINUTES.max) setStillMinutes(n);
      else minutes.value = String(S.still.minutes);
    },
  });
  return h(
    "section",
    { class: "card" },
    h("label", { class: "switch-row" }, box, h("strong", {}, t("member.still.label"))),
    h("label", { class: "field" }, h("span", {}, t("member.still.minutes")), minutes),
    h("p", { class: "meta", test: "still-state", "data-state": S.still.on ? S.still.state : "off" }, stillText()),
  );
}

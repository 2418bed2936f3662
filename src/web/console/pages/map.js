import { api } from "/console/api.js";
import { MAX_RADIUS_M, SEEN_WITHIN_DEFAULT, areaText, countInside, seenWithin } from "/console/areas.js";
import { answerKind } from "/console/deliveries.js";
import { newDraft, newKey } from "/console/drafts.js";
import { createMap, drawingTool, homeView } from "/console/mapview.js";
import { navigate, onCleanup } from "/console/router.js";
import { S, can } from "/console/state.js";
import { settle } from "/ui/lib/api.js";
import { append, button, checkbox, el, emptyRow, field, heading, replace, select } from "/ui/lib/dom.js";
import { fmtDuration, fmtNum, fmtTime, t, tn } from "/ui/lib/i18n.js";
import { errorText, report } from "/ui/lib/toast.js";

// ---------------------------------------------------------------------------
// #/map: the alert's place, members' last known positions and their
// answers, and an area drawn to send an alert to whoever is inside.
// ---------------------------------------------------------------------------

const REFRESH_MS = 30000;
const COUNT_DELAY_MS = 300;

function answerLabel(answer) {
  if (!answer) return t("map.no_answer");
  if (answer.eta_minutes !== null && answer.eta_minutes !== undefined) return t("map.answer_eta", { choice: answer.choice, m: fmtNum(answer.eta_minutes) });
  return answer.choice;
}

function ageLabel(seconds) {
  return seconds < 60 ? t("map.just_now") : t("map.age", { time: fmtDuration(seconds) });
}

function personName(p) {
  return p.name || p.username;
}

export async function renderMap(page, match, query) {
  append(page, heading(t("map.title")));
  const canSee = can("read_locations");
  const alertsResult = await settle(api("GET", "/api/v1/alerts?limit=100"));
  if (!page.isConnected) return;
  if (!alertsResult.ok) report(alertsResult.error);
  const alerts = alertsResult.ok ? alertsResult.value.alerts : [];
  const wanted = query.get("alert");
  const shown = alerts.filter((a) => a.state === "active" || a.id === wanted);
  const firstWithPlace = shown.find((a) => a.location);
  let alertId = (shown.find((a) => a.id === wanted) || firstWithPlace || shown[0] || { id: "" }).id;
  const alertById = (id) => alerts.find((a) => a.id === id) || null;

  const alertPick = select(
    [["", t("map.no_alert")], ...shown.map((a) => [a.id, `${a.title} · ${fmtTime(a.created_at)}`])],
    alertId, { test: "map-alert-select" });
  const auto = checkbox(t("map.auto"), { test: "map-auto" });
  const mapBox = el("div", { class: "map-canvas", test: "map", role: "region", "aria-label": t("map.label") });
  const note = el("p", { class: "hint", test: "map-note", hidden: true });
  const placeLine = el("p", { class: "muted", test: "map-alert-place" });

  // The area panel.
  const stageLine = el("p", { class: "map-stage", role: "status", test: "map-draw-hint", text: t("map.draw_hint") });
  const radius = el("input", { type: "number", min: "1", max: String(MAX_RADIUS_M), step: "1", inputmode: "numeric", test: "map-radius", disabled: true });
  const d0 = S.sendDraft;
  const minutes = el("input", { type: "number", min: "1", max: "1440", step: "1", inputmode: "numeric", test: "map-seen-within",
    value: d0 && d0.area ? String(d0.seen_within || SEEN_WITHIN_DEFAULT) : String(SEEN_WITHIN_DEFAULT) });
  const follow = checkbox(t("area.follow"), { test: "map-follow", checked: !!(d0 && d0.area && d0.follow) });
  const countLine = el("p", { class: "map-count", test: "map-area-count", "aria-live": "polite" });
  const sendArea = button(t("map.send_area"), { class: "btn-primary", test: "map-send-area", disabled: true });
  const finish = button(t("map.finish"), { class: "btn-small", test: "map-draw-finish" });
  finish.hidden = true;
  const aroundAlert = button(t("map.around_alert"), { class: "btn-small", test: "map-circle-alert" });
  const listBody = el("tbody");
  // Made once the map is up; the buttons wait for it.
  let tool = null;
  const draw = (kind) => tool && tool.start(kind);

  append(page,
    el("div", { class: "actions map-actions" },
      field(t("map.alert"), alertPick, { class: "field-inline" }),
      button(t("common.refresh"), { test: "map-refresh", onclick: () => refresh() }),
      canSee ? auto : null),
    el("div", { class: "map-layout" },
      el("div", { class: "map-main" }, mapBox, placeLine, note),
      el("aside", { class: "card map-side", "aria-label": t("map.area") },
        el("h2", { text: t("map.area") }),
        el("div", { class: "toggle-row" },
          button(t("map.circle"), { class: "btn-small", test: "map-draw-circle", onclick: () => draw("circle") }),
          button(t("map.polygon"), { class: "btn-small", test: "map-draw-polygon", onclick: () => draw("polygon") }),
          button(t("map.clear"), { class: "btn-small btn-quiet", test: "map-draw-clear", onclick: () => tool && tool.clear() })),
        stageLine, finish, aroundAlert,
        field(t("map.radius"), radius, { name: "area.circle.radius_m", hint: t("map.radius_hint") }),
        countLine, sendArea,
        field(t("area.seen_within"), minutes, { name: "seen_within_minutes", hint: t("area.seen_within_hint") }),
        follow)),
    canSee ? el("section", { class: "card" },
      el("h2", { text: t("map.people") }),
      el("div", { class: "table-wrap" }, el("table", { class: "table", test: "map-people" },
        el("caption", { class: "sr-only", text: t("map.people") }),
        el("thead", null, el("tr", null, [t("map.name"), t("map.seen"), t("map.answer"), t("map.accuracy"), t("map.duty")].map((h) => el("th", { scope: "col", text: h })))),
        listBody)))
      : el("p", { class: "hint", test: "map-no-permission", text: t("map.need_permission") }));

  let created;
  try {
    created = await createMap(mapBox, S.lang);
  } catch (err) {
    replace(mapBox, el("p", { class: "error-box", role: "alert", text: errorText(err) }));
    return;
  }
  const { map, L, tiles } = created;
  onCleanup(() => map.remove());
  mapBox.setAttribute("data-tiles", tiles ? "yes" : "no");
  if (!tiles) {
    note.textContent = t("map.no_tiles");
    note.hidden = false;
  }

  const alertLayer = L.layerGroup().addTo(map);
  const peopleLayer = L.layerGroup().addTo(map);
  let people = [];
  let area = null;

  // --- The alert's place -------------------------------------------------
  const drawAlert = () => {
    alertLayer.clearLayers();
    const a = alertById(alertId);
    aroundAlert.hidden = !(a && a.location);
    if (!a || !a.location) {
      placeLine.textContent = a ? t("map.alert_no_place") : "";
      return;
    }
    const where = [a.location.label, `${a.location.lat}, ${a.location.lon}`].filter(Boolean).join(" · ");
    placeLine.textContent = t("live.location", { place: where });
    const pin = el("span", { class: `map-alert-pin sev-${a.severity}`, test: "map-alert", text: "!" });
    const marker = L.marker([a.location.lat, a.location.lon], {
      icon: L.divIcon({ className: "map-alert-icon", html: pin, iconSize: [30, 30], iconAnchor: [15, 15] }),
      title: a.title, keyboard: true, zIndexOffset: 1000,
    }).addTo(alertLayer);
    marker.bindTooltip(el("span", { class: "map-tip", test: "map-alert-tip" },
      el("strong", { text: a.title }), a.location.label ? el("span", { text: a.location.label }) : null),
    // Left of the pin: members' labels sit to the right of their dots.
    { permanent: true, direction: "left", offset: [-16, 0], className: "map-tooltip map-tooltip-alert" });
  };

  // --- Members -------------------------------------------------------------
  const stale = (p) => p.age_seconds > seenWithin(minutes.value) * 60;
  const kindOf = (p) => {
    if (!p.answer) return "none";
    const a = alertById(p.answer.alert);
    return a ? answerKind(a, p.answer) : "coming";
  };
  const drawPeople = () => {
    peopleLayer.clearLayers();
    for (const p of people) {
      const kind = kindOf(p);
      const old = stale(p);
      if (p.accuracy_m) {
        L.circle([p.lat, p.lon], { radius: p.accuracy_m, stroke: false, fillColor: "#1565c0", fillOpacity: 0.08, interactive: false }).addTo(peopleLayer);
      }
      const dot = L.circleMarker([p.lat, p.lon], {
        radius: 8, weight: 2, color: "#ffffff", fillOpacity: old ? 0.45 : 1,
        className: `map-member ans-${kind}${old ? " map-stale" : ""}`,
      }).addTo(peopleLayer);
      dot.bindTooltip(el("span", { class: "map-tip", test: `map-member-${p.username}`, "data-answer": kind, "data-stale": old ? "true" : null },
        el("strong", { text: personName(p) }),
        el("span", { text: `${ageLabel(p.age_seconds)} · ${answerLabel(p.answer)}` })),
      { permanent: true, direction: "right", offset: [10, 0], className: `map-tooltip${old ? " map-tooltip-stale" : ""}` });
    }
    const rows = [...people].sort((a, b) => personName(a).localeCompare(personName(b)));
    replace(listBody, rows.length ? rows.map((p) => el("tr", { test: `map-row-${p.username}`, class: stale(p) ? "row-muted" : null },
      el("td", null, button(personName(p), { class: "btn-link", onclick: () => map.setView([p.lat, p.lon], Math.max(map.getZoom(), 16)) })),
      el("td", { text: ageLabel(p.age_seconds), title: fmtTime(p.at) }),
      el("td", { class: `answer ans-${kindOf(p)}`, text: answerLabel(p.answer) }),
      el("td", { text: p.accuracy_m ? `± ${fmtNum(Math.round(p.accuracy_m))} m` : "–" }),
      el("td", { text: p.on_duty ? t("map.on_duty") : "" }))) : emptyRow(5, t("map.nobody")));
  };

  const loadPeople = async () => {
    if (!canSee) return;
    const data = await api("GET", "/api/v1/locations");
    if (!page.isConnected) return;
    people = (data.locations || []).filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lon));
    drawPeople();
  };

  async function refresh() {
    const [fresh, loaded] = await Promise.all([settle(api("GET", "/api/v1/alerts?limit=100")), settle(loadPeople())]);
    if (fresh.ok) {
      alerts.splice(0, alerts.length, ...fresh.value.alerts);
      drawAlert();
      drawPeople();
    }
    if (!loaded.ok) report(loaded.error);
  }

  // --- Drawing -------------------------------------------------------------
  let countTimer = null;
  let countTurn = 0;
  const recount = () => {
    clearTimeout(countTimer);
    sendArea.disabled = !area;
    if (!area) {
      countLine.textContent = "";
      return;
    }
    countLine.textContent = t("map.counting");
    const turn = (countTurn += 1);
    countTimer = setTimeout(async () => {
      const r = await settle(countInside(area, minutes.value));
      if (turn !== countTurn || !page.isConnected) return;
      countLine.textContent = r.ok ? tn("area.inside", r.value) : t("map.count_failed", { why: errorText(r.error) });
      countLine.setAttribute("data-count", r.ok ? String(r.value) : "");
    }, COUNT_DELAY_MS);
  };
  tool = drawingTool(map, L, (next, stage) => {
    area = next;
    finish.hidden = tool.mode !== "polygon";
    radius.disabled = !tool.centre;
    if (area && area.circle) radius.value = String(area.circle.radius_m);
    else if (!tool.centre) radius.value = "";
    const hints = {
      centre: t("map.hint_centre"),
      radius: t("map.hint_radius"),
      corners: tool.corners >= 3 ? t("map.hint_close") : t("map.hint_corners"),
      crossing: t("map.hint_crossing"),
    };
    stageLine.textContent = stage === "done" && area ? areaText(area) : hints[stage] || t("map.draw_hint");
    stageLine.classList.toggle("warn-text", stage === "crossing");
    if (stage !== "crossing") recount();
  });
  finish.addEventListener("click", () => tool.finish());
  aroundAlert.addEventListener("click", () => {
    const a = alertById(alertId);
    const metres = Number(radius.value) > 0 ? Number(radius.value) : 500;
    if (a && a.location) tool.circleAround([a.location.lat, a.location.lon], Math.min(metres, MAX_RADIUS_M));
  });
  radius.addEventListener("input", () => {
    const metres = Number(radius.value);
    if (metres > 0 && metres <= MAX_RADIUS_M) tool.setRadius(metres);
  });
  minutes.addEventListener("input", () => {
    drawPeople();
    recount();
  });
  sendArea.addEventListener("click", () => {
    if (!area) return;
    const d = S.sendDraft || newDraft();
    d.area = JSON.parse(JSON.stringify(area));
    d.seen_within = String(seenWithin(minutes.value));
    d.follow = follow.input.checked;
    d.key = newKey();
    S.sendDraft = d;
    navigate("#/send");
  });
  alertPick.addEventListener("change", () => {
    alertId = alertPick.value;
    drawAlert();
    const a = alertById(alertId);
    if (a && a.location) map.setView([a.location.lat, a.location.lon], Math.max(map.getZoom(), 15));
  });
  let timer = null;
  auto.input.addEventListener("change", () => {
    clearInterval(timer);
    timer = auto.input.checked ? setInterval(() => refresh().catch(report), REFRESH_MS) : null;
  });
  onCleanup(() => {
    clearInterval(timer);
    clearTimeout(countTimer);
  });

  // --- First view ------------------------------------------------------------
  drawAlert();
  const loaded = await settle(loadPeople());
  if (!page.isConnected) return;
  if (!loaded.ok) report(loaded.error);
  if (d0 && d0.area) tool.show(d0.area);
  const a = alertById(alertId);
  const drawn = tool.bounds();
  if (a && a.location) map.setView([a.location.lat, a.location.lon], 16);
  else if (drawn) map.fitBounds(drawn, { maxZoom: 16 });
  else if (people.length) map.fitBounds(L.latLngBounds(people.map((p) => [p.lat, p.lon])).pad(0.3), { maxZoom: 16 });
  else {
    const home = homeView(tiles);
    map.setView(home.center, home.zoom);
  }
}

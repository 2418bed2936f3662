import { crossesItself } from "/console/areas.js";
import { el } from "/ui/lib/dom.js";
import { t } from "/ui/lib/i18n.js";

// ---------------------------------------------------------------------------
// The map: Leaflet over the appliance's own PMTiles archive, or over a plain
// coordinate grid when none is installed. The libraries are classic scripts
// (vendored, see /src/web/vendor/README.md) that set globals, so they are
// added as <script src> elements the first time a map opens.
// ---------------------------------------------------------------------------

const TILES = "/map/tiles.pmtiles";
const STYLE = "/vendor/leaflet/leaflet.css";
/** PMTiles tile types: 1 is vector (MVT); these are images. */
const RASTER = { 2: "image/png", 3: "image/jpeg", 4: "image/webp", 5: "image/avif" };
const OSM_COPYRIGHT = "https://www.openstreetmap.org/copyright";

let loading = null;

function script(src) {
  return new Promise((resolve, reject) => {
    const node = el("script", { src });
    node.addEventListener("load", resolve);
    node.addEventListener("error", () => reject(new Error(t("map.library_failed"))));
    document.head.append(node);
  });
}

/** Leaflet, the PMTiles reader and the vector renderer: {L, pmtiles, protomapsL}. */
export function loadLibraries() {
  if (!loading) {
    if (!document.querySelector(`link[href="${STYLE}"]`)) document.head.append(el("link", { rel: "stylesheet", href: STYLE }));
    loading = script("/vendor/leaflet/leaflet.js")
      .then(() => Promise.all([script("/vendor/pmtiles/pmtiles.js"), script("/vendor/protomaps-leaflet/protomaps-leaflet.js")]))
      .then(() => ({ L: window.L, pmtiles: window.pmtiles, protomapsL: window.protomapsL }));
    loading.catch(() => {
      loading = null;
    });
  }
  return loading;
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The credit line Leaflet shows (it takes HTML). The archive's own words are
 * read as text only, never as markup; OpenStreetMap data gets the credit its
 * licence (ODbL) asks for.
 */
function attribution(meta) {
  const raw = meta && typeof meta.attribution === "string" ? meta.attribution : "";
  const words = raw ? new DOMParser().parseFromString(raw, "text/html").body.textContent.trim() : "";
  if (!words || /openstreetmap/i.test(words)) {
    return `<a href="${OSM_COPYRIGHT}" rel="noreferrer" target="_blank">© ${escapeHtml(t("map.osm_contributors"))}</a>`;
  }
  return escapeHtml(words);
}

/** The installed archive: {archive, header, meta}, or null without one (404) or when it can't be read. */
export async function openTiles(libs) {
  const archive = new libs.pmtiles.PMTiles(TILES);
  try {
    const header = await archive.getHeader();
    let meta = {};
    try {
      meta = (await archive.getMetadata()) || {};
    } catch (_) {
      // A tile set without readable metadata still draws.
    }
    return { archive, header, meta };
  } catch (_) {
    return null;
  }
}

function rasterLayer(L, tiles) {
  const type = RASTER[tiles.header.tileType];
  const Layer = L.GridLayer.extend({
    createTile(coords, done) {
      const img = document.createElement("img");
      img.alt = "";
      tiles.archive.getZxy(coords.z, coords.x, coords.y).then((found) => {
        if (!found) return done(null, img);
        // The policy lets images come from the appliance or data: URLs only.
        const reader = new FileReader();
        reader.addEventListener("load", () => {
          img.addEventListener("load", () => done(null, img), { once: true });
          img.src = reader.result;
        });
        reader.readAsDataURL(new Blob([found.data], { type }));
        return null;
      }, (err) => done(err, img));
      return img;
    },
  });
  return new Layer({ maxNativeZoom: tiles.header.maxZoom, minNativeZoom: tiles.header.minZoom, attribution: attribution(tiles.meta) });
}

/** Lines every tile with the coordinates of its corner: a map with no tiles still shows where things are. */
function gridLayer(L) {
  const Layer = L.GridLayer.extend({
    createTile(coords) {
      const size = this.getTileSize();
      const canvas = document.createElement("canvas");
      canvas.width = size.x;
      canvas.height = size.y;
      const ctx = canvas.getContext("2d");
      ctx.fillStyle = "#f4f6f8";
      ctx.fillRect(0, 0, size.x, size.y);
      // Quarter lines faint, the tile's own edges stronger and labelled.
      ctx.lineWidth = 1;
      for (const [step, colour] of [[size.x / 4, "#e3e7ec"], [size.x, "#c3cad4"]]) {
        ctx.strokeStyle = colour;
        ctx.beginPath();
        for (let at = 0; at < size.x; at += step) {
          ctx.moveTo(at + 0.5, 0);
          ctx.lineTo(at + 0.5, size.y);
          ctx.moveTo(0, at + 0.5);
          ctx.lineTo(size.x, at + 0.5);
        }
        ctx.stroke();
      }
      const corner = this._map.unproject(coords.scaleBy(size), coords.z);
      const digits = Math.max(0, Math.min(5, Math.round((coords.z - 2) / 3)));
      ctx.fillStyle = "#7a8494";
      ctx.font = "11px system-ui, sans-serif";
      ctx.fillText(`${corner.lat.toFixed(digits)}°, ${L.Util.wrapNum(corner.lng, [-180, 180], true).toFixed(digits)}°`, 5, 16);
      return canvas;
    },
  });
  return new Layer();
}

/**
 * A Leaflet map in `box` over the installed tiles or the grid. Resolves to
 * {map, L, tiles} where `tiles` is null on the grid.
 */
export async function createMap(box, lang) {
  const libs = await loadLibraries();
  const { L } = libs;
  const tiles = await openTiles(libs);
  const map = L.map(box, { zoomControl: true, attributionControl: true, worldCopyJump: true, maxZoom: 19, minZoom: 2 });
  map.attributionControl.setPrefix("Leaflet");
  if (!tiles) {
    gridLayer(L).addTo(map);
  } else if (tiles.header.tileType === 1) {
    libs.protomapsL.leafletLayer({
      url: tiles.archive, flavor: "light", lang, maxDataZoom: tiles.header.maxZoom, attribution: attribution(tiles.meta),
    }).addTo(map);
  } else {
    rasterLayer(L, tiles).addTo(map);
  }
  L.control.scale({ imperial: false }).addTo(map);
  return { map, L, tiles };
}

/** Where to look first: the header's centre for tiles, else the whole world. */
export function homeView(tiles) {
  if (tiles && tiles.header && Number.isFinite(tiles.header.centerLat) && tiles.header.centerZoom) {
    return { center: [tiles.header.centerLat, tiles.header.centerLon], zoom: tiles.header.centerZoom };
  }
  return { center: [20, 0], zoom: 2 };
}

// ---------------------------------------------------------------------------
// Drawing an area
// ---------------------------------------------------------------------------

const CLOSE_PX = 12;
const AREA_STYLE = { color: "#2a4f8f", weight: 2, fillColor: "#2a4f8f", fillOpacity: 0.12, className: "map-area" };
const DRAFT_STYLE = { color: "#2a4f8f", weight: 2, dashArray: "6 4", fill: false, interactive: false };

/**
 * Circle: click the centre, click again at the edge (or type the radius).
 * Polygon: each click adds a corner; click the first corner, double-click or
 * press Enter to close. Escape stops. `onChange(area, stage)` hears every
 * change: `stage` is what the person does next ("centre", "radius",
 * "corners", "done", null).
 */
export function drawingTool(map, L, onChange) {
  const layer = L.layerGroup().addTo(map);
  let mode = null;
  let centre = null;
  let radius = null;
  let corners = [];
  let preview = null;
  let area = null;

  const emit = (stage) => onChange(area, stage);
  const clearLayer = () => {
    layer.clearLayers();
    preview = null;
  };
  const stopDrawing = () => {
    map.getContainer().classList.remove("map-drawing");
    map.doubleClickZoom.enable();
  };

  function showCircle() {
    clearLayer();
    if (!centre) return;
    L.circleMarker(centre, { radius: 4, color: "#2a4f8f", fillOpacity: 1, interactive: false }).addTo(layer);
    if (radius) L.circle(centre, Object.assign({ radius }, AREA_STYLE)).addTo(layer);
  }

  function showPolygon(closed) {
    clearLayer();
    if (closed) {
      L.polygon(corners, AREA_STYLE).addTo(layer);
      return;
    }
    if (corners.length > 1) L.polyline(corners, DRAFT_STYLE).addTo(layer);
    corners.forEach((c, i) => L.circleMarker(c, {
      radius: i === 0 ? 6 : 4, color: "#2a4f8f", fillColor: i === 0 ? "#ffffff" : "#2a4f8f", fillOpacity: 1, interactive: false,
      className: i === 0 ? "map-first-corner" : null,
    }).addTo(layer));
  }

  function setCircle() {
    area = centre && radius ? { circle: { lat: round(centre.lat), lon: round(L.Util.wrapNum(centre.lng, [-180, 180], true)), radius_m: Math.round(radius) } } : null;
  }

  function closePolygon() {
    if (mode !== "polygon" || corners.length < 3) return false;
    const ring = corners.map((c) => [round(L.Util.wrapNum(c.lng, [-180, 180], true)), round(c.lat)]);
    if (crossesItself(ring)) {
      onChange(area, "crossing");
      return false;
    }
    area = { polygon: ring };
    mode = null;
    stopDrawing();
    showPolygon(true);
    emit("done");
    return true;
  }

  function onClick(e) {
    if (mode === "circle") {
      if (!centre || radius) {
        centre = e.latlng;
        radius = null;
        area = null;
        showCircle();
        emit("radius");
      } else {
        radius = Math.max(1, map.distance(centre, e.latlng));
        setCircle();
        mode = null;
        stopDrawing();
        showCircle();
        emit("done");
      }
    } else if (mode === "polygon") {
      const point = map.latLngToContainerPoint(e.latlng);
      const first = corners[0];
      if (first && corners.length >= 3 && map.latLngToContainerPoint(first).distanceTo(point) <= CLOSE_PX) {
        closePolygon();
        return;
      }
      const last = corners[corners.length - 1];
      // The clicks of a double-click land on one spot: one corner.
      if (last && map.latLngToContainerPoint(last).distanceTo(point) < 3) return;
      corners.push(e.latlng);
      showPolygon(false);
      emit("corners");
    }
  }

  function onMove(e) {
    if (mode === "circle" && centre && !radius) {
      if (preview) layer.removeLayer(preview);
      preview = L.circle(centre, Object.assign({ radius: map.distance(centre, e.latlng) }, DRAFT_STYLE)).addTo(layer);
    } else if (mode === "polygon" && corners.length) {
      if (preview) layer.removeLayer(preview);
      preview = L.polyline([corners[corners.length - 1], e.latlng], DRAFT_STYLE).addTo(layer);
    }
  }

  function onDoubleClick(e) {
    if (mode !== "polygon") return;
    L.DomEvent.stop(e);
    closePolygon();
  }

  function onKey(e) {
    const key = e.originalEvent && e.originalEvent.key;
    if (!mode) return;
    if (key === "Escape") tool.cancel();
    else if (key === "Enter") closePolygon();
  }

  map.on("click", onClick);
  map.on("mousemove", onMove);
  map.on("dblclick", onDoubleClick);
  map.on("keydown", onKey);

  const tool = {
    start(kind) {
      mode = kind;
      centre = null;
      radius = null;
      corners = [];
      area = null;
      clearLayer();
      map.getContainer().classList.add("map-drawing");
      map.doubleClickZoom.disable();
      emit(kind === "circle" ? "centre" : "corners");
    },
    /** A typed radius: draws or redraws the circle around the centre already chosen. */
    setRadius(metres) {
      if (!centre || !(metres > 0)) return;
      radius = metres;
      setCircle();
      if (mode === "circle") {
        mode = null;
        stopDrawing();
      }
      showCircle();
      emit("done");
    },
    /** A circle around a known place, such as the alert's location. */
    circleAround(latlng, metres) {
      mode = null;
      stopDrawing();
      centre = L.latLng(latlng);
      radius = metres;
      setCircle();
      showCircle();
      emit("done");
    },
    finish() {
      return closePolygon();
    },
    cancel() {
      mode = null;
      stopDrawing();
      if (!area) {
        centre = null;
        radius = null;
        corners = [];
        clearLayer();
      }
      emit(null);
    },
    clear() {
      mode = null;
      stopDrawing();
      centre = null;
      radius = null;
      corners = [];
      area = null;
      clearLayer();
      emit(null);
    },
    /** Shows an area drawn before (from a draft). */
    show(existing) {
      tool.clear();
      if (existing && existing.circle) {
        centre = L.latLng(existing.circle.lat, existing.circle.lon);
        radius = existing.circle.radius_m;
        setCircle();
        showCircle();
      } else if (existing && existing.polygon) {
        corners = existing.polygon.map(([lon, lat]) => L.latLng(lat, lon));
        area = { polygon: existing.polygon.map((p) => [...p]) };
        showPolygon(true);
      }
      emit(area ? "done" : null);
    },
    bounds() {
      const shapes = layer.getLayers().filter((l) => l.getBounds);
      return shapes.length ? shapes[0].getBounds() : null;
    },
    get mode() {
      return mode;
    },
    get centre() {
      return centre;
    },
    get corners() {
      return corners.length;
    },
  };
  return tool;
}

function round(n) {
  return Math.round(n * 1e6) / 1e6;
}

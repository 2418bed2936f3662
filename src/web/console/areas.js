import { api } from "/console/api.js";
import { fmtNum, t, tn } from "/ui/lib/i18n.js";

// ---------------------------------------------------------------------------
// Areas an alert is aimed at: {"circle": {lat, lon, radius_m}} or
// {"polygon": [[lon, lat], ...]} (GeoJSON's order), as the API takes them.
// ---------------------------------------------------------------------------

/** How fresh a position must be to count, when nobody changed it. */
export const SEEN_WITHIN_DEFAULT = 30;
/** The widest circle the server takes. */
export const MAX_RADIUS_M = 100000;

function coord(n) {
  return Number(n).toFixed(5);
}

export function fmtDistance(metres) {
  if (metres >= 10000) return `${fmtNum(Math.round(metres / 1000))} km`;
  if (metres >= 1000) return `${fmtNum(Math.round(metres / 100) / 10)} km`;
  return `${fmtNum(Math.round(metres))} m`;
}

/** One line that says what the area is. */
export function areaText(area) {
  if (!area) return "";
  if (area.circle) {
    return t("area.circle_text", { r: fmtDistance(area.circle.radius_m), lat: coord(area.circle.lat), lon: coord(area.circle.lon) });
  }
  if (area.polygon) return tn("area.polygon_text", area.polygon.length);
  return "";
}

/** Minutes as the draft holds them (text from an input) as the API wants them. */
export function seenWithin(value) {
  const n = Number(String(value === undefined || value === null ? "" : value).trim() || SEEN_WITHIN_DEFAULT);
  return Number.isInteger(n) ? n : SEEN_WITHIN_DEFAULT;
}

/** How many members are inside now: {"count": n} from the server. */
export async function countInside(area, minutes) {
  const result = await api("POST", "/api/v1/areas/count", { area, seen_within_minutes: seenWithin(minutes) });
  return result.count;
}

function cross(o, a, b) {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

function segmentsCross(a, b, c, d) {
  const d1 = cross(c, d, a), d2 = cross(c, d, b), d3 = cross(a, b, c), d4 = cross(a, b, d);
  return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0));
}

/** Whether two sides of the outline [[lon, lat], ...] cross; the server refuses such a polygon. */
export function crossesItself(points) {
  const n = points.length;
  for (let i = 0; i < n; i += 1) {
    for (let j = i + 1; j < n; j += 1) {
      // Neighbouring sides share a corner and never count.
      if (j === i + 1 || (i === 0 && j === n - 1)) continue;
      if (segmentsCross(points[i], points[(i + 1) % n], points[j], points[(j + 1) % n])) return true;
    }
  }
  return false;
}

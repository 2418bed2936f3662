//! Places on the earth: areas an alert is aimed at (a circle or a polygon)
//! and whether a position lies inside one. Areas are a town's size at most,
//! so a polygon is taken as flat in longitude and latitude.

use serde::{Deserialize, Serialize};

/// The widest circle an alert may aim at.
pub const MAX_RADIUS_M: f64 = 100_000.0;
/// The most corners a polygon may have.
pub const MAX_CORNERS: usize = 500;
/// The mean earth radius (IUGG), for distances.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Circle {
    pub lat: f64,
    pub lon: f64,
    pub radius_m: f64,
}

/// `{"circle": {...}}` or `{"polygon": [[lon, lat], ...]}` (GeoJSON's
/// order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Area {
    Circle(Circle),
    Polygon(Vec<[f64; 2]>),
}

/// What is wrong with an area: the field (under `area`) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: String,
    pub why: String,
}

fn invalid(field: impl Into<String>, why: impl Into<String>) -> Invalid {
    Invalid {
        field: field.into(),
        why: why.into(),
    }
}

/// A latitude and longitude that exist.
pub fn check_point(lat: f64, lon: f64) -> Result<(), Invalid> {
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(invalid("lat", "must be a latitude from -90 to 90"));
    }
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err(invalid("lon", "must be a longitude from -180 to 180"));
    }
    Ok(())
}

impl Area {
    /// Checks the area; the field is relative to the area (`circle.radius_m`).
    pub fn check(&self) -> Result<(), Invalid> {
        match self {
            Area::Circle(c) => {
                check_point(c.lat, c.lon)
                    .map_err(|e| invalid(format!("circle.{}", e.field), e.why))?;
                if !c.radius_m.is_finite() || c.radius_m <= 0.0 || c.radius_m > MAX_RADIUS_M {
                    return Err(invalid(
                        "circle.radius_m",
                        "must be more than 0 and at most 100000 metres",
                    ));
                }
                Ok(())
            }
            Area::Polygon(points) => {
                let corners = corners(points);
                if corners.len() < 3 || corners.len() > MAX_CORNERS {
                    return Err(invalid(
                        "polygon",
                        format!("must have 3 to {MAX_CORNERS} corners, as [lon, lat] pairs"),
                    ));
                }
                for (i, [lon, lat]) in corners.iter().enumerate() {
                    check_point(*lat, *lon).map_err(|e| invalid(format!("polygon[{i}]"), e.why))?;
                }
                if let Some((a, b)) = crossing(corners) {
                    return Err(invalid(
                        "polygon",
                        format!("crosses itself (edges {a} and {b}); draw its outline without crossings"),
                    ));
                }
                if shoelace(corners).abs() < 1e-12 {
                    return Err(invalid("polygon", "has no area"));
                }
                Ok(())
            }
        }
    }

    /// Whether the point lies inside (or on the edge).
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        match self {
            Area::Circle(c) => distance_m(c.lat, c.lon, lat, lon) <= c.radius_m,
            Area::Polygon(points) => inside(corners(points), lon, lat),
        }
    }

    /// A point inside to show it by: the centre or the corners' mean.
    pub fn centre(&self) -> (f64, f64) {
        match self {
            Area::Circle(c) => (c.lat, c.lon),
            Area::Polygon(points) => {
                let corners = corners(points);
                let n = corners.len().max(1) as f64;
                let (lon, lat) = corners
                    .iter()
                    .fold((0.0, 0.0), |(x, y), [lon, lat]| (x + lon, y + lat));
                (lat / n, lon / n)
            }
        }
    }
}

/// The corners without a closing repeat of the first.
fn corners(points: &[[f64; 2]]) -> &[[f64; 2]] {
    match (points.first(), points.last()) {
        (Some(first), Some(last)) if points.len() > 1 && first == last => {
            points.get(..points.len() - 1).unwrap_or(points)
        }
        _ => points,
    }
}

/// Great-circle distance in metres (haversine).
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

fn edge(corners: &[[f64; 2]], i: usize) -> ([f64; 2], [f64; 2]) {
    let n = corners.len();
    let a = corners.get(i % n).copied().unwrap_or_default();
    let b = corners.get((i + 1) % n).copied().unwrap_or_default();
    (a, b)
}

/// The first two edges that cross, other than neighbours meeting at
/// their shared corner.
fn crossing(corners: &[[f64; 2]]) -> Option<(usize, usize)> {
    let n = corners.len();
    for i in 0..n {
        for j in i + 1..n {
            let neighbours = j == i + 1 || (i == 0 && j == n - 1);
            let (a, b) = edge(corners, i);
            let (c, d) = edge(corners, j);
            if neighbours {
                // Neighbours share a corner; they cross only by folding back
                // over each other.
                if collinear_overlap(a, b, c, d) {
                    return Some((i, j));
                }
                continue;
            }
            if segments_meet(a, b, c, d) {
                return Some((i, j));
            }
        }
    }
    None
}

fn orient(a: [f64; 2], b: [f64; 2], c: [f64; 2]) -> f64 {
    (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
}

fn on_segment(a: [f64; 2], b: [f64; 2], p: [f64; 2]) -> bool {
    p[0] >= a[0].min(b[0])
        && p[0] <= a[0].max(b[0])
        && p[1] >= a[1].min(b[1])
        && p[1] <= a[1].max(b[1])
}

fn segments_meet(a: [f64; 2], b: [f64; 2], c: [f64; 2], d: [f64; 2]) -> bool {
    let (o1, o2, o3, o4) = (
        orient(a, b, c),
        orient(a, b, d),
        orient(c, d, a),
        orient(c, d, b),
    );
    if o1 * o2 < 0.0 && o3 * o4 < 0.0 {
        return true;
    }
    (o1 == 0.0 && on_segment(a, b, c))
        || (o2 == 0.0 && on_segment(a, b, d))
        || (o3 == 0.0 && on_segment(c, d, a))
        || (o4 == 0.0 && on_segment(c, d, b))
}

/// Two edges sharing a corner that also share more than it.
fn collinear_overlap(a: [f64; 2], b: [f64; 2], c: [f64; 2], d: [f64; 2]) -> bool {
    if orient(a, b, c) != 0.0 || orient(a, b, d) != 0.0 {
        return false;
    }
    let shared = if a == c || a == d { a } else { b };
    let other = |p: [f64; 2], q: [f64; 2]| if p == shared { q } else { p };
    let (u, v) = (other(a, b), other(c, d));
    // Both go the same way from the shared corner.
    (u[0] - shared[0]) * (v[0] - shared[0]) + (u[1] - shared[1]) * (v[1] - shared[1]) > 0.0
}

fn shoelace(corners: &[[f64; 2]]) -> f64 {
    (0..corners.len())
        .map(|i| {
            let (a, b) = edge(corners, i);
            a[0] * b[1] - b[0] * a[1]
        })
        .sum::<f64>()
        / 2.0
}

/// Ray casting; points on an edge count as inside.
fn inside(corners: &[[f64; 2]], x: f64, y: f64) -> bool {
    let mut inside = false;
    for i in 0..corners.len() {
        let (a, b) = edge(corners, i);
        if orient(a, b, [x, y]) == 0.0 && on_segment(a, b, [x, y]) {
            return true;
        }
        if (a[1] > y) != (b[1] > y) {
            let at = a[0] + (y - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
            if x < at {
                inside = !inside;
            }
        }
    }
    inside
}

#[cfg(test)]
mod tests;

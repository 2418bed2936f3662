use super::*;

fn circle(lat: f64, lon: f64, radius_m: f64) -> Area {
    Area::Circle(Circle { lat, lon, radius_m })
}

#[test]
fn distances_match_known_ones() {
    // Helsinki Cathedral to Tampere Cathedral: about 160 km.
    let d = distance_m(60.1705, 24.9522, 61.4995, 23.7713);
    assert!((159_000.0..162_000.0).contains(&d), "{d}");
    assert!(distance_m(60.0, 25.0, 60.0, 25.0).abs() < 1e-9);
}

#[test]
fn circles_take_what_lies_within_their_radius() {
    let area = circle(60.1699, 24.9384, 500.0);
    assert!(area.contains(60.1699, 24.9384));
    // About 330 m north.
    assert!(area.contains(60.1729, 24.9384));
    // About 1.1 km north.
    assert!(!area.contains(60.1799, 24.9384));
    assert!(area.check().is_ok());
}

#[test]
fn polygons_take_what_lies_inside_their_outline() {
    let square = Area::Polygon(vec![[24.0, 60.0], [25.0, 60.0], [25.0, 61.0], [24.0, 61.0]]);
    assert!(square.check().is_ok());
    assert!(square.contains(60.5, 24.5));
    assert!(square.contains(60.0, 24.5), "an edge counts as inside");
    assert!(!square.contains(61.5, 24.5));
    // A concave "C": the bite is outside.
    let c = Area::Polygon(vec![
        [0.0, 0.0],
        [3.0, 0.0],
        [3.0, 1.0],
        [1.0, 1.0],
        [1.0, 2.0],
        [3.0, 2.0],
        [3.0, 3.0],
        [0.0, 3.0],
        [0.0, 0.0],
    ]);
    assert!(c.check().is_ok());
    assert!(c.contains(0.5, 2.0));
    assert!(!c.contains(1.5, 2.0));
}

#[test]
fn bad_areas_name_their_field() {
    let field = |a: Area| a.check().unwrap_err().field;
    assert_eq!(field(circle(60.0, 25.0, 0.0)), "circle.radius_m");
    assert_eq!(field(circle(60.0, 25.0, 100_001.0)), "circle.radius_m");
    assert_eq!(field(circle(91.0, 25.0, 10.0)), "circle.lat");
    assert_eq!(field(circle(60.0, 181.0, 10.0)), "circle.lon");
    assert_eq!(field(circle(f64::NAN, 25.0, 10.0)), "circle.lat");
    // A bow tie crosses itself.
    let bow = Area::Polygon(vec![[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0]]);
    let e = bow.check().unwrap_err();
    assert_eq!(e.field, "polygon");
    assert!(e.why.contains("crosses itself"), "{e:?}");
    assert_eq!(
        field(Area::Polygon(vec![[0.0, 0.0], [1.0, 1.0]])),
        "polygon"
    );
    assert_eq!(
        field(Area::Polygon(vec![[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]])),
        "polygon",
        "a flat polygon has no area"
    );
    assert_eq!(
        field(Area::Polygon(vec![[0.0, 0.0], [1.0, 0.0], [200.0, 1.0]])),
        "polygon[2]"
    );
    // A spike folding back along its own edge.
    let spike = Area::Polygon(vec![[0.0, 0.0], [2.0, 0.0], [1.0, 0.0], [1.0, 1.0]]);
    assert_eq!(field(spike), "polygon");
}

#[test]
fn areas_read_as_the_api_writes_them() {
    let a: Area =
        serde_json::from_str(r#"{"circle": {"lat": 60.1, "lon": 24.9, "radius_m": 250}}"#).unwrap();
    assert_eq!(a, circle(60.1, 24.9, 250.0));
    let p: Area =
        serde_json::from_str(r#"{"polygon": [[24.9, 60.1], [25.0, 60.1], [25.0, 60.2]]}"#).unwrap();
    assert!(matches!(p, Area::Polygon(ref v) if v.len() == 3));
    assert!(serde_json::from_str::<Area>(r#"{"square": 1}"#).is_err());
}

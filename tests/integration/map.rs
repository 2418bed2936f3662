//! The console's map in real headless Chromium against the appliance in
//! process: the demo's tiles (OpenStreetMap data of Otaniemi, Espoo) served
//! in byte ranges, an alert's location, members' positions with their
//! answers, a circle drawn and an alert sent to whoever is inside; and the
//! grid without tiles. Screenshots go to `target/screenshots/`.

use crate::browser::Browser;
use crate::devices::{wait_until, WAIT};
use crate::inprocess::{Login, Server, PASSWORD};
use crate::support::client_tls;
use serde_json::json;
use std::collections::BTreeSet;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

const TILES: &[u8] = include_bytes!("../../src/demo/otaniemi.pmtiles");
/// The demo's place on its map.
const PLACE: (f64, f64) = tocsin::demo::PLACE;

fn server_with_tiles() -> Server {
    Server::start_with(|c| tocsin::demo::install_map_tiles(c).unwrap())
}

struct Got {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Got {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `GET /map/tiles.pmtiles` with these headers, the body as bytes.
fn tiles(server: &Server, headers: &[(&str, &str)]) -> Got {
    let agent = ureq::AgentBuilder::new()
        .tls_config(Arc::new(client_tls(server.dir.path(), None)))
        .timeout(Duration::from_secs(20))
        .build();
    let mut request = agent.get(&format!("https://{}/map/tiles.pmtiles", server.addr));
    for (k, v) in headers {
        request = request.set(k, v);
    }
    let response = match request.call() {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("tiles: {e}"),
    };
    let status = response.status();
    let headers = crate::support::headers_of(&response);
    let mut body = Vec::new();
    response.into_reader().read_to_end(&mut body).unwrap();
    Got {
        status,
        headers,
        body,
    }
}

fn log_in(browser: &Browser, server: &Server, username: &str) {
    browser.goto(&format!("https://{}/", server.addr));
    browser.type_into("[data-test=login-org]", "acme");
    browser.type_into("[data-test=login-username]", username);
    browser.type_into("[data-test=login-password]", PASSWORD);
    browser.click("[data-test=login-submit]");
    browser.find("[data-test=logout]");
}

/// Waits until the map has drawn every tile in view.
fn wait_for_tiles(browser: &Browser) {
    browser.wait_for(
        "the map's tiles drawn",
        "document.querySelectorAll('.leaflet-tile-loaded').length >= 4 && !document.querySelector('.leaflet-tile:not(.leaflet-tile-loaded)')",
    );
    // The renderer places labels a moment after the shapes.
    std::thread::sleep(Duration::from_millis(800));
}

#[test]
fn the_tiles_are_served_in_byte_ranges_to_logged_in_users_and_drawn_or_a_grid_instead() {
    let server = server_with_tiles();
    let admin = server.admin();
    let cookie = admin.cookie.clone();
    let len = TILES.len();

    assert_eq!(tiles(&server, &[]).status, 401, "tiles need a login");
    let whole = tiles(&server, &[("Cookie", &cookie)]);
    assert_eq!(whole.status, 200);
    assert_eq!(whole.body, TILES);
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));
    assert_eq!(
        whole.header("content-type"),
        Some("application/vnd.pmtiles")
    );
    let etag = whole.header("etag").unwrap().to_owned();

    // The reader's first ask: 16 KiB from the start.
    let head = tiles(&server, &[("Cookie", &cookie), ("Range", "bytes=0-16383")]);
    assert_eq!(head.status, 206);
    assert_eq!(
        head.header("content-range"),
        Some(format!("bytes 0-16383/{len}").as_str())
    );
    assert_eq!(head.body, &TILES[..16384]);
    assert!(head.body.starts_with(b"PMTiles"));
    let tail = tiles(&server, &[("Cookie", &cookie), ("Range", "bytes=-10")]);
    assert_eq!(tail.status, 206);
    assert_eq!(tail.body, &TILES[len - 10..]);
    let beyond = format!("bytes={len}-");
    let past = tiles(&server, &[("Cookie", &cookie), ("Range", &beyond)]);
    assert_eq!(past.status, 416);
    assert_eq!(
        past.header("content-range"),
        Some(format!("bytes */{len}").as_str())
    );
    assert_eq!(
        tiles(&server, &[("Cookie", &cookie), ("Range", "bytes=9-2")]).status,
        416
    );
    // A range of an older file is answered with the whole new one.
    let old = tiles(
        &server,
        &[
            ("Cookie", &cookie),
            ("Range", "bytes=0-9"),
            ("If-Range", "\"older\""),
        ],
    );
    assert_eq!((old.status, old.body.len()), (200, len));
    let same = tiles(&server, &[("Cookie", &cookie), ("If-None-Match", &etag)]);
    assert_eq!(same.status, 304);

    // The console draws them, with the data's credit.
    admin.create_member("aino", &["member"]);
    let alert = alert_at_place(&admin, "Smoke in the library", &["aino"]);
    let browser = Browser::start(1366, 768);
    log_in(&browser, &server, "root");
    browser.goto(&format!("https://{}/console/#/alerts/{alert}", server.addr));
    browser.click("[data-test=live-map]");
    browser.find("[data-page=map] [data-test=map][data-tiles=yes]");
    assert_eq!(
        browser.eval("return document.querySelector('[data-test=map-alert-select]').value"),
        json!(alert)
    );
    browser.find("[data-test=map-alert]");
    wait_for_tiles(&browser);
    let credit = browser.text(".leaflet-control-attribution");
    assert!(credit.contains("OpenStreetMap"), "{credit}");
    // The vector renderer painted something besides the background.
    let painted = browser.eval(
        "const c = document.querySelector('.leaflet-tile-loaded'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; \
         const seen = new Set(); for (let i = 0; i < d.length; i += 64) seen.add(`${d[i]},${d[i+1]},${d[i+2]}`); return seen.size",
    );
    assert!(
        painted.as_u64().unwrap() > 3,
        "colours on a tile: {painted}"
    );
    browser.screenshot("console-map-tiles-1366");

    // Without the file: 404, and the map is a coordinate grid.
    std::fs::remove_file(server.dir.path().join("map/tiles.pmtiles")).unwrap();
    assert_eq!(tiles(&server, &[("Cookie", &cookie)]).status, 404);
    browser.click("[data-test=nav-send]");
    browser.find("[data-page=send]");
    browser.click("[data-test=nav-map]");
    browser.find("[data-page=map] [data-test=map][data-tiles=no]");
    browser.find("[data-test=map-note]:not([hidden])");
    browser.find("[data-test=map-alert]");
    wait_for_tiles(&browser);
    browser.screenshot("console-map-grid-1366");

    // A sender without `read_locations` has the map and the area, but sees
    // nobody's position.
    admin.create_member("sam", &["sender"]);
    browser.click("[data-test=logout]");
    log_in(&browser, &server, "sam");
    browser.click("[data-test=nav-map]");
    browser.find("[data-page=map] [data-test=map-no-permission]");
    browser.find("[data-test=map-alert]");
    assert!(browser.try_find("[data-test=map-people]").is_none());
}

/// An alert at the demo's place to these users, answers Coming and Not coming.
fn alert_at_place(admin: &Login<'_>, title: &str, users: &[&str]) -> String {
    let sent = admin.post(
        "/api/v1/alerts",
        json!({"title": title, "severity": "critical", "channels": ["app"],
               "recipients": {"users": users},
               "responses": ["Coming", "Not coming"], "allow_eta": true,
               "location": {"lat": PLACE.0, "lon": PLACE.1, "label": "Otaniemi, Espoo"}}),
    );
    assert_eq!(sent.status, 202, "{}", sent.body);
    sent.json()["id"].as_str().unwrap().to_owned()
}

/// Creates a member and logs them in, on duty.
fn on_duty<'s>(server: &'s Server, admin: &Login<'_>, username: &str, name: &str) -> Login<'s> {
    let created = admin.post(
        "/api/v1/users",
        json!({"username": username, "name": name, "password": PASSWORD, "roles": ["member"]}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let member = server.login("acme", username, PASSWORD);
    let duty = member.patch("/api/v1/me", json!({"on_duty": true}));
    assert_eq!(duty.status, 200, "{}", duty.body);
    member
}

fn report(member: &Login<'_>, north: f64, east: f64) {
    let at = member.post(
        "/api/v1/me/location",
        json!({"lat": PLACE.0 + north, "lon": PLACE.1 + east, "accuracy_m": 15.0}),
    );
    assert_eq!(at.status, 204, "{}", at.body);
}

fn recipients(admin: &Login<'_>, alert: &str) -> BTreeSet<String> {
    let view = admin.get(&format!("/api/v1/alerts/{alert}")).json();
    view["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_dispatcher_sees_who_is_where_draws_a_circle_and_alerts_exactly_those_inside() {
    let server = server_with_tiles();
    let admin = server.admin();
    let policy = admin.patch("/api/v1/settings", json!({"location_policy": "duty"}));
    assert_eq!(policy.status, 200, "{}", policy.body);
    let role = admin.post(
        "/api/v1/roles",
        json!({"name": "dispatcher", "permissions": ["read_directory", "send_alerts", "read_locations"]}),
    );
    assert_eq!(role.status, 201, "{}", role.body);
    let created = admin.post(
        "/api/v1/users",
        json!({"username": "dispatch", "name": "Dana Dispatcher", "password": PASSWORD, "roles": ["dispatcher"]}),
    );
    assert_eq!(created.status, 201, "{}", created.body);

    // Sofia was here 40 minutes ago: too long for the default 30.
    let sofia = on_duty(&server, &admin, "sofia", "Sofia Mäkinen");
    report(&sofia, 0.0003, 0.0005);
    server.advance(Duration::from_secs(40 * 60));
    let admin = server.admin();
    // Within about 100, 110 and 210 metres of the place, and 870 away.
    let aino = on_duty(&server, &admin, "aino", "Aino Virtanen");
    report(&aino, 0.0006, 0.0014);
    let elias = on_duty(&server, &admin, "elias", "Elias Korhonen");
    report(&elias, -0.0007, -0.0014);
    let linnea = on_duty(&server, &admin, "linnea", "Linnea Lindqvist");
    report(&linnea, 0.0014, -0.0026);
    let oliver = on_duty(&server, &admin, "oliver", "Oliver Smith");
    report(&oliver, -0.0060, 0.0100);

    // The alert that brought them: Aino is coming in 12 minutes, Elias isn't.
    let first = alert_at_place(&admin, "Fire at the Otaniemi campus", &["aino", "elias"]);
    for (member, choice, eta) in [
        (&aino, "Coming", json!(12)),
        (&elias, "Not coming", json!(null)),
    ] {
        let answered = member.post(
            &format!("/api/v1/alerts/{first}/response"),
            json!({"choice": choice, "eta_minutes": eta}),
        );
        assert_eq!(answered.status, 200, "{}", answered.body);
    }

    let browser = Browser::start(1366, 768);
    log_in(&browser, &server, "dispatch");
    browser.click("[data-test=nav-map]");
    browser.find("[data-page=map] [data-test=map][data-tiles=yes]");
    browser.find("[data-test=map-alert]");
    for username in ["aino", "elias", "linnea", "oliver", "sofia"] {
        browser.find(&format!("[data-test=map-member-{username}]"));
    }
    let aino_tip = browser.text("[data-test=map-member-aino]");
    assert!(aino_tip.contains("Aino Virtanen"), "{aino_tip}");
    assert!(aino_tip.contains("Coming, 12 min"), "{aino_tip}");
    assert!(browser
        .text("[data-test=map-member-elias]")
        .contains("Not coming"));
    browser.find("[data-test=map-member-sofia][data-stale=true]");
    assert!(browser.text("[data-test=map-row-sofia]").contains("40 min"));
    wait_for_tiles(&browser);
    browser.screenshot("console-map-1366");

    // A circle: the centre on the alert (the map opens centred on it), the
    // edge a click away, then the radius typed exactly.
    browser.click("[data-test=map-draw-circle]");
    browser.click_at("[data-test=map]", 0, 0, 1);
    browser.wait_for(
        "the centre chosen",
        "!document.querySelector('[data-test=map-radius]').disabled",
    );
    browser.click_at("[data-test=map]", 120, 0, 1);
    browser.find("path.map-area");
    browser.type_into("[data-test=map-radius]", "300");
    browser.wait_for(
        "three members inside",
        "document.querySelector('[data-test=map-area-count]').dataset.count === '3'",
    );
    let hint = browser.text("[data-test=map-draw-hint]");
    assert!(hint.contains("300 m"), "{hint}");
    browser.screenshot("console-map-circle-1366");

    browser.click("[data-test=map-send-area]");
    browser.find("[data-page=send]");
    browser.find("[data-test=send-area-text]");
    browser.wait_for(
        "the summary counts those inside",
        "document.querySelector('[data-test=summary-area]') && document.querySelector('[data-test=summary-area]').dataset.count === '3'",
    );
    browser.type_into("[data-test=send-title]", "Gas leak: leave the campus area");
    browser.click("[data-test=send-channel-sms]");
    browser.screenshot("console-send-area-1366");
    browser.click("[data-test=send-submit]");
    browser.click("[data-test=send-confirm]");
    browser.find("[data-page=live]");

    let sent = wait_until("the area alert", WAIT, || {
        let list = admin.get("/api/v1/alerts").json();
        list["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["title"] == "Gas leak: leave the campus area")
            .map(|a| a["id"].as_str().unwrap().to_owned())
    });
    assert_eq!(
        recipients(&admin, &sent),
        BTreeSet::from([
            "Aino Virtanen".to_owned(),
            "Elias Korhonen".to_owned(),
            "Linnea Lindqvist".to_owned()
        ]),
        "only the fresh positions inside the circle"
    );

    // A polygon round Oliver alone, closed on its first corner.
    browser.click("[data-test=nav-map]");
    browser.find("[data-page=map] [data-test=map][data-tiles=yes]");
    // Two steps out, so that Oliver, 870 m away, is in view.
    for _ in 0..2 {
        browser.click(".leaflet-control-zoom-out");
        std::thread::sleep(Duration::from_millis(700));
    }
    wait_for_tiles(&browser);
    browser.click("[data-test=map-draw-polygon]");
    // His dot is 16 px left of his label (offset and margin), at its middle.
    let oliver_px = browser.eval(
        "const m = document.querySelector('[data-test=map]'); const r = m.getBoundingClientRect(); \
         const t = document.querySelector('[data-test=map-member-oliver]').closest('.leaflet-tooltip').getBoundingClientRect(); \
         return [Math.round(t.left - 16 - (r.left + r.width / 2)), Math.round(t.top + t.height / 2 - (r.top + r.height / 2))]",
    );
    let (ox, oy) = (
        oliver_px[0].as_i64().unwrap(),
        oliver_px[1].as_i64().unwrap(),
    );
    for (dx, dy) in [(-30, -30), (30, -30), (30, 30), (-30, 30), (-30, -30)] {
        browser.click_at("[data-test=map]", ox + dx, oy + dy, 1);
    }
    browser.find("path.map-area");
    browser.wait_for(
        "one member inside the polygon",
        "document.querySelector('[data-test=map-area-count]').dataset.count === '1'",
    );
    assert!(browser
        .text("[data-test=map-draw-hint]")
        .contains("4 corners"));
    browser.screenshot("console-map-polygon-1366");

    // A tablet, in Finnish.
    browser.resize(768, 1024);
    browser.eval("const s = document.querySelector('[data-test=lang]'); s.value = 'fi'; s.dispatchEvent(new Event('change')); return true");
    browser.find("[data-page=map] [data-test=map][data-tiles=yes]");
    browser.wait_for(
        "the page in Finnish",
        "document.querySelector('h1').innerText === 'Kartta'",
    );
    browser.find("[data-test=map-member-aino]");
    wait_for_tiles(&browser);
    browser.screenshot("console-map-fi-768");
}

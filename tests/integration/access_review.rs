//! Access reviews: the report and its flags, its CSV form, a review that
//! revokes a key and a person at once, who may revoke what, and the
//! reminder when a review is due.

use crate::inprocess::{Server, PASSWORD};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const DAY: Duration = Duration::from_secs(86_400);

fn entry<'a>(list: &'a Value, field: &str, name: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|e| e[field] == name)
        .unwrap_or_else(|| panic!("no {name} in {list}"))
}

fn flags(entry: &Value) -> Vec<String> {
    entry["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect()
}

fn new_key(admin: &crate::inprocess::Login<'_>, name: &str, role: &str) -> (String, String) {
    let r = admin.post("/api/v1/apikeys", json!({"name": name, "role": role}));
    assert_eq!(r.status, 201, "{}", r.body);
    let body = r.json();
    (
        body["apikey"]["id"].as_str().unwrap().to_owned(),
        body["key"].as_str().unwrap().to_owned(),
    )
}

fn with_key(server: &Server, token: &str, path: &str) -> u16 {
    server
        .send(
            "GET",
            path,
            &[("Authorization", &format!("Bearer {token}"))],
            None,
        )
        .status
}

#[test]
fn the_report_flags_what_looks_no_longer_needed() {
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("aino", &["member"]);
    let r = admin.post(
        "/api/v1/groups",
        json!({"name": "crew", "members": ["aino"]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = admin.patch("/api/v1/users/aino", json!({"name": "=SUM(1+1)"}));
    assert_eq!(r.status, 200, "{}", r.body);
    new_key(&admin, "idle", "sender");
    let (_, busy) = new_key(&admin, "busy", "sender");

    // A quarter of a year later: the admin logs in, one key is used.
    server.advance(DAY * 91);
    let admin = server.admin();
    assert_eq!(with_key(&server, &busy, "/api/v1/users"), 200);
    let r = admin.get("/api/v1/access-review");
    assert_eq!(r.status, 200, "{}", r.body);
    let report = r.json();
    assert_eq!(report["stale_days"], 90);

    let root = entry(&report["users"], "username", "root");
    assert_eq!(
        flags(root),
        ["admin_without_second_factor", "in_no_group"],
        "{root}"
    );
    assert_eq!(root["second_factor"], "none");
    assert!(root["last_login_at"].is_string(), "{root}");
    assert!(root["device_count"].as_u64().unwrap() >= 1, "{root}");
    assert!(root["permissions"]
        .as_array()
        .unwrap()
        .contains(&json!("manage_users")));
    let aino = entry(&report["users"], "username", "aino");
    assert_eq!(flags(aino), ["no_login_days"], "{aino}");
    assert!(aino["last_login_at"].is_null());
    assert_eq!(aino["groups"], json!(["crew"]));

    let idle_key = entry(&report["keys"], "name", "idle");
    assert_eq!(flags(idle_key), ["key_unused"], "{idle_key}");
    assert_eq!(idle_key["created_by"], "root");
    assert_eq!(idle_key["age_days"], 91);
    assert!(flags(entry(&report["keys"], "name", "busy")).is_empty());
    // Never used, but younger than a longer stale_days: not flagged.
    let fresh = admin.get("/api/v1/access-review?stale_days=365").json();
    assert!(flags(entry(&fresh["keys"], "name", "idle")).is_empty());

    // CSV: the same rows, quoted, and a name a spreadsheet would run defused.
    for (path, accept) in [
        ("/api/v1/access-review?format=csv", "*/*"),
        ("/api/v1/access-review", "text/csv"),
    ] {
        let r = server.send(
            "GET",
            path,
            &[("Cookie", &admin.cookie), ("Accept", accept)],
            None,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.header("content-type").unwrap().starts_with("text/csv"));
        let mut lines = r.body.lines();
        assert!(lines
            .next()
            .unwrap()
            .starts_with("kind,id,name,full_name,roles,permissions"));
        assert!(r.body.contains(",'=SUM(1+1),"), "{}", r.body);
        assert!(r.body.contains("admin_without_second_factor; in_no_group"));
        assert!(r.body.contains("api_key,"));
    }

    let r = admin.get("/api/v1/access-review?stale_days=none");
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["field"], "stale_days");
    let audit = admin.get("/api/v1/audit?action=directory.read").json();
    assert!(audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["target"] == "access review"));
}

#[test]
fn a_review_revokes_a_key_and_a_person_at_once() {
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("olli", &["sender"]);
    let olli = server.login("acme", "olli", PASSWORD);
    assert_eq!(olli.get("/api/v1/me").status, 200);
    let (old_id, old) = new_key(&admin, "old", "sender");
    assert_eq!(with_key(&server, &old, "/api/v1/users"), 200);

    let r = admin.post("/api/v1/access-reviews", json!({}));
    assert_eq!(r.status, 201, "{}", r.body);
    let review = r.json();
    let id = review["id"].as_str().unwrap().to_owned();
    assert!(review["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["decision"] == "pending"));
    assert_eq!(
        admin.post("/api/v1/access-reviews", json!({})).status,
        409,
        "one open review at a time"
    );
    let r = admin.post(&format!("/api/v1/access-reviews/{id}/close"), json!({}));
    assert_eq!(r.status, 409, "{}", r.body);

    let item = |name: &str| {
        review["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {review}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let decide = |name: &str, body: Value| {
        admin.send(
            "PUT",
            &format!("/api/v1/access-reviews/{id}/items/{}", item(name)),
            Some(body),
        )
    };
    let r = decide("olli", json!({"decision": "maybe"}));
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["field"], "decision");
    let r = decide("olli", json!({"decision": "keep", "note": "x".repeat(501)}));
    assert_eq!(r.json()["field"], "note", "{}", r.body);
    let r = decide("root", json!({"decision": "revoke"}));
    assert_eq!(r.status, 403, "nobody revokes themselves: {}", r.body);
    assert_eq!(r.json()["field"], "decision");

    for i in review["items"].as_array().unwrap() {
        let name = i["name"].as_str().unwrap();
        let decision = if name == "olli" || name == "old" {
            json!({"decision": "revoke", "note": "left the company"})
        } else {
            json!({"decision": "keep"})
        };
        let r = decide(name, decision);
        assert_eq!(r.status, 200, "{name}: {}", r.body);
    }
    let r = admin.post(&format!("/api/v1/access-reviews/{id}/close"), json!({}));
    assert_eq!(r.status, 200, "{}", r.body);

    // At once: the key and the person's session fail, and so does a login.
    assert_eq!(with_key(&server, &old, "/api/v1/users"), 401);
    assert_eq!(olli.get("/api/v1/me").status, 401);
    assert_eq!(
        server.login_attempt("acme", "olli", PASSWORD, None).status,
        401
    );
    let keys = admin.get("/api/v1/apikeys").json();
    let old_key = entry(&keys["apikeys"], "id", &old_id);
    assert!(old_key["revoked_at"].is_string());
    let users = admin.get("/api/v1/users").json();
    assert_eq!(entry(&users["users"], "username", "olli")["active"], false);

    // Stored: who decided what and when.
    let closed = admin.get(&format!("/api/v1/access-reviews/{id}")).json();
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["closed_by"]["name"], "root");
    assert_eq!(closed["counts"]["revoke"], 2);
    assert_eq!(closed["counts"]["pending"], 0);
    let olli_item = entry(&closed["items"], "name", "olli");
    assert_eq!(olli_item["decision"], "revoke");
    assert_eq!(olli_item["decided_by"]["name"], "root");
    assert_eq!(olli_item["note"], "left the company");
    assert!(olli_item["decided_at"].is_string());
    let list = admin.get("/api/v1/access-reviews").json();
    assert_eq!(list["reviews"][0]["id"], id);
    let r = decide("olli", json!({"decision": "keep"}));
    assert_eq!(r.status, 409, "a closed review stands: {}", r.body);

    // Audited: every decision, each revocation, the close with its counts.
    let audit = admin.get("/api/v1/audit?limit=1000").json();
    let events = audit["events"].as_array().unwrap();
    let named =
        |action: &str| -> Vec<&Value> { events.iter().filter(|e| e["action"] == action).collect() };
    assert_eq!(
        named("access_review.decided").len(),
        review["items"].as_array().unwrap().len()
    );
    assert!(named("access_review.decided")
        .iter()
        .any(|e| e["target"] == "olli"
            && e["actor"]["name"] == "root"
            && e["detail"].as_str().unwrap().starts_with("revoke")));
    assert_eq!(named("user.deactivated").len(), 1);
    assert!(named("apikey.revoked")
        .iter()
        .any(|e| e["target"] == old_id.as_str()));
    let close = named("access_review.closed");
    assert_eq!(close.len(), 1);
    assert!(close[0]["detail"]
        .as_str()
        .unwrap()
        .contains("1 users deactivated, 1 keys revoked"));

    // The next review may start now.
    assert_eq!(admin.post("/api/v1/access-reviews", json!({})).status, 201);
}

#[test]
fn nobody_revokes_more_than_they_hold() {
    let server = Server::start();
    let admin = server.admin();
    let r = admin.post(
        "/api/v1/roles",
        json!({"name": "helpdesk", "permissions": ["read_directory", "manage_users"]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    admin.create_member("desk", &["helpdesk"]);
    admin.create_member("aino", &["member"]);
    new_key(&admin, "sync", "sender");
    let desk = server.login("acme", "desk", PASSWORD);
    let review = desk.post("/api/v1/access-reviews", json!({})).json();
    let id = review["id"].as_str().unwrap();
    let decide = |name: &str| {
        let item = entry(&review["items"], "name", name)["id"]
            .as_str()
            .unwrap();
        desk.send(
            "PUT",
            &format!("/api/v1/access-reviews/{id}/items/{item}"),
            Some(json!({"decision": "revoke"})),
        )
    };
    let r = decide("root");
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.json()["code"], "forbidden");
    let r = decide("sync");
    assert_eq!(r.status, 403, "keys need manage_api_keys: {}", r.body);
    assert_eq!(decide("aino").status, 200);
}

#[test]
fn another_organisation_neither_sees_nor_decides_a_review() {
    let server = Server::start();
    let clock: tocsin::clock::SharedClock = Arc::new(server.clock.clone());
    tocsin::provisioning::create_admin(&server.store, &clock, "rival", "boss", PASSWORD).unwrap();
    let admin = server.admin();
    let review = admin.post("/api/v1/access-reviews", json!({})).json();
    let id = review["id"].as_str().unwrap();
    let item = review["items"][0]["id"].as_str().unwrap();

    let boss = server.login("rival", "boss", PASSWORD);
    for (method, path, body) in [
        ("GET", format!("/api/v1/access-reviews/{id}"), None),
        (
            "PUT",
            format!("/api/v1/access-reviews/{id}/items/{item}"),
            Some(json!({"decision": "revoke"})),
        ),
        ("POST", format!("/api/v1/access-reviews/{id}/close"), None),
    ] {
        let r = boss.send(method, &path, body);
        assert_eq!(r.status, 404, "{method} {path}: {}", r.body);
        assert_eq!(r.json()["detail"], "access review not found");
    }
    let theirs = boss.get("/api/v1/access-reviews").json();
    assert_eq!(theirs["reviews"], json!([]));
    // Their own review is theirs to start: ours open is nothing to them.
    assert_eq!(boss.post("/api/v1/access-reviews", json!({})).status, 201);
    let ours = admin.get(&format!("/api/v1/access-reviews/{id}")).json();
    assert_eq!(ours["counts"]["pending"], ours["counts"]["items"]);
}

#[test]
fn admins_are_reminded_when_a_review_is_due_and_not_again_within_a_week() {
    use tocsin::access_review::remind::remind_due;
    let server = Server::start();
    let engine = tocsin::alerts::Engine::new(
        server.store.clone(),
        Arc::new(tocsin::live::Hub::default()),
        tocsin::live::Wake::default(),
    );
    let remind = || remind_due(&server.store, &engine, server.now()).unwrap();

    assert_eq!(remind(), 0, "a new organisation is not due");
    server.advance(DAY * 90);
    assert_eq!(remind(), 1);
    assert_eq!(remind(), 0, "once");
    server.advance(DAY * 6);
    assert_eq!(remind(), 0, "not again within a week");
    server.advance(DAY);
    assert_eq!(remind(), 1, "again a week later");

    let admin = server.admin();
    let alerts = admin.get("/api/v1/alerts").json();
    let due: Vec<&Value> = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["title"] == "Access review due")
        .collect();
    assert_eq!(due.len(), 2, "{alerts}");
    assert_eq!(due[0]["severity"], "info");
    let audit = admin
        .get("/api/v1/audit?action=access_review.reminded")
        .json();
    assert_eq!(audit["events"].as_array().unwrap().len(), 2);

    // A review closed starts the interval again.
    let review = admin.post("/api/v1/access-reviews", json!({})).json();
    let id = review["id"].as_str().unwrap();
    for item in review["items"].as_array().unwrap() {
        let r = admin.send(
            "PUT",
            &format!(
                "/api/v1/access-reviews/{id}/items/{}",
                item["id"].as_str().unwrap()
            ),
            Some(json!({"decision": "keep"})),
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = admin.post(&format!("/api/v1/access-reviews/{id}/close"), json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    server.advance(DAY * 8);
    assert_eq!(remind(), 0, "a review was just closed");

    // The interval is the organisation's to set, within bounds.
    let admin = server.admin();
    let r = admin.patch(
        "/api/v1/settings",
        json!({"access_review_interval_days": 3}),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["field"], "access_review_interval_days");
    let r = admin.patch(
        "/api/v1/settings",
        json!({"access_review_interval_days": 7}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(remind(), 1, "seven days since the close");
}

#[test]
fn the_console_runs_a_review_from_start_to_close() {
    use crate::browser::Browser;
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("aino", &["member"]);
    let (key_id, key) = new_key(&admin, "legacy", "sender");

    let browser = Browser::start(1366, 768);
    browser.goto(&format!("https://{}/", server.addr));
    browser.type_into("[data-test=login-org]", "acme");
    browser.type_into("[data-test=login-username]", "root");
    browser.type_into("[data-test=login-password]", PASSWORD);
    browser.click("[data-test=login-submit]");
    browser.click("[data-test=nav-review]");
    browser.find("[data-page=review] [data-test=report-user-aino]");
    browser.find("[data-test=report-user-root] [data-test=flag-admin_without_second_factor]");
    browser.find("[data-test=review-csv]");
    browser.screenshot("console-review-report-1366");

    browser.click("[data-test=review-start]");
    browser.find("[data-test=review-items]");
    let review = admin.get("/api/v1/access-reviews").json()["reviews"][0].clone();
    let review = admin
        .get(&format!(
            "/api/v1/access-reviews/{}",
            review["id"].as_str().unwrap()
        ))
        .json();
    for item in review["items"].as_array().unwrap() {
        let id = item["id"].as_str().unwrap();
        let action = if item["name"] == "legacy" {
            "revoke"
        } else {
            "keep"
        };
        browser.click(&format!("[data-test=review-{action}-{id}]"));
        browser.wait_for(
            "the decision shown",
            &format!(
                "(document.querySelector('[data-test=review-decision-{id}]') || {{}}).textContent === '{}'",
                if action == "revoke" { "Revoke" } else { "Keep" }
            ),
        );
    }
    browser.screenshot("console-review-decided-1366");
    browser.click("[data-test=review-close]");
    browser.click("[data-test=review-close-confirm]");
    browser.find("[data-test=review-start]");
    browser.find(&format!(
        "[data-test=review-history-{}]",
        review["id"].as_str().unwrap()
    ));
    assert_eq!(with_key(&server, &key, "/api/v1/users"), 401);
    let keys = admin.get("/api/v1/apikeys").json();
    assert!(entry(&keys["apikeys"], "id", &key_id)["revoked_at"].is_string());
}

//! Logins, lockouts, sessions, second factors, devices, API keys and audit.

use crate::inprocess::{Server, PASSWORD};
use serde_json::json;
use std::time::{Duration, Instant};

fn audit_actions(server: &Server) -> Vec<String> {
    let admin = server.admin();
    let events = admin.get("/api/v1/audit?limit=1000").json();
    events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn wrong_password_and_unknown_user_get_the_same_answer_in_similar_time() {
    let server = Server::start();
    server.admin().create_member("jdoe", &["member"]);
    let mut timings = [Vec::new(), Vec::new(), Vec::new()];
    let mut bodies = Vec::new();
    for _ in 0..4 {
        for (i, (org, user)) in [("acme", "jdoe"), ("acme", "nobody"), ("noorg", "jdoe")]
            .into_iter()
            .enumerate()
        {
            let started = Instant::now();
            let response = server.login_attempt(org, user, "wrong password entirely", None);
            timings[i].push(started.elapsed());
            assert_eq!(response.status, 401);
            bodies.push(response.body);
        }
    }
    bodies.dedup();
    assert_eq!(bodies.len(), 1, "the answers differ: {bodies:#?}");
    assert!(bodies[0].contains("wrong organisation, username, password or code"));
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let known = median(&mut timings[0]);
    for other in &mut timings[1..] {
        let other = median(other);
        let ratio = known.as_secs_f64() / other.as_secs_f64();
        assert!(
            (0.5..2.0).contains(&ratio),
            "known user {known:?} vs unknown {other:?}"
        );
    }
}

#[test]
fn ten_failures_lock_the_account_for_a_growing_time() {
    let server = Server::start();
    server.admin().create_member("jdoe", &["member"]);
    for _ in 0..10 {
        assert_eq!(
            server
                .login_attempt("acme", "jdoe", "not it at all", None)
                .status,
            401
        );
    }
    let locked = server.login_attempt("acme", "jdoe", PASSWORD, None);
    assert_eq!(
        locked.status, 429,
        "even the right password waits: {}",
        locked.body
    );
    assert_eq!(locked.header("retry-after"), Some("60"));
    // Names that don't exist lock the same way, so a lockout reveals nothing.
    for _ in 0..10 {
        server.login_attempt("acme", "ghost", "not it at all", None);
    }
    assert_eq!(server.login_attempt("acme", "ghost", "x", None).status, 429);

    server.advance(Duration::from_secs(61));
    assert_eq!(
        server
            .login_attempt("acme", "jdoe", "still wrong", None)
            .status,
        401
    );
    let longer = server.login_attempt("acme", "jdoe", PASSWORD, None);
    assert_eq!(longer.status, 429);
    assert_eq!(longer.header("retry-after"), Some("120"));

    server.advance(Duration::from_secs(121));
    assert_eq!(
        server.login_attempt("acme", "jdoe", PASSWORD, None).status,
        200
    );
    // Success clears the count: one more failure does not lock again.
    assert_eq!(
        server.login_attempt("acme", "jdoe", "wrong", None).status,
        401
    );
    assert_eq!(
        server.login_attempt("acme", "jdoe", PASSWORD, None).status,
        200
    );

    let actions = audit_actions(&server);
    for action in ["login.failed", "login.locked", "login.succeeded"] {
        assert!(
            actions.iter().any(|a| a == action),
            "no {action} in {actions:?}"
        );
    }
}

#[test]
fn weak_common_and_personal_passwords_are_refused_with_a_reason() {
    let server = Server::start();
    let admin = server.admin();
    for (password, reason) in [
        ("short1!", "at least 12 characters"),
        ("password1234", "too weak"),
        ("qwertyuiop123", "too weak"),
        ("jdoe-the-great-2026", "must not contain your name"),
        ("acme acme acme acme", "must not contain"),
    ] {
        let response = admin.post(
            "/api/v1/users",
            json!({"username": "jdoe", "name": "J Doe", "password": password}),
        );
        assert_eq!(response.status, 422, "{password}: {}", response.body);
        let problem = response.json();
        assert_eq!(problem["field"], "password");
        assert!(
            problem["detail"].as_str().unwrap().contains(reason),
            "{password}: {problem}"
        );
    }
    assert_eq!(
        admin.get("/api/v1/users/jdoe").status,
        404,
        "refused input stores nothing"
    );

    // The organisation's policy is its own: a longer minimum applies at once.
    let changed = admin.patch("/api/v1/settings", json!({"password_min_length": 40}));
    assert_eq!(changed.status, 200, "{}", changed.body);
    let response = admin.post(
        "/api/v1/users",
        json!({"username": "jdoe", "name": "J", "password": PASSWORD}),
    );
    assert!(response.json()["detail"]
        .as_str()
        .unwrap()
        .contains("at least 40"));
    let bad = admin.patch("/api/v1/settings", json!({"session_idle_minutes": 0}));
    assert_eq!(bad.json()["field"], "session_idle_minutes");
    let bad = admin.patch("/api/v1/settings", json!({"sesion_idle_minutes": 5}));
    assert_eq!(bad.json()["field"], "sesion_idle_minutes");
}

#[test]
fn a_forced_password_change_comes_before_anything_else() {
    let server = Server::start();
    let admin = server.admin();
    let created = admin.post(
        "/api/v1/users",
        json!({"username": "jdoe", "name": "J Doe", "password": PASSWORD, "roles": ["sender"], "must_change_password": true}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let user = server.login("acme", "jdoe", PASSWORD);
    assert_eq!(user.body["session"]["stage"], "must_change_password");
    let blocked = user.get("/api/v1/users");
    assert_eq!(blocked.status, 403);
    assert_eq!(blocked.json()["code"], "password_change_required");
    assert_eq!(user.get("/api/v1/me").status, 200);

    let same = user.post(
        "/api/v1/me/password",
        json!({"current_password": PASSWORD, "new_password": PASSWORD}),
    );
    assert_eq!(same.json()["field"], "new_password");
    let wrong = user.post(
        "/api/v1/me/password",
        json!({"current_password": "nope", "new_password": "amber falcon river 77 lantern"}),
    );
    assert_eq!(wrong.json()["field"], "current_password");
    let done = user.post(
        "/api/v1/me/password",
        json!({"current_password": PASSWORD, "new_password": "amber falcon river 77 lantern"}),
    );
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.json()["stage"], "full");
    assert_eq!(user.get("/api/v1/users").status, 200);
    assert_eq!(
        server.login_attempt("acme", "jdoe", PASSWORD, None).status,
        401
    );
    assert_eq!(
        server
            .login_attempt("acme", "jdoe", "amber falcon river 77 lantern", None)
            .status,
        200
    );
}

#[test]
fn a_password_past_the_maximum_age_must_be_changed() {
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("jdoe", &["member"]);
    assert_eq!(
        admin
            .patch("/api/v1/settings", json!({"password_max_age_days": 90}))
            .status,
        200
    );
    assert_eq!(
        server.login("acme", "jdoe", PASSWORD).body["session"]["stage"],
        "full"
    );
    server.advance(Duration::from_secs(91 * 24 * 3600));
    assert_eq!(
        server.login("acme", "jdoe", PASSWORD).body["session"]["stage"],
        "must_change_password"
    );
}

#[test]
fn sessions_end_when_idle_too_long_or_too_old() {
    let server = Server::start();
    let admin = server.admin();
    assert_eq!(admin.get("/api/v1/me").status, 200);
    server.advance(Duration::from_secs(29 * 60));
    assert_eq!(
        admin.get("/api/v1/me").status,
        200,
        "29 minutes idle is within 30"
    );
    server.advance(Duration::from_secs(31 * 60));
    let expired = admin.get("/api/v1/me");
    assert_eq!(expired.status, 401, "idle past 30 minutes");

    // Active all along, but past the 12-hour lifetime.
    let busy = server.admin();
    for _ in 0..(12 * 60 / 20) {
        server.advance(Duration::from_secs(20 * 60));
        if busy.get("/api/v1/me").status != 200 {
            break;
        }
    }
    assert_eq!(busy.get("/api/v1/me").status, 401);
    server.advance(Duration::from_secs(60));
    assert_eq!(server.admin().get("/api/v1/me").status, 200);
}

#[test]
fn cookie_requests_that_change_state_need_the_csrf_token() {
    let server = Server::start();
    let admin = server.admin();
    let body = json!({"name": "crew"});
    let refused = admin.send_without_csrf("POST", "/api/v1/groups", Some(body.clone()));
    assert_eq!(refused.status, 403);
    assert_eq!(refused.json()["code"], "csrf");
    let wrong = server.send(
        "POST",
        "/api/v1/groups",
        &[("Cookie", &admin.cookie), ("X-CSRF-Token", "0000")],
        Some(body.clone()),
    );
    assert_eq!(wrong.status, 403);
    assert_eq!(
        admin.get("/api/v1/groups").json()["groups"],
        json!([]),
        "nothing was created"
    );
    assert_eq!(
        admin
            .send_without_csrf("GET", "/api/v1/groups", None)
            .status,
        200,
        "reads need no token"
    );
    assert_eq!(admin.post("/api/v1/groups", body).status, 201);
}

#[test]
fn users_list_and_end_their_sessions_and_admins_end_anyones() {
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("jdoe", &["member"]);
    let phone = server.login("acme", "jdoe", PASSWORD);
    let laptop = server.login("acme", "jdoe", PASSWORD);
    let sessions = phone.get("/api/v1/me/sessions").json();
    let list = sessions["sessions"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    let other = list.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        phone.delete(&format!("/api/v1/me/sessions/{other}")).status,
        204
    );
    assert_eq!(laptop.get("/api/v1/me").status, 401);
    assert_eq!(phone.get("/api/v1/me").status, 200);

    let ended = admin.delete("/api/v1/users/jdoe/sessions");
    assert_eq!(ended.json()["ended"], 1);
    assert_eq!(phone.get("/api/v1/me").status, 401);
    assert_eq!(phone.delete("/api/v1/session").status, 401);

    let again = server.login("acme", "jdoe", PASSWORD);
    assert_eq!(again.delete("/api/v1/session").status, 204);
    assert_eq!(again.get("/api/v1/me").status, 401, "logged out");
}

#[test]
fn totp_login_end_to_end_with_one_time_recovery_codes() {
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("jdoe", &["sender"]);
    let user = server.login("acme", "jdoe", PASSWORD);
    let begun = user.post("/api/v1/me/totp", json!({"current_password": PASSWORD}));
    assert_eq!(begun.status, 200, "{}", begun.body);
    let secret = begun.json()["secret"].as_str().unwrap().to_owned();
    assert!(begun.json()["otpauth_uri"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/Tocsin:jdoe%40acme"));
    let wrong = user.post("/api/v1/me/totp/confirm", json!({"code": "000000"}));
    assert_eq!(wrong.json()["field"], "code");
    let code = tocsin::auth::second_factor::current_code(&secret, server.now()).unwrap();
    let confirmed = user.post("/api/v1/me/totp/confirm", json!({"code": code}));
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    let recovery: Vec<String> =
        serde_json::from_value(confirmed.json()["recovery_codes"].clone()).unwrap();
    assert_eq!(recovery.len(), 10);

    let without = server.login_attempt("acme", "jdoe", PASSWORD, None);
    assert_eq!(without.status, 401);
    assert_eq!(without.json()["code"], "second_factor_required");
    assert_eq!(
        server
            .login_attempt("acme", "jdoe", PASSWORD, Some("123456"))
            .json()["code"],
        "login_refused"
    );

    server.advance(Duration::from_secs(30));
    let code = tocsin::auth::second_factor::current_code(&secret, server.now()).unwrap();
    assert_eq!(
        server
            .login_attempt("acme", "jdoe", PASSWORD, Some(&code))
            .status,
        200
    );
    assert_eq!(
        server
            .login_attempt("acme", "jdoe", PASSWORD, Some(&code))
            .status,
        401,
        "a code works once"
    );

    assert_eq!(
        server
            .login_attempt("acme", "jdoe", PASSWORD, Some(&recovery[0]))
            .status,
        200
    );
    assert_eq!(
        server
            .login_attempt("acme", "jdoe", PASSWORD, Some(&recovery[0]))
            .status,
        401,
        "recovery codes work once"
    );
    assert_eq!(
        server
            .login_attempt("acme", "jdoe", PASSWORD, Some(&recovery[1].to_uppercase()))
            .status,
        200
    );
    assert!(audit_actions(&server)
        .iter()
        .any(|a| a == "second_factor.enrolled"));
}

#[test]
fn a_role_that_requires_a_second_factor_reaches_nothing_before_it() {
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("jdoe", &["sender"]);
    assert_eq!(
        admin
            .patch(
                "/api/v1/settings",
                json!({"require_second_factor_for": ["sender"]})
            )
            .status,
        200
    );
    let user = server.login("acme", "jdoe", PASSWORD);
    assert_eq!(user.body["session"]["stage"], "must_enroll_second_factor");
    let refused = user.get("/api/v1/users");
    assert_eq!(refused.status, 403);
    assert_eq!(refused.json()["code"], "second_factor_enrolment_required");
    let secret = user
        .post("/api/v1/me/totp", json!({"current_password": PASSWORD}))
        .json()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = tocsin::auth::second_factor::current_code(&secret, server.now()).unwrap();
    let confirmed = user.post("/api/v1/me/totp/confirm", json!({"code": code}));
    assert_eq!(confirmed.json()["stage"], "full");
    assert_eq!(user.get("/api/v1/users").status, 200);
    let removal = user.send(
        "DELETE",
        "/api/v1/me/totp",
        Some(json!({"code": "whatever"})),
    );
    assert_eq!(
        removal.status, 409,
        "the role requires it: {}",
        removal.body
    );
}

#[test]
fn a_blocked_device_fails_at_once_and_a_wiped_device_gets_the_order_once() {
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("jdoe", &["member"]);
    let phone = server.login("acme", "jdoe", PASSWORD);
    assert_eq!(phone.get("/api/v1/me").status, 200);
    let devices = admin.get("/api/v1/devices").json();
    assert!(devices["devices"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["id"] == phone.device_id().as_str()));

    assert_eq!(
        admin
            .post(
                &format!("/api/v1/devices/{}/block", phone.device_id()),
                json!({})
            )
            .status,
        200
    );
    let next = phone.get("/api/v1/me");
    assert_eq!(next.status, 401);
    assert_eq!(next.json()["code"], "unauthorized");
    let relogin = server.send(
        "POST",
        "/api/v1/session",
        &[],
        Some(json!({"org": "acme", "username": "jdoe", "password": PASSWORD, "device_id": phone.device_id()})),
    );
    assert_eq!(relogin.status, 401, "a blocked device can't log in again");

    let tablet = server.login("acme", "jdoe", PASSWORD);
    assert_eq!(
        admin
            .post(
                &format!("/api/v1/devices/{}/wipe", tablet.device_id()),
                json!({})
            )
            .status,
        200
    );
    let order = tablet.get("/api/v1/me");
    assert_eq!(order.status, 401);
    assert_eq!(order.json()["code"], "device_wiped");
    assert_eq!(
        order.header("clear-site-data"),
        Some("\"cache\", \"cookies\", \"storage\"")
    );
    let after = tablet.get("/api/v1/me");
    assert_eq!(after.status, 401);
    assert_eq!(after.json()["code"], "unauthorized", "the order comes once");
    assert!(after.header("clear-site-data").is_none());
    let device = admin.get("/api/v1/devices").json()["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == tablet.device_id().as_str())
        .unwrap()
        .clone();
    assert!(
        device["wipe_delivered_at"].is_string() && device["blocked_at"].is_string(),
        "{device}"
    );
    let actions = audit_actions(&server);
    assert!(
        actions.iter().any(|a| a == "device.blocked")
            && actions.iter().any(|a| a == "device.wipe_ordered")
    );
}

#[test]
fn api_keys_are_shown_once_stored_hashed_and_revoked_at_once() {
    let server = Server::start();
    let admin = server.admin();
    let created = admin.post(
        "/api/v1/apikeys",
        json!({"name": "cad bridge", "role": "sender", "expires_in_days": 30}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let key = created.json()["key"].as_str().unwrap().to_owned();
    let id = created.json()["apikey"]["id"].as_str().unwrap().to_owned();
    let bearer = format!("Bearer {key}");
    let me = server.send("GET", "/api/v1/me", &[("Authorization", &bearer)], None);
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["roles"], json!(["sender"]));
    let listed = admin.get("/api/v1/apikeys").json();
    assert!(
        !listed.to_string().contains(key.rsplit('_').next().unwrap()),
        "listing shows the secret"
    );
    assert!(listed["apikeys"][0]["last_used_at"].is_string());

    let org = server.store.org_by_slug("acme").unwrap().unwrap();
    let stored = server.store.org(org.id).api_keys().unwrap();
    let secret = key.rsplit('_').next().unwrap();
    assert_eq!(
        stored[0].secret_sha256,
        tocsin::auth::token::sha256_hex(secret)
    );
    server.store.flush_blocking().unwrap();
    for entry in walk(server.dir.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the key is in {}",
            entry.display()
        );
    }

    let too_much = server.send(
        "POST",
        "/api/v1/apikeys",
        &[("Authorization", &bearer)],
        Some(json!({"name": "x", "role": "admin"})),
    );
    assert_eq!(too_much.status, 403, "a sender key has no manage_api_keys");
    assert_eq!(admin.delete(&format!("/api/v1/apikeys/{id}")).status, 200);
    assert_eq!(
        server
            .send("GET", "/api/v1/me", &[("Authorization", &bearer)], None)
            .status,
        401
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else if path.is_file() {
            // Not the daemon's control socket: it holds nothing.
            files.push(path);
        }
    }
    files
}

#[test]
fn roles_are_defined_by_the_organisation_admin() {
    let server = Server::start();
    let admin = server.admin();
    assert_eq!(
        admin
            .post("/api/v1/groups", json!({"name": "crew-x"}))
            .status,
        201
    );
    let role = admin.post(
        "/api/v1/roles",
        json!({"name": "x-dispatcher", "description": "alerts crew X only", "permissions": ["send_alerts", "read_directory"], "alert_groups": ["crew-x"]}),
    );
    assert_eq!(role.status, 201, "{}", role.body);
    assert_eq!(role.json()["alert_groups"].as_array().unwrap().len(), 1);
    let unknown = admin.post(
        "/api/v1/roles",
        json!({"name": "bad", "permissions": ["launch_missiles"]}),
    );
    assert_eq!(unknown.status, 422);
    assert_eq!(unknown.json()["field"], "permissions[0]");
    admin.create_member("jdoe", &["x-dispatcher"]);
    let user = server.login("acme", "jdoe", PASSWORD);
    assert_eq!(
        user.body["permissions"],
        json!(["read_directory", "send_alerts"])
    );
    assert_eq!(
        user.post("/api/v1/groups", json!({"name": "mine"})).status,
        403
    );

    assert_eq!(
        admin
            .patch(
                "/api/v1/roles/x-dispatcher",
                json!({"permissions": ["read_directory", "manage_groups"]})
            )
            .status,
        200
    );
    assert_eq!(
        user.post("/api/v1/groups", json!({"name": "mine"})).status,
        201,
        "a role change applies at once"
    );
    assert_eq!(
        admin.delete("/api/v1/roles/x-dispatcher").status,
        409,
        "still given to jdoe"
    );
    assert_eq!(admin.delete("/api/v1/roles/admin").status, 409, "built in");
    let actions = audit_actions(&server);
    assert!(
        actions.iter().any(|a| a == "role.changed") && actions.iter().any(|a| a == "user.created")
    );
}

//! Nobody gives, resets or acts on a privilege they don't hold: user
//! changes, role grants, role definitions and API keys all follow one rule.
//! And every guess at a password counts, however many come at once.

use crate::inprocess::{Server, PASSWORD};
use serde_json::json;
use std::time::Duration;

#[test]
fn a_user_manager_cannot_take_over_an_admin() {
    let server = Server::start();
    let admin = server.admin();
    assert_eq!(
        admin
            .post(
                "/api/v1/roles",
                json!({"name": "helpdesk", "permissions": ["read_directory", "manage_users"]}),
            )
            .status,
        201
    );
    admin.create_member("desk", &["helpdesk"]);
    admin.create_member("aino", &["member"]);
    let desk = server.login("acme", "desk", PASSWORD);

    // Their peers and below: allowed.
    let r = desk.patch("/api/v1/users/aino", json!({"phones": ["+358401000001"]}));
    assert_eq!(r.status, 200, "{}", r.body);

    // The admin: password, second factor, sessions, email, removal refused.
    let takeover = desk.patch(
        "/api/v1/users/root",
        json!({"password": "a brand new password 42"}),
    );
    assert_eq!(takeover.status, 403, "{}", takeover.body);
    assert_eq!(takeover.json()["code"], "forbidden");
    for (method, path) in [
        ("POST", "/api/v1/users/root/reset-second-factor"),
        ("DELETE", "/api/v1/users/root/sessions"),
        ("DELETE", "/api/v1/users/root"),
    ] {
        let r = desk.send(
            method,
            path,
            if method == "POST" {
                Some(json!({}))
            } else {
                None
            },
        );
        assert_eq!(r.status, 403, "{method} {path}: {}", r.body);
    }
    let r = desk.patch("/api/v1/users/root", json!({"email": "desk@evil.example"}));
    assert_eq!(r.status, 403, "{}", r.body);
    // The admin's password still works.
    server.admin();
}

#[test]
fn role_managers_grant_and_define_only_what_they_hold() {
    let server = Server::start();
    let admin = server.admin();
    assert_eq!(
        admin
            .post("/api/v1/groups", json!({"name": "crew-x"}))
            .status,
        201
    );
    assert_eq!(
        admin
            .post(
                "/api/v1/roles",
                json!({"name": "staffer", "permissions": ["read_directory", "manage_users", "manage_roles"]}),
            )
            .status,
        201
    );
    admin.create_member("staff", &["staffer"]);
    admin.create_member("aino", &["member"]);
    let staff = server.login("acme", "staff", PASSWORD);

    // Its own role can't grow.
    let grow = staff.send(
        "PATCH",
        "/api/v1/roles/staffer",
        Some(json!({"permissions": ["read_directory", "manage_users", "manage_roles", "manage_settings"]})),
    );
    assert_eq!(grow.status, 403, "{}", grow.body);
    // Nor can a new role hold more, nor can admin be given.
    let more = staff.post(
        "/api/v1/roles",
        json!({"name": "sneaky", "permissions": ["send_alerts"]}),
    );
    assert_eq!(more.status, 403, "{}", more.body);
    let grant = staff.patch("/api/v1/users/aino", json!({"roles": ["admin"]}));
    assert_eq!(grant.status, 403, "{}", grant.body);
    let created = staff.post(
        "/api/v1/users",
        json!({"username": "mole", "name": "Mole", "password": PASSWORD, "roles": ["admin"]}),
    );
    assert_eq!(created.status, 403, "{}", created.body);
    // The admin role can't be removed by them either.
    assert_eq!(staff.delete("/api/v1/roles/admin").status, 403);
    // What they hold, they may give.
    let ok = staff.patch(
        "/api/v1/users/aino",
        json!({"roles": ["member", "staffer"]}),
    );
    assert_eq!(ok.status, 200, "{}", ok.body);

    // Group-limited: a key can't reach beyond the creator's groups.
    assert_eq!(
        admin
            .post(
                "/api/v1/roles",
                json!({"name": "x-keys", "permissions": ["send_alerts", "manage_api_keys"], "alert_groups": ["crew-x"]}),
            )
            .status,
        201
    );
    assert_eq!(
        admin
            .post(
                "/api/v1/roles",
                json!({"name": "any-sender", "permissions": ["send_alerts"]})
            )
            .status,
        201
    );
    admin.create_member("xk", &["x-keys"]);
    let xk = server.login("acme", "xk", PASSWORD);
    let key = xk.post(
        "/api/v1/apikeys",
        json!({"name": "wide", "role": "any-sender"}),
    );
    assert_eq!(key.status, 422, "{}", key.body);
    assert_eq!(key.json()["field"], "role");
}

#[test]
fn parallel_wrong_passwords_all_count() {
    let server = Server::start();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let guesses: Vec<_> = (0..30)
            .map(|i| {
                let server = &server;
                scope.spawn(move || {
                    server
                        .login_attempt("acme", "root", &format!("wrong guess {i}"), None)
                        .status
                })
            })
            .collect();
        guesses.into_iter().map(|g| g.join().unwrap()).collect()
    });
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    let counted = server.store.login_throttle("acme", "root").unwrap();
    assert_eq!(counted.failures, 30, "every parallel guess counted");
    let source = tocsin::store::LoginSource::Network("127.0.0.1".to_owned());
    let from = server
        .store
        .login_source_throttle("acme", "root", &source)
        .unwrap();
    assert!(from.locked_until.is_some(), "{from:?}");
}

#[test]
fn role_names_in_settings_and_the_session_cookie_leave_no_gaps() {
    let server = Server::start();
    let admin = server.admin();
    // Role names are stored case-folded; "Admin" means the admin role.
    let r = admin.patch(
        "/api/v1/settings",
        json!({"require_second_factor_for": ["Admin"]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let again = server.login_attempt("acme", "root", PASSWORD, None);
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(
        again.json()["session"]["stage"],
        "must_enroll_second_factor"
    );
    // The session cookie is a __Host- cookie: HTTPS, whole site, this host.
    let cookie = again.header("set-cookie").unwrap().to_owned();
    assert!(cookie.starts_with("__Host-tocsin_session="), "{cookie}");
    assert!(
        cookie.contains("Path=/") && cookie.contains("Secure"),
        "{cookie}"
    );
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
}

#[test]
fn security_events_each_have_their_own_name() {
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("aino", &["member"]);
    let actions = |admin: &crate::inprocess::Login<'_>| -> Vec<String> {
        let trail = admin.get("/api/v1/audit?limit=1000").json();
        trail["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    };

    // An admin sets someone's password: a reset, by name.
    let r = admin.patch(
        "/api/v1/users/aino",
        json!({"password": "violet copper kettle 77 tram"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let aino = server.login("acme", "aino", "violet copper kettle 77 tram");
    // A wrong current password, and a second factor begun.
    let wrong = aino.post(
        "/api/v1/me/password",
        json!({"current_password": "not it", "new_password": "another fine password 43"}),
    );
    assert_eq!(wrong.status, 422);
    let begun = aino.post(
        "/api/v1/me/totp",
        json!({"current_password": "violet copper kettle 77 tram"}),
    );
    assert_eq!(begun.status, 200, "{}", begun.body);
    // An alert read, exported; a refused key; a wiped phone collects its order.
    let sent = admin.post(
        "/api/v1/alerts",
        json!({"title": "Drill", "severity": "info", "channels": ["app"], "recipients": {"users": ["aino"]}}),
    );
    let id = sent.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(admin.get(&format!("/api/v1/alerts/{id}")).status, 200);
    assert_eq!(admin.get(&format!("/api/v1/alerts/{id}")).status, 200);
    assert_eq!(
        admin.get(&format!("/api/v1/alerts/{id}?for=export")).status,
        200
    );
    let key = admin.post("/api/v1/apikeys", json!({"name": "old", "role": "sender"}));
    let (token, key_id) = (
        key.json()["key"].as_str().unwrap().to_owned(),
        key.json()["apikey"]["id"].as_str().unwrap().to_owned(),
    );
    assert_eq!(
        admin.delete(&format!("/api/v1/apikeys/{key_id}")).status,
        200
    );
    let refused = server.send(
        "GET",
        "/api/v1/me",
        &[("Authorization", &format!("Bearer {token}"))],
        None,
    );
    assert_eq!(refused.status, 401);
    let phone = server.login("acme", "aino", "violet copper kettle 77 tram");
    let wipe = admin.post(
        &format!("/api/v1/devices/{}/wipe", phone.device_id()),
        json!({}),
    );
    assert!(wipe.status < 300, "{}", wipe.body);
    assert_eq!(phone.get("/api/v1/me").json()["code"], "device_wiped");
    // A typed name can't write lines of its own into the trail.
    let long = format!("intruder\nlogin.succeeded{}", "x".repeat(300));
    server.login_attempt("acme", &long, "nope", None);

    let seen = actions(&admin);
    for wanted in [
        "user.password_reset",
        "password.change_refused",
        "second_factor.enrolment_started",
        "alert.read",
        "alert.exported",
        "apikey.refused",
        "device.wipe_delivered",
    ] {
        assert!(seen.iter().any(|a| a == wanted), "no {wanted} in {seen:?}");
    }
    assert_eq!(
        seen.iter().filter(|a| *a == "alert.read").count(),
        1,
        "a reader's repeated reads of one alert are one event"
    );
    let trail = admin.get("/api/v1/audit?action=login.failed").json();
    let typed = trail["events"][0]["actor"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        typed.chars().count() <= 65 && !typed.contains('\n'),
        "{typed}"
    );
}

#[test]
fn a_sender_limited_to_groups_stays_within_them() {
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("aino", &["member"]);
    admin.create_member("elias", &["member"]);
    for (group, member) in [("crew-x", "aino"), ("crew-y", "elias")] {
        let r = admin.post(
            "/api/v1/groups",
            json!({"name": group, "members": [member]}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let r = admin.post(
        "/api/v1/roles",
        json!({"name": "x-dispatcher", "permissions": ["send_alerts", "read_directory"], "alert_groups": ["crew-x"]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    admin.create_member("disp", &["x-dispatcher"]);
    let disp = server.login("acme", "disp", PASSWORD);

    // Escalating to a group beyond theirs is refused like alerting it.
    let escalate = disp.post(
        "/api/v1/alerts",
        json!({"title": "Pump", "severity": "warning", "channels": ["app"],
               "recipients": {"groups": ["crew-x"]},
               "escalation": {"min_coming": 1, "coming_within_seconds": 60, "then_groups": ["crew-y"]}}),
    );
    assert_eq!(escalate.status, 403, "{}", escalate.body);
    assert_eq!(escalate.json()["field"], "escalation.then_groups[0]");

    // Their own alert they follow, update and cancel.
    let own = disp.post(
        "/api/v1/alerts",
        json!({"title": "Pump", "severity": "warning", "channels": ["app"], "recipients": {"groups": ["crew-x"]}}),
    );
    assert_eq!(own.status, 202, "{}", own.body);
    let own = own.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(disp.get(&format!("/api/v1/alerts/{own}")).status, 200);

    // Someone else's alert, which reached crew Y, is not theirs to see,
    // update (which would reach crew Y) or cancel.
    let other = admin.post(
        "/api/v1/alerts",
        json!({"title": "Fire", "severity": "critical", "channels": ["app"], "recipients": {"groups": ["crew-y"]}}),
    );
    let other = other.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(disp.get(&format!("/api/v1/alerts/{other}")).status, 404);
    assert_eq!(
        disp.patch(
            &format!("/api/v1/alerts/{other}"),
            json!({"body": "stand down"})
        )
        .status,
        404
    );
    assert_eq!(
        disp.post(&format!("/api/v1/alerts/{other}/cancel"), json!({}))
            .status,
        404
    );
    let listed = disp.get("/api/v1/alerts").json();
    let titles: Vec<&str> = listed["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Pump"], "{listed}");
    assert_eq!(
        admin.get(&format!("/api/v1/alerts/{other}")).json()["alert"]["state"],
        "active"
    );
    let cancelled = disp.post(&format!("/api/v1/alerts/{own}/cancel"), json!({}));
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
}

#[test]
fn answer_links_are_rate_limited_per_address() {
    let server = Server::start();
    let statuses: Vec<u16> = (0..61)
        .map(|i| {
            server
                .send("POST", &format!("/r/guess{i}"), &[], None)
                .status
        })
        .collect();
    assert!(statuses[..60].iter().all(|s| *s == 400), "{statuses:?}");
    let held = server.send("GET", "/r/guess", &[], None);
    assert_eq!(held.status, 429);
    assert!(held.header("retry-after").is_some());
}

#[test]
fn guessing_from_many_addresses_locks_new_devices_but_not_the_dispatchers_own() {
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("disp", &["sender"]);
    let device = server.login("acme", "disp", PASSWORD).device_id();

    let statuses: Vec<u16> = (1..=25)
        .map(|i| {
            server
                .login_from(
                    &format!("127.0.1.{i}"),
                    ("acme", "disp", "a wrong guess"),
                    None,
                )
                .status
        })
        .collect();
    assert!(statuses[..20].iter().all(|s| *s == 401), "{statuses:?}");
    assert!(statuses[20..].iter().all(|s| *s == 429), "{statuses:?}");
    let stranger = server.login_from("127.0.2.1", ("acme", "disp", PASSWORD), None);
    assert_eq!(
        stranger.status, 429,
        "a new device waits even with the password"
    );

    // Security monitoring tells the admins, in the app and by email.
    crate::devices::wait_until("the lockout notice", crate::devices::WAIT, || {
        let notices = admin.get("/api/v1/alerts").json();
        notices["alerts"]
            .as_array()?
            .iter()
            .any(|a| a["title"] == "Login locked: disp")
            .then_some(())
    });
    let audit = admin
        .get("/api/v1/audit?action=login.account_locked")
        .json();
    assert_eq!(audit["events"].as_array().unwrap().len(), 1, "{audit}");

    // The dispatcher's own device keeps working, from any address.
    let own = server.login_from("127.0.3.1", ("acme", "disp", PASSWORD), Some(&device));
    assert_eq!(own.status, 200, "{}", own.body);
}

#[test]
fn a_changed_security_state_reaches_sessions_already_open() {
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("jdoe", &["sender"]);
    admin.create_member("anna", &["sender"]);
    admin.create_member("olli", &["sender"]);

    // A password reset by an admin ends the user's sessions at once.
    let jdoe = server.login("acme", "jdoe", PASSWORD);
    let reset = admin.patch(
        "/api/v1/users/jdoe",
        json!({"password": "a brand new secret 1234"}),
    );
    assert_eq!(reset.status, 200, "{}", reset.body);
    assert_eq!(jdoe.get("/api/v1/me").status, 401);

    // "Must change password" applies to the open session on its next request.
    let anna = server.login("acme", "anna", PASSWORD);
    assert_eq!(anna.get("/api/v1/alerts").status, 200);
    admin.patch("/api/v1/users/anna", json!({"must_change_password": true}));
    let held = anna.get("/api/v1/alerts");
    assert_eq!(held.status, 403);
    assert_eq!(held.json()["code"], "password_change_required");

    // So does a second factor newly required of the role.
    let olli = server.login("acme", "olli", PASSWORD);
    admin.patch(
        "/api/v1/settings",
        json!({"require_second_factor_for": ["sender"]}),
    );
    let held = olli.get("/api/v1/alerts");
    assert_eq!(held.status, 403);
    assert_eq!(held.json()["code"], "second_factor_enrolment_required");

    // Adding a second factor asks for the password again.
    let missing = olli.post("/api/v1/me/totp", json!({}));
    assert_eq!(missing.status, 422);
    assert_eq!(missing.json()["field"], "current_password");
    let wrong = olli.post(
        "/api/v1/me/totp",
        json!({"current_password": "not my password"}),
    );
    assert_eq!(wrong.status, 422);
    assert_eq!(wrong.json()["field"], "current_password");
    let audit = admin
        .get("/api/v1/audit?action=second_factor.enrolment_refused")
        .json();
    assert_eq!(audit["events"].as_array().unwrap().len(), 1, "{audit}");
    let right = olli.post("/api/v1/me/totp", json!({"current_password": PASSWORD}));
    assert_eq!(right.status, 200, "{}", right.body);
}

#[test]
fn live_streams_end_with_the_session_they_were_opened_under() {
    let server = Server::start();
    let admin = server.admin();
    let second = Duration::from_secs(1);
    let feed = "/api/v1/me/alerts/stream";
    let names = ["blocked", "wiped", "out", "everywhere", "repass", "reset"];
    for name in names {
        admin.create_member(name, &["member"]);
    }
    let open = |name: &str| {
        let member = server.login("acme", name, PASSWORD);
        let stream = member.stream(feed, None);
        assert!(!stream.ends_within(Duration::from_millis(300)), "{name}");
        (member, stream)
    };

    let (phone, stream) = open("blocked");
    admin.post(
        &format!("/api/v1/devices/{}/block", phone.device_id()),
        json!({}),
    );
    assert!(stream.ends_within(second), "blocking the device ends it");

    let (phone, stream) = open("wiped");
    admin.post(
        &format!("/api/v1/devices/{}/wipe", phone.device_id()),
        json!({}),
    );
    assert!(stream.ends_within(second), "a wipe order ends it");

    let (phone, stream) = open("out");
    assert_eq!(phone.delete("/api/v1/session").status, 204);
    assert!(stream.ends_within(second), "logging out ends it");

    let (_phone, stream) = open("everywhere");
    admin.delete("/api/v1/users/everywhere/sessions");
    assert!(stream.ends_within(second), "signing out everywhere ends it");

    let (phone, stream) = open("repass");
    let other = server.login("acme", "repass", PASSWORD);
    other.post(
        "/api/v1/me/password",
        json!({"current_password": PASSWORD, "new_password": "quite another secret 9876"}),
    );
    assert!(stream.ends_within(second), "a new password ends the others");
    drop(phone);

    let (_phone, stream) = open("reset");
    admin.patch(
        "/api/v1/users/reset",
        json!({"password": "set by the admin 4321 ok"}),
    );
    assert!(stream.ends_within(second), "an admin's reset ends it");

    // A sender following an alert loses the stream with the permission.
    admin.post(
        "/api/v1/roles",
        json!({"name": "caller", "permissions": ["send_alerts"]}),
    );
    admin.create_member("disp", &["caller"]);
    let disp = server.login("acme", "disp", PASSWORD);
    let sent = disp.post(
        "/api/v1/alerts",
        json!({"title": "Drill", "severity": "info", "channels": ["app"], "recipients": {"users": ["disp"]}}),
    );
    let alert = sent.json()["id"].as_str().unwrap().to_owned();
    let follow = disp.stream(&format!("/api/v1/alerts/{alert}/events"), None);
    follow.wait_for("snapshot", Duration::from_secs(5), |_| true);
    assert!(!follow.ends_within(Duration::from_millis(300)));
    admin.patch(
        "/api/v1/roles/caller",
        json!({"permissions": ["read_directory"]}),
    );
    assert!(follow.ends_within(second), "a revoked permission ends it");

    // And every stream ends at its session's absolute expiry.
    admin.create_member("late", &["member"]);
    let set = admin.patch("/api/v1/settings", json!({"session_lifetime_hours": 1}));
    assert_eq!(set.status, 200, "{}", set.body);
    let (_phone, stream) = open("late");
    server.advance(Duration::from_secs(3601));
    assert!(
        stream.ends_within(Duration::from_secs(12)),
        "the absolute expiry ends it"
    );
    assert_eq!(server.store.watches(), 0, "ended streams leave no watches");
}

#[test]
fn second_factor_secrets_are_never_in_the_store_in_the_clear() {
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("jdoe", &["sender"]);
    let jdoe = server.login("acme", "jdoe", PASSWORD);
    let begun = jdoe.post("/api/v1/me/totp", json!({"current_password": PASSWORD}));
    let secret = begun.json()["secret"].as_str().unwrap().to_owned();
    let code = tocsin::auth::second_factor::current_code(&secret, server.now()).unwrap();
    let confirmed = jdoe.post("/api/v1/me/totp/confirm", json!({"code": code}));
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    let recovery = confirmed.json()["recovery_codes"][0]
        .as_str()
        .unwrap()
        .replace('-', "");
    server.store.flush_blocking().unwrap();

    let key = std::fs::read_to_string(server.dir.path().join("at-rest.key")).unwrap();
    let mut files = vec![server.dir.path().join("store")];
    let mut seen = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let digest = tocsin::auth::token::sha256_hex(&recovery);
        for needle in [
            secret.as_str(),
            recovery.as_str(),
            digest.as_str(),
            key.trim(),
        ] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{} holds {needle}",
                path.display()
            );
        }
        seen += 1;
    }
    assert!(seen > 0);
    // The recovery code still works, by its peppered form.
    let logged = server.login_attempt("acme", "jdoe", PASSWORD, Some(&recovery));
    assert_eq!(logged.status, 200, "{}", logged.body);
}

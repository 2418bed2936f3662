//! Alerts end to end through the app channel: fan-out, live streams, answers,
//! totals, escalation, idempotency, permissions and bad input.

use crate::inprocess::{Server, PASSWORD};
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn an_alert_reaches_every_connected_member_and_answers_show_in_the_totals() {
    let server = Server::start();
    let admin = server.admin();
    for name in ["aino", "elias", "linnea", "oliver"] {
        admin.create_member(name, &["member"]);
    }
    // oliver prefers SMS, then the app: the escalation tries his next channel.
    let pref = admin.patch(
        "/api/v1/users/oliver",
        json!({"phones": ["+358401000004"], "channels": ["app", "sms"]}),
    );
    assert_eq!(pref.status, 200, "{}", pref.body);
    assert_eq!(
        admin
            .post(
                "/api/v1/groups",
                json!({"name": "crew", "members": ["elias", "linnea"]})
            )
            .status,
        201
    );

    let members: Vec<_> = ["aino", "elias", "linnea", "oliver"]
        .iter()
        .map(|n| server.login("acme", n, PASSWORD))
        .collect();
    let streams: Vec<_> = members
        .iter()
        .map(|m| m.stream("/api/v1/me/alerts/stream", None))
        .collect();

    let sent = admin.post(
        "/api/v1/alerts",
        json!({
            "title": "Fire at depot 3", "body": "Report to station 2", "severity": "critical",
            "channels": ["app", "sms"],
            "recipients": {"users": ["aino", "oliver", "elias"], "groups": ["crew"]},
            "allow_eta": true,
            "escalation": {"next_channel_after_seconds": 60},
        }),
    );
    assert_eq!(sent.status, 202, "{}", sent.body);
    let created = sent.json();
    assert_eq!(
        created["recipients"], 4,
        "elias is in the group and named: once"
    );
    assert_eq!(
        created["deliveries"]["app"], 4,
        "app first for everyone: {created}"
    );
    let id = created["id"].as_str().unwrap().to_owned();
    let follow = admin.stream(&format!("/api/v1/alerts/{id}/events"), None);
    let snapshot = follow.wait_for("snapshot", WAIT, |_| true);
    assert_eq!(snapshot.data["totals"]["recipients"], 4);

    for stream in &streams {
        let event = stream.wait_for("alert", WAIT, |d| d["alert"]["id"] == id.as_str());
        assert_eq!(event.data["alert"]["title"], "Fire at depot 3");
        assert_eq!(event.data["alert"]["severity"], "critical");
        assert!(event.id.is_some(), "events carry ids for Last-Event-ID");
    }

    let coming = members[0].post(
        &format!("/api/v1/alerts/{id}/response"),
        json!({"choice": "Coming", "eta_minutes": 7}),
    );
    assert_eq!(coming.status, 200, "{}", coming.body);
    let not_coming = members[1].post(
        &format!("/api/v1/alerts/{id}/response"),
        json!({"choice": "not coming"}),
    );
    assert_eq!(not_coming.status, 200);
    assert_eq!(
        members[1]
            .post(
                &format!("/api/v1/alerts/{id}/response"),
                json!({"choice": "Maybe"})
            )
            .json()["field"],
        "choice"
    );
    assert_eq!(
        members[1]
            .post(
                &format!("/api/v1/alerts/{id}/response"),
                json!({"choice": "Coming", "text": "x"})
            )
            .json()["field"],
        "text"
    );

    let update = follow.wait_for("update", WAIT, |d| d["totals"]["responded"] == 2);
    assert_eq!(update.data["totals"]["coming"], 1);
    assert_eq!(update.data["totals"]["not_coming"], 1);
    assert_eq!(update.data["totals"]["no_answer"], 2);
    let view = admin.get(&format!("/api/v1/alerts/{id}")).json();
    assert_eq!(view["totals"]["reached"], 4, "{}", view["totals"]);
    assert_eq!(
        view["totals"]["deliveries"]["delivered"], 4,
        "streams received them: {}",
        view["totals"]
    );

    // Oliver and Linnea don't answer: a minute later their next channel is used.
    server.advance(Duration::from_secs(61));
    let escalated = follow.wait_for("update", WAIT, |d| {
        d["recipients"].as_array().is_some_and(|rs| {
            rs.iter().any(|r| {
                r["name"] == "Member oliver"
                    && r["deliveries"]
                        .as_array()
                        .is_some_and(|ds| ds.iter().any(|x| x["channel"] == "sms"))
            })
        })
    });
    let oliver = escalated.data["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Member oliver")
        .unwrap()
        .clone();
    assert_eq!(oliver["deliveries"].as_array().unwrap().len(), 2);
    let view = admin.get(&format!("/api/v1/alerts/{id}")).json();
    let aino = view["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Member aino")
        .unwrap();
    assert_eq!(
        aino["deliveries"].as_array().unwrap().len(),
        1,
        "an answer stops escalation"
    );
    assert_eq!(aino["response"]["eta_minutes"], 7);
    let linnea = view["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Member linnea")
        .unwrap();
    assert_eq!(
        linnea["deliveries"].as_array().unwrap().len(),
        1,
        "linnea has no phone: no next channel"
    );
    let timeline = server
        .store
        .org(server.store.org_by_slug("acme").unwrap().unwrap().id)
        .alert_events(id.parse().unwrap())
        .unwrap();
    let kinds: Vec<&str> = timeline.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "response").count(),
        2,
        "{kinds:?}"
    );
    assert!(kinds.contains(&"escalation"), "{kinds:?}");

    // The member's own list, and marking as read.
    let mine = members[3].get("/api/v1/me/alerts").json();
    assert_eq!(mine["alerts"][0]["alert"]["id"], id.as_str());
    assert_eq!(mine["alerts"][0]["read"], false);
    assert_eq!(
        members[3]
            .post(&format!("/api/v1/me/alerts/{id}/read"), json!({}))
            .json()["marked"],
        1
    );
    assert_eq!(
        members[3].get("/api/v1/me/alerts").json()["alerts"][0]["read"],
        true
    );
}

#[test]
fn a_stream_resumes_after_the_last_event_it_saw() {
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("aino", &["member"]);
    let aino = server.login("acme", "aino", PASSWORD);
    let send = |title: &str| {
        let r = admin.post("/api/v1/alerts", json!({"title": title, "severity": "info", "channels": ["app"], "recipients": {"users": ["aino"]}}));
        assert_eq!(r.status, 202, "{}", r.body);
    };
    send("first");
    let stream = aino.stream("/api/v1/me/alerts/stream", None);
    let first = stream.wait_for("alert", WAIT, |d| d["alert"]["title"] == "first");
    drop(stream);
    send("second");
    send("third");
    let resumed = aino.stream("/api/v1/me/alerts/stream", first.id.as_deref());
    assert_eq!(
        resumed.wait_for("alert", WAIT, |_| true).data["alert"]["title"],
        "second"
    );
    assert_eq!(
        resumed.wait_for("alert", WAIT, |_| true).data["alert"]["title"],
        "third"
    );
    assert!(
        resumed.next(Duration::from_millis(500)).is_none(),
        "nothing is sent twice"
    );
}

#[test]
fn the_same_idempotency_key_gives_one_alert() {
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("aino", &["member"]);
    let body = json!({"title": "Once", "severity": "warning", "channels": ["app"], "recipients": {"users": ["aino"]}});
    let send = || {
        server.send(
            "POST",
            "/api/v1/alerts",
            &[
                ("Cookie", &admin.cookie),
                ("X-CSRF-Token", &admin.csrf),
                ("Idempotency-Key", "cad-4711"),
            ],
            Some(body.clone()),
        )
    };
    let first = send();
    let second = send();
    assert_eq!(first.status, 202);
    assert_eq!(second.status, 202);
    assert_eq!(first.json()["id"], second.json()["id"]);
    assert_eq!(second.json()["duplicate"], true);
    assert_eq!(
        admin.get("/api/v1/alerts").json()["alerts"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn bad_alerts_name_the_field_and_store_nothing() {
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("aino", &["member"]);
    let base = json!({"title": "T", "severity": "critical", "channels": ["app"], "recipients": {"users": ["aino"]}});
    let with = |path: &[&str], value: serde_json::Value| {
        let mut body = base.clone();
        let mut at = &mut body;
        for key in &path[..path.len() - 1] {
            at = &mut at[*key];
        }
        at[path[path.len() - 1]] = value;
        body
    };
    let cases = [
        (
            with(&["recipients", "groups"], json!(["nosuch"])),
            "recipients.groups[0]",
        ),
        (
            with(&["recipients", "phones"], json!(["+358401234567", "0401"])),
            "recipients.phones[1]",
        ),
        (with(&["recipients"], json!({})), "recipients"),
        (
            with(&["recipients", "users"], json!(["ghost"])),
            "recipients.users[0]",
        ),
        (with(&["channels"], json!(["app", "fax"])), "channels[1]"),
        (with(&["channels"], json!([])), "channels"),
        (with(&["severity"], json!("apocalyptic")), "severity"),
        (with(&["title"], json!("")), "title"),
        (with(&["responses"], json!(["", "No"])), "responses[0]"),
        (
            with(&["recipients", "tetra_issi"], json!([0])),
            "recipients.tetra_issi[0]",
        ),
        (
            with(&["escalation"], json!({"min_coming": 3})),
            "escalation.min_coming",
        ),
    ];
    for (body, field) in cases {
        let response = admin.post("/api/v1/alerts", body.clone());
        assert_eq!(response.status, 422, "{body}: {}", response.body);
        assert_eq!(response.json()["field"], field, "{body}");
    }
    let huge = with(&["body"], json!("x".repeat(1024 * 1024)));
    assert_eq!(admin.post("/api/v1/alerts", huge).status, 413);
    assert_eq!(
        admin.get("/api/v1/alerts").json()["alerts"],
        json!([]),
        "nothing stored"
    );
}

#[test]
fn only_permitted_roles_send_and_group_limits_hold() {
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("aino", &["member"]);
    admin.create_member("elias", &["member"]);
    assert_eq!(
        admin
            .post(
                "/api/v1/groups",
                json!({"name": "crew-x", "members": ["aino"]})
            )
            .status,
        201
    );
    assert_eq!(
        admin
            .post(
                "/api/v1/groups",
                json!({"name": "crew-y", "members": ["elias"]})
            )
            .status,
        201
    );
    assert_eq!(
        admin.post("/api/v1/roles", json!({"name": "x-dispatcher", "permissions": ["send_alerts"], "alert_groups": ["crew-x"]})).status,
        201
    );
    admin.create_member("disp", &["x-dispatcher"]);
    let member = server.login("acme", "elias", PASSWORD);
    let dispatcher = server.login("acme", "disp", PASSWORD);
    let to = |group: &str| json!({"title": "T", "severity": "warning", "channels": ["app"], "recipients": {"groups": [group]}});

    let refused = member.post("/api/v1/alerts", to("crew-x"));
    assert_eq!(refused.status, 403, "members have no send_alerts");
    let wrong_group = dispatcher.post("/api/v1/alerts", to("crew-y"));
    assert_eq!(wrong_group.status, 403);
    assert_eq!(wrong_group.json()["field"], "recipients.groups[0]");
    let direct = dispatcher.post("/api/v1/alerts", json!({"title": "T", "severity": "info", "channels": ["app"], "recipients": {"users": ["elias"]}}));
    assert_eq!(
        direct.status, 403,
        "a group-limited role can't go around its groups"
    );
    assert_eq!(admin.get("/api/v1/alerts").json()["alerts"], json!([]));
    assert_eq!(dispatcher.post("/api/v1/alerts", to("crew-x")).status, 202);
    let audit = admin.get("/api/v1/audit?action=alert.sent").json();
    let outcomes: Vec<&str> = audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert!(
        outcomes.contains(&"denied") && outcomes.contains(&"success"),
        "{outcomes:?}"
    );
}

#[test]
fn an_update_and_a_cancel_reach_everyone_the_alert_reached() {
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("aino", &["member"]);
    let aino = server.login("acme", "aino", PASSWORD);
    let stream = aino.stream("/api/v1/me/alerts/stream", None);
    let sent = admin.post("/api/v1/alerts", json!({"title": "Drill", "severity": "info", "channels": ["app"], "recipients": {"users": ["aino"]}}));
    let id = sent.json()["id"].as_str().unwrap().to_owned();
    stream.wait_for("alert", WAIT, |d| d["alert"]["title"] == "Drill");
    let update = admin.patch(
        &format!("/api/v1/alerts/{id}"),
        json!({"body": "Use the north gate"}),
    );
    assert_eq!(update.status, 200, "{}", update.body);
    assert_eq!(update.json()["body"], "Use the north gate");
    let told = stream.wait_for("alert", WAIT, |d| d["alert"]["title"] == "Update: Drill");
    assert_eq!(told.data["alert"]["body"], "Use the north gate");
    assert_eq!(
        admin
            .patch(&format!("/api/v1/alerts/{id}"), json!({"title": ""}))
            .json()["field"],
        "title"
    );
    let cancelled = admin.post(&format!("/api/v1/alerts/{id}/cancel"), json!({}));
    assert_eq!(cancelled.json()["state"], "cancelled");
    assert!(
        cancelled.json()["all_clear"].is_string(),
        "{}",
        cancelled.body
    );
    let all_clear = stream.wait_for("alert", WAIT, |d| d["alert"]["title"] == "All clear: Drill");
    assert_eq!(all_clear.data["alert"]["responses"], json!(["OK"]));
    assert_eq!(
        admin
            .post(&format!("/api/v1/alerts/{id}/cancel"), json!({}))
            .status,
        409
    );
    assert_eq!(
        aino.post(
            &format!("/api/v1/alerts/{id}/response"),
            json!({"choice": "Coming"})
        )
        .status,
        409
    );
    let quiet = admin.post("/api/v1/alerts", json!({"title": "Quiet", "severity": "info", "channels": ["app"], "recipients": {"users": ["aino"]}}));
    let quiet_id = quiet.json()["id"].as_str().unwrap().to_owned();
    let without = admin.post(
        &format!("/api/v1/alerts/{quiet_id}/cancel?all_clear=false"),
        json!({}),
    );
    assert!(without.json()["all_clear"].is_null());
}

#[test]
fn the_unanswered_are_escalated_to_email_on_a_real_smtp_server() {
    let smtp = crate::smtp::SmtpServer::start();
    let server = smtp.appliance();
    let admin = server.admin();
    for name in ["aino", "elias", "oliver"] {
        admin.create_member(name, &["member"]);
        let language = if name == "oliver" { "fi" } else { "en" };
        assert_eq!(
            admin
                .patch(
                    &format!("/api/v1/users/{name}"),
                    json!({"email": format!("{name}@acme.example"), "language": language})
                )
                .status,
            200
        );
    }
    let members: Vec<_> = ["aino", "elias", "oliver"]
        .iter()
        .map(|n| server.login("acme", n, PASSWORD))
        .collect();
    // Emails name the sender as people know them, never by their username.
    let named = admin.patch("/api/v1/users/root", json!({"name": "Duty Officer"}));
    assert_eq!(named.status, 200, "{}", named.body);
    let sent = admin.post(
        "/api/v1/alerts",
        json!({"title": "Gas leak", "body": "Hall B", "severity": "critical", "channels": ["app", "email"],
               "recipients": {"users": ["aino", "elias", "oliver"]}, "escalation": {"next_channel_after_seconds": 30}}),
    );
    assert_eq!(sent.status, 202, "{}", sent.body);
    let id = sent.json()["id"].as_str().unwrap().to_owned();
    for m in &members[..2] {
        assert_eq!(
            m.post(
                &format!("/api/v1/alerts/{id}/response"),
                json!({"choice": "Coming"})
            )
            .status,
            200
        );
    }
    assert!(
        smtp.wait_for(1, Duration::from_millis(800)).is_empty(),
        "no email before the escalation"
    );
    server.advance(Duration::from_secs(31));
    let mails = smtp.wait_for(1, WAIT);
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].to, "oliver@acme.example");
    // Oliver reads Finnish: his message and the answer page are in Finnish.
    assert_eq!(mails[0].subject, "[KRIITTINEN] Gas leak");
    assert!(mails[0].body.contains("Hall B"), "{}", mails[0].body);
    assert!(
        mails[0].body.contains("Duty Officer") && !mails[0].body.contains("root"),
        "{}",
        mails[0].body
    );
    std::thread::sleep(Duration::from_millis(300));
    let view = admin.get(&format!("/api/v1/alerts/{id}")).json();
    let oliver = view["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Member oliver")
        .unwrap()
        .clone();
    let email = oliver["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["channel"] == "email")
        .unwrap()
        .clone();
    assert_eq!(
        email["state"], "sent",
        "email is sent, never claimed delivered: {email}"
    );
    assert_eq!(view["totals"]["coming"], 2);

    // Text and HTML, with a one-click link per answer that works once.
    let body = mails[0].body.replace("=\n", "").replace("=3D", "=");
    assert!(
        body.contains("Content-Type: text/plain") && body.contains("Content-Type: text/html"),
        "both parts of multipart/alternative: {body}"
    );
    let link = |option: &str| {
        body.lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{option}: ")))
            .and_then(|url| {
                url.split_once("/r/")
                    .map(|(_, t)| format!("/r/{}", t.trim()))
            })
            .unwrap_or_else(|| panic!("no {option} link in {body}"))
    };
    let not_coming = link("Not coming");
    let shown = server.send("GET", &not_coming, &[], None);
    assert_eq!(shown.status, 200);
    assert!(
        shown.body.contains("Vastataanko Not coming?"),
        "{}",
        shown.body
    );
    let view = admin.get(&format!("/api/v1/alerts/{id}")).json();
    assert_eq!(
        view["totals"]["not_coming"], 0,
        "opening the link answers nothing"
    );
    let answered = server.send("POST", &not_coming, &[], None);
    assert_eq!(answered.status, 200, "{}", answered.body);
    assert!(
        answered.body.contains("on tallennettu"),
        "{}",
        answered.body
    );
    let again = server.send("POST", &not_coming, &[], None);
    assert_eq!(again.status, 409, "a link works once");
    let respelled = server.send("POST", &format!("{not_coming}%20"), &[], None);
    assert_eq!(
        respelled.status, 409,
        "once by what it signs, however spelled"
    );
    let view = admin.get(&format!("/api/v1/alerts/{id}")).json();
    assert_eq!(view["totals"]["not_coming"], 1);
    let oliver = view["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Member oliver")
        .unwrap()
        .clone();
    assert_eq!(oliver["response"]["channel"], "email");
    let mut forged = link("Coming");
    forged.replace_range(forged.len() - 3.., "AAA");
    assert_eq!(server.send("POST", &forged, &[], None).status, 400);
}

#[test]
fn a_one_click_template_fired_twice_in_its_window_gives_one_alert() {
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("aino", &["member"]);
    assert_eq!(
        admin
            .post(
                "/api/v1/groups",
                json!({"name": "guards", "members": ["aino"]})
            )
            .status,
        201
    );
    let bad = admin.post("/api/v1/templates", json!({"name": "threat", "alert": {"title": "Threat", "severity": "critical", "channels": ["fax"], "recipients": {}}}));
    assert_eq!(bad.json()["field"], "alert.channels[0]", "{}", bad.body);
    let template = admin.post(
        "/api/v1/templates",
        json!({"name": "threat", "button": "Threat", "merge_window_seconds": 120,
               "alert": {"title": "Threat at the main door", "severity": "critical", "channels": ["app"], "recipients": {"groups": ["guards"]}}}),
    );
    assert_eq!(template.status, 201, "{}", template.body);
    let first = admin.post("/api/v1/oneclick/threat", json!({}));
    assert_eq!(first.status, 202, "{}", first.body);
    assert_eq!(first.json()["merged"], false);
    let second = admin.post("/api/v1/oneclick/threat", json!({}));
    assert_eq!(second.json()["merged"], true);
    assert_eq!(second.json()["id"], first.json()["id"]);
    assert_eq!(
        admin.get("/api/v1/alerts").json()["alerts"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    server.advance(Duration::from_secs(121));
    let later = admin.post("/api/v1/oneclick/threat", json!({}));
    assert_eq!(
        later.json()["merged"],
        false,
        "outside the window it alarms again"
    );
    assert_ne!(later.json()["id"], first.json()["id"]);
}

#[test]
fn the_rate_guard_stops_an_alarm_storm_from_an_integration() {
    let server = Server::start();
    let admin = server.admin();
    admin.create_member("aino", &["member"]);
    assert_eq!(
        admin
            .patch(
                "/api/v1/settings",
                json!({"max_automated_alerts_per_minute": 3})
            )
            .status,
        200
    );
    let key = admin
        .post("/api/v1/apikeys", json!({"name": "cad", "role": "sender"}))
        .json()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let bearer = format!("Bearer {key}");
    let body = json!({"title": "Automatic", "severity": "warning", "channels": ["app"], "recipients": {"users": ["aino"]}});
    for _ in 0..3 {
        assert_eq!(
            server
                .send(
                    "POST",
                    "/api/v1/alerts",
                    &[("Authorization", &bearer)],
                    Some(body.clone())
                )
                .status,
            202
        );
    }
    let stopped = server.send(
        "POST",
        "/api/v1/alerts",
        &[("Authorization", &bearer)],
        Some(body.clone()),
    );
    assert_eq!(stopped.status, 429);
    assert_eq!(stopped.json()["code"], "rate_guard");
    assert_eq!(stopped.header("retry-after"), Some("60"));
    assert_eq!(
        admin.post("/api/v1/alerts", body).status,
        202,
        "people are not rate-guarded"
    );
    let tripped = admin
        .get("/api/v1/audit?action=alert.rate_guard_tripped")
        .json();
    assert_eq!(tripped["events"].as_array().unwrap().len(), 1);
}

#[test]
fn too_few_coming_brings_in_the_next_group_but_not_twice() {
    let server = Server::start();
    let admin = server.admin();
    for name in ["aino", "elias", "linnea", "oliver"] {
        admin.create_member(name, &["member"]);
    }
    assert_eq!(
        admin
            .post(
                "/api/v1/groups",
                json!({"name": "first", "members": ["aino", "elias"]})
            )
            .status,
        201
    );
    assert_eq!(
        admin
            .post(
                "/api/v1/groups",
                json!({"name": "reserve", "members": ["elias", "linnea", "oliver"]})
            )
            .status,
        201
    );
    let linnea = server.login("acme", "linnea", PASSWORD);
    let reserve = linnea.stream("/api/v1/me/alerts/stream", None);
    let aino = server.login("acme", "aino", PASSWORD);
    let sent = admin.post(
        "/api/v1/alerts",
        json!({"title": "Need crew", "severity": "critical", "channels": ["app"], "recipients": {"groups": ["first"]},
               "escalation": {"min_coming": 2, "coming_within_seconds": 120, "then_groups": ["reserve"], "max_rounds": 1}}),
    );
    assert_eq!(sent.status, 202, "{}", sent.body);
    let id = sent.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        aino.post(
            &format!("/api/v1/alerts/{id}/response"),
            json!({"choice": "Coming"})
        )
        .status,
        200
    );
    assert!(
        reserve.next(Duration::from_millis(700)).is_none(),
        "the reserve waits while there is time"
    );

    server.advance(Duration::from_secs(121));
    let got = reserve.wait_for("alert", WAIT, |d| d["alert"]["id"] == id.as_str());
    assert_eq!(got.data["alert"]["title"], "Need crew");
    std::thread::sleep(Duration::from_millis(300));
    let view = admin.get(&format!("/api/v1/alerts/{id}")).json();
    assert_eq!(
        view["totals"]["recipients"], 4,
        "elias was already alerted: {}",
        view["totals"]
    );
    let vias: Vec<&str> = view["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["via"].as_str().unwrap())
        .collect();
    assert_eq!(
        vias.iter().filter(|v| **v == "escalation:reserve").count(),
        2,
        "{vias:?}"
    );

    server.advance(Duration::from_secs(121));
    std::thread::sleep(Duration::from_millis(600));
    let again = admin.get(&format!("/api/v1/alerts/{id}")).json();
    assert_eq!(
        again["totals"]["recipients"], 4,
        "max_rounds 1: no further rounds"
    );
}

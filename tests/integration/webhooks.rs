//! Webhooks end to end: a receiver started by the test checks every
//! signature, answers 500 to the first tries and sees them retried, then
//! answers 200 and receives each event once; a subscription that fails for
//! a day is paused and the admins told; and a SIGKILL of the real daemon
//! during retries loses nothing.

use crate::inprocess::Server;
use crate::support::Appliance;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request the receiver saw.
#[derive(Debug, Clone)]
struct Seen {
    id: String,
    kind: String,
    body: Value,
    answered: u16,
}

/// A webhook receiver on the loopback: checks the Standard Webhooks
/// signature of every request and answers 500 to the first `fail_first`.
struct Receiver {
    url: String,
    secret: Arc<Mutex<String>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    fail_first: Arc<Mutex<usize>>,
}

impl Receiver {
    fn start(fail_first: usize) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let secret = Arc::new(Mutex::new(String::new()));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let fail_first = Arc::new(Mutex::new(fail_first));
        let (s, v, f) = (secret.clone(), seen.clone(), fail_first.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                handle(stream, &s, &v, &f);
            }
        });
        Receiver {
            url,
            secret,
            seen,
            fail_first,
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The events answered 200, each id once, in the order first taken.
    fn accepted(&self) -> Vec<Seen> {
        let mut out: Vec<Seen> = Vec::new();
        for s in self.seen().into_iter().filter(|s| s.answered == 200) {
            if !out.iter().any(|o| o.id == s.id) {
                out.push(s);
            }
        }
        out
    }

    fn wait_for(&self, what: &str, within: Duration, f: impl Fn(&[Seen]) -> bool) {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if f(&self.seen()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the receiver never saw {what}: {:#?}", self.seen());
    }
}

fn handle(
    stream: std::net::TcpStream,
    secret: &Mutex<String>,
    seen: &Mutex<Vec<Seen>>,
    fail_first: &Mutex<usize>,
) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("POST /hook "), "{line}");
    let mut headers = std::collections::HashMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).unwrap();
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':').unwrap();
        headers.insert(k.trim().to_lowercase(), v.trim().to_owned());
    }
    let length: usize = headers["content-length"].parse().unwrap();
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let id = headers["webhook-id"].clone();
    let timestamp = headers["webhook-timestamp"].clone();
    let signature = headers["webhook-signature"].clone();
    let key = B64
        .decode(secret.lock().unwrap().strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(&body);
    let expected = format!("v1,{}", B64.encode(mac.finalize().into_bytes()));
    assert!(
        signature.split(' ').any(|s| s == expected),
        "bad signature {signature}, expected {expected}"
    );
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["id"], id.as_str());
    let answered = {
        let mut left = fail_first.lock().unwrap();
        if *left > 0 {
            *left -= 1;
            500
        } else {
            200
        }
    };
    seen.lock().unwrap().push(Seen {
        id,
        kind: body["type"].as_str().unwrap().to_owned(),
        body,
        answered,
    });
    let mut stream = stream;
    let reason = if answered == 200 {
        "OK"
    } else {
        "Internal Server Error"
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {answered} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
}

#[test]
fn events_are_signed_retried_after_500_and_received_once() {
    let server = Server::start();
    let admin = server.admin();
    let receiver = Receiver::start(2);

    let r = admin.post(
        "/api/v1/webhooks",
        json!({"url": "http://example.com/hook", "events": ["alert.created"]}),
    );
    assert_eq!(
        r.status, 422,
        "plain http leaves only to loopback: {}",
        r.body
    );
    let r = admin.post(
        "/api/v1/webhooks",
        json!({"url": receiver.url, "events": ["alert.created", "nonsense"]}),
    );
    assert_eq!(r.status, 422, "{}", r.body);

    let r = admin.post(
        "/api/v1/webhooks",
        json!({"url": receiver.url, "events": ["alert.created", "alert.cancelled", "answer"]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    *receiver.secret.lock().unwrap() = secret.clone();
    let hook = created["webhook"]["id"].as_str().unwrap().to_owned();
    // The secret is shown once, never again.
    let listed = admin.get("/api/v1/webhooks");
    assert!(!listed.body.contains(&secret), "{}", listed.body);
    assert_eq!(listed.json()["webhooks"][0]["state"], "active");

    let r = admin.post(
        "/api/v1/alerts",
        json!({"title": "Fire in hall B", "severity": "info", "channels": ["app"], "recipients": {"users": ["root"]}}),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    let alert = r.json()["id"].as_str().unwrap().to_owned();
    let r = admin.post(&format!("/api/v1/alerts/{alert}/cancel"), json!({}));
    assert_eq!(r.status, 200, "{}", r.body);

    // First try: 500. The next waits 5 s, then 15 s, on the appliance's clock.
    receiver.wait_for("a first try", Duration::from_secs(10), |s| s.len() == 1);
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(receiver.seen().len(), 1, "retried before the pause");
    server.advance(Duration::from_secs(5));
    receiver.wait_for("a retry", Duration::from_secs(10), |s| s.len() == 2);
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(receiver.seen().len(), 2, "retried before the pause");
    let listed = admin.get(&format!("/api/v1/webhooks/{hook}")).json();
    assert_eq!(listed["last_error"], "HTTP 500");
    assert_eq!(listed["backlog"], 2);
    server.advance(Duration::from_secs(15));
    receiver.wait_for("both events taken", Duration::from_secs(10), |s| {
        s.iter().filter(|s| s.answered == 200).count() == 2
    });

    let seen = receiver.seen();
    // Every try of the first event carried the same id; in order, each once.
    assert!(seen.iter().take(3).all(|s| s.id == seen[0].id), "{seen:#?}");
    let accepted = receiver.accepted();
    let kinds: Vec<&str> = accepted.iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(kinds, ["alert.created", "alert.cancelled"]);
    assert_eq!(accepted[0].body["data"]["alert"]["id"], alert.as_str());
    assert_eq!(accepted[0].body["data"]["alert"]["title"], "Fire in hall B");
    assert_eq!(accepted[1].body["data"]["alert"]["state"], "cancelled");
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(receiver.seen().len(), 4, "nothing is sent twice once taken");
    let listed = admin.get(&format!("/api/v1/webhooks/{hook}")).json();
    assert_eq!(listed["backlog"], 0);
    assert_eq!(listed["last_error"], Value::Null);

    // The test button.
    let r = admin.post(&format!("/api/v1/webhooks/{hook}/test"), json!({}));
    assert_eq!(r.status, 202, "{}", r.body);
    receiver.wait_for("the test event", Duration::from_secs(10), |s| {
        s.iter().any(|s| s.kind == "test" && s.answered == 200)
    });

    // Every change is in the audit trail.
    let r = admin.patch(
        &format!("/api/v1/webhooks/{hook}"),
        json!({"events": ["escalation"]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = admin.delete(&format!("/api/v1/webhooks/{hook}"));
    assert_eq!(r.status, 204, "{}", r.body);
    let audit = admin.get("/api/v1/audit").body;
    for action in [
        "webhook.created",
        "webhook.tested",
        "webhook.changed",
        "webhook.deleted",
    ] {
        assert!(audit.contains(action), "{action} not audited: {audit}");
    }
}

#[test]
fn a_subscription_failing_for_a_day_is_paused_and_the_admins_told() {
    let server = Server::start();
    let admin = server.admin();
    let receiver = Receiver::start(usize::MAX);
    let r = admin.post(
        "/api/v1/webhooks",
        json!({"url": receiver.url, "events": ["alert.created"]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    *receiver.secret.lock().unwrap() = r.json()["secret"].as_str().unwrap().to_owned();
    let hook = r.json()["webhook"]["id"].as_str().unwrap().to_owned();
    let r = admin.post(
        "/api/v1/alerts",
        json!({"title": "Flood", "severity": "info", "channels": ["app"], "recipients": {"users": ["root"]}}),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    receiver.wait_for("a first try", Duration::from_secs(10), |s| !s.is_empty());

    // Hours of failures, each try after the last pause (at most an hour).
    // Sessions end meanwhile: a fresh login for each look.
    let mut tries = 1;
    while server
        .admin()
        .get(&format!("/api/v1/webhooks/{hook}"))
        .json()["state"]
        == "active"
    {
        assert!(tries < 60, "never paused");
        server.advance(Duration::from_secs(3600));
        tries += 1;
        receiver.wait_for("a retry", Duration::from_secs(10), |s| s.len() >= tries);
        std::thread::sleep(Duration::from_millis(300));
    }
    let admin = server.admin();
    let hook_now = admin.get(&format!("/api/v1/webhooks/{hook}")).json();
    assert_eq!(hook_now["state"], "paused");
    assert!(hook_now["paused_reason"]
        .as_str()
        .unwrap()
        .contains("HTTP 500"));
    assert!(tries >= 24, "paused after {tries} tries");
    let alerts = admin.get("/api/v1/alerts").body;
    assert!(alerts.contains("Webhook paused"), "{alerts}");

    // Paused: nothing more is sent; resumed: the event comes.
    let before = receiver.seen().len();
    server.advance(Duration::from_secs(7200));
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(receiver.seen().len(), before);
    *receiver.fail_first.lock().unwrap() = 0;
    let r = server.admin().patch(
        &format!("/api/v1/webhooks/{hook}"),
        json!({"state": "active"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    receiver.wait_for("the event after resuming", Duration::from_secs(10), |s| {
        s.iter()
            .any(|s| s.answered == 200 && s.kind == "alert.created")
    });
}

#[test]
fn a_sigkill_during_retries_loses_no_event() {
    let mut appliance = Appliance::new();
    appliance.start();
    let receiver = Receiver::start(1);
    let r = appliance.post(
        "/api/v1/webhooks",
        json!({"url": receiver.url, "events": ["alert.created"]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    *receiver.secret.lock().unwrap() = r.json()["secret"].as_str().unwrap().to_owned();
    let mut titles = Vec::new();
    for n in 1..=3 {
        let title = format!("Alarm {n}");
        let r = appliance.post(
            "/api/v1/alerts",
            json!({"title": title, "severity": "info", "channels": ["app"], "recipients": {"users": ["root"]}}),
        );
        assert_eq!(r.status, 202, "{}", r.body);
        titles.push(title);
    }
    // The first try failed; the retry waits 5 s. Killed meanwhile.
    receiver.wait_for("a first try", Duration::from_secs(10), |s| !s.is_empty());
    appliance.kill9();
    appliance.start();
    receiver.wait_for("every event", Duration::from_secs(40), |s| {
        s.iter().filter(|s| s.answered == 200).count() >= 3
    });
    let accepted = receiver.accepted();
    let got: Vec<&str> = accepted
        .iter()
        .map(|s| s.body["data"]["alert"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(got, titles);
    // The event that failed came again under the same id.
    assert_eq!(accepted[0].id, receiver.seen()[0].id);
}

#[test]
fn network_reports_tell_subscribers_and_a_failed_text_escalates_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (server, modems) = crate::sms::server_with_modems(&dir, &["gsm1"]);
    let admin = server.admin();
    crate::devices::wait_ready(&admin, "gsm1");
    const GONE: &str = "+358401000009";
    // TP-ST 0x43: the network knows no such subscriber.
    modems[0].set_report_status(GONE, 0x43);
    for (name, phone) in [("aino", "+358401000001"), ("oskar", GONE)] {
        crate::sms::member_with_phone(&admin, name, phone);
        let r = admin.patch(
            &format!("/api/v1/users/{name}"),
            json!({"channels": ["sms", "app"]}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let receiver = Receiver::start(0);
    let r = admin.post(
        "/api/v1/webhooks",
        json!({"url": receiver.url, "events": ["delivery.changed", "escalation"]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    *receiver.secret.lock().unwrap() = r.json()["secret"].as_str().unwrap().to_owned();

    // The next channel is ten minutes away on the clock, which stands still.
    let r = admin.post(
        "/api/v1/alerts",
        json!({"title": "Gas leak", "severity": "critical", "channels": ["sms", "app"],
               "recipients": {"users": ["aino", "oskar"]},
               "escalation": {"next_channel_after_seconds": 600}}),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    let alert = r.json()["id"].as_str().unwrap().to_owned();

    let states = |user: &str| -> Vec<(String, String)> {
        let view = admin.get(&format!("/api/v1/alerts/{alert}")).json();
        view["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == format!("Member {user}"))
            .map(|r| {
                r["deliveries"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| {
                        let s = |k: &str| d[k].as_str().unwrap_or_default().to_owned();
                        (s("channel"), s("state"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let told = |delivery_state: &str, channel: &str| {
        let (state, channel) = (delivery_state.to_owned(), channel.to_owned());
        move |seen: &[Seen]| {
            seen.iter().any(|s| {
                s.kind == "delivery.changed"
                    && s.body["data"]["delivery"]["state"] == state.as_str()
                    && s.body["data"]["delivery"]["channel"] == channel.as_str()
            })
        }
    };
    // Aino's text is reported delivered, and the subscriber hears of it.
    receiver.wait_for(
        "a delivered text",
        Duration::from_secs(20),
        told("delivered", "sms"),
    );
    // Oskar's is reported failed by the network: the subscriber hears of
    // it, and his app is alerted at once, not after ten minutes.
    receiver.wait_for(
        "a failed text",
        Duration::from_secs(20),
        told("failed", "sms"),
    );
    receiver.wait_for("the escalation", Duration::from_secs(20), |seen| {
        seen.iter()
            .any(|s| s.kind == "escalation" && s.body["data"]["step"]["kind"] == "next_channel")
    });
    let oskar = crate::devices::wait_until("Oskar's app delivery", crate::devices::WAIT, || {
        let s = states("oskar");
        s.iter().any(|(c, _)| c == "app").then_some(s)
    });
    assert!(
        oskar.contains(&("sms".to_owned(), "failed".to_owned())),
        "{oskar:?}"
    );
    let aino = states("aino");
    assert_eq!(
        aino,
        [("sms".to_owned(), "delivered".to_owned())],
        "{aino:?}"
    );
    let failed = receiver
        .accepted()
        .into_iter()
        .find(|s| s.body["data"]["delivery"]["state"] == "failed")
        .unwrap();
    assert_eq!(
        failed.body["data"]["delivery"]["last_error"],
        "the network reports: the recipient's number is unknown or barred"
    );
    assert_eq!(failed.body["data"]["alert_id"], alert.as_str());
    assert!(
        failed.body["data"]["delivery"].get("address").is_none(),
        "no phone number in the event: {}",
        failed.body
    );

    // Oskar reads it in the app: the subscriber hears that too.
    let oskar = server.login("acme", "oskar", crate::inprocess::PASSWORD);
    let r = oskar.post(&format!("/api/v1/me/alerts/{alert}/read"), json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    receiver.wait_for("the app's delivery read", Duration::from_secs(20), |seen| {
        seen.iter().any(|s| {
            s.body["data"]["delivery"]["channel"] == "app"
                && s.body["data"]["delivery"]["read_at"].is_string()
        })
    });
}

//! The email channel against a real SMTP server: valid MIME with both parts,
//! a relay's "try later" (4xx) retried, its refusal (5xx) failing the
//! delivery with the relay's own words.

use crate::devices::{wait_until, WAIT};
use serde_json::{json, Value};
use std::time::Duration;

fn email_delivery(view: &Value, address: &str) -> Value {
    view["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == address || r["via"].as_str().is_some_and(|v| v.contains(address)))
        .and_then(|r| r["deliveries"].as_array())
        .and_then(|d| d.iter().find(|d| d["channel"] == "email"))
        .cloned()
        .unwrap_or(Value::Null)
}

#[test]
fn a_busy_relay_is_tried_again_and_a_refused_address_fails_with_the_relays_words() {
    let smtp = crate::smtp::SmtpServer::start();
    let server = smtp.appliance();
    let admin = server.admin();
    let sent = admin.post(
        "/api/v1/alerts",
        json!({"title": "Boiler pressure high", "body": "Check valve 2 — 7,5 bar", "severity": "warning",
               "channels": ["email"],
               "recipients": {"emails": ["kim@acme.example", "busy.one@acme.example", "nobody@acme.example"]}}),
    );
    assert_eq!(sent.status, 202, "{}", sent.body);
    let id = sent.json()["id"].as_str().unwrap().to_owned();

    let mails = smtp.wait_for(1, WAIT);
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].to, "kim@acme.example");
    assert_eq!(
        mails[0].mime, "multipart/alternative text/plain,text/html defects=0",
        "Python's MIME parser reads a clean two-part message"
    );
    assert!(!mails[0].message_id.is_empty());

    let view = wait_until("the relay's answers recorded", WAIT, || {
        let view = admin.get(&format!("/api/v1/alerts/{id}")).json();
        let busy = email_delivery(&view, "busy.one@acme.example");
        let nobody = email_delivery(&view, "nobody@acme.example");
        (nobody["state"] == "failed" && !busy["last_error"].is_null()).then_some(view)
    });
    let nobody = email_delivery(&view, "nobody@acme.example");
    let why = nobody["last_error"].as_str().unwrap();
    assert!(
        why.contains("550") && why.contains("No such mailbox here"),
        "the relay's reply, word for word: {why}"
    );
    let busy = email_delivery(&view, "busy.one@acme.example");
    assert_ne!(busy["state"], "failed", "{busy}");
    assert!(
        busy["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("Mailbox busy")),
        "{busy}"
    );
    assert_eq!(email_delivery(&view, "kim@acme.example")["state"], "sent");

    // The retry comes after the back-off.
    server.advance(Duration::from_secs(6));
    let mails = smtp.wait_for(2, WAIT);
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert_eq!(mails[1].to, "busy.one@acme.example");
    let view = wait_until("the retried delivery sent", WAIT, || {
        let view = admin.get(&format!("/api/v1/alerts/{id}")).json();
        (email_delivery(&view, "busy.one@acme.example")["state"] == "sent").then_some(view)
    });
    assert_eq!(
        email_delivery(&view, "busy.one@acme.example")["attempts"],
        2
    );
    assert_eq!(smtp.mails().len(), 2, "the refused address got nothing");
}

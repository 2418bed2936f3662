//! SIGKILL in the middle of an alert: after a restart every delivery reaches a
//! terminal state, none is lost, and the only duplicates are deliveries that
//! were being sent at the moment of the kill.

use crate::smtp::SmtpServer;
use crate::support::*;
use serde_json::json;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tocsin::store::{DeliveryState, Store};

#[test]
fn sigkill_mid_alert_loses_nothing_and_duplicates_only_what_was_in_flight() {
    let smtp = SmtpServer::start();
    let mut appliance = Appliance::new();
    let mut config = std::fs::read_to_string(&appliance.config).unwrap().replace(
        "[http]\n",
        "[http]\npublic_url = \"https://tocsin.acme.example:8443\"\n",
    );
    config.push_str(&format!(
        "[email]\nsmtp_url = \"{}\"\nfrom = \"Tocsin <alerts@acme.example>\"\nper_minute = 6000\n",
        smtp.url()
    ));
    std::fs::write(&appliance.config, config).unwrap();
    appliance.start();

    let emails: Vec<String> = (0..1000)
        .map(|i| format!("person{i}@acme.example"))
        .collect();
    let sent = appliance.post(
        "/api/v1/alerts",
        json!({"title": "Evacuate", "severity": "critical", "channels": ["email"], "recipients": {"emails": emails}}),
    );
    assert_eq!(sent.status, 202, "{}", sent.body);
    assert_eq!(sent.json()["deliveries"]["email"], 1000);
    let id = sent.json()["id"].as_str().unwrap().to_owned();

    let before = smtp.wait_for(150, Duration::from_secs(30)).len();
    assert!(before >= 150, "only {before} mails before the kill");
    appliance.kill9();
    let at_kill = smtp.mails().len();

    let (in_flight, sent_before) = {
        let store = Store::open(&appliance.data_dir().join("store")).unwrap();
        let org = store.org_by_slug("acme").unwrap().unwrap();
        let deliveries = store.org(org.id).deliveries(id.parse().unwrap()).unwrap();
        assert_eq!(
            deliveries.len(),
            1000,
            "every delivery was on disk before the 202"
        );
        let count = |s: DeliveryState| deliveries.iter().filter(|d| d.state == s).count();
        (count(DeliveryState::Sending), count(DeliveryState::Sent))
    };
    assert!(
        sent_before < 1000,
        "the kill came too late to prove anything"
    );

    appliance.start();
    let deadline = Instant::now() + Duration::from_secs(90);
    let totals = loop {
        let view = appliance.get(&format!("/api/v1/alerts/{id}")).json();
        let deliveries = view["totals"]["deliveries"].clone();
        if deliveries["queued"].is_null() && deliveries["sending"].is_null() {
            break deliveries;
        }
        assert!(
            Instant::now() < deadline,
            "deliveries still pending: {deliveries}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(totals["sent"], 1000, "every delivery ends sent: {totals}");

    let mails = smtp.wait_for(1000, Duration::from_secs(10));
    let mut per_delivery: HashMap<String, usize> = HashMap::new();
    for mail in &mails {
        let delivery = mail
            .message_id
            .trim_start_matches('<')
            .split('.')
            .next()
            .unwrap()
            .to_owned();
        *per_delivery.entry(delivery).or_default() += 1;
    }
    assert_eq!(per_delivery.len(), 1000, "every recipient got the alert");
    let duplicates = mails.len() - per_delivery.len();
    eprintln!(
        "crash test: {at_kill} mails before the kill, {sent_before} recorded sent, {in_flight} in flight, {duplicates} duplicates after restart"
    );
    assert!(
        duplicates <= in_flight,
        "{duplicates} duplicates but only {in_flight} were in flight"
    );
}

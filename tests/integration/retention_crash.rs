//! SIGKILL in the middle of a retention sweep leaves every alert whole or
//! wholly gone, never half-removed; the next start finishes the sweep.

use crate::history::seed_alerts;
use crate::support::*;
use std::time::Duration;
use time::OffsetDateTime;
use tocsin::ids::Id;
use tocsin::store::Store;

const ALERTS: usize = 100;
const PER_ALERT: usize = 100;

/// Whether an alert is there whole (true), gone whole (false), or panics
/// naming what is half there.
fn whole(store: &Store, org: Id, alert: Id, members: &[Id]) -> bool {
    let handle = store.org(org);
    let there = handle.alert(alert).unwrap().is_some();
    let recipients = handle.recipients(alert).unwrap().len();
    let indexed = members
        .iter()
        .filter(|m| handle.recipient_of_user(alert, **m).unwrap().is_some())
        .count();
    let events = handle.alert_events(alert).unwrap().len();
    if there {
        assert_eq!(recipients, PER_ALERT, "alert {alert}: recipients missing");
        assert_eq!(indexed, PER_ALERT, "alert {alert}: feed entries missing");
    } else {
        assert_eq!(recipients, 0, "alert {alert} gone but recipients left");
        assert_eq!(events, 0, "alert {alert} gone but timeline left");
        let feed_left = members.iter().any(|m| {
            handle
                .alerts_of_user(*m)
                .unwrap()
                .iter()
                .any(|(a, _)| *a == alert)
        });
        assert!(!feed_left, "alert {alert} gone but feed entries left");
    }
    there
}

#[test]
fn sigkill_during_a_retention_sweep_leaves_nothing_half_removed() {
    let mut appliance = Appliance::new();
    let members: Vec<Id> = (0..PER_ALERT).map(|_| Id::new()).collect();
    let (org, alerts) = {
        let store = Store::open(&appliance.data_dir().join("store")).unwrap();
        let org = store.org_by_slug("acme").unwrap().unwrap().id;
        // Two years ago, a few hours apart: all past the default year.
        let first = OffsetDateTime::now_utc() - time::Duration::days(730);
        let alerts = seed_alerts(
            &store.org(org),
            &members,
            ALERTS,
            PER_ALERT,
            first,
            time::Duration::hours(6),
        );
        (org, alerts)
    };

    appliance.start();
    appliance.wait_until("the sweep started", || {
        appliance
            .stderr()
            .contains("removing alerts past their retention")
            .then_some(())
    });
    std::thread::sleep(Duration::from_millis(600));
    appliance.kill9();

    let store = Store::open(&appliance.data_dir().join("store")).unwrap();
    let kept = alerts
        .iter()
        .filter(|a| whole(&store, org, **a, &members))
        .count();
    eprintln!(
        "retention crash: {} of {ALERTS} alerts removed before the kill",
        ALERTS - kept
    );
    assert!(
        kept > 0 && kept < ALERTS,
        "the kill came {} to prove anything ({kept} kept)",
        if kept == 0 { "too late" } else { "too early" }
    );
    drop(store);

    appliance.start();
    appliance.wait_until("the sweep finished after the restart", || {
        let last = alerts.last().unwrap();
        (appliance.get(&format!("/api/v1/alerts/{last}")).status == 404).then_some(())
    });
}

//! Alert history written straight to the store, as a year of use leaves
//! it: alerts spread over time, each to many members with an app delivery
//! and an answer. Shared by the retention tests and benchmark.

use time::{Duration, OffsetDateTime};
use tocsin::ids::Id;
use tocsin::store::{
    Actor, ActorKind, Alert, AlertState, Channel, Delivery, DeliveryState, NewAlertBatch, OrgStore,
    Recipient, Response, Severity,
};

/// Writes `alerts` alerts, evenly spread from `first` with `spacing`
/// between them, each to `per_alert` of `members` (in turn); their ids.
pub fn seed_alerts(
    org: &OrgStore,
    members: &[Id],
    alerts: usize,
    per_alert: usize,
    first: OffsetDateTime,
    spacing: Duration,
) -> Vec<Id> {
    let mut ids = Vec::with_capacity(alerts);
    let mut next_member = 0;
    for n in 0..alerts {
        let at = first + spacing * u32::try_from(n).unwrap();
        let alert = Alert {
            id: Id::at(at),
            title: format!("Drill {n}"),
            body: "A drill".to_owned(),
            severity: Severity::Warning,
            channels: vec![Channel::App],
            responses: vec!["Coming".to_owned(), "Not coming".to_owned()],
            allow_eta: true,
            allow_text: false,
            escalation: None,
            state: AlertState::Active,
            created_by: Actor {
                kind: ActorKind::Shell,
                id: None,
                name: "seed".to_owned(),
            },
            created_at: at,
            cancelled_at: None,
            idempotency_key: None,
            tetra_callout: None,
            tetra_status: None,
            location: None,
            sealed: None,
            follows: None,
        };
        let mut batch = NewAlertBatch::default();
        for _ in 0..per_alert {
            let user = members[next_member % members.len()];
            next_member += 1;
            let id = Id::at(at);
            batch.recipients.push(Recipient {
                id,
                alert_id: alert.id,
                user_id: Some(user),
                name: format!("Member {user}"),
                phone: None,
                email: None,
                issi: None,
                gssi: None,
                channels: vec![Channel::App],
                channels_used: 1,
                via: "user".to_owned(),
                response: Some(Response {
                    choice: "Coming".to_owned(),
                    eta_minutes: Some(10),
                    text: None,
                    channel: Channel::App,
                    first_at: at,
                    at,
                }),
                deliveries: Vec::new(),
            });
            batch.deliveries.push(Delivery {
                id: Id::at(at),
                alert_id: alert.id,
                recipient_id: id,
                channel: Channel::App,
                address: user.to_string(),
                state: DeliveryState::Delivered,
                priority: 1,
                attempts: 1,
                next_attempt_at: at,
                last_error: None,
                created_at: at,
                updated_at: at,
                read_at: Some(at),
            });
        }
        org.create_alert(&alert, &batch).unwrap();
        ids.push(alert.id);
    }
    // As the running service would have, long ago.
    org.store().spread_all().unwrap();
    org.store().flush_blocking().unwrap();
    ids
}

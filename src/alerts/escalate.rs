//! Escalation timers, kept in the store by due time so they survive restarts.
//!
//! - `NextChannel`: a recipient who has not answered is tried on their next
//!   channel (app → SMS → voice, in their order), when the policy's time
//!   is up or at once when a delivery fails for good.
//! - `GroupShortfall`: with fewer "coming" answers than wanted, more groups
//!   are alerted, up to the policy's number of rounds.
//!
//! Each timer's effect is written in one batch with the timer's removal, so a
//! crash never applies a step twice or loses it.

use super::{first_step, reach, seconds, user_recipient};
use crate::ids::Id;
use crate::store::{
    AlertEvent, AlertState, DueTimer, NewAlertBatch, Store, StoreError, TimerAction,
};
use time::OffsetDateTime;

/// What a timer did: app deliveries to announce on members' streams once
/// flushed.
#[derive(Debug, Default)]
pub struct TimerOutcome {
    pub app: Vec<super::AppNotice>,
}

/// What a `delivery.changed` webhook tells of a delivery: not its address,
/// which the subscriber can read from the alert with a key that may.
#[derive(serde::Serialize)]
struct DeliveryChanged<'a> {
    id: Id,
    channel: crate::store::Channel,
    state: crate::store::DeliveryState,
    attempts: u32,
    last_error: Option<&'a str>,
    #[serde(with = "time::serde::rfc3339::option")]
    read_at: Option<OffsetDateTime>,
}

/// A delivery's state changed, whoever learnt it (the dispatcher, a status
/// report, a call, the member's app): the organisation's subscriptions hear
/// of it, and a failed delivery moves the recipient on to their next
/// channel at once. For callers that have stored the change; blocks on the
/// store.
pub fn delivery_settled(
    store: &Store,
    r: crate::store::DeliveryRef,
    d: &crate::store::Delivery,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let told = DeliveryChanged {
        id: d.id,
        channel: d.channel,
        state: d.state,
        attempts: d.attempts,
        last_error: d.last_error.as_deref(),
        read_at: d.read_at,
    };
    store.emit_webhook(
        r.org,
        "delivery.changed",
        serde_json::json!({"alert_id": r.alert, "recipient_id": r.recipient, "delivery": told}),
        now,
    );
    if d.state == crate::store::DeliveryState::Failed && escalate_failed(store, r, now)? {
        super::span(r.org, r.alert).in_scope(|| {
            tracing::info!(recipient = %r.recipient, "a delivery failed; the next channel is due now");
        });
        store.flush_blocking()?;
    }
    Ok(())
}

/// A delivery failed for good: when the alert escalates from channel to
/// channel, the recipient's next channel is due now rather than when the
/// policy's time is up. `true` when a step was set.
fn escalate_failed(
    store: &Store,
    r: crate::store::DeliveryRef,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let org = store.org(r.org);
    let Some(alert) = org.alert(r.alert)? else {
        return Ok(false);
    };
    let by_channel = alert
        .escalation
        .as_ref()
        .is_some_and(|e| e.next_channel_after_seconds.is_some());
    if alert.state != AlertState::Active || !by_channel {
        return Ok(false);
    }
    let Some(recipient) = org.recipient(alert.id, r.recipient)? else {
        return Ok(false);
    };
    let failed = recipient
        .deliveries
        .iter()
        .find(|d| d.id == r.delivery)
        .map(|d| d.channel);
    let latest = recipient
        .channels_used
        .checked_sub(1)
        .and_then(|i| recipient.channels.get(i))
        .copied();
    // Only the channel in use now moves on: an earlier channel failing
    // late changes nothing.
    if recipient.response.is_some()
        || recipient.channels_used >= recipient.channels.len()
        || failed.is_none()
        || failed != latest
    {
        return Ok(false);
    }
    let batch = NewAlertBatch {
        timers: vec![(
            now,
            TimerAction::NextChannel {
                recipient: recipient.id,
                step: Some(recipient.channels_used),
            },
        )],
        ..NewAlertBatch::default()
    };
    org.extend_alert(alert.id, &batch, None)?;
    Ok(true)
}

/// Applies one due timer.
pub fn handle_timer(
    store: &Store,
    timer: &DueTimer,
    now: OffsetDateTime,
) -> Result<TimerOutcome, StoreError> {
    let org = store.org(timer.org);
    let Some(alert) = org.alert(timer.alert)? else {
        store.complete_timer(timer)?;
        return Ok(TimerOutcome::default());
    };
    let Some(policy) = alert
        .escalation
        .clone()
        .filter(|_| alert.state == AlertState::Active)
    else {
        store.complete_timer(timer)?;
        return Ok(TimerOutcome::default());
    };
    let mut batch = NewAlertBatch::default();
    match &timer.action {
        TimerAction::NextChannel { recipient, step } => {
            let Some(mut r) = org.recipient(alert.id, *recipient)? else {
                store.complete_timer(timer)?;
                return Ok(TimerOutcome::default());
            };
            let taken = step.is_some_and(|s| s != r.channels_used);
            if r.response.is_some() || taken {
                store.complete_timer(timer)?;
                return Ok(TimerOutcome::default());
            }
            let Some(channel) = reach(&alert, &mut r, 1, now, &mut batch).first().copied() else {
                store.complete_timer(timer)?;
                return Ok(TimerOutcome::default());
            };
            batch.events.push(AlertEvent {
                id: Id::new(),
                at: now,
                kind: "escalation".to_owned(),
                detail: serde_json::json!({"step": "next_channel", "recipient": r.id, "name": r.name, "channel": channel}),
            });
            batch.recipients.push(r);
        }
        TimerAction::GroupShortfall { round } => {
            let recipients = org.recipients(alert.id)?;
            let coming = recipients
                .iter()
                .filter(|r| {
                    r.response
                        .as_ref()
                        .is_some_and(|resp| alert.responses.first() == Some(&resp.choice))
                })
                .count();
            let wanted = usize::try_from(policy.min_coming.unwrap_or(0)).unwrap_or(usize::MAX);
            if coming >= wanted {
                store.complete_timer(timer)?;
                return Ok(TimerOutcome::default());
            }
            let present: std::collections::HashSet<Id> =
                recipients.iter().filter_map(|r| r.user_id).collect();
            let mut added = std::collections::HashSet::new();
            for group_id in &policy.then_groups {
                let Some(group) = org.group(*group_id)? else {
                    continue;
                };
                for member in &group.members {
                    if present.contains(member) || !added.insert(*member) {
                        continue;
                    }
                    let Some(user) = org.contact(*member)?.filter(|u| !u.deactivated) else {
                        continue;
                    };
                    let mut r = user_recipient(
                        &user,
                        &alert.channels,
                        format!("escalation:{}", group.name),
                    );
                    r.alert_id = alert.id;
                    reach(&alert, &mut r, first_step(&alert), now, &mut batch);
                    batch.recipients.push(r);
                }
            }
            if *round < policy.max_rounds {
                if let Some(within) = policy.coming_within_seconds {
                    batch.timers.push((
                        now + seconds(within),
                        TimerAction::GroupShortfall { round: round + 1 },
                    ));
                }
            }
            batch.events.push(AlertEvent {
                id: Id::new(),
                at: now,
                kind: "escalation".to_owned(),
                detail: serde_json::json!({"step": "more_groups", "round": round, "coming": coming, "wanted": wanted, "added": batch.recipients.len()}),
            });
        }
    }
    org.extend_alert(alert.id, &batch, Some(timer))?;
    Ok(TimerOutcome {
        app: super::app_notices(&batch.deliveries),
    })
}

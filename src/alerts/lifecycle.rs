//! An alert's life in the store: creating it (with its recipients,
//! deliveries and timers), firing a template, changing its text,
//! cancelling it and the all-clear that follows.

use super::*;

static SERIALISED_CREATES: std::sync::Mutex<()> = std::sync::Mutex::new(());
/// Checks, resolves and stores a new alert with its audit event (not yet
/// flushed). Triggers reach it through [`Engine::raise`].
pub(super) fn create(
    org: &OrgStore,
    access: &Access,
    actor: Actor,
    request: AlertRequest,
    idempotency_key: Option<String>,
    audit: Option<Entry>,
    now: OffsetDateTime,
) -> Result<Created, AlertError> {
    // Two requests with one key must not both see it free, nor two call-outs
    // one number: such creations are serialised (the store allows one
    // process, so a lock suffices).
    let _serialised =
        (idempotency_key.is_some() || request.tetra_callout.is_some()).then(serialise);
    create_serialised(org, access, actor, request, idempotency_key, audit, now)
}

pub(super) fn serialise() -> std::sync::MutexGuard<'static, ()> {
    SERIALISED_CREATES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(super) fn create_serialised(
    org: &OrgStore,
    access: &Access,
    actor: Actor,
    request: AlertRequest,
    idempotency_key: Option<String>,
    audit: Option<Entry>,
    now: OffsetDateTime,
) -> Result<Created, AlertError> {
    check_request(&request)?;
    let alert_id = Id::new();
    if let Some(key) = &idempotency_key {
        if let Some(existing) = org.claim_idempotency_key(key, alert_id)? {
            return existing_alert(org, existing);
        }
    }
    let escalation = resolve_escalation(org, access, request.escalation.as_ref())?;
    let mut recipients = resolve(org, access, &request, now)?;
    // An area followed may be empty now: members entering it get the alert.
    if recipients.is_empty() && !request.recipients.follow {
        return Err(invalid(
            "recipients",
            "names nobody: give users, groups, roles, phones, emails or TETRA ids",
        ));
    }
    if recipients.len() > MAX_RECIPIENTS {
        return Err(invalid(
            "recipients",
            format!(
                "reaches {} people; at most {MAX_RECIPIENTS}",
                recipients.len()
            ),
        ));
    }
    let responses = if request.responses.is_empty() {
        DEFAULT_RESPONSES.iter().map(|s| (*s).to_owned()).collect()
    } else {
        request.responses.clone()
    };
    let alert = Alert {
        id: alert_id,
        title: request.title.trim().to_owned(),
        body: request.body.trim().to_owned(),
        severity: request.severity,
        channels: request.channels.clone(),
        responses,
        allow_eta: request.allow_eta,
        allow_text: request.allow_text,
        escalation,
        state: AlertState::Active,
        created_by: actor,
        created_at: now,
        cancelled_at: None,
        idempotency_key,
        tetra_callout: request.tetra_callout.as_ref().map(|spec| TetraCallout {
            severity: spec.severity.unwrap_or(match request.severity {
                Severity::Critical => 15,
                Severity::Warning => 8,
                Severity::Info => 3,
            }),
            number: 0,
            clear: false,
        }),
        tetra_status: request.tetra_status.clone(),
        location: request.location.clone(),
        sealed: request.sealed.clone(),
        follows: None,
    };
    let mut alert = alert;
    if let Some(callout) = &mut alert.tetra_callout {
        callout.number = claim_callout_number(org, alert_id, now)?;
    }
    for r in &mut recipients {
        r.alert_id = alert_id;
    }
    let mut batch = NewAlertBatch::default();
    let mut per_channel: BTreeMap<Channel, usize> = BTreeMap::new();
    let mut unreachable = 0;
    for mut recipient in recipients {
        let reached = reach(&alert, &mut recipient, first_step(&alert), now, &mut batch);
        if reached.is_empty() {
            unreachable += 1;
        }
        for channel in reached {
            *per_channel.entry(channel).or_default() += 1;
        }
        batch.recipients.push(recipient);
    }
    if let Some(within) = alert
        .escalation
        .as_ref()
        .and_then(|e| e.min_coming.and(e.coming_within_seconds))
    {
        batch.timers.push((
            now + seconds(within),
            TimerAction::GroupShortfall { round: 1 },
        ));
    }
    let recipient_count = batch.recipients.len();
    batch.events.push(AlertEvent {
        id: Id::new(),
        at: now,
        kind: "created".to_owned(),
        detail: serde_json::json!({
            "by": alert.created_by.name,
            "recipients": recipient_count,
            "deliveries": per_channel.iter().map(|(c, n)| (c.name(), *n)).collect::<BTreeMap<_, _>>(),
        }),
    });
    if let Some(entry) = audit {
        let said = format!("{} ({recipient_count} recipients)", alert.title);
        let detail = match &entry.detail {
            Some(via) => format!("{said}, {via}"),
            None => said,
        };
        batch
            .audit
            .push(entry.target(alert_id).detail(detail).event(Id::new(), now));
    }
    org.create_alert(&alert, &batch)?;
    if let (Some(area), true) = (&request.recipients.area, request.recipients.follow) {
        org.follow_area(&crate::store::FollowedArea {
            alert: alert.id,
            area: area.clone(),
        })?;
    }
    Ok(Created {
        app: app_notices(&batch.deliveries),
        alert,
        recipients: recipient_count,
        deliveries: per_channel,
        unreachable,
        existing: false,
    })
}

/// A call-out number no other active call-out on the air holds: radios
/// answer a call-out by its number alone.
pub(super) fn claim_callout_number(
    org: &OrgStore,
    alert: Id,
    now: OffsetDateTime,
) -> Result<u8, AlertError> {
    let store = org.store();
    store
        .claim_callout_number(org.org_id(), alert, now, |holder_org, holder| {
            Ok(store
                .org(holder_org)
                .alert(holder)?
                .is_some_and(|a| a.state == AlertState::Active))
        })?
        .ok_or(AlertError::Conflict(
            "all 15 TETRA call-out numbers are held by active call-outs; cancel one first",
        ))
}

pub(super) fn existing_alert(org: &OrgStore, id: Id) -> Result<Created, AlertError> {
    let alert = org.alert(id)?.ok_or(AlertError::NotFound("alert"))?;
    let recipients = org.recipients(id)?;
    let mut per_channel: BTreeMap<Channel, usize> = BTreeMap::new();
    for d in org.deliveries(id)? {
        *per_channel.entry(d.channel).or_default() += 1;
    }
    Ok(Created {
        alert,
        unreachable: recipients.iter().filter(|r| r.channels.is_empty()).count(),
        recipients: recipients.len(),
        deliveries: per_channel,
        existing: true,
        app: Vec::new(),
    })
}

/// How many of a recipient's channels are used at first: one when the alert
/// escalates channel by channel, all of them otherwise.
pub(crate) fn first_step(alert: &Alert) -> usize {
    match alert
        .escalation
        .as_ref()
        .and_then(|e| e.next_channel_after_seconds)
    {
        Some(_) => 1,
        None => usize::MAX,
    }
}

/// Reaches a recipient on their next `count` unused channels, and when the
/// alert escalates channel by channel and channels remain, sets the timer for
/// the next. Returns the channels used.
pub(crate) fn reach(
    alert: &Alert,
    recipient: &mut Recipient,
    count: usize,
    now: OffsetDateTime,
    batch: &mut NewAlertBatch,
) -> Vec<Channel> {
    let channels: Vec<Channel> = recipient
        .channels
        .iter()
        .skip(recipient.channels_used)
        .take(count)
        .copied()
        .collect();
    for channel in &channels {
        batch
            .deliveries
            .push(new_delivery(alert, recipient, *channel, now));
    }
    recipient.channels_used += channels.len();
    let after = alert
        .escalation
        .as_ref()
        .and_then(|e| e.next_channel_after_seconds);
    if let (Some(after), true) = (after, recipient.channels_used < recipient.channels.len()) {
        batch.timers.push((
            now + seconds(after),
            TimerAction::NextChannel {
                recipient: recipient.id,
                step: Some(recipient.channels_used),
            },
        ));
    }
    channels
}

pub(crate) fn seconds(n: u32) -> time::Duration {
    time::Duration::seconds(i64::from(n))
}

pub(crate) fn new_delivery(
    alert: &Alert,
    recipient: &Recipient,
    channel: Channel,
    now: OffsetDateTime,
) -> Delivery {
    let address = match channel {
        Channel::App => recipient.user_id.map(|u| u.to_string()),
        Channel::Sms | Channel::Voice => recipient.phone.clone(),
        Channel::Email => recipient.email.clone(),
        Channel::Tetra => recipient
            .issi
            .map(|i| i.to_string())
            .or_else(|| recipient.gssi.map(|g| format!("group:{g}"))),
    };
    // The app channel has no device to wait for: the member's feed entry,
    // stored with the alert, is the message. So an app delivery is sent once
    // stored, and delivered when a stream hands it to the member's client.
    let (state, last_error) = match (channel, &address) {
        (Channel::App, Some(_)) => (DeliveryState::Sent, None),
        (Channel::App, None) => (
            DeliveryState::Failed,
            Some("the recipient has no app account".to_owned()),
        ),
        _ => (DeliveryState::Queued, None),
    };
    Delivery {
        id: Id::new(),
        alert_id: alert.id,
        recipient_id: recipient.id,
        channel,
        address: address.unwrap_or_default(),
        state,
        priority: alert.severity.priority(),
        attempts: 0,
        next_attempt_at: now,
        last_error,
        created_at: now,
        updated_at: now,
        read_at: None,
    }
}

/// Cancels an alert: its pending deliveries stop. With `all_clear`, everyone
/// the alert reached hears that it is over, on the channels that reached
/// them; returns the all-clear alert too.
pub(super) fn cancel(
    org: &OrgStore,
    alert: Id,
    by: &Actor,
    all_clear: bool,
    now: OffsetDateTime,
) -> Result<(Alert, Option<FollowUp>), AlertError> {
    let current = org.alert(alert)?.ok_or(AlertError::NotFound("alert"))?;
    if current.state == AlertState::Cancelled {
        return Err(AlertError::Conflict("the alert is already cancelled"));
    }
    let cancelled = org.cancel_alert(alert, now)?;
    let follow_up = if all_clear {
        let title = format!("All clear: {}", cancelled.title);
        let body = format!(
            "The alert \"{}\" is over. No action is needed.",
            cancelled.title
        );
        send_follow_up(org, &cancelled, title, body, by, now)?
    } else {
        None
    };
    org.add_alert_event(
        alert,
        &AlertEvent {
            id: Id::new(),
            at: now,
            kind: "cancelled".to_owned(),
            detail: serde_json::json!({ "by": by.name, "all_clear": follow_up.as_ref().map(|(a, _)| a.id) }),
        },
    )?;
    Ok((cancelled, follow_up))
}

/// Sends a follow-up (all-clear or update) to everyone `original` reached, on
/// the channels that reached them.
pub(super) fn send_follow_up(
    org: &OrgStore,
    original: &Alert,
    title: String,
    body: String,
    by: &Actor,
    now: OffsetDateTime,
) -> Result<Option<FollowUp>, AlertError> {
    let deliveries = org.deliveries(original.id)?;
    let follow_up = Alert {
        id: Id::new(),
        title,
        body,
        severity: original.severity,
        channels: original.channels.clone(),
        responses: vec!["OK".to_owned()],
        allow_eta: false,
        allow_text: false,
        escalation: None,
        state: AlertState::Active,
        created_by: by.clone(),
        created_at: now,
        cancelled_at: None,
        idempotency_key: None,
        tetra_callout: original
            .tetra_callout
            .map(|c| TetraCallout { clear: true, ..c }),
        tetra_status: None,
        location: None,
        sealed: None,
        follows: Some(original.id),
    };
    let mut batch = NewAlertBatch::default();
    for r in org.recipients(original.id)? {
        let reached: Vec<Channel> = r
            .channels
            .iter()
            .copied()
            .filter(|c| {
                deliveries
                    .iter()
                    .any(|d| d.recipient_id == r.id && d.channel == *c && d.state.reached())
            })
            .collect();
        if reached.is_empty() {
            continue;
        }
        let recipient = Recipient {
            id: Id::new(),
            alert_id: follow_up.id,
            channels_used: reached.len(),
            channels: reached,
            response: None,
            ..r
        };
        for channel in &recipient.channels {
            batch
                .deliveries
                .push(new_delivery(&follow_up, &recipient, *channel, now));
        }
        batch.recipients.push(recipient);
    }
    if batch.recipients.is_empty() {
        return Ok(None);
    }
    batch.events.push(AlertEvent {
        id: Id::new(),
        at: now,
        kind: "created".to_owned(),
        detail: serde_json::json!({ "by": by.name, "follow_up_of": original.id, "recipients": batch.recipients.len() }),
    });
    org.create_alert(&follow_up, &batch)?;
    Ok(Some((follow_up, app_notices(&batch.deliveries))))
}

/// Fires a template: a new alert, or, inside the template's merge window
/// while its last alert is still active, that same alert. With a `message`
/// (the received message that fired it), firing again for the same message
/// finds what the first firing did.
#[allow(clippy::too_many_arguments)]
pub(super) fn fire_template(
    org: &OrgStore,
    access: &Access,
    actor: Actor,
    template: Id,
    detail: Option<&str>,
    message: Option<Id>,
    audit: Option<Entry>,
    now: OffsetDateTime,
) -> Result<Raised, AlertError> {
    let _serialised = serialise();
    let template = org
        .template(template)?
        .ok_or(AlertError::NotFound("template"))?;
    let idempotency_key = message.map(|m| format!("inbound:{m}"));
    if let Some(key) = &idempotency_key {
        if let Some(existing) = org.claim_idempotency_key(key, Id::new())? {
            return Ok(Raised {
                created: existing_alert(org, existing)?,
                merged: false,
            });
        }
    }
    let audit = audit.map(|entry| {
        let named = format!("template {}", template.name);
        match &entry.detail {
            Some(via) => {
                let detail = format!("{named}, {via}");
                entry.detail(detail)
            }
            None => entry.detail(named),
        }
    });
    if let Some(last) = &template.last_fired {
        let window = seconds(template.merge_window_seconds);
        let active = org
            .alert(last.alert)?
            .is_some_and(|a| a.state == AlertState::Active);
        if active && now - last.at < window {
            let event_id = message.unwrap_or_default();
            let event = AlertEvent {
                id: event_id,
                at: now,
                kind: "trigger_merged".to_owned(),
                detail: serde_json::json!({ "by": actor.name, "template": template.name, "detail": detail }),
            };
            match audit {
                Some(mut entry) => {
                    entry.action = "alert.trigger_merged";
                    let entry = entry.target(last.alert).event(event_id, now);
                    org.add_alert_event_audited(last.alert, &event, &entry)?;
                }
                None => org.add_alert_event(last.alert, &event)?,
            }
            if let Some(key) = &idempotency_key {
                org.claim_idempotency_key(key, last.alert)?;
            }
            return Ok(Raised {
                created: existing_alert(org, last.alert)?,
                merged: true,
            });
        }
    }
    let mut request: AlertRequest = serde_json::from_value(template.alert.clone())
        .map_err(|e| invalid("template.alert", e.to_string()))?;
    // What the trigger said (an emergency centre's alarm text) goes with it,
    // within the body's limit; a sealed body can't take plain text, so there
    // it is kept in the alert's timeline only.
    let detail = detail.map(str::trim).filter(|d| !d.is_empty());
    let kept_aside = detail.filter(|_| request.sealed.is_some());
    if let Some(detail) = detail.filter(|_| request.sealed.is_none()) {
        let joined = if request.body.trim().is_empty() {
            detail.to_owned()
        } else {
            format!("{}\n{detail}", request.body.trim_end())
        };
        request.body = joined.chars().take(4000).collect();
    }
    let created = create_serialised(org, access, actor, request, idempotency_key, audit, now)?;
    if let Some(detail) = kept_aside {
        org.add_alert_event(
            created.alert.id,
            &AlertEvent {
                id: Id::new(),
                at: now,
                kind: "trigger_detail".to_owned(),
                detail: serde_json::json!({ "template": template.name, "detail": detail }),
            },
        )?;
    }
    org.set_template_fired(
        template.id,
        crate::store::Fired {
            alert: created.alert.id,
            at: now,
        },
    )?;
    Ok(Raised {
        created,
        merged: false,
    })
}

/// Changes an active alert's text and tells everyone it reached, on the same
/// channels, with an "Update:" message; answers still go to the alert itself.
pub(super) fn update(
    org: &OrgStore,
    alert: Id,
    title: Option<String>,
    body: Option<String>,
    by: &Actor,
    now: OffsetDateTime,
) -> Result<(Alert, Option<FollowUp>), AlertError> {
    let current = org.alert(alert)?.ok_or(AlertError::NotFound("alert"))?;
    if current.state == AlertState::Cancelled {
        return Err(AlertError::Conflict("the alert was cancelled"));
    }
    let title = title
        .map(|t| t.trim().to_owned())
        .unwrap_or_else(|| current.title.clone());
    if title.is_empty() || title.chars().count() > 200 {
        return Err(invalid("title", "must be 1 to 200 characters"));
    }
    if current.sealed.is_some() && body.as_deref().is_some_and(|b| !b.trim().is_empty()) {
        return Err(invalid(
            "body",
            "the alert's text is sealed and can't be changed in plain text; send a new sealed alert",
        ));
    }
    let body = body
        .map(|b| b.trim().to_owned())
        .unwrap_or_else(|| current.body.clone());
    if body.chars().count() > 4000 {
        return Err(invalid("body", "must be at most 4000 characters"));
    }
    let updated = org.update_alert_text(alert, &title, &body)?;
    let follow_up = send_follow_up(
        org,
        &updated,
        format!("Update: {title}"),
        body.clone(),
        by,
        now,
    )?;
    org.add_alert_event(
        alert,
        &AlertEvent {
            id: Id::new(),
            at: now,
            kind: "updated".to_owned(),
            detail: serde_json::json!({ "by": by.name, "title": title, "body": body, "follow_up": follow_up.as_ref().map(|(a, _)| a.id) }),
        },
    )?;
    Ok((updated, follow_up))
}

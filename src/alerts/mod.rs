//! Alerts: who gets one and on which channels, answers, and escalation.
//!
//! [`create`] checks a request, resolves every recipient (users, groups,
//! roles, and ad-hoc numbers, addresses and radio ids that need no account),
//! and writes the alert with one delivery per (recipient, channel) in one
//! atomic batch, so the sender learns at once how many people and channels
//! are reached.

mod engine;
mod escalate;
pub mod links;
mod respond;
mod sealed;
mod view;

pub use engine::{Engine, Notice, Raised, Start, Trigger};

/// The tracing span of one alert: every log line about it (created, each
/// delivery, escalations, answers, cancelled) carries its id, so one
/// alert's path can be followed in the journal.
pub fn span(org: Id, alert: Id) -> tracing::Span {
    tracing::info_span!("alert", %org, id = %alert)
}
use escalate::handle_timer;
pub use respond::{parse_reply, respond, respond_as, ResponseInput};
pub use view::{AlertView, Totals};

use crate::audit::Entry;
use crate::auth::Access;
use crate::ids::Id;
use crate::store::{
    Actor, Alert, AlertEvent, AlertState, Channel, Delivery, DeliveryState, Escalation, Location,
    NewAlertBatch, OrgStore, Recipient, SealedBody, Severity, StoreError, TetraCallout,
    TimerAction, User,
};
use crate::text::{fill, Lang};
use crate::validate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use time::OffsetDateTime;

pub const MAX_RECIPIENTS: usize = 50_000;
static SERIALISED_CREATES: std::sync::Mutex<()> = std::sync::Mutex::new(());
pub const DEFAULT_RESPONSES: [&str; 2] = ["Coming", "Not coming"];

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("{field}: {why}")]
    Invalid { field: String, why: String },
    #[error("{field}: {why}")]
    NotAllowed { field: String, why: String },
    #[error("{0}")]
    Conflict(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn check_location(l: &Location) -> Result<(), AlertError> {
    if !l.lat.is_finite() || !(-90.0..=90.0).contains(&l.lat) {
        return Err(invalid("location.lat", "must be degrees from -90 to 90"));
    }
    if !l.lon.is_finite() || !(-180.0..=180.0).contains(&l.lon) {
        return Err(invalid("location.lon", "must be degrees from -180 to 180"));
    }
    if l.label.chars().count() > 200 {
        return Err(invalid("location.label", "must be at most 200 characters"));
    }
    Ok(())
}

/// The body as channels that can't decrypt (SMS, email, radio) carry it: a
/// sealed body becomes a pointer to the members' app, never its ciphertext.
pub fn outward_body(alert: &Alert, public_url: &str, lang: Lang) -> String {
    match &alert.sealed {
        Some(_) => fill(
            lang,
            "sealed_notice",
            &[("link", &format!("{public_url}/app/#alert={}", alert.id))],
        ),
        None => alert.body.clone(),
    }
}

fn invalid(field: impl Into<String>, why: impl Into<String>) -> AlertError {
    AlertError::Invalid {
        field: field.into(),
        why: why.into(),
    }
}

/// Who an alert goes to. Names or ids of users, groups and roles; numbers,
/// addresses and radio ids of people without an account.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecipientSpec {
    pub users: Vec<String>,
    pub groups: Vec<String>,
    pub roles: Vec<String>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub tetra_issi: Vec<u32>,
    pub tetra_gssi: Vec<u32>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationSpec {
    pub next_channel_after_seconds: Option<u32>,
    pub min_coming: Option<u32>,
    pub coming_within_seconds: Option<u32>,
    #[serde(default)]
    pub then_groups: Vec<String>,
    pub max_rounds: Option<u32>,
}

/// An alert to send: the body of `POST /api/v1/alerts`, and what a template
/// holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRequest {
    pub title: String,
    #[serde(default)]
    pub body: String,
    pub severity: Severity,
    pub channels: Vec<Channel>,
    pub recipients: RecipientSpec,
    #[serde(default)]
    pub responses: Vec<String>,
    #[serde(default)]
    pub allow_eta: bool,
    #[serde(default)]
    pub allow_text: bool,
    pub escalation: Option<EscalationSpec>,
    /// Reach TETRA radios with a call-out (tone, text, Accept/Reject) instead
    /// of a text SDS.
    #[serde(default)]
    pub tetra_callout: Option<TetraCalloutSpec>,
    /// Send a TETRA status instead of a text: a label of the radio profile's
    /// status table ("3") or four hex digits ("8005").
    #[serde(default)]
    pub tetra_status: Option<String>,
    /// Where it happens: members get a map point and a navigation link.
    #[serde(default)]
    pub location: Option<Location>,
    /// The body, encrypted in the sender's browser; `body` must then be empty.
    #[serde(default)]
    pub sealed: Option<SealedBody>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TetraCalloutSpec {
    /// 1 (lowest) to 15 (highest); by default from the alert's severity.
    pub severity: Option<u8>,
}

#[derive(Debug)]
pub struct Created {
    pub alert: Alert,
    pub recipients: usize,
    pub deliveries: BTreeMap<Channel, usize>,
    /// Recipients none of the chosen channels can reach.
    pub unreachable: usize,
    /// True when the idempotency key named an alert that already existed.
    pub existing: bool,
    /// App deliveries to announce on members' open streams once flushed.
    pub app: Vec<AppNotice>,
}

/// A member and the app delivery their open streams should show.
pub type AppNotice = (Id, crate::live::MemberEvent);

/// An alert sent after another (the all-clear), with its app notices.
pub type FollowUp = (Alert, Vec<AppNotice>);

/// The app deliveries among `deliveries`, as notices for the members' streams.
pub fn app_notices(deliveries: &[Delivery]) -> Vec<AppNotice> {
    deliveries
        .iter()
        .filter(|d| d.channel == Channel::App && d.state == DeliveryState::Sent)
        .filter_map(|d| {
            let user = d.address.parse::<Id>().ok()?;
            Some((
                user,
                crate::live::MemberEvent {
                    delivery: d.id,
                    alert: d.alert_id,
                },
            ))
        })
        .collect()
}

/// Checks, resolves and stores a new alert with its audit event (not yet
/// flushed). Triggers reach it through [`Engine::raise`].
fn create(
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

fn serialise() -> std::sync::MutexGuard<'static, ()> {
    SERIALISED_CREATES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn create_serialised(
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
    let mut recipients = resolve(org, access, &request)?;
    if recipients.is_empty() {
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
fn claim_callout_number(org: &OrgStore, alert: Id, now: OffsetDateTime) -> Result<u8, AlertError> {
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

fn existing_alert(org: &OrgStore, id: Id) -> Result<Created, AlertError> {
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

pub fn check_request(r: &AlertRequest) -> Result<(), AlertError> {
    if r.tetra_callout
        .as_ref()
        .and_then(|c| c.severity)
        .is_some_and(|s| !(1..=15).contains(&s))
    {
        return Err(invalid("tetra_callout.severity", "must be from 1 to 15"));
    }
    if let Some(status) = &r.tetra_status {
        if r.tetra_callout.is_some() {
            return Err(invalid(
                "tetra_status",
                "a call-out and a status can't go together",
            ));
        }
        let ok = !status.is_empty()
            && status.len() <= 8
            && status.chars().all(|c| c.is_ascii_alphanumeric());
        if !ok {
            return Err(invalid(
                "tetra_status",
                "must be a status label such as \"3\" or four hex digits such as \"8005\"",
            ));
        }
    }
    let title = r.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(invalid("title", "must be 1 to 200 characters"));
    }
    if r.body.chars().count() > 4000 {
        return Err(invalid("body", "must be at most 4000 characters"));
    }
    if let Some(location) = &r.location {
        check_location(location)?;
    }
    if let Some(sealed) = &r.sealed {
        if !r.body.trim().is_empty() {
            return Err(invalid(
                "body",
                "must be empty when the body is sealed: the plaintext must not reach the server",
            ));
        }
        sealed::check(sealed).map_err(|(field, why)| invalid(format!("sealed.{field}"), why))?;
    }
    if r.channels.is_empty() {
        return Err(invalid(
            "channels",
            "must name at least one of app, sms, voice, email, tetra",
        ));
    }
    let mut seen = HashSet::new();
    for (i, c) in r.channels.iter().enumerate() {
        if !seen.insert(*c) {
            return Err(invalid(format!("channels[{i}]"), "is named twice"));
        }
    }
    if r.responses.len() > 6 {
        return Err(invalid("responses", "at most 6 options"));
    }
    for (i, option) in r.responses.iter().enumerate() {
        if option.trim().is_empty() || option.chars().count() > 40 {
            return Err(invalid(
                format!("responses[{i}]"),
                "must be 1 to 40 characters",
            ));
        }
    }
    let spec = &r.recipients;
    for (i, phone) in spec.phones.iter().enumerate() {
        validate::e164(phone).map_err(|why| invalid(format!("recipients.phones[{i}]"), why))?;
    }
    for (i, email) in spec.emails.iter().enumerate() {
        validate::email(email).map_err(|why| invalid(format!("recipients.emails[{i}]"), why))?;
    }
    for (i, ssi) in spec.tetra_issi.iter().enumerate() {
        validate::tetra_ssi(*ssi)
            .map_err(|why| invalid(format!("recipients.tetra_issi[{i}]"), why))?;
    }
    for (i, ssi) in spec.tetra_gssi.iter().enumerate() {
        validate::tetra_ssi(*ssi)
            .map_err(|why| invalid(format!("recipients.tetra_gssi[{i}]"), why))?;
    }
    if let Some(e) = &r.escalation {
        if e.next_channel_after_seconds
            .is_some_and(|s| !(5..=86_400).contains(&s))
        {
            return Err(invalid(
                "escalation.next_channel_after_seconds",
                "must be from 5 to 86400",
            ));
        }
        if e.min_coming.is_some() != e.coming_within_seconds.is_some() {
            return Err(invalid(
                "escalation.min_coming",
                "goes together with escalation.coming_within_seconds",
            ));
        }
        if e.coming_within_seconds
            .is_some_and(|s| !(5..=86_400).contains(&s))
        {
            return Err(invalid(
                "escalation.coming_within_seconds",
                "must be from 5 to 86400",
            ));
        }
        if e.min_coming.is_some() && e.then_groups.is_empty() {
            return Err(invalid(
                "escalation.then_groups",
                "must name the groups to alert when too few are coming",
            ));
        }
        if e.max_rounds.is_some_and(|n| n > 10) {
            return Err(invalid("escalation.max_rounds", "must be at most 10"));
        }
    }
    Ok(())
}

/// Escalation groups are recipients too: a sender limited to some groups
/// may escalate only to those.
fn resolve_escalation(
    org: &OrgStore,
    access: &Access,
    spec: Option<&EscalationSpec>,
) -> Result<Option<Escalation>, AlertError> {
    let Some(spec) = spec else {
        return Ok(None);
    };
    let mut then_groups = Vec::new();
    for (i, reference) in spec.then_groups.iter().enumerate() {
        let group = org.find_group(reference)?.ok_or_else(|| {
            invalid(
                format!("escalation.then_groups[{i}]"),
                "no such group in this organisation",
            )
        })?;
        if !access.may_alert_group(group.id) {
            return Err(AlertError::NotAllowed {
                field: format!("escalation.then_groups[{i}]"),
                why: "your roles may not alert this group".to_owned(),
            });
        }
        then_groups.push(group.id);
    }
    Ok(Some(Escalation {
        next_channel_after_seconds: spec.next_channel_after_seconds,
        min_coming: spec.min_coming,
        coming_within_seconds: spec.coming_within_seconds,
        then_groups,
        max_rounds: spec.max_rounds.unwrap_or(1),
    }))
}

/// The channels a user is reached on for an alert: their own preference order
/// where they set one, limited to the alert's channels and to what the user
/// has an address for.
pub fn channels_for(user: &User, alert_channels: &[Channel]) -> Vec<Channel> {
    let preferred: Vec<Channel> = user
        .channels
        .iter()
        .filter_map(|c| Channel::from_name(c))
        .filter(|c| alert_channels.contains(c))
        .collect();
    // A preference never silences an alert: without overlap, the alert's own
    // channels apply.
    let order = if preferred.is_empty() {
        alert_channels.to_vec()
    } else {
        preferred
    };
    order
        .into_iter()
        .filter(|c| user_reachable_on(user, *c))
        .collect()
}

fn user_reachable_on(user: &User, channel: Channel) -> bool {
    match channel {
        Channel::App => user.password_hash.is_some(),
        Channel::Sms | Channel::Voice => !user.phones.is_empty(),
        Channel::Email => user.email.is_some(),
        Channel::Tetra => user.tetra_issi.is_some(),
    }
}

pub(crate) fn user_recipient(user: &User, channels: &[Channel], via: String) -> Recipient {
    Recipient {
        id: Id::new(),
        alert_id: Id::SYSTEM,
        user_id: Some(user.id),
        name: user.name.clone(),
        phone: user.phones.first().cloned(),
        email: user.email.clone(),
        issi: user.tetra_issi,
        gssi: None,
        channels: channels_for(user, channels),
        channels_used: 0,
        via,
        response: None,
        deliveries: Vec::new(),
    }
}

fn ad_hoc(name: String, via: &str, channels: Vec<Channel>) -> Recipient {
    Recipient {
        id: Id::new(),
        alert_id: Id::SYSTEM,
        user_id: None,
        name,
        phone: None,
        email: None,
        issi: None,
        gssi: None,
        channels,
        channels_used: 0,
        via: via.to_owned(),
        response: None,
        deliveries: Vec::new(),
    }
}

fn not_allowed(field: String, why: &str) -> AlertError {
    AlertError::NotAllowed {
        field,
        why: why.to_owned(),
    }
}

fn resolve(
    org: &OrgStore,
    access: &Access,
    request: &AlertRequest,
) -> Result<Vec<Recipient>, AlertError> {
    let spec = &request.recipients;
    let channels = &request.channels;
    let restricted = access.alert_groups.is_some();
    const ONLY_GROUPS: &str = "your role may alert only its own groups";
    let mut seen_users: HashSet<Id> = HashSet::new();
    let mut recipients = Vec::new();

    if restricted {
        if !spec.users.is_empty() {
            return Err(not_allowed("recipients.users".into(), ONLY_GROUPS));
        }
        if !spec.roles.is_empty() {
            return Err(not_allowed("recipients.roles".into(), ONLY_GROUPS));
        }
        if !(spec.phones.is_empty()
            && spec.emails.is_empty()
            && spec.tetra_issi.is_empty()
            && spec.tetra_gssi.is_empty())
        {
            return Err(not_allowed("recipients".into(), ONLY_GROUPS));
        }
    }
    for (i, reference) in spec.users.iter().enumerate() {
        let user = org.find_user(reference)?.ok_or_else(|| {
            invalid(
                format!("recipients.users[{i}]"),
                "no such user in this organisation",
            )
        })?;
        if seen_users.insert(user.id) {
            recipients.push(user_recipient(&user, channels, "user".to_owned()));
        }
    }
    if !spec.groups.is_empty() {
        let users: BTreeMap<Id, User> = org.users()?.into_iter().map(|u| (u.id, u)).collect();
        for (i, reference) in spec.groups.iter().enumerate() {
            let field = format!("recipients.groups[{i}]");
            let group = org
                .find_group(reference)?
                .ok_or_else(|| invalid(field.clone(), "no such group in this organisation"))?;
            if !access.may_alert_group(group.id) {
                return Err(not_allowed(field, "your role may not alert this group"));
            }
            for member in &group.members {
                if let Some(user) = users.get(member) {
                    if seen_users.insert(user.id) {
                        recipients.push(user_recipient(
                            user,
                            channels,
                            format!("group:{}", group.name),
                        ));
                    }
                }
            }
        }
    }
    if !spec.roles.is_empty() {
        let users = org.users()?;
        for (i, role) in spec.roles.iter().enumerate() {
            if org.role_by_name(role)?.is_none() {
                return Err(invalid(
                    format!("recipients.roles[{i}]"),
                    "no such role in this organisation",
                ));
            }
            for user in users.iter().filter(|u| u.roles.contains(role)) {
                if seen_users.insert(user.id) {
                    recipients.push(user_recipient(user, channels, format!("role:{role}")));
                }
            }
        }
    }
    let known_phones: HashSet<String> = recipients.iter().filter_map(|r| r.phone.clone()).collect();
    for phone in unique(&spec.phones) {
        if known_phones.contains(phone) {
            continue;
        }
        let usable = carried_by(channels, &[Channel::Sms, Channel::Voice]);
        let mut r = ad_hoc(phone.clone(), "phone", usable);
        r.phone = Some(phone.clone());
        recipients.push(r);
    }
    let known_emails: HashSet<String> = recipients.iter().filter_map(|r| r.email.clone()).collect();
    for email in unique(&spec.emails) {
        if known_emails.contains(email) {
            continue;
        }
        let usable = carried_by(channels, &[Channel::Email]);
        let mut r = ad_hoc(email.clone(), "email", usable);
        r.email = Some(email.clone());
        recipients.push(r);
    }
    let known_issi: HashSet<u32> = recipients.iter().filter_map(|r| r.issi).collect();
    for issi in unique(&spec.tetra_issi) {
        if known_issi.contains(issi) {
            continue;
        }
        let usable = carried_by(channels, &[Channel::Tetra]);
        let mut r = ad_hoc(format!("ISSI {issi}"), "tetra_issi", usable);
        r.issi = Some(*issi);
        recipients.push(r);
    }
    for gssi in unique(&spec.tetra_gssi) {
        let usable = carried_by(channels, &[Channel::Tetra]);
        let mut r = ad_hoc(format!("talk group {gssi}"), "tetra_gssi", usable);
        r.gssi = Some(*gssi);
        recipients.push(r);
    }
    Ok(recipients)
}

/// The alert's channels that can carry an address of one kind (a phone
/// number goes by SMS or voice, an ISSI by TETRA, ...).
fn carried_by(channels: &[Channel], kinds: &[Channel]) -> Vec<Channel> {
    channels
        .iter()
        .copied()
        .filter(|c| kinds.contains(c))
        .collect()
}

fn unique<T: Eq + std::hash::Hash>(items: &[T]) -> impl Iterator<Item = &T> {
    let mut seen = HashSet::new();
    items.iter().filter(move |i| seen.insert(*i))
}

/// Cancels an alert: its pending deliveries stop. With `all_clear`, everyone
/// the alert reached hears that it is over, on the channels that reached
/// them; returns the all-clear alert too.
fn cancel(
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
fn send_follow_up(
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
fn fire_template(
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
fn update(
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

//! Everything an organisation holds about one person, as one JSON
//! document they can be handed: their profile, memberships, the alerts
//! they received with delivery states and answers, their position and
//! timer, devices and sessions, messages they sent in, and the audit
//! events where they act or are acted on. Nothing about anyone else:
//! an alert appears with the person's own part only.

use crate::ids::Id;
use crate::store::{AuditEvent, AuditFilter, OrgStore, StoreError, User};
use serde_json::{json, Value};
use time::OffsetDateTime;

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The person's own part of the alerts `found` lists (alert, recipient).
fn alerts(org: &OrgStore, found: &[(Id, Id)]) -> Result<Vec<Value>, StoreError> {
    let mut out = Vec::with_capacity(found.len());
    for (alert_id, recipient_id) in found {
        let (Some(alert), Some(r)) = (
            org.alert(*alert_id)?,
            org.recipient(*alert_id, *recipient_id)?,
        ) else {
            continue;
        };
        let deliveries: Vec<Value> = r
            .deliveries
            .iter()
            .map(|d| {
                json!({
                    "channel": d.channel, "address": d.address, "state": d.state,
                    "attempts": d.attempts, "created_at": rfc3339(d.created_at),
                    "updated_at": rfc3339(d.updated_at), "read_at": d.read_at.map(rfc3339),
                })
            })
            .collect();
        out.push(json!({
            "alert": {
                "id": alert.id, "title": alert.title, "severity": alert.severity,
                "state": alert.state, "created_at": rfc3339(alert.created_at),
            },
            "as": {"name": r.name, "phone": r.phone, "email": r.email, "issi": r.issi, "via": r.via},
            "deliveries": deliveries,
            "answer": r.response.as_ref().map(|a| json!({
                "choice": a.choice, "eta_minutes": a.eta_minutes, "text": a.text,
                "channel": a.channel, "first_at": rfc3339(a.first_at), "at": rfc3339(a.at),
            })),
        }));
    }
    Ok(out)
}

fn inbound(org: &OrgStore, addresses: &[String]) -> Result<Vec<Value>, StoreError> {
    let filter = crate::store::InboundFilter {
        limit: usize::MAX,
        ..Default::default()
    };
    Ok(org
        .inbound(&filter)?
        .into_iter()
        .filter(|m| addresses.iter().any(|a| a.eq_ignore_ascii_case(&m.from)))
        .map(|m| {
            json!({
                "id": m.id, "channel": m.channel, "from": m.from, "to": m.to,
                "received_at": rfc3339(m.received_at), "text": m.text, "handling": m.handling,
            })
        })
        .collect())
}

fn audit(org: &OrgStore, about: impl Fn(&AuditEvent) -> bool) -> Result<Vec<Value>, StoreError> {
    let all = AuditFilter {
        limit: usize::MAX,
        ..Default::default()
    };
    let mut events: Vec<Value> = Vec::new();
    for e in org.audit_events(&all)?.into_iter().filter(|e| about(e)) {
        events.push(json!({
            "id": e.id, "at": rfc3339(e.at), "action": e.action, "actor": e.actor.name,
            "target": e.target, "source": e.source, "outcome": e.outcome, "detail": e.detail,
        }));
    }
    events.reverse();
    Ok(events)
}

/// An address as the audit trail names it: enough to tell which request it
/// was, not enough to spread the address itself (`+35840…67`,
/// `a…@example.fi`).
pub fn masked(address: &str) -> String {
    let chars: Vec<char> = address.chars().collect();
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}…@{domain}")
        }
        None => {
            let head: String = chars.iter().take(6).collect();
            let tail: String = chars.iter().skip(chars.len().saturating_sub(2)).collect();
            format!("{head}…{tail}")
        }
    }
}

/// The addresses a user is reached at.
pub(super) fn addresses_of(user: &User) -> Vec<String> {
    let mut addresses = user.phones.clone();
    addresses.extend(user.email.clone());
    addresses
}

/// The export for a member with an account.
pub fn export_user(org: &OrgStore, user: &User, now: OffsetDateTime) -> Result<Value, StoreError> {
    let groups: Vec<Value> = org
        .groups()?
        .into_iter()
        .filter(|g| g.members.contains(&user.id))
        .map(|g| json!({"id": g.id, "name": g.name}))
        .collect();
    let devices: Vec<Value> = org
        .devices_of(user.id)?
        .into_iter()
        .map(|d| {
            json!({
                "id": d.id, "name": d.name, "platform": d.platform,
                "created_at": rfc3339(d.created_at), "last_seen_at": rfc3339(d.last_seen_at),
                "blocked_at": d.blocked_at.map(rfc3339),
            })
        })
        .collect();
    let sessions: Vec<Value> = org
        .sessions_of(user.id)?
        .into_iter()
        .map(|s| {
            json!({
                "id": s.id, "created_at": rfc3339(s.created_at),
                "last_seen_at": rfc3339(s.last_seen_at), "source": s.source,
                "user_agent": s.user_agent,
            })
        })
        .collect();
    let position = org.position(user.id)?.map(
        |p| json!({"lat": p.lat, "lon": p.lon, "accuracy_m": p.accuracy_m, "at": rfc3339(p.at)}),
    );
    let timer = org
        .check_in_timer(user.id)?
        .map(|t| serde_json::to_value(t).unwrap_or(Value::Null));
    let sent: Vec<Value> = org
        .alerts(usize::MAX)?
        .into_iter()
        .filter(|a| a.created_by.id == Some(user.id))
        .map(|a| json!({"id": a.id, "title": a.title, "created_at": rfc3339(a.created_at)}))
        .collect();
    let addresses = addresses_of(user);
    let (id, username) = (user.id.to_string(), user.username.clone());
    Ok(json!({
        "exported_at": rfc3339(now),
        "subject": {"kind": "user", "id": user.id, "username": user.username},
        "profile": {
            "username": user.username, "name": user.name, "phones": user.phones,
            "email": user.email, "tetra_issi": user.tetra_issi, "language": user.language,
            "channels": user.channels, "roles": user.roles, "on_duty": user.on_duty,
            "deactivated": user.deactivated,
            "second_factor": {
                "totp": user.totp.as_ref().is_some_and(|t| t.confirmed),
                "sms": user.sms_second_factor,
            },
            "provisioned_by_scim": user.scim.is_some(),
            "created_at": rfc3339(user.created_at), "updated_at": rfc3339(user.updated_at),
            "password_changed_at": user.password_changed_at.map(rfc3339),
        },
        "groups": groups,
        "alerts_received": alerts(org, &org.alerts_of_user(user.id)?)?,
        "alerts_sent": sent,
        "position": position,
        "check_in_timer": timer,
        "devices": devices,
        "sessions": sessions,
        "messages_sent_in": inbound(org, &addresses)?,
        "audit_events": audit(org, |e| {
            e.actor.id == Some(user.id)
                || e.target.as_deref().is_some_and(|t| t == id || t.eq_ignore_ascii_case(&username))
        })?,
    }))
}

/// The export for a phone number or email address alerts reached without
/// an account.
pub fn export_address(
    org: &OrgStore,
    address: &str,
    now: OffsetDateTime,
) -> Result<Value, StoreError> {
    let addresses = [address.to_owned()];
    Ok(json!({
        "exported_at": rfc3339(now),
        "subject": {"kind": "address"},
        "alerts_received": alerts(org, &org.alerts_of_address(address)?)?,
        "messages_sent_in": inbound(org, &addresses)?,
        "audit_events": audit(org, |e| {
            e.actor.name.eq_ignore_ascii_case(address)
                || e.target.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(address))
        })?,
    }))
}

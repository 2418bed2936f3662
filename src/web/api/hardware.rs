//! The appliance's own devices and what arrived on them: each modem's and
//! radio's state, the SMS pool's and the robot calls' honest time-to-empty,
//! and the organisation's received messages with what Tocsin did with them.

use crate::auth::Permission;
use crate::store::{Channel, InboundFilter, Outcome, StoreError};
use crate::web::extract::Principal;
use crate::web::problem::ApiError;
use crate::web::{blocking, AppState};
use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

#[get("/devices/hardware")]
async fn hardware(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    // Senders see the SMS estimate before they send; device details are for
    // those who manage devices. Shared between organisations, an
    // organisation sees each device's state; the operator also its errors,
    // which may name other organisations' numbers.
    let operator = super::system::operator(&principal).is_ok();
    if !operator {
        principal.require(Permission::SendAlerts)?;
    }
    let whole_view = operator || !shared(&state).await?;
    let devices = if whole_view {
        state.hardware.devices()
    } else if principal.access.allows(Permission::ManageDevices) {
        let mut devices = state.hardware.devices();
        for d in &mut devices {
            d.last_error = None;
            d.last_error_at = None;
        }
        devices
    } else {
        Vec::new()
    };
    let store = state.store.clone();
    let (outbox, storage) = blocking(move || {
        let outbox: std::collections::BTreeMap<&str, usize> = Channel::ALL
            .iter()
            .map(|c| (c.name(), store.outbox_depth(*c)))
            .collect();
        Ok::<_, StoreError>((outbox, store.size_on_disk().ok()))
    })
    .await?;
    let queued = outbox.get("sms").copied().unwrap_or(0);
    let sms = state.hardware.sms.as_ref().map(|pool| {
        let capacity = pool.capacity_per_minute();
        let waiting: usize = pool.modems().iter().map(|m| m.waiting()).sum();
        let backlog = queued + waiting;
        json!({
            "queued": backlog,
            "capacity_per_minute": (capacity * 10.0).round() / 10.0,
            // None when no modem can send: there is no honest estimate.
            "estimated_seconds_to_empty": (capacity > 0.0)
                .then(|| (backlog as f64 * 60.0 / capacity).ceil() as u64),
        })
    });
    let voice_queued = outbox.get("voice").copied().unwrap_or(0);
    let voice = state.hardware.voice.as_ref().map(|channel| {
        let in_calls = channel
            .modems()
            .iter()
            .filter(|m| m.status().in_call)
            .count();
        let backlog = voice_queued + in_calls;
        let per_hour = channel.calls_per_hour();
        json!({
            "modems": channel.modems().len(),
            "queued": backlog,
            "calls_per_hour": per_hour.map(|r| (r * 10.0).round() / 10.0),
            "avg_call_seconds": channel.avg_call_seconds(),
            // None until a call was measured: no honest estimate before.
            "estimated_seconds_to_empty": per_hour
                .filter(|r| *r > 0.0)
                .map(|r| (backlog as f64 * 3600.0 / r).ceil() as u64),
        })
    });
    // Where backups go is the appliance's business: organisations that
    // manage devices see whether each target is current, the operator also
    // why one fails.
    let backups = state
        .backups
        .as_ref()
        .filter(|_| whole_view || principal.access.allows(Permission::ManageDevices))
        .map(|b| {
            let mut status = b.snapshot();
            if !operator {
                for t in &mut status.targets {
                    t.last_error = t.last_error.as_ref().map(|_| "failing".to_owned());
                }
            }
            status
        });
    let now = state.clock.now();
    blocking(move || {
        principal
            .audit("hardware.read", Outcome::Success)
            .write(&principal.org, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({
        "devices": devices, "sms": sms, "voice": voice, "outbox": outbox, "storage_bytes": storage,
        "backups": backups,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct InboundQuery {
    channel: Option<String>,
    from: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    since: Option<OffsetDateTime>,
    limit: Option<usize>,
}

pub(super) fn inbound_filter(q: InboundQuery) -> Result<InboundFilter, ApiError> {
    let channel = match q.channel.as_deref() {
        None => None,
        Some(name) => Some(
            Channel::from_name(name).ok_or_else(|| ApiError::InvalidField {
                field: "channel".to_owned(),
                detail: "must be one of app, sms, voice, email, tetra".to_owned(),
            })?,
        ),
    };
    Ok(InboundFilter {
        channel,
        from: q.from,
        since: q.since,
        limit: q.limit.unwrap_or(100).clamp(1, 1000),
    })
}

/// The organisation's received messages, newest first. Traffic no
/// organisation owns is the appliance operator's (`/system/inbound`).
#[get("/inbound")]
async fn inbound(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<InboundQuery>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::SendAlerts)?;
    let filter = inbound_filter(query.into_inner())?;
    let now = state.clock.now();
    let messages = blocking(move || {
        let org = &principal.org;
        let messages = org.inbound(&filter)?;
        principal
            .audit("inbound.read", Outcome::Success)
            .write(org, now)?;
        Ok::<_, StoreError>(messages)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "messages": messages })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestMessage {
    /// A phone number for a modem, an ISSI for a radio.
    to: String,
    text: Option<String>,
}

/// Sends a test message through one device and waits for its answer, so an
/// admin sees at once whether the modem or radio works.
#[post("/devices/hardware/{name}/test")]
async fn test_message(
    state: web::Data<AppState>,
    principal: Principal,
    name: web::Path<String>,
    body: crate::web::extract::ApiJson<TestMessage>,
) -> Result<HttpResponse, ApiError> {
    // The operator tests towards anyone; on shared hardware, an
    // organisation towards its own people and its assigned senders only.
    let operator = super::system::operator(&principal).is_ok();
    if !operator {
        principal.require(Permission::ManageDevices)?;
    }
    let body = body.0;
    if !operator && shared(&state).await? {
        let org = principal.org.clone();
        let to = body.to.clone();
        let own = blocking(move || addresses_own(&org, &to)).await?;
        if !own {
            return Err(ApiError::field(
                "to",
                "is not a number or radio of this organisation's people or assigned senders",
            ));
        }
    }
    let text = body
        .text
        .clone()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| format!("Tocsin test message from {}", principal.actor.name));
    if text.chars().count() > 500 {
        return Err(ApiError::field("text", "must be at most 500 characters"));
    }
    let modem = state
        .hardware
        .sms
        .as_ref()
        .and_then(|p| p.modems().iter().find(|m| m.name == *name).cloned());
    let radio = state
        .hardware
        .tetra
        .as_ref()
        .and_then(|t| t.radios().iter().find(|r| r.name == *name).cloned());
    let result = match (modem, radio) {
        (Some(modem), _) => {
            crate::validate::e164(&body.to).map_err(|why| ApiError::field("to", why))?;
            modem
                .send(crate::hw::gsm::modem::SmsRequest {
                    to: body.to.clone(),
                    text,
                    status_report: false,
                    tag: None,
                })
                .await
        }
        (None, Some(radio)) => {
            let issi = Some(body.to.as_str())
                .filter(|to| !to.is_empty() && to.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|to| to.parse::<u32>().ok())
                .filter(|i| crate::validate::tetra_ssi(*i).is_ok())
                .ok_or_else(|| ApiError::field("to", "must be a TETRA ISSI"))?;
            radio
                .send(crate::hw::tetra::radio::SdsRequest {
                    to: issi,
                    group: false,
                    payload: crate::hw::tetra::radio::SdsPayload::Text {
                        text,
                        immediate: false,
                    },
                    tag: None,
                })
                .await
        }
        (None, None) => return Err(ApiError::NotFound("device")),
    };
    let now = state.clock.now();
    let outcome = if result.is_ok() {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    let (device, to) = (name.into_inner(), body.to.clone());
    let detail = match &result {
        Ok(_) => format!("to {to}"),
        Err(f) => format!("to {to}: {}", f.reason),
    };
    blocking(move || {
        principal
            .audit("hardware.test_message", outcome)
            .target(&device)
            .detail(detail)
            .write(&principal.org, now)
    })
    .await?;
    state.store.flush().await?;
    match result {
        Ok(references) => {
            Ok(HttpResponse::Accepted().json(json!({"sent": true, "references": references})))
        }
        Err(f) => Ok(HttpResponse::BadGateway().json(json!({"sent": false, "error": f.reason}))),
    }
}

/// Whether more than one organisation shares the appliance's hardware.
async fn shared(state: &AppState) -> Result<bool, ApiError> {
    let store = state.store.clone();
    blocking(move || store.orgs().map(|orgs| orgs.len() > 1)).await
}

/// Whether `to` (a phone number or an ISSI) is one of the organisation's
/// people's, or one of its assigned senders.
fn addresses_own(org: &crate::store::OrgStore, to: &str) -> Result<bool, StoreError> {
    let ssi = to.parse::<u32>().ok();
    let people = org
        .users()?
        .iter()
        .any(|u| u.phones.iter().any(|p| p == to) || (ssi.is_some() && u.tetra_issi == ssi));
    if people {
        return Ok(true);
    }
    let assigned = org.store().assignments(org.org_id())?;
    Ok(assigned.sms_numbers.iter().any(|n| n == to)
        || ssi.is_some_and(|s| assigned.tetra_ssis.contains(&s)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleTest {
    from: u32,
    text: Option<String>,
    status: Option<String>,
}

/// Which of the organisation's TETRA rules a message would fire, and what
/// it would add to the alert; nothing is stored or sent.
#[post("/settings/tetra-rules/test")]
async fn test_rules(
    principal: Principal,
    body: crate::web::extract::ApiJson<RuleTest>,
) -> Result<HttpResponse, ApiError> {
    use crate::store::Said;
    principal.require(Permission::ManageSettings)?;
    let body = body.0;
    let (said, text) = match (&body.text, &body.status) {
        (Some(text), None) => (Said::Text, text.clone()),
        (None, Some(label)) => (
            Said::Status {
                value: 0,
                label: Some(label.clone()),
            },
            format!("status {label}"),
        ),
        _ => return Err(ApiError::field("text", "give either text or status")),
    };
    let org = principal.org.clone();
    let from = body.from;
    let (record, owner) = blocking(move || {
        let store = org.store();
        let owner = store.sender_owner(&crate::store::tetra_sender(from))?;
        Ok::<_, crate::store::StoreError>((store.get_org(org.org_id())?, owner))
    })
    .await?;
    let record = record.ok_or(ApiError::NotFound("organisation"))?;
    // Rules see only senders assigned to their organisation.
    let assigned = owner == Some(record.id);
    // In the inbox's order: rules naming the sender, then the others.
    let rules = &record.settings.tetra_rules;
    let rule = rules
        .iter()
        .filter(|r| !r.from.is_empty())
        .chain(rules.iter().filter(|r| r.from.is_empty()))
        .filter(|_| assigned)
        .find(|r| crate::inbox::rule_matches(r, from, &said, &text));
    let fields: serde_json::Map<String, serde_json::Value> = match (rule, &body.text) {
        (Some(r), Some(text)) => r
            .pattern
            .as_deref()
            .map(|p| crate::inbox::named_fields(p, text))
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, json!(v)))
            .collect(),
        _ => serde_json::Map::new(),
    };
    Ok(HttpResponse::Ok().json(json!({
        "assigned": assigned,
        "rule": rule.map(|r| r.name.clone()),
        "template": rule.map(|r| r.template.clone()),
        "fields": fields,
    })))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(hardware)
        .service(inbound)
        .service(test_message)
        .service(test_rules);
}

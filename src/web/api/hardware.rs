//! The appliance's own devices and what arrived on them: each modem's and
//! radio's state, the SMS pool's honest time-to-empty, and every received
//! message with what Tocsin did with it.

use crate::auth::Permission;
use crate::store::{Channel, InboundFilter, Outcome, StoreError};
use crate::web::extract::Principal;
use crate::web::problem::ApiError;
use crate::web::{blocking, AppState};
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

#[get("/devices/hardware")]
async fn hardware(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageDevices)?;
    let devices = state.hardware.devices();
    let store = state.store.clone();
    let queued = blocking(move || Ok::<_, StoreError>(store.outbox_depth(Channel::Sms))).await?;
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
    let now = state.clock.now();
    blocking(move || {
        principal
            .audit("hardware.read", Outcome::Success)
            .write(&principal.org, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "devices": devices, "sms": sms })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InboundQuery {
    channel: Option<String>,
    from: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    since: Option<OffsetDateTime>,
    limit: Option<usize>,
}

/// Received messages, newest first. Those from senders no organisation
/// knows arrived on the shared hardware and are shown to whoever may manage
/// devices, marked `"unassigned": true`.
#[get("/inbound")]
async fn inbound(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<InboundQuery>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::SendAlerts)?;
    let q = query.into_inner();
    let channel = match q.channel.as_deref() {
        None => None,
        Some(name) => Some(
            Channel::from_name(name).ok_or_else(|| ApiError::InvalidField {
                field: "channel".to_owned(),
                detail: "must be one of app, sms, voice, email, tetra".to_owned(),
            })?,
        ),
    };
    let filter = InboundFilter {
        channel,
        from: q.from,
        since: q.since,
        limit: q.limit.unwrap_or(100).clamp(1, 1000),
    };
    let with_unassigned = principal.access.allows(Permission::ManageDevices);
    let now = state.clock.now();
    let store = state.store.clone();
    let messages = blocking(move || {
        let org = &principal.org;
        let mut out: Vec<serde_json::Value> = org
            .inbound(&filter)?
            .into_iter()
            .map(|m| json!(m))
            .collect();
        if with_unassigned {
            for m in store.unassigned_inbound(&filter)? {
                let mut value = json!(m);
                value["unassigned"] = json!(true);
                out.push(value);
            }
            out.sort_by(|a, b| b["received_at"].as_str().cmp(&a["received_at"].as_str()));
            out.truncate(filter.limit);
        }
        principal
            .audit("inbound.read", Outcome::Success)
            .write(org, now)?;
        Ok::<_, StoreError>(out)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "messages": messages })))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(hardware).service(inbound);
}

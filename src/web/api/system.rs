//! The appliance operator's API under `/api/v1/system`: which senders on the
//! shared modems and radios belong to which organisation, and the traffic
//! no organisation owns. Only the operator (the appliance's own namespace,
//! with `operate_appliance`) reaches it; organisations get 403.

use super::hardware::{inbound_filter, InboundQuery};
use crate::auth::Permission;
use crate::ids::Id;
use crate::store::{Assignments, Outcome, StoreError};
use crate::web::extract::{ApiJson, Principal};
use crate::web::problem::ApiError;
use crate::web::{blocking, AppState};
use actix_web::{get, put, web, HttpResponse};
use serde_json::json;
use std::collections::HashSet;

/// Refuses anyone but the appliance operator.
pub(super) fn operator(principal: &Principal) -> Result<(), ApiError> {
    principal.require(Permission::OperateAppliance)?;
    if principal.org.org_id() != Id::SYSTEM {
        return Err(ApiError::Forbidden(Permission::OperateAppliance));
    }
    Ok(())
}

fn check(assignments: &Assignments) -> Result<(), ApiError> {
    let mut seen = HashSet::new();
    for (i, number) in assignments.sms_numbers.iter().enumerate() {
        crate::validate::e164(number)
            .map_err(|why| ApiError::field(format!("sms_numbers[{i}]"), why))?;
        if !seen.insert(number.clone()) {
            return Err(ApiError::field(
                format!("sms_numbers[{i}]"),
                "is listed twice",
            ));
        }
    }
    let mut seen = HashSet::new();
    for (i, ssi) in assignments.tetra_ssis.iter().enumerate() {
        crate::validate::tetra_ssi(*ssi)
            .map_err(|why| ApiError::field(format!("tetra_ssis[{i}]"), why))?;
        if !seen.insert(*ssi) {
            return Err(ApiError::field(
                format!("tetra_ssis[{i}]"),
                "is listed twice",
            ));
        }
    }
    Ok(())
}

/// The field of the sender the store found taken ("sms:+358…").
fn taken_field(assignments: &Assignments, value: &str) -> String {
    if let Some(i) = assignments
        .sms_numbers
        .iter()
        .position(|n| crate::store::sms_sender(n) == value)
    {
        return format!("sms_numbers[{i}]");
    }
    match assignments
        .tetra_ssis
        .iter()
        .position(|s| crate::store::tetra_sender(*s) == value)
    {
        Some(i) => format!("tetra_ssis[{i}]"),
        None => "body".to_owned(),
    }
}

#[get("/system/organisations")]
async fn organisations(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    operator(&principal)?;
    let store = state.store.clone();
    let list = blocking(move || {
        store
            .orgs()?
            .into_iter()
            .map(|o| {
                let assigned = store.assignments(o.id)?;
                Ok(json!({"slug": o.slug, "name": o.name, "assignments": assigned}))
            })
            .collect::<Result<Vec<_>, StoreError>>()
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "organisations": list })))
}

#[get("/system/assignments/{org}")]
async fn get_assignments(
    state: web::Data<AppState>,
    principal: Principal,
    org: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    operator(&principal)?;
    let store = state.store.clone();
    let slug = org.into_inner();
    let assigned = blocking(move || {
        let Some(org) = store.org_by_slug(&slug)?.filter(|o| o.id != Id::SYSTEM) else {
            return Ok(None);
        };
        store.assignments(org.id).map(Some)
    })
    .await?
    .ok_or(ApiError::NotFound("organisation"))?;
    Ok(HttpResponse::Ok().json(assigned))
}

/// Replaces an organisation's senders. A sender another organisation holds
/// is refused (409, naming the field) and nothing changes.
#[put("/system/assignments/{org}")]
async fn put_assignments(
    state: web::Data<AppState>,
    principal: Principal,
    org: web::Path<String>,
    ApiJson(body): ApiJson<Assignments>,
) -> Result<HttpResponse, ApiError> {
    operator(&principal)?;
    check(&body)?;
    let store = state.store.clone();
    let slug = org.into_inner();
    let now = state.clock.now();
    let saved = blocking(move || {
        let Some(org) = store.org_by_slug(&slug)?.filter(|o| o.id != Id::SYSTEM) else {
            return Ok(Err(ApiError::NotFound("organisation")));
        };
        let saved = match store.set_assignments(org.id, &body) {
            Ok(saved) => saved,
            Err(StoreError::Duplicate { value, .. }) => {
                let sender = value.split_once(':').map_or(value.as_str(), |(_, s)| s);
                return Ok(Err(ApiError::Taken {
                    field: taken_field(&body, &value),
                    detail: format!("{sender} is assigned to another organisation"),
                }));
            }
            Err(e) => return Err(e),
        };
        let detail = format!(
            "sms numbers {:?}, TETRA SSIs {:?}",
            saved.sms_numbers, saved.tetra_ssis
        );
        principal
            .audit("assignments.changed", Outcome::Success)
            .target(&org.slug)
            .detail(detail.clone())
            .write(&principal.org, now)?;
        // The organisation's own trail shows who changed what reaches it.
        principal
            .audit("assignments.changed", Outcome::Success)
            .target(&org.slug)
            .detail(detail)
            .write(&store.org(org.id), now)?;
        store.flush_blocking()?;
        Ok::<_, StoreError>(Ok(saved))
    })
    .await??;
    Ok(HttpResponse::Ok().json(saved))
}

/// Received messages no organisation owns, newest first.
#[get("/system/inbound")]
async fn unassigned_inbound(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<InboundQuery>,
) -> Result<HttpResponse, ApiError> {
    operator(&principal)?;
    let filter = inbound_filter(query.into_inner())?;
    let store = state.store.clone();
    let now = state.clock.now();
    let messages = blocking(move || {
        let messages = store.unassigned_inbound(&filter)?;
        principal
            .audit("inbound.read", Outcome::Success)
            .target("unassigned")
            .write(&principal.org, now)?;
        Ok::<_, StoreError>(messages)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "messages": messages })))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(organisations)
        .service(get_assignments)
        .service(put_assignments)
        .service(unassigned_inbound);
}

//! CAP 1.2 over HTTP: `POST /api/v1/cap` takes an alert document and
//! answers with a CAP `Ack` or `Error`; `GET /api/v1/cap/feed` is the
//! organisation's alerts as Atom; `GET /api/v1/alerts/{id}` with
//! `Accept: application/cap+xml` is one alert as CAP (see `alerts.rs`).

use crate::auth::Permission;
use crate::cap;
use crate::store::{Organisation, Outcome, StoreError};
use crate::web::extract::Principal;
use crate::web::problem::ApiError;
use crate::web::{blocking, AppState};
use actix_web::{get, post, web, HttpRequest, HttpResponse};

pub const CAP_XML: &str = "application/cap+xml";

/// The address the client used, for links in the documents.
pub(super) fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

fn cap_response(status: actix_web::http::StatusCode, xml: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(format!("{CAP_XML}; charset=utf-8"))
        .body(xml)
}

/// The organisation's record, for the sender name and language.
async fn organisation(principal: &Principal) -> Result<Organisation, ApiError> {
    let org = principal.org.clone();
    blocking(move || org.store().get_org(org.org_id()))
        .await?
        .ok_or(ApiError::NotFound("organisation"))
}

#[post("/cap")]
async fn receive(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::SendAlerts)?;
    let org_record = organisation(&principal).await?;
    let now = state.clock.now();
    let text = match std::str::from_utf8(&body) {
        Ok(text) => text,
        Err(_) => {
            let xml = cap::ack(
                &org_record,
                None,
                true,
                "alert: the document is not UTF-8",
                now,
            );
            return Ok(cap_response(actix_web::http::StatusCode::BAD_REQUEST, xml));
        }
    };
    let message = match cap::parse(text) {
        Ok(message) => message,
        Err(invalid) => {
            let (org, note) = (principal.org.clone(), invalid.to_string());
            let audited = principal
                .audit("cap.refused", Outcome::Failure)
                .detail(note.clone());
            blocking(move || audited.write(&org, now)).await?;
            let xml = cap::ack(&org_record, None, true, &note, now);
            return Ok(cap_response(actix_web::http::StatusCode::BAD_REQUEST, xml));
        }
    };
    let engine = state.engine.clone();
    let received = message.clone();
    let done = blocking(move || {
        let org = &principal.org;
        let done = cap::receive(
            &engine,
            org,
            &principal.actor,
            &principal.access,
            &received,
            now,
        );
        let (outcome, detail) = match &done {
            Ok(done) => (Outcome::Success, done.note()),
            Err(e) => (Outcome::Failure, e.to_string()),
        };
        principal
            .audit("cap.received", outcome)
            .detail(format!(
                "{} {} from {}: {detail}",
                received.msg_type, received.identifier, received.sender
            ))
            .write(org, now)?;
        org.store().flush_blocking()?;
        Ok::<_, StoreError>(done)
    })
    .await?;
    Ok(match done {
        Ok(done) => cap_response(
            actix_web::http::StatusCode::OK,
            cap::ack(&org_record, Some(&message), false, &done.note(), now),
        ),
        Err(e) => cap_response(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            cap::ack(&org_record, Some(&message), true, &e.to_string(), now),
        ),
    })
}

/// The newest alerts this caller may read, as Atom; each entry links to
/// the alert as CAP.
#[get("/cap/feed")]
async fn feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::SendAlerts)?;
    let org_record = organisation(&principal).await?;
    let now = state.clock.now();
    let alerts = blocking(move || {
        let alerts = principal.org.alerts(50)?;
        principal
            .audit("cap.feed_read", Outcome::Success)
            .write(&principal.org, now)?;
        Ok::<_, StoreError>(alerts)
    })
    .await?;
    let xml = cap::feed(&org_record, &alerts, &base_url(&req), now);
    Ok(HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .body(xml))
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(receive).service(feed);
}

//! `/standby/v1`: how a primary hands its backups to its standby, and how
//! it learns that the standby has taken over. Authenticated with the token
//! whose hash is in the standby's `[standby]`.

use super::problem::ApiError;
use crate::standby::{ReceiveError, Receiver};
use actix_web::{web, HttpRequest, HttpResponse};
use std::sync::Arc;

/// The biggest backup a standby takes in one request.
const MOST_BYTES: usize = 4 << 30;

fn authorised(req: &HttpRequest, receiver: &Receiver) -> Result<(), ApiError> {
    let token = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match token {
        Some(token) if receiver.authorised(token.trim()) => Ok(()),
        _ => {
            tracing::warn!(peer = ?req.peer_addr(), path = req.path(), "a standby request with a wrong token");
            Err(ApiError::Unauthorized)
        }
    }
}

impl From<ReceiveError> for ApiError {
    fn from(e: ReceiveError) -> Self {
        match e {
            ReceiveError::BadName(_) => ApiError::field("name", e.to_string()),
            ReceiveError::Promoted { .. } => ApiError::TakenOver(e.to_string()),
            ReceiveError::OtherAppliance { .. } => ApiError::Taken {
                field: "appliance".to_owned(),
                detail: e.to_string(),
            },
            ReceiveError::Damaged(_) => ApiError::field("body", e.to_string()),
            ReceiveError::NotFound(_) => ApiError::NotFound("backup"),
            ReceiveError::Standby(e) => {
                tracing::error!(error = %e, "the standby cannot keep a backup");
                ApiError::Internal
            }
        }
    }
}

async fn off_workers<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ReceiveError> + Send + 'static,
) -> Result<T, ApiError> {
    match web::block(f).await {
        Ok(done) => Ok(done?),
        Err(_) => Err(ApiError::Internal),
    }
}

async fn put_backup(
    req: HttpRequest,
    receiver: web::Data<Receiver>,
    name: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    authorised(&req, &receiver)?;
    let receiver = receiver.into_inner();
    let name = name.into_inner();
    let header = off_workers(move || receiver.receive(&name, &body)).await?;
    Ok(HttpResponse::Created().json(header))
}

async fn list_backups(
    req: HttpRequest,
    receiver: web::Data<Receiver>,
) -> Result<HttpResponse, ApiError> {
    authorised(&req, &receiver)?;
    let receiver = receiver.into_inner();
    let names = off_workers(move || receiver.list()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "backups": names })))
}

async fn get_backup(
    req: HttpRequest,
    receiver: web::Data<Receiver>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    authorised(&req, &receiver)?;
    let receiver = receiver.into_inner();
    let name = name.into_inner();
    let bytes = off_workers(move || receiver.get(&name)).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .body(bytes))
}

async fn delete_backup(
    req: HttpRequest,
    receiver: web::Data<Receiver>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    authorised(&req, &receiver)?;
    let receiver = receiver.into_inner();
    let name = name.into_inner();
    off_workers(move || receiver.remove(&name)).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn state(req: HttpRequest, receiver: web::Data<Receiver>) -> Result<HttpResponse, ApiError> {
    authorised(&req, &receiver)?;
    let receiver = receiver.into_inner();
    let state = off_workers(move || receiver.state()).await?;
    Ok(HttpResponse::Ok().json(state))
}

/// The standby routes, served by a standby and by a promoted appliance
/// (which refuses backups, so its former primary learns it was replaced).
pub fn routes(receiver: Arc<Receiver>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.service(
            web::scope(crate::backup::targets::STANDBY_API)
                .app_data(web::Data::from(receiver))
                .app_data(web::PayloadConfig::new(MOST_BYTES))
                .route("/state", web::get().to(state))
                .route("/backups", web::get().to(list_backups))
                .route("/backups/{name}", web::put().to(put_backup))
                .route("/backups/{name}", web::get().to(get_backup))
                .route("/backups/{name}", web::delete().to(delete_backup)),
        );
    }
}

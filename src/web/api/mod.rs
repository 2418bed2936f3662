//! The JSON API under `/api/v1`, described by `openapi.json`.

mod access;
mod alerts;
mod cap;
mod directory;
mod hardware;
mod import;
mod places;
mod reviews;
mod session;
mod system;
mod templates;
mod webhooks;

use actix_web::{get, web, HttpResponse};

pub use directory::CHANNELS;

/// Times on the wire are RFC 3339, UTC.
fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

const OPENAPI: &str = include_str!("openapi.json");

#[get("/openapi.json")]
async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .service(openapi)
            .configure(session::routes)
            .configure(directory::routes)
            .configure(import::routes)
            .configure(hardware::routes)
            .configure(access::routes)
            .configure(reviews::routes)
            .configure(alerts::routes)
            .configure(cap::routes)
            .configure(places::routes)
            .configure(templates::routes)
            .configure(system::routes)
            .configure(webhooks::routes),
    );
}

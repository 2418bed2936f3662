//! The JSON API under `/api/v1`, described by `openapi.json`.

mod directory;

use super::extract::Principal;
use actix_web::{get, web, HttpResponse};
use serde_json::json;

const OPENAPI: &str = include_str!("openapi.json");

#[get("/openapi.json")]
async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI)
}

/// Who the caller is, as the server sees it.
#[get("/me")]
async fn me(principal: Principal) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "kind": "api_key",
        "org": principal.org.org_id(),
        "key": {"id": principal.key_id, "name": principal.key_name},
        "role": principal.role.name(),
        "permissions": principal.role.permissions(),
    }))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .service(openapi)
            .service(me)
            .configure(directory::routes),
    );
}

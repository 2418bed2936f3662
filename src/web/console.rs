//! The admin console: ES modules compiled into the binary (see `assets`),
//! served under `/console/` with the same strict Content-Security-Policy as
//! everything else. It only calls the JSON API.

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};

#[get("/")]
async fn root() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/console/"))
        .finish()
}

#[get("/console")]
async fn console_bare() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/console/"))
        .finish()
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(root).service(console_bare);
}

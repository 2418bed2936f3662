//! The admin console: a small front end compiled into the binary (no CDN,
//! no build step), served under `/console/` with the same strict
//! Content-Security-Policy as everything else. It only calls the JSON API.

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};

const INDEX: &str = include_str!("console/index.html");
const SCRIPT: &str = include_str!("console/app.js");
const STYLE: &str = include_str!("console/app.css");

/// A page or file compiled into the binary.
pub(super) fn asset(
    content_type: &'static str,
    body: impl actix_web::body::MessageBody + 'static,
) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        // A new binary may bring a new console: always ask.
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body)
}

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

#[get("/console/")]
async fn index() -> HttpResponse {
    asset("text/html; charset=utf-8", INDEX)
}

#[get("/console/app.js")]
async fn script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

#[get("/console/app.css")]
async fn style() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLE)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(root)
        .service(console_bare)
        .service(index)
        .service(script)
        .service(style);
}

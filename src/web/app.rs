//! The members' app under `/app/`: an installable web app (manifest, service
//! worker for the shell only) compiled into the binary like the console. It
//! only calls the JSON API and keeps no alerts in the browser.

use super::console::asset;
use actix_web::http::header;
use actix_web::{get, web, HttpResponse};

const INDEX: &str = include_str!("app/index.html");
const SCRIPT: &str = include_str!("app/app.js");
const STYLE: &str = include_str!("app/app.css");
const SEAL: &str = include_str!("app/seal.js");
const WORKER: &str = include_str!("app/sw.js");
const MANIFEST: &str = include_str!("app/manifest.webmanifest");
const ICON_192: &[u8] = include_bytes!("app/icon-192.png");
const ICON_512: &[u8] = include_bytes!("app/icon-512.png");

const JS: &str = "text/javascript; charset=utf-8";

#[get("/app")]
async fn app_bare() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/app/"))
        .finish()
}

#[get("/app/")]
async fn index() -> HttpResponse {
    asset("text/html; charset=utf-8", INDEX)
}

#[get("/app/app.js")]
async fn script() -> HttpResponse {
    asset(JS, SCRIPT)
}

#[get("/app/app.css")]
async fn style() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLE)
}

/// The sealing code, shared by the app (to open) and the console (to seal).
#[get("/app/seal.js")]
async fn seal() -> HttpResponse {
    asset(JS, SEAL)
}

#[get("/app/sw.js")]
async fn worker() -> HttpResponse {
    asset(JS, WORKER)
}

#[get("/app/manifest.webmanifest")]
async fn manifest() -> HttpResponse {
    asset("application/manifest+json", MANIFEST)
}

#[get("/app/icon-192.png")]
async fn icon_192() -> HttpResponse {
    asset("image/png", ICON_192)
}

#[get("/app/icon-512.png")]
async fn icon_512() -> HttpResponse {
    asset("image/png", ICON_512)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(app_bare)
        .service(index)
        .service(script)
        .service(style)
        .service(seal)
        .service(worker)
        .service(manifest)
        .service(icon_192)
        .service(icon_512);
}

//! The members' app under `/app/`: an installable web app (manifest, service
//! worker for the shell only) compiled into the binary like the console (see
//! `assets`). It only calls the JSON API and keeps no alerts in the browser.

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};

#[get("/app")]
async fn app_bare() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/app/"))
        .finish()
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(app_bare);
}

//! Liveness, readiness and metrics endpoints. None of them needs a login: they
//! reveal no data, and monitoring must work when logins don't.

use super::{blocking, AppState};
use crate::store::Channel;
use actix_web::{get, web, HttpResponse};
use serde_json::json;

#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Ready when the store takes a write and reads it back.
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let store = state.store.clone();
    let probe = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        blocking(move || store.probe()),
    )
    .await;
    let store_check = match probe {
        Ok(Ok(())) => "ok".to_owned(),
        Ok(Err(e)) => format!("failing: {e}"),
        Err(_) => "failing: no answer within 5 s".to_owned(),
    };
    let ready = store_check == "ok";
    // A device down degrades the appliance (its other channels still work),
    // but only a failing store makes it unready.
    let devices: serde_json::Map<String, serde_json::Value> = state
        .hardware
        .devices()
        .into_iter()
        .map(|d| {
            let check = match (&d.state, &d.last_error) {
                (crate::hw::status::DeviceState::Ready, _) => "ok".to_owned(),
                (s, Some(e)) => format!("{}: {e}", s.name()),
                (s, None) => s.name().to_owned(),
            };
            (d.name, json!(check))
        })
        .collect();
    let degraded = devices.values().any(|v| v != "ok");
    let status = match (ready, degraded) {
        (false, _) => "not ready",
        (true, true) => "degraded",
        (true, false) => "ready",
    };
    let body = json!({
        "status": status,
        "checks": {"store": store_check, "devices": devices},
    });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

#[get("/metrics")]
async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let store = state.store.clone();
    let measured = web::block(move || {
        let depths: Vec<(Channel, usize)> = Channel::ALL
            .iter()
            .map(|c| (*c, store.outbox_depth(*c)))
            .collect();
        (store.size_on_disk(), depths)
    })
    .await;
    if let Ok((size, depths)) = measured {
        if let Ok(size) = size {
            state.metrics.set_store_size(size);
        }
        for (channel, depth) in depths {
            state.metrics.set_outbox_depth(channel.name(), depth);
        }
    }
    state
        .metrics
        .set_live_streams(state.hub.connected_members());
    state.metrics.set_devices(&state.hardware.devices());
    match state.metrics.encode() {
        Some(text) => HttpResponse::Ok()
            .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
            .body(text),
        None => HttpResponse::InternalServerError().finish(),
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}

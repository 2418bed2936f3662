//! Liveness, readiness and metrics endpoints. None of them needs a login:
//! monitoring must work when logins don't. What they tell beyond "up" and
//! "ready" (queue sizes, device errors) only this host, or a caller with the
//! configured monitoring token, gets.

use super::{blocking, AppState};
use crate::store::Channel;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde_json::json;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long one store probe answers `/readyz`: anyone may ask, and a write
/// with an fsync per request would let them load the disk.
const PROBE_FOR: Duration = Duration::from_secs(3);

/// The last store probe's result and when it ran.
#[derive(Debug, Default)]
pub struct ProbeCache(Mutex<Option<(Instant, String)>>);

impl ProbeCache {
    fn fresh(&self, now: Instant) -> Option<String> {
        let cached = self.0.lock().ok()?;
        cached
            .as_ref()
            .filter(|(at, _)| now.duration_since(*at) < PROBE_FOR)
            .map(|(_, check)| check.clone())
    }

    fn keep(&self, now: Instant, check: &str) {
        if let Ok(mut cached) = self.0.lock() {
            *cached = Some((now, check.to_owned()));
        }
    }
}

/// Whether the caller may see the monitoring detail: from this host, or
/// with the monitoring token.
pub(super) fn trusted(req: &HttpRequest, monitoring_token: Option<&crate::secret::Secret>) -> bool {
    if req.peer_addr().is_some_and(|a| a.ip().is_loopback()) {
        return true;
    }
    let Some(token) = monitoring_token else {
        return false;
    };
    req.headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| crate::auth::token::same(given.trim(), token.expose()))
}

#[get("/healthz")]
pub(super) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Ready when the store takes a write and reads it back.
#[get("/readyz")]
async fn readyz(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let started = Instant::now();
    let store_check = match state.readiness.fresh(started) {
        Some(check) => check,
        None => {
            let store = state.store.clone();
            let probe =
                tokio::time::timeout(Duration::from_secs(5), blocking(move || store.probe())).await;
            let check = match probe {
                Ok(Ok(())) => "ok".to_owned(),
                Ok(Err(e)) => format!("failing: {e}"),
                Err(_) => "failing: no answer within 5 s".to_owned(),
            };
            state.readiness.keep(started, &check);
            check
        }
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
    let backups = state.backups.as_ref().map(|b| {
        b.stale(state.clock.now())
            .unwrap_or_else(|| "ok".to_owned())
    });
    let audit_log = state.audit_log.as_ref().map(|a| {
        a.stale(state.clock.now())
            .unwrap_or_else(|| "ok".to_owned())
    });
    let degraded = devices.values().any(|v| v != "ok")
        || backups.as_ref().is_some_and(|b| b != "ok")
        || audit_log.as_ref().is_some_and(|a| a != "ok");
    let status = match (ready, degraded) {
        (false, _) => "not ready",
        (true, true) => "degraded",
        (true, false) => "ready",
    };
    let body = if trusted(&req, state.monitoring_token.as_ref()) {
        json!({
            "status": status,
            "checks": {"store": store_check, "devices": devices, "backups": backups, "audit_log": audit_log},
        })
    } else {
        json!({ "status": status })
    };
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

#[get("/metrics")]
async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if !trusted(&req, state.monitoring_token.as_ref()) {
        return actix_web::ResponseError::error_response(&super::problem::ApiError::Unauthorized);
    }
    let store = state.store.clone();
    let measured = crate::store::blocking(move || {
        let depths: Vec<(Channel, usize)> = Channel::ALL
            .iter()
            .map(|c| (*c, store.outbox_depth(*c)))
            .collect();
        Ok::<_, crate::store::StoreError>((store.size_on_disk(), depths))
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

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn monitoring_detail_is_for_this_host_or_the_token() {
        let token = crate::secret::Secret::new("m".repeat(40));
        let from = |addr: &str, bearer: Option<&str>| {
            let mut req = TestRequest::default().peer_addr(addr.parse().unwrap());
            if let Some(b) = bearer {
                req = req.insert_header(("Authorization", format!("Bearer {b}")));
            }
            req.to_http_request()
        };
        assert!(trusted(&from("127.0.0.1:5000", None), None));
        assert!(trusted(&from("[::1]:5000", None), None));
        assert!(!trusted(&from("192.0.2.7:5000", None), Some(&token)));
        assert!(!trusted(
            &from("192.0.2.7:5000", Some("wrong")),
            Some(&token)
        ));
        assert!(trusted(
            &from("192.0.2.7:5000", Some(&"m".repeat(40))),
            Some(&token)
        ));
        assert!(!trusted(&from("192.0.2.7:5000", Some("anything")), None));
    }

    #[test]
    fn a_probe_answers_for_a_few_seconds() {
        let cache = ProbeCache::default();
        let now = Instant::now();
        assert_eq!(cache.fresh(now), None);
        cache.keep(now, "ok");
        assert_eq!(
            cache.fresh(now + Duration::from_secs(1)).as_deref(),
            Some("ok")
        );
        assert_eq!(cache.fresh(now + PROBE_FOR), None);
    }
}

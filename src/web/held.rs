//! The appliance while it holds back: a standby, or a primary that stood
//! down. It serves its health, its metrics and the standby routes, and
//! answers everything else with 503, so nothing that sends alerts runs.

use super::health::{healthz, trusted};
use super::problem::ApiError;
use crate::clock::SharedClock;
use crate::metrics::Metrics;
use crate::standby::{Mode, Receiver};
use actix_web::dev::Server;
use actix_web::{get, web, App, HttpRequest, HttpResponse, HttpServer};
use prometheus_client::metrics::gauge::Gauge;
use serde_json::json;
use std::net::TcpListener;
use std::sync::Arc;

pub struct HeldState {
    pub mode: Mode,
    /// Present when this appliance has `[standby]`.
    pub receiver: Option<Arc<Receiver>>,
    pub clock: SharedClock,
    pub monitoring_token: Option<crate::secret::Secret>,
    metrics: Metrics,
    lag: Gauge,
}

impl HeldState {
    pub fn new(
        mode: Mode,
        receiver: Option<Arc<Receiver>>,
        clock: SharedClock,
        monitoring_token: Option<crate::secret::Secret>,
    ) -> HeldState {
        let metrics = Metrics::default();
        let lag = Gauge::default();
        metrics.with_registry(|r| {
            r.register(
                "standby_lag_seconds",
                "How old the backup a standby holds ready is",
                lag.clone(),
            )
        });
        HeldState {
            mode,
            receiver,
            clock,
            monitoring_token,
            metrics,
            lag,
        }
    }

    fn why(&self) -> String {
        match &self.mode {
            Mode::StoodDown { why } => format!(
                "this appliance stood down ({why}) and sends nothing; `tocsin promote` makes it the primary again"
            ),
            _ => "this appliance is a standby; `tocsin promote` makes it the primary".to_owned(),
        }
    }
}

#[get("/readyz")]
async fn held_readyz(req: HttpRequest, state: web::Data<HeldState>) -> HttpResponse {
    let status = match state.mode {
        Mode::StoodDown { .. } => "stood down",
        _ => "standby",
    };
    let standby = state.receiver.as_ref().map(|r| {
        r.stale(state.clock.now())
            .unwrap_or_else(|| "ok".to_owned())
    });
    let body = if trusted(&req, state.monitoring_token.as_ref()) {
        json!({"status": status, "checks": {"standby": standby}, "detail": state.why()})
    } else {
        json!({ "status": status })
    };
    // Not ready for alerts: a load balancer must not send them here.
    HttpResponse::ServiceUnavailable().json(body)
}

#[get("/metrics")]
async fn held_metrics(req: HttpRequest, state: web::Data<HeldState>) -> HttpResponse {
    if !trusted(&req, state.monitoring_token.as_ref()) {
        return actix_web::ResponseError::error_response(&ApiError::Unauthorized);
    }
    if let Some(lag) = state
        .receiver
        .as_ref()
        .and_then(|r| r.lag(state.clock.now()))
    {
        state.lag.set(lag.whole_seconds());
    }
    match state.metrics.encode() {
        Some(text) => HttpResponse::Ok()
            .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
            .body(text),
        None => HttpResponse::InternalServerError().finish(),
    }
}

async fn not_serving(state: web::Data<HeldState>) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotServing(state.why()))
}

pub fn serve_held(
    state: HeldState,
    listener: TcpListener,
    tls: rustls::ServerConfig,
) -> std::io::Result<Server> {
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        let mut app = App::new()
            .app_data(data.clone())
            .service(healthz)
            .service(held_readyz)
            .service(held_metrics);
        if let Some(receiver) = &data.receiver {
            app = app.configure(super::standby::routes(receiver.clone()));
        }
        app.default_service(web::to(not_serving))
            .wrap(super::headers::security_headers())
    })
    .workers(2)
    .worker_max_blocking_threads(crate::store::BLOCKING_THREADS)
    .disable_signals()
    .shutdown_timeout(5)
    .listen_rustls_0_23(listener, tls)?
    .run();
    Ok(server)
}

//! The HTTPS face of the appliance: actix-web over rustls, one listener, security
//! headers and metrics on every response, JSON API under `/api/v1`.

pub mod answer;
pub mod api;
mod app;
mod assets;
mod console;
pub mod extract;
mod headers;
pub mod health;
pub mod held;
mod lease;
mod map;
pub mod problem;
pub mod ratelimit;
mod scim;
mod standby;
pub mod tls;

use crate::clock::SharedClock;
use crate::metrics::Metrics;
use crate::store::Store;
use actix_web::dev::{Server, Service};
use actix_web::{web, App, HttpServer};
use problem::ApiError;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use headers::CONTENT_SECURITY_POLICY;

/// What every request handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Store,
    pub clock: SharedClock,
    pub metrics: Arc<Metrics>,
    pub login_limiter: Arc<ratelimit::AddressLimiter>,
    /// Answer-link requests per client address: a guessed or replayed link
    /// gets few tries.
    pub link_limiter: Arc<ratelimit::AddressLimiter>,
    pub alert_guard: Arc<ratelimit::AlertRateGuard>,
    pub hub: Arc<crate::live::Hub>,
    /// Where members' live streams leave their receipts.
    pub receipts: crate::alerts::Receipts,
    /// The one way to start, cancel and update alerts.
    pub engine: crate::alerts::Engine,
    /// The last readiness probe, so `/readyz` doesn't write on every call.
    pub readiness: Arc<health::ProbeCache>,
    /// Opens the monitoring detail to other hosts.
    pub monitoring_token: Option<crate::secret::Secret>,
    /// What backups have done lately, when they are configured.
    pub backups: Option<Arc<crate::backup::schedule::Status>>,
    /// The audit log shipper, when a log server is configured.
    pub audit_log: Option<Arc<crate::audit::ship::ShipStatus>>,
    /// Modems and radios, for their state and for login codes by SMS.
    pub hardware: Arc<crate::devices::Hardware>,
    /// A promoted standby's receiver: it tells the former primary that this
    /// appliance took over.
    pub standby: Option<Arc<crate::standby::Receiver>>,
    /// The map tiles the console draws (`[map] tiles`), when installed.
    pub map_tiles: std::path::PathBuf,
}

/// Runs store work off the async workers: sled calls block on I/O.
pub async fn blocking<T, E>(
    f: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    E: Send + 'static,
    ApiError: From<E>,
{
    crate::store::blocking(move || f().map_err(ApiError::from)).await
}

/// How long in-flight requests get to finish after a stop is asked for.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Starts serving on an already bound listener. The server stops only when
/// told to through its handle: signals belong to the daemon, which must flush
/// the store after the last request is done.
pub fn serve(
    state: AppState,
    listener: TcpListener,
    tls: rustls::ServerConfig,
    workers: usize,
) -> std::io::Result<Server> {
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        let metrics = data.metrics.clone();
        let standby = data.standby.clone();
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(256 * 1024))
            .configure(move |cfg| {
                if let Some(receiver) = standby {
                    standby::routes(receiver)(cfg);
                }
            })
            .configure(health::routes)
            .configure(api::routes)
            .configure(scim::routes)
            .configure(console::routes)
            .configure(app::routes)
            .configure(assets::routes)
            .configure(map::routes)
            .configure(answer::routes)
            .default_service(web::to(problem::not_found))
            .wrap(headers::security_headers())
            .wrap_fn(move |req, srv| {
                let started = Instant::now();
                let method = req.method().to_string();
                let route = req.match_pattern().unwrap_or_else(|| "unmatched".to_owned());
                let metrics = metrics.clone();
                let response = srv.call(req);
                async move {
                    let response = response.await?;
                    let status = response.status().as_u16();
                    let elapsed = started.elapsed();
                    metrics.observe_request(&method, &route, status, elapsed);
                    tracing::debug!(%method, %route, status, micros = elapsed.as_micros() as u64, "request");
                    Ok(response)
                }
            })
    })
    .workers(workers)
    .worker_max_blocking_threads(crate::store::BLOCKING_THREADS)
    .disable_signals()
    .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
    .listen_rustls_0_23(listener, tls)?
    .run();
    Ok(server)
}

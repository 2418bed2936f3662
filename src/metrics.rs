//! The figures `/metrics` serves in the OpenMetrics text format, which
//! Prometheus scrapes natively.
//! Subsystems register their own families (queue depths, device states) on the
//! shared registry as they start.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    /// The route pattern ("/api/v1/users/{id}"), never the raw path, so ids
    /// don't explode the label space.
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ChannelLabels {
    pub channel: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DeviceLabels {
    pub device: String,
    pub kind: String,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Mutex<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    store_size: Gauge,
    outbox: Family<ChannelLabels, Gauge>,
    live_streams: Gauge,
    device_up: Family<DeviceLabels, Gauge>,
    device_signal: Family<DeviceLabels, Gauge>,
    device_queue: Family<DeviceLabels, Gauge>,
    device_sent: Family<DeviceLabels, Gauge>,
    device_received: Family<DeviceLabels, Gauge>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

fn latency_histogram() -> Histogram {
    // 100 µs to about 3 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("tocsin");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time from request to response",
            latency.clone(),
        );
        let store_size = Gauge::default();
        registry.register(
            "store_size_bytes",
            "Size of the store on disk",
            store_size.clone(),
        );
        let outbox = Family::<ChannelLabels, Gauge>::default();
        registry.register(
            "outbox_depth",
            "Deliveries waiting for their channel",
            outbox.clone(),
        );
        let live_streams = Gauge::default();
        registry.register(
            "live_streams",
            "Members' app streams open now",
            live_streams.clone(),
        );
        let device_up = Family::<DeviceLabels, Gauge>::default();
        registry.register(
            "device_up",
            "1 when the modem or radio is ready to send, 0 otherwise",
            device_up.clone(),
        );
        let device_signal = Family::<DeviceLabels, Gauge>::default();
        registry.register(
            "device_signal_dbm",
            "Received signal strength the device reports",
            device_signal.clone(),
        );
        let device_queue = Family::<DeviceLabels, Gauge>::default();
        registry.register(
            "device_queue",
            "Messages waiting for the device",
            device_queue.clone(),
        );
        let device_sent = Family::<DeviceLabels, Gauge>::default();
        registry.register(
            "device_sent",
            "Messages the device sent since the daemon started",
            device_sent.clone(),
        );
        let device_received = Family::<DeviceLabels, Gauge>::default();
        registry.register(
            "device_received",
            "Messages the device received since the daemon started",
            device_received.clone(),
        );
        let build = Family::<Vec<(String, String)>, Gauge>::default();
        build
            .get_or_create(&vec![(
                "version".to_owned(),
                env!("CARGO_PKG_VERSION").to_owned(),
            )])
            .set(1);
        registry.register("build_info", "The running tocsin version", build);
        Metrics {
            registry: Mutex::new(registry),
            requests,
            latency,
            store_size,
            outbox,
            live_streams,
            device_up,
            device_signal,
            device_queue,
            device_sent,
            device_received,
        }
    }
}

impl Metrics {
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    pub fn set_store_size(&self, bytes: u64) {
        self.store_size
            .set(i64::try_from(bytes).unwrap_or(i64::MAX));
    }

    pub fn set_outbox_depth(&self, channel: &str, depth: usize) {
        self.outbox
            .get_or_create(&ChannelLabels {
                channel: channel.to_owned(),
            })
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
    }

    pub fn set_live_streams(&self, streams: usize) {
        self.live_streams
            .set(i64::try_from(streams).unwrap_or(i64::MAX));
    }

    pub fn set_devices(&self, devices: &[crate::hw::status::DeviceStatus]) {
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        for d in devices {
            let labels = DeviceLabels {
                device: d.name.clone(),
                kind: d.kind.to_owned(),
            };
            self.device_up
                .get_or_create(&labels)
                .set(i64::from(d.state == crate::hw::status::DeviceState::Ready));
            if let Some(dbm) = d.signal_dbm {
                self.device_signal
                    .get_or_create(&labels)
                    .set(i64::from(dbm));
            }
            self.device_queue
                .get_or_create(&labels)
                .set(count(d.queue as u64));
            self.device_sent.get_or_create(&labels).set(count(d.sent));
            self.device_received
                .get_or_create(&labels)
                .set(count(d.received));
        }
    }

    /// Lets a subsystem add its own metric families.
    pub fn with_registry<T>(&self, f: impl FnOnce(&mut Registry) -> T) -> Option<T> {
        self.registry.lock().ok().map(|mut r| f(&mut r))
    }

    pub fn encode(&self) -> Option<String> {
        let registry = self.registry.lock().ok()?;
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).ok()?;
        Some(text)
    }
}

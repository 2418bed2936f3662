//! The console's and the members' app's files, compiled into the binary: no
//! CDN and no build step, the browser loads the ES modules as they are. Each
//! file has a strong ETag so a browser asks again cheaply (`no-cache`) and a
//! new appliance version shows at once.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";
const PNG: &str = "image/png";
const MANIFEST: &str = "application/manifest+json";

/// One file as served: its URL, its type and its bytes.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $file:literal, $content_type:expr) => {
        Asset {
            path: $path,
            content_type: $content_type,
            body: include_bytes!($file),
        }
    };
}

/// Every front-end file. A module a page imports must be listed here, and the
/// members' app's also in its service worker, or it is missing offline.
const ASSETS: &[Asset] = &[
    asset!("/console/", "console/index.html", HTML),
    asset!("/console/api.js", "console/api.js", JS),
    asset!("/console/areas.js", "console/areas.js", JS),
    asset!("/console/app.css", "console/app.css", CSS),
    asset!("/console/app.js", "console/app.js", JS),
    asset!("/console/composer.js", "console/composer.js", JS),
    asset!("/console/deliveries.js", "console/deliveries.js", JS),
    asset!("/console/directory.js", "console/directory.js", JS),
    asset!("/console/drafts.js", "console/drafts.js", JS),
    asset!("/console/mapview.js", "console/mapview.js", JS),
    asset!("/console/pages/access.js", "console/pages/access.js", JS),
    asset!(
        "/console/pages/appliance.js",
        "console/pages/appliance.js",
        JS
    ),
    asset!("/console/pages/audit.js", "console/pages/audit.js", JS),
    asset!(
        "/console/pages/hardware.js",
        "console/pages/hardware.js",
        JS
    ),
    asset!("/console/pages/history.js", "console/pages/history.js", JS),
    asset!("/console/pages/live.js", "console/pages/live.js", JS),
    asset!("/console/pages/map.js", "console/pages/map.js", JS),
    asset!("/console/pages/login.js", "console/pages/login.js", JS),
    asset!("/console/pages/people.js", "console/pages/people.js", JS),
    asset!("/console/pages/print.js", "console/pages/print.js", JS),
    asset!("/console/pages/review.js", "console/pages/review.js", JS),
    asset!("/console/pages/rules.js", "console/pages/rules.js", JS),
    asset!("/console/pages/send.js", "console/pages/send.js", JS),
    asset!(
        "/console/pages/settings.js",
        "console/pages/settings.js",
        JS
    ),
    asset!(
        "/console/pages/templates.js",
        "console/pages/templates.js",
        JS
    ),
    asset!("/console/qr.js", "console/qr.js", JS),
    asset!("/console/router.js", "console/router.js", JS),
    asset!("/console/session.js", "console/session.js", JS),
    asset!("/console/shell.js", "console/shell.js", JS),
    asset!("/console/state.js", "console/state.js", JS),
    asset!("/app/", "app/index.html", HTML),
    asset!("/app/alerts.js", "app/alerts.js", JS),
    asset!("/app/app.css", "app/app.css", CSS),
    asset!("/app/app.js", "app/app.js", JS),
    asset!("/app/checkin.js", "app/checkin.js", JS),
    asset!("/app/icon-192.png", "app/icon-192.png", PNG),
    asset!("/app/icon-512.png", "app/icon-512.png", PNG),
    asset!(
        "/app/manifest.webmanifest",
        "app/manifest.webmanifest",
        MANIFEST
    ),
    asset!("/app/location.js", "app/location.js", JS),
    asset!("/app/motion.js", "app/motion.js", JS),
    asset!("/app/router.js", "app/router.js", JS),
    asset!("/app/session.js", "app/session.js", JS),
    asset!("/app/state.js", "app/state.js", JS),
    asset!("/app/sw.js", "app/sw.js", JS),
    asset!("/app/util.js", "app/util.js", JS),
    asset!("/app/views/alert.js", "app/views/alert.js", JS),
    asset!("/app/views/critical.js", "app/views/critical.js", JS),
    asset!("/app/views/home.js", "app/views/home.js", JS),
    asset!("/app/views/login.js", "app/views/login.js", JS),
    asset!("/app/views/settings.js", "app/views/settings.js", JS),
    asset!("/app/views/timer.js", "app/views/timer.js", JS),
    asset!("/app/seal.js", "ui/lib/seal.js", JS),
    asset!("/ui/i18n/en.js", "ui/i18n/en.js", JS),
    asset!("/ui/i18n/fi.js", "ui/i18n/fi.js", JS),
    asset!("/ui/i18n/sv.js", "ui/i18n/sv.js", JS),
    asset!("/ui/lib/api.js", "ui/lib/api.js", JS),
    asset!("/ui/lib/dialog.js", "ui/lib/dialog.js", JS),
    asset!("/ui/lib/dom.js", "ui/lib/dom.js", JS),
    asset!("/ui/lib/i18n.js", "ui/lib/i18n.js", JS),
    asset!("/ui/lib/seal.js", "ui/lib/seal.js", JS),
    asset!("/ui/lib/storage.js", "ui/lib/storage.js", JS),
    asset!("/ui/lib/toast.js", "ui/lib/toast.js", JS),
    // The map's libraries, pinned and unchanged (vendor/README.md).
    asset!(
        "/vendor/leaflet/leaflet.css",
        "vendor/leaflet/leaflet.css",
        CSS
    ),
    asset!(
        "/vendor/leaflet/leaflet.js",
        "vendor/leaflet/leaflet.js",
        JS
    ),
    asset!(
        "/vendor/pmtiles/pmtiles.js",
        "vendor/pmtiles/pmtiles.js",
        JS
    ),
    asset!(
        "/vendor/protomaps-leaflet/protomaps-leaflet.js",
        "vendor/protomaps-leaflet/protomaps-leaflet.js",
        JS
    ),
];

/// An asset with its ETag, hashed once on first use.
struct Served {
    asset: &'static Asset,
    etag: String,
}

static SERVED: LazyLock<Vec<Served>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| Served {
            asset,
            etag: format!("\"{}\"", hex::encode(Sha256::digest(asset.body))),
        })
        .collect()
});

/// Whether the browser's `If-None-Match` names this version (weak comparison,
/// as RFC 9110 asks for this header).
fn still_fresh(req: &HttpRequest, etag: &str) -> bool {
    let Some(value) = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    value
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

fn respond(served: &Served, req: &HttpRequest) -> HttpResponse {
    let fresh = still_fresh(req, &served.etag);
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, served.etag.as_str()))
        // A new binary may bring a new front end: always ask.
        .insert_header((header::CACHE_CONTROL, "no-cache"));
    if fresh {
        return response.finish();
    }
    response
        .content_type(served.asset.content_type)
        .body(served.asset.body)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    for served in SERVED.iter() {
        cfg.route(
            served.asset.path,
            web::get().to(move |req: HttpRequest| async move { respond(served, &req) }),
        );
    }
}

#[cfg(test)]
mod tests;

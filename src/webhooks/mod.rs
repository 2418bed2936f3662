//! Webhooks: events queued durably in the store's webhook outbox (see
//! `store::webhooks`) are POSTed to each subscription's URL, signed as
//! Standard Webhooks describes (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature: v1,<base64 HMAC-SHA256>`).
//!
//! One event per subscription is in flight at a time, so each receiver gets
//! its events in order. A failure (no answer within the timeout, or any
//! answer but 2xx) is retried after 5 s, 15 s, 45 s … up to an hour; after a
//! day of failures the subscription is paused and its organisation's admins
//! are told. The attempt is counted and flushed before the request, and an
//! event leaves the outbox only after a 2xx, so a crash sends it again with
//! the same `webhook-id` (at-least-once; receivers dedupe by the id).

use crate::alerts::{Engine, Notice};
use crate::clock::SharedClock;
use crate::ids::Id;
use crate::live::Wake;
use crate::store::{blocking, Store, StoreError, WebhookJob, WebhookJobKey, WebhookState};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

/// How long a receiver has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How long an idle sender sleeps before looking again without being woken.
const IDLE_POLL: Duration = Duration::from_millis(250);
/// The longest pause between attempts.
const MAX_PAUSE: i64 = 3600;
/// How long a subscription may fail before it is paused.
pub const GIVE_UP_AFTER: time::Duration = time::Duration::hours(24);
/// The prefix of a Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("the signing secret is not a whsec_ secret")]
    BadSecret,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new signing secret: 32 random bytes, `whsec_` and base64.
pub fn new_secret() -> Result<String, WebhookError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| WebhookError::BadSecret)?;
    Ok(format!("{SECRET_PREFIX}{}", B64.encode(bytes)))
}

/// The `webhook-signature` header's value for one request.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, WebhookError> {
    let key = secret
        .strip_prefix(SECRET_PREFIX)
        .and_then(|k| B64.decode(k).ok())
        .ok_or(WebhookError::BadSecret)?;
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(&key).map_err(|_| WebhookError::BadSecret)?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!("v1,{}", B64.encode(mac.finalize().into_bytes())))
}

/// The pause before attempt `attempts + 1`: 5 s, 15 s, 45 s … at most an hour.
pub fn backoff(attempts: u32) -> time::Duration {
    let factor = 3i64.saturating_pow(attempts.saturating_sub(1));
    time::Duration::seconds(5i64.saturating_mul(factor).min(MAX_PAUSE))
}

/// Whether `url` may be a subscription's: `https://`, or `http://` only to
/// this machine's loopback, so nothing leaves the appliance unencrypted.
pub fn check_url(url: &str) -> Result<(), &'static str> {
    let parsed = url::Url::parse(url).map_err(|_| "must be an absolute URL")?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not carry a user name or password");
    }
    match (parsed.scheme(), parsed.host()) {
        ("https", Some(_)) => Ok(()),
        ("http", Some(url::Host::Ipv4(ip))) if ip.is_loopback() => Ok(()),
        ("http", Some(url::Host::Ipv6(ip))) if ip.is_loopback() => Ok(()),
        ("http", Some(url::Host::Domain("localhost"))) => Ok(()),
        ("http", _) => Err("must be https:// (http:// only to the loopback address)"),
        _ => Err("must be an https:// URL"),
    }
}

/// The JSON body of one event.
pub fn body(job: &WebhookJob) -> Vec<u8> {
    let timestamp = job
        .timestamp
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    serde_json::json!({
        "id": job.event.to_string(),
        "type": job.kind,
        "timestamp": timestamp,
        "data": job.data,
    })
    .to_string()
    .into_bytes()
}

pub struct Sender {
    store: Store,
    clock: SharedClock,
    engine: Engine,
    agent: ureq::Agent,
}

impl Sender {
    /// Starts the sender on the current runtime.
    pub fn start(store: Store, clock: SharedClock, engine: Engine, wake: Wake) {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(TIMEOUT)
            .timeout(TIMEOUT)
            .redirects(0)
            .user_agent("tocsin-webhooks")
            .build();
        let sender = std::sync::Arc::new(Sender {
            store,
            clock,
            engine,
            agent,
        });
        actix_web::rt::spawn(async move { sender.run(wake).await });
    }

    async fn run(self: std::sync::Arc<Self>, wake: Wake) {
        let mut waiter = wake.waiter();
        loop {
            let store = self.store.clone();
            let now = self.clock.now();
            let due = blocking(move || {
                let mut due = Vec::new();
                for (key, job) in store.webhook_heads()? {
                    if job.next_attempt_at > now {
                        continue;
                    }
                    let Some(hook) = store.org(job.org).webhook(job.subscription)? else {
                        continue;
                    };
                    if hook.state == WebhookState::Active {
                        due.push((key, job));
                    }
                }
                Ok::<_, StoreError>(due)
            })
            .await;
            let due = match due {
                Ok(due) => due,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the webhook outbox");
                    waiter.or_after(IDLE_POLL * 4).await;
                    continue;
                }
            };
            if due.is_empty() {
                waiter.or_after(IDLE_POLL).await;
                continue;
            }
            let sends = due.into_iter().map(|(key, job)| {
                let this = self.clone();
                async move { this.attempt(key, job).await }
            });
            futures_util::future::join_all(sends).await;
        }
    }

    /// One attempt at one event: counted and flushed, sent, then recorded.
    async fn attempt(&self, key: WebhookJobKey, job: WebhookJob) {
        let (store, claim_key) = (self.store.clone(), key.clone());
        let prepared = blocking(move || {
            let Some(job) = store.start_webhook_attempt(&claim_key)? else {
                return Ok(None);
            };
            let org = store.org(job.org);
            let Some(hook) = org.webhook(job.subscription)? else {
                return Ok(None);
            };
            let secret = org.webhook_secret(&hook)?;
            store.flush_blocking()?;
            Ok::<_, StoreError>(Some((job, hook.url, secret)))
        })
        .await;
        let (job, url, secret) = match prepared {
            Ok(Some(p)) => p,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(subscription = %job.subscription, error = %e, "cannot start a webhook attempt");
                return;
            }
        };
        let body = body(&job);
        let id = job.event.to_string();
        let timestamp = self.clock.now().unix_timestamp();
        let result = match sign(&secret, &id, timestamp, &body) {
            Ok(signature) => {
                let agent = self.agent.clone();
                let id = id.clone();
                tokio::task::spawn_blocking(move || {
                    post(&agent, &url, &id, timestamp, &signature, &body)
                })
                .await
                .unwrap_or_else(|e| Err(format!("the request task failed: {e}")))
            }
            Err(e) => Err(e.to_string()),
        };
        let now = self.clock.now();
        let store = self.store.clone();
        let engine = self.engine.clone();
        let recorded = blocking(move || {
            match result {
                Ok(()) => {
                    tracing::info!(subscription = %job.subscription, event = %job.event, kind = %job.kind, attempts = job.attempts, "webhook delivered");
                    store.webhook_sent(&key, &job, now)?;
                }
                Err(error) => {
                    let retry_at = now + backoff(job.attempts);
                    tracing::info!(subscription = %job.subscription, event = %job.event, %error, %retry_at, "webhook to be retried");
                    let hook = store.webhook_failed(&key, &job, &error, retry_at, now)?;
                    if let Some(hook) = hook.filter(|h| {
                        h.state == WebhookState::Active
                            && h.failing_since.is_some_and(|since| now - since >= GIVE_UP_AFTER)
                    }) {
                        pause_failing(&store, &engine, job.org, hook.id, &hook.url, &error, now)?;
                    }
                }
            }
            store.flush_blocking()
        })
        .await;
        if let Err(e) = recorded {
            tracing::error!(error = %e, "cannot record a webhook attempt");
        }
    }
}

/// Pauses a subscription that failed for a day and tells the admins.
fn pause_failing(
    store: &Store,
    engine: &Engine,
    org: Id,
    subscription: Id,
    url: &str,
    error: &str,
    now: time::OffsetDateTime,
) -> Result<(), StoreError> {
    let org = store.org(org);
    org.change_webhook(subscription, |w| {
        w.state = WebhookState::Paused;
        w.paused_reason = Some(format!("failing for a day: {error}"));
    })?;
    crate::audit::Entry::new(
        crate::audit::appliance(),
        "webhook.paused",
        crate::store::Outcome::Success,
    )
    .target(subscription)
    .detail(format!("{url}: failing for a day ({error})"))
    .write(&org, now)?;
    tracing::warn!(%subscription, url, error, "webhook failing for a day; paused");
    let notice = Notice {
        title: "Webhook paused".to_owned(),
        body: format!(
            "The webhook to {url} has failed for 24 hours ({error}) and is paused. Events are kept; resume it in Settings once the receiver works."
        ),
        key: format!("webhook-paused-{subscription}-{}", now.unix_timestamp()),
        via: "webhook paused",
    };
    if let Err(e) = engine.tell_admins(&org, notice, now) {
        tracing::error!(%subscription, error = %e, "cannot tell the admins of a paused webhook");
    }
    Ok(())
}

fn post(
    agent: &ureq::Agent,
    url: &str,
    id: &str,
    timestamp: i64,
    signature: &str,
    body: &[u8],
) -> Result<(), String> {
    let sent = agent
        .post(url)
        .set("content-type", "application/json")
        .set("webhook-id", id)
        .set("webhook-timestamp", &timestamp.to_string())
        .set("webhook-signature", signature)
        .send_bytes(body);
    match sent {
        Ok(r) if (200..300).contains(&r.status()) => Ok(()),
        Ok(r) => Err(format!("HTTP {}", r.status())),
        Err(ureq::Error::Status(code, _)) => Err(format!("HTTP {code}")),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_as_standard_webhooks_does() {
        // The example from the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn backoff_grows_to_an_hour() {
        assert_eq!(backoff(1), time::Duration::seconds(5));
        assert_eq!(backoff(2), time::Duration::seconds(15));
        assert_eq!(backoff(3), time::Duration::seconds(45));
        assert_eq!(backoff(30), time::Duration::seconds(3600));
    }

    #[test]
    fn only_https_or_loopback_http() {
        assert!(check_url("https://example.com/hook").is_ok());
        assert!(check_url("http://127.0.0.1:8080/hook").is_ok());
        assert!(check_url("http://[::1]/hook").is_ok());
        assert!(check_url("http://example.com/hook").is_err());
        assert!(check_url("ftp://example.com/").is_err());
        assert!(check_url("https://user:pw@example.com/").is_err());
    }
}

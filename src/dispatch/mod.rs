//! The dispatcher: reads due deliveries from the outbox and feeds each channel
//! within its limits, critical alerts first. Failures that may pass are
//! retried with growing pauses; others end the delivery as `failed` with the
//! reason. It also runs the escalation timers.
//!
//! Every claim (`queued → sending`) is flushed before the channel is asked to
//! send, so after a crash the store knows what might have gone out; those
//! deliveries are sent again at start (at-least-once).

use crate::alerts::Engine;
use crate::channels::{Channel, Job, Outcome, Retries};
use crate::clock::SharedClock;
use crate::live::{Hub, Wake};
use crate::store::{blocking, DeliveryRef, SendOutcome, Store, StoreError};
use std::sync::Arc;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio::sync::Semaphore;
use tracing::Instrument;

/// Deliveries claimed (and flushed) together: one flush covers them all.
const CLAIM_BATCH: usize = 128;
/// How long an idle loop sleeps before looking again without being woken.
const IDLE_POLL: Duration = Duration::from_millis(250);

/// The pause before attempt `attempts + 1`: 5 s, 15 s, 45 s, 135 s.
pub fn backoff(attempts: u32) -> time::Duration {
    let factor = 3i64.saturating_pow(attempts.saturating_sub(1));
    time::Duration::seconds(5i64.saturating_mul(factor).min(3600))
}

pub struct Dispatcher {
    store: Store,
    clock: SharedClock,
    hub: Arc<Hub>,
    wake: Wake,
    engine: Engine,
}

impl Dispatcher {
    /// Re-queues what a crash left in flight, then starts one loop per channel
    /// and the timer loop on the current runtime. `wake` is how the alert
    /// engine tells it of new deliveries.
    pub async fn start(
        store: Store,
        clock: SharedClock,
        hub: Arc<Hub>,
        wake: Wake,
        engine: Engine,
        channels: Vec<Arc<dyn Channel>>,
    ) -> Result<(), StoreError> {
        let now = clock.now();
        let requeue_store = store.clone();
        let requeued = blocking(move || requeue_store.requeue_in_flight(now)).await?;
        if requeued > 0 {
            tracing::warn!(
                requeued,
                "deliveries interrupted by a restart are sent again"
            );
        }
        let dispatcher = Arc::new(Dispatcher {
            store,
            clock,
            hub,
            wake,
            engine,
        });
        for channel in channels {
            let d = dispatcher.clone();
            actix_web::rt::spawn(async move { d.run_channel(channel).await });
        }
        let d = dispatcher.clone();
        actix_web::rt::spawn(async move { d.run_timers().await });
        Ok(())
    }

    async fn run_channel(self: Arc<Self>, channel: Arc<dyn Channel>) {
        let name = channel.name();
        let limits = channel.limits();
        let slots = Arc::new(Semaphore::new(limits.concurrency.max(1)));
        let spacing = match limits.per_minute {
            0 | u32::MAX => Duration::ZERO,
            n => Duration::from_secs(60) / n,
        };
        let mut next_slot = Instant::now();
        let mut cursors = crate::store::Cursors::new();
        let mut waiter = self.wake.waiter();
        loop {
            let free = slots.available_permits();
            if free == 0 {
                if let Ok(permit) = slots.clone().acquire_owned().await {
                    drop(permit);
                }
                continue;
            }
            let store = self.store.clone();
            let now = self.clock.now();
            let mut held = std::mem::take(&mut cursors);
            let looked = blocking(move || {
                let due = store.due_deliveries(name, now, free.min(CLAIM_BATCH), &mut held)?;
                Ok::<_, StoreError>((due, held))
            })
            .await;
            let due = match looked {
                Ok((due, held)) => {
                    cursors = held;
                    due
                }
                Err(e) => {
                    tracing::error!(channel = name.name(), error = %e, "cannot read the outbox");
                    waiter.or_after(IDLE_POLL * 4).await;
                    continue;
                }
            };
            if due.is_empty() {
                waiter.or_after(IDLE_POLL).await;
                continue;
            }
            let claimed = match self.claim(due).await {
                Ok(claimed) => claimed,
                Err(e) => {
                    tracing::error!(channel = name.name(), error = %e, "cannot claim deliveries");
                    waiter.or_after(IDLE_POLL * 4).await;
                    continue;
                }
            };
            for job in claimed {
                if !spacing.is_zero() {
                    let wait = next_slot.saturating_duration_since(Instant::now());
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                    next_slot = Instant::now() + spacing;
                }
                let Ok(permit) = slots.clone().acquire_owned().await else {
                    return;
                };
                let this = self.clone();
                let channel = channel.clone();
                actix_web::rt::spawn(async move {
                    this.send(channel, job).await;
                    drop(permit);
                });
            }
        }
    }

    /// Claims due deliveries and flushes the claims before anything is sent.
    async fn claim(&self, due: Vec<DeliveryRef>) -> Result<Vec<Job>, StoreError> {
        let store = self.store.clone();
        let now = self.clock.now();
        let jobs = blocking(move || {
            let mut jobs = Vec::new();
            for r in due {
                if let Some((alert, recipient, delivery)) = store.claim_delivery(r, now)? {
                    jobs.push(Job::prepare(
                        &store, r.org, alert, recipient, delivery, now,
                    )?);
                }
            }
            store.flush_blocking()?;
            Ok::<_, StoreError>(jobs)
        })
        .await?;
        for job in &jobs {
            self.hub.notify_alert(job.org, job.alert.id);
        }
        Ok(jobs)
    }

    async fn send(&self, channel: Arc<dyn Channel>, job: Job) {
        let span = crate::alerts::span(job.org, job.alert.id);
        self.send_in_span(channel, job).instrument(span).await;
    }

    async fn send_in_span(&self, channel: Arc<dyn Channel>, job: Job) {
        let r = job.delivery_ref();
        let attempts = job.delivery.attempts;
        let outcome = channel.send(job).await;
        let now = self.clock.now();
        let result = to_send_outcome(outcome, attempts, channel.retries(), now);
        let name = channel.name().name();
        match &result {
            SendOutcome::Failed { error } => {
                tracing::warn!(channel = name, delivery = %r.delivery, %error, "delivery failed");
            }
            SendOutcome::Retry { at, error } => {
                tracing::info!(channel = name, delivery = %r.delivery, %error, %at, "delivery to be retried");
            }
            SendOutcome::Sent | SendOutcome::Delivered => {
                tracing::info!(channel = name, delivery = %r.delivery, outcome = ?result, "delivery handed over");
            }
        }
        let store = self.store.clone();
        let recorded = blocking(move || {
            if let Some(d) = store.finish_delivery(r, &result, now)? {
                crate::alerts::delivery_settled(&store, r, &d, now)?;
            }
            Ok::<_, StoreError>(())
        })
        .await;
        if let Err(e) = recorded {
            tracing::error!(delivery = %r.delivery, error = %e, "cannot record a delivery's outcome");
        }
        self.hub.notify_alert(r.org, r.alert);
    }

    async fn run_timers(self: Arc<Self>) {
        loop {
            let engine = self.engine.clone();
            let now = self.clock.now();
            match blocking(move || engine.escalate_due(now, 100)).await {
                Ok(0) => tokio::time::sleep(IDLE_POLL).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error = %e, "escalation timers failed");
                    tokio::time::sleep(IDLE_POLL * 4).await;
                }
            }
        }
    }
}

fn to_send_outcome(
    outcome: Outcome,
    attempts: u32,
    retries: Retries,
    now: OffsetDateTime,
) -> SendOutcome {
    match outcome {
        Outcome::Sent => SendOutcome::Sent,
        Outcome::Delivered => SendOutcome::Delivered,
        Outcome::Permanent(error) => SendOutcome::Failed { error },
        // The reason leads, so the last word on a delivery is what happened
        // ("busy"), not that it was tried.
        Outcome::Transient(error) if attempts >= retries.attempts => SendOutcome::Failed {
            error: format!("{error} (gave up after {attempts} attempts)"),
        },
        Outcome::Transient(error) => SendOutcome::Retry {
            at: now
                + retries
                    .pause
                    .and_then(|p| time::Duration::try_from(p).ok())
                    .unwrap_or_else(|| backoff(attempts)),
            error,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_transient_failures_end() {
        assert_eq!(backoff(1), time::Duration::seconds(5));
        assert_eq!(backoff(2), time::Duration::seconds(15));
        assert_eq!(backoff(4), time::Duration::seconds(135));
        let now = OffsetDateTime::UNIX_EPOCH;
        let growing = Retries::GROWING;
        assert!(matches!(
            to_send_outcome(Outcome::Transient("busy".into()), 1, growing, now),
            SendOutcome::Retry { .. }
        ));
        assert!(matches!(
            to_send_outcome(Outcome::Transient("busy".into()), growing.attempts, growing, now),
            SendOutcome::Failed { error } if error.starts_with("busy")
        ));
        let voice = Retries {
            attempts: 3,
            pause: Some(std::time::Duration::from_secs(60)),
        };
        assert_eq!(
            to_send_outcome(Outcome::Transient("no answer".into()), 2, voice, now),
            SendOutcome::Retry {
                at: now + time::Duration::seconds(60),
                error: "no answer".into()
            }
        );
    }
}

//! The sweeper: removes alerts, inbound messages, audit events and
//! positions past each organisation's retention. It removes a little at a
//! time, each alert in one atomic batch, and rests between steps so
//! alerting never waits behind it.

use crate::clock::SharedClock;
use crate::store::{Retention, Store, StoreError};
use std::time::Duration;
use time::OffsetDateTime;

/// How often the sweeper looks; each look costs a read of one record per
/// kind and organisation when nothing is due.
const LOOK_EVERY: Duration = Duration::from_secs(5);
/// Alerts removed in one step (each in its own atomic batch).
const ALERTS_PER_STEP: usize = 2;
/// Inbound messages or audit events removed in one step.
const RECORDS_PER_STEP: usize = 256;
/// After each step the sweeper rests this many times as long as the step
/// took, so it has the store at most a quarter of the time and an alert
/// being accepted never queues behind a long run of removals.
const REST_PER_WORK: u32 = 3;

/// Runs one step of removals, then rests in proportion.
fn step<T>(work: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    let started = std::time::Instant::now();
    let done = work()?;
    std::thread::sleep(started.elapsed() * REST_PER_WORK + Duration::from_millis(1));
    Ok(done)
}

/// What one sweep removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub alerts: usize,
    pub inbound: usize,
    pub audit: usize,
    pub positions: usize,
}

impl Swept {
    pub fn any(&self) -> bool {
        *self != Swept::default()
    }
}

fn days_before(now: OffsetDateTime, days: u32, min: u32) -> OffsetDateTime {
    now - time::Duration::days(i64::from(days.clamp(min, Retention::MAX_DAYS)))
}

/// Removes everything past its retention in every organisation.
pub fn sweep(store: &Store, now: OffsetDateTime) -> Result<Swept, StoreError> {
    let mut swept = Swept::default();
    for org in store.orgs()? {
        let retention = org.settings.retention;
        let handle = store.org(org.id);
        let alerts_cutoff = days_before(now, retention.alerts_days, Retention::MIN_ALERTS_DAYS);
        loop {
            let old = handle.alerts_before(alerts_cutoff, ALERTS_PER_STEP)?;
            if old.is_empty() {
                break;
            }
            if swept.alerts == 0 {
                tracing::info!(org = %org.slug, "removing alerts past their retention");
            }
            swept.alerts += step(|| {
                let mut removed = 0;
                for alert in old {
                    removed += usize::from(handle.remove_alert(alert)?);
                }
                Ok(removed)
            })?;
        }
        let inbound_cutoff = days_before(now, retention.inbound_days, Retention::MIN_INBOUND_DAYS);
        while let n @ 1.. = step(|| handle.remove_inbound_before(inbound_cutoff, RECORDS_PER_STEP))?
        {
            swept.inbound += n;
        }
        let audit_cutoff = days_before(now, retention.audit_days, Retention::MIN_AUDIT_DAYS);
        while let n @ 1.. = step(|| handle.remove_audit_before(audit_cutoff, RECORDS_PER_STEP))? {
            swept.audit += n;
        }
        let hours = i64::from(org.settings.location_retention_hours.max(1));
        swept.positions += handle.erase_positions_before(now - time::Duration::hours(hours))?;
    }
    // Unflushed removals that a crash undoes are only removed again.
    if swept.any() {
        store.flush_blocking()?;
    }
    Ok(swept)
}

/// Runs [`sweep`] every few seconds for as long as the runtime runs.
pub struct Sweeper {
    store: Store,
    clock: SharedClock,
}

impl Sweeper {
    pub fn new(store: Store, clock: SharedClock) -> Sweeper {
        Sweeper { store, clock }
    }

    /// First finishes erasures a crash cut short, then sweeps.
    pub fn run(self) {
        tokio::spawn(async move {
            let store = self.store.clone();
            match crate::store::blocking(move || super::resume_erasures(&store)).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(erasures = n, "interrupted erasures finished"),
                Err(e) => tracing::error!(error = %e, "cannot finish interrupted erasures"),
            }
            loop {
                let (store, now) = (self.store.clone(), self.clock.now());
                match crate::store::blocking(move || sweep(&store, now)).await {
                    Ok(swept) if swept.any() => tracing::info!(
                        alerts = swept.alerts,
                        inbound = swept.inbound,
                        audit = swept.audit,
                        positions = swept.positions,
                        "records past their retention removed"
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "the retention sweep failed"),
                }
                tokio::time::sleep(LOOK_EVERY).await;
            }
        });
    }
}

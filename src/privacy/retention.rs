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
const ALERTS_PER_STEP: usize = 1;
/// Inbound messages or audit events removed in one step.
const RECORDS_PER_STEP: usize = 256;
/// The most records removed a second: a backlog (a year of alerts when
/// retention is first shortened) is worked off over minutes rather than
/// slowing alerting down.
const RECORDS_PER_SECOND: f64 = 1_500.0;

/// Runs one step of removals, which says how many it counted and how many
/// records that was, writes them out, then rests so the pace stays within
/// [`RECORDS_PER_SECOND`]. The step's own flush matters: left to the next
/// flush, the removals would be written out by whichever alert is accepted
/// next, while its sender waits.
fn step(
    store: &Store,
    work: impl FnOnce() -> Result<(usize, usize), StoreError>,
) -> Result<usize, StoreError> {
    let started = std::time::Instant::now();
    let (counted, records) = work()?;
    if records > 0 {
        store.flush_blocking()?;
    }
    let due = Duration::from_secs_f64(records as f64 / RECORDS_PER_SECOND);
    std::thread::sleep(
        due.saturating_sub(started.elapsed())
            .max(Duration::from_millis(1)),
    );
    Ok(counted)
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
            swept.alerts += step(store, || {
                let (mut alerts, mut records) = (0, 0);
                for alert in old {
                    let removed = handle.remove_alert(alert)?;
                    alerts += usize::from(removed > 0);
                    records += removed;
                }
                Ok((alerts, records))
            })?;
        }
        let inbound_cutoff = days_before(now, retention.inbound_days, Retention::MIN_INBOUND_DAYS);
        while let n @ 1.. = step(store, || {
            let n = handle.remove_inbound_before(inbound_cutoff, RECORDS_PER_STEP)?;
            Ok((n, n))
        })? {
            swept.inbound += n;
        }
        let audit_cutoff = days_before(now, retention.audit_days, Retention::MIN_AUDIT_DAYS);
        while let n @ 1.. = step(store, || {
            let n = handle.remove_audit_before(audit_cutoff, RECORDS_PER_STEP)?;
            Ok((n, n))
        })? {
            swept.audit += n;
        }
        let hours = i64::from(org.settings.location_retention_hours.max(1));
        swept.positions += handle.erase_positions_before(now - time::Duration::hours(hours))?;
    }
    // Positions are few and small; a crash that undoes their removal only
    // has them removed again.
    if swept.positions > 0 {
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

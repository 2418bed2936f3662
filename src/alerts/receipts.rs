//! Receipts from members' live streams. An alert to thousands of members
//! with the app open comes back as thousands of receipts within a second;
//! each written on its own would be a transaction each, and every
//! transaction briefly holds the whole store. So a stream hands its
//! receipt over here and goes on; once the burst is over, one writer marks
//! whatever has gathered, a few hundred to a transaction, then tells the
//! organisation's webhooks and the alert's followers.
//!
//! Receipts are not flushed on their own: a crash may lose the last few,
//! and those deliveries then stay `sent` (the member did get the alert).

use crate::clock::SharedClock;
use crate::ids::Id;
use crate::live::Hub;
use crate::store::{AppDelivery, Store, StoreError};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// At most this many receipts to one transaction.
const BATCH: usize = 512;

/// Receipts wait until none has come for this long, so the writes follow
/// an alert's fan-out instead of taking the cores from it.
const QUIET: Duration = Duration::from_millis(100);

/// The longest receipts wait for that quiet moment.
const MOST_HELD: Duration = Duration::from_secs(2);

/// Where streams leave their receipts; cheap to clone.
#[derive(Debug, Clone)]
pub struct Receipts(mpsc::UnboundedSender<(Id, AppDelivery)>);

impl Receipts {
    /// Starts the writer on the current runtime.
    pub fn start(store: Store, hub: Arc<Hub>, clock: SharedClock) -> Receipts {
        let (sender, mut waiting) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut gathered = Vec::with_capacity(BATCH);
            while waiting.recv_many(&mut gathered, BATCH).await > 0 {
                let held = tokio::time::Instant::now() + MOST_HELD;
                while tokio::time::Instant::now() < held {
                    match tokio::time::timeout(QUIET, waiting.recv_many(&mut gathered, BATCH)).await
                    {
                        Ok(n) if n > 0 => {}
                        _ => break,
                    }
                }
                for receipts in std::mem::take(&mut gathered).chunks(BATCH) {
                    let (store, now, receipts) = (store.clone(), clock.now(), receipts.to_vec());
                    let written =
                        crate::store::blocking(move || write(&store, &receipts, now)).await;
                    match written {
                        Ok(alerts) => {
                            for (org, alert) in alerts {
                                hub.notify_alert(org, alert);
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "cannot mark alerts received"),
                    }
                }
            }
        });
        Receipts(sender)
    }

    /// The member's stream handed `entry` to its client.
    pub fn received(&self, org: Id, entry: AppDelivery) {
        // Only fails once the runtime is stopping.
        let _ = self.0.send((org, entry));
    }
}

/// Marks the receipts and settles each delivery that changed; the alerts
/// whose followers should look again.
fn write(
    store: &Store,
    receipts: &[(Id, AppDelivery)],
    now: time::OffsetDateTime,
) -> Result<BTreeSet<(Id, Id)>, StoreError> {
    let mut alerts = BTreeSet::new();
    for (at, delivery) in store.mark_all_received(receipts, now)? {
        super::delivery_settled(store, at, &delivery, now)?;
        alerts.insert((at.org, at.alert));
    }
    Ok(alerts)
}

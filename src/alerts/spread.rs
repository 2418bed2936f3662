//! After the `202`: an alert's recipients were accepted on sheets, and here
//! each person gets their own record and feed entry, in the background, a
//! sheet at a time ([`Store::spread_step`]). Nothing waits for it: until a
//! sheet is spread, the store reads its people from the sheet.

use crate::live::Wake;
use crate::store::{Store, StoreError};
use std::time::Duration;

/// How often to look without being woken: sheets a crash left behind are
/// spread after the restart's first look.
const LOOK_EVERY: Duration = Duration::from_secs(10);

/// Spreads sheets whenever new alerts are stored, for as long as the
/// runtime runs.
pub fn start(store: Store, wake: &Wake) {
    let mut waiter = wake.waiter();
    tokio::spawn(async move {
        loop {
            let store = store.clone();
            let spread = crate::store::blocking(move || {
                let mut sheets = 0usize;
                while store.spread_step()? {
                    sheets += 1;
                }
                Ok::<_, StoreError>(sheets)
            })
            .await;
            match spread {
                Ok(0) => {}
                Ok(sheets) => tracing::debug!(sheets, "recipient sheets spread"),
                Err(e) => tracing::error!(error = %e, "cannot spread recipient sheets"),
            }
            waiter.or_after(LOOK_EVERY).await;
        }
    });
}

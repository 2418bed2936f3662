//! After the `202`: an alert's recipients were accepted on sheets, and here
//! each person gets their own record and feed entry, in the background, a
//! sheet at a time ([`Store::spread_sheet`]). Nothing waits for it: until a
//! sheet is spread, the store reads its people from the sheet.
//!
//! An alert is left alone for its first seconds, while its deliveries go
//! out and the members' phones mark them received: spreading then would
//! compete with the alarm for the store, and the receipts write most
//! people's own records anyway, which leaves less to spread afterwards.

use crate::ids::Id;
use crate::live::Wake;
use crate::store::{Store, StoreError};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long a new alert is left on its sheets.
const SETTLE: Duration = Duration::from_secs(10);

/// How often to look without being woken.
const LOOK_EVERY: Duration = Duration::from_secs(30);

/// Spreads the sheets of alerts that have settled, for as long as the
/// runtime runs. Sheets a crash left behind are spread a settling time
/// after the restart.
pub fn start(store: Store, wake: &Wake) {
    let mut waiter = wake.waiter();
    tokio::spawn(async move {
        let mut first_seen: HashMap<(Id, Id), Instant> = HashMap::new();
        loop {
            let (store, mut seen) = (store.clone(), std::mem::take(&mut first_seen));
            let pass = crate::store::blocking(move || {
                let next = spread_settled(&store, &mut seen, Instant::now());
                next.map(|next| (next, seen))
            })
            .await;
            let pause = match pass {
                Ok((next, seen)) => {
                    first_seen = seen;
                    next.unwrap_or(LOOK_EVERY).min(LOOK_EVERY)
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot spread recipient sheets");
                    LOOK_EVERY
                }
            };
            waiter.or_after(pause).await;
        }
    });
}

/// Spreads every alert first seen on sheets at least [`SETTLE`] ago; how
/// long until the next one has settled, if one waits.
fn spread_settled(
    store: &Store,
    first_seen: &mut HashMap<(Id, Id), Instant>,
    now: Instant,
) -> Result<Option<Duration>, StoreError> {
    let on_sheets = store.on_sheets()?;
    first_seen.retain(|alert, _| on_sheets.contains(alert));
    let mut next: Option<Duration> = None;
    for (org, alert) in on_sheets {
        let seen = *first_seen.entry((org, alert)).or_insert(now);
        let waited = now.saturating_duration_since(seen);
        if waited < SETTLE {
            let left = SETTLE - waited;
            next = Some(next.map_or(left, |n| n.min(left)));
            continue;
        }
        let mut sheets = 0usize;
        while store.spread_sheet(org, alert)? {
            sheets += 1;
        }
        first_seen.remove(&(org, alert));
        tracing::debug!(%org, %alert, sheets, "recipients spread from their sheets");
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_is_spread_once_it_has_settled() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store")).unwrap();
        let (org, alert, users) = crate::store::fixtures::sample_alert(&store, 300);
        let mut first_seen = HashMap::new();
        let start = Instant::now();

        let wait = spread_settled(&store, &mut first_seen, start).unwrap();
        assert_eq!(wait, Some(SETTLE));
        let half = start + SETTLE / 2;
        assert_eq!(
            spread_settled(&store, &mut first_seen, half).unwrap(),
            Some(SETTLE / 2)
        );
        assert_eq!(store.on_sheets().unwrap(), vec![(org.org_id(), alert)]);

        assert_eq!(
            spread_settled(&store, &mut first_seen, start + SETTLE).unwrap(),
            None
        );
        assert!(store.on_sheets().unwrap().is_empty());
        assert!(first_seen.is_empty());
        assert_eq!(org.recipients(alert).unwrap().len(), users.len());
        assert_eq!(org.alerts_of_user(users[299]).unwrap().len(), 1);
    }
}

//! Lone workers and places: when a member's app shares its position (the
//! organisation's policy), keeping only the last one (`crate::privacy`
//! erases it after the retention), alerts that follow an area picking up members who enter
//! it, and the check-in timer (the dead man's switch) that reminds, gives a
//! grace period and then raises the alarm, on time after a restart.

mod checkin;

pub use checkin::{check_in, end_timer, start_timer, CheckInError, Scheduler, MAX_TIMER_MINUTES};

use crate::alerts::Engine;
use crate::ids::Id;
use crate::store::{AlertState, LocationPolicy, OrgStore, Position, StoreError, User};
use time::OffsetDateTime;

/// Feed entries looked at for an alert the member answers: their newest.
const FEED_LOOKED_AT: usize = 50;

/// Why the app is (or is not) asked for its position now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sharing {
    pub policy: LocationPolicy,
    pub sharing: bool,
}

/// Whether `user`'s app should share its position now: on duty under the
/// `duty` policy, or having answered "Coming" to an active alert under the
/// `alerts` policy; never under `never`.
pub fn sharing(org: &OrgStore, user: &User) -> Result<Sharing, StoreError> {
    let policy = org
        .store()
        .get_org(org.org_id())?
        .map(|o| o.settings.location_policy)
        .unwrap_or_default();
    let sharing = match policy {
        LocationPolicy::Never => false,
        LocationPolicy::Duty => user.on_duty,
        LocationPolicy::Alerts => answering(org, user.id)?,
    };
    Ok(Sharing { policy, sharing })
}

/// The member answered the first option ("Coming") of an active alert.
fn answering(org: &OrgStore, user: Id) -> Result<bool, StoreError> {
    for entry in org.user_feed_newest(user, FEED_LOOKED_AT)? {
        let Some(alert) = org.alert(entry.alert)? else {
            continue;
        };
        if alert.state != AlertState::Active {
            continue;
        }
        let coming = org
            .recipient(alert.id, entry.recipient)?
            .and_then(|r| r.response)
            .is_some_and(|r| alert.responses.first() == Some(&r.choice));
        if coming {
            return Ok(true);
        }
    }
    Ok(false)
}

/// What became of a reported position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reported {
    Kept {
        /// Alerts following an area the member just entered.
        joined: Vec<Id>,
    },
    /// The policy does not want it now; nothing was kept.
    NotSharing,
}

/// Keeps a member's position if the policy wants it now, and adds them to
/// active alerts that follow an area they are inside. Blocks on the store.
pub fn report(
    engine: &Engine,
    org: &OrgStore,
    user: &User,
    lat: f64,
    lon: f64,
    accuracy_m: f64,
    now: OffsetDateTime,
) -> Result<Reported, crate::alerts::AlertError> {
    if !sharing(org, user)?.sharing {
        return Ok(Reported::NotSharing);
    }
    org.set_position(&Position {
        user: user.id,
        lat,
        lon,
        accuracy_m,
        at: now,
    })?;
    let joined = engine.follow_areas(org, user, lat, lon, now)?;
    org.store().flush_blocking()?;
    Ok(Reported::Kept { joined })
}

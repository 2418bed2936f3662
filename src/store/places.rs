//! Where members are and how long they may stay silent: each member's last
//! known position (only the last: the appliance keeps no track), and each
//! member's check-in timer (the dead man's switch) with a due index by time,
//! so timers fire on time after a restart.

use super::keys::{self, Kind};
use super::{OrgStore, Result, Store};
use crate::ids::Id;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A member's last known position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub user: Id,
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: f64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Where a check-in timer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerState {
    Running,
    /// The member was reminded that it runs out soon.
    Reminded,
    /// It ran out: the member has the grace period to check in.
    Grace,
    /// The alarm was raised.
    Alarmed,
}

/// A member's check-in timer: unless they check in by `due_at`, a grace
/// period and then an alarm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInTimer {
    pub id: Id,
    pub user: Id,
    pub minutes: u32,
    pub note: String,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub due_at: OffsetDateTime,
    pub state: TimerState,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub grace_until: Option<OffsetDateTime>,
    /// The alarm it raised.
    #[serde(default)]
    pub alert: Option<Id>,
    /// When the scheduler looks at it next.
    #[serde(with = "time::serde::rfc3339")]
    pub next_step_at: OffsetDateTime,
    /// The timer a pre-alarm (the phone lay still) interrupted: checking in
    /// starts it again rather than leaving the member without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<Box<CheckInTimer>>,
}

/// An active alert that members entering its area receive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowedArea {
    pub alert: Id,
    pub area: crate::geo::Area,
}

/// A timer whose next step is due, by organisation and member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueCheckIn {
    pub org: Id,
    pub user: Id,
}

fn millis(at: OffsetDateTime) -> u64 {
    u64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

fn due_key(at: OffsetDateTime, org: Id, user: Id) -> Vec<u8> {
    let mut key = keys::kind_prefix(Id::SYSTEM, Kind::CheckInDue);
    key.extend_from_slice(&millis(at).to_be_bytes());
    key.extend_from_slice(&org.to_bytes());
    key.extend_from_slice(&user.to_bytes());
    key
}

impl Store {
    /// Timers whose next step is due at `now`, oldest first.
    pub fn due_check_ins(&self, now: OffsetDateTime, limit: usize) -> Result<Vec<DueCheckIn>> {
        let prefix = keys::kind_prefix(Id::SYSTEM, Kind::CheckInDue);
        let mut end = prefix.clone();
        end.extend_from_slice(&millis(now).saturating_add(1).to_be_bytes());
        let mut due = Vec::new();
        for key in self.records.range(prefix.clone()..end).keys().take(limit) {
            let key = key?;
            let tail = key.get(prefix.len() + 8..).unwrap_or_default();
            if let (Some(org), Some(user)) = (
                tail.get(..16).and_then(Id::from_slice),
                tail.get(16..32).and_then(Id::from_slice),
            ) {
                due.push(DueCheckIn { org, user });
            }
        }
        Ok(due)
    }
}

impl OrgStore {
    /// Keeps `position` as the member's last known one.
    pub fn set_position(&self, position: &Position) -> Result<()> {
        let org = self.org_id();
        self.store()
            .transaction(|tx| tx.put(org, Kind::Position, position.user, position))
    }

    pub fn position(&self, user: Id) -> Result<Option<Position>> {
        self.store().get(self.org_id(), Kind::Position, user)
    }

    /// Every member's last known position.
    pub fn positions(&self) -> Result<Vec<Position>> {
        self.store().list(self.org_id(), Kind::Position)
    }

    /// Erases positions older than `before`; how many.
    pub fn erase_positions_before(&self, before: OffsetDateTime) -> Result<usize> {
        let org = self.org_id();
        let mut erased = 0;
        for position in self.positions()? {
            if position.at < before {
                let user = position.user;
                let removed = self.store().transaction(|tx| {
                    // Only if it was not renewed meanwhile.
                    let current: Option<Position> = tx.get(org, Kind::Position, user)?;
                    match current {
                        Some(p) if p.at < before => tx.remove(org, Kind::Position, user),
                        _ => Ok(false),
                    }
                })?;
                erased += usize::from(removed);
            }
        }
        Ok(erased)
    }

    pub fn follow_area(&self, followed: &FollowedArea) -> Result<()> {
        let org = self.org_id();
        self.store()
            .transaction(|tx| tx.put(org, Kind::FollowedArea, followed.alert, followed))
    }

    pub fn followed_areas(&self) -> Result<Vec<FollowedArea>> {
        self.store().list(self.org_id(), Kind::FollowedArea)
    }

    pub fn unfollow_area(&self, alert: Id) -> Result<()> {
        let org = self.org_id();
        self.store()
            .transaction(|tx| tx.remove(org, Kind::FollowedArea, alert))
            .map(|_| ())
    }

    pub fn check_in_timer(&self, user: Id) -> Result<Option<CheckInTimer>> {
        self.store().get(self.org_id(), Kind::CheckInTimer, user)
    }

    /// Writes the member's timer and files it under its next step's time,
    /// replacing where `previous` was filed, in one step.
    pub fn put_check_in_timer(
        &self,
        timer: &CheckInTimer,
        previous: Option<&CheckInTimer>,
    ) -> Result<()> {
        let org = self.org_id();
        self.store().transaction(|tx| {
            if let Some(previous) = previous {
                tx.records
                    .remove(due_key(previous.next_step_at, org, previous.user))?;
            }
            tx.put(org, Kind::CheckInTimer, timer.user, timer)?;
            if timer.state != TimerState::Alarmed {
                tx.records
                    .insert(due_key(timer.next_step_at, org, timer.user), &[][..])?;
            }
            Ok(())
        })
    }

    /// Ends the member's timer; `true` if there was one.
    pub fn end_check_in_timer(&self, user: Id) -> Result<bool> {
        let org = self.org_id();
        self.store().transaction(|tx| {
            let Some(timer) = tx.get::<CheckInTimer>(org, Kind::CheckInTimer, user)? else {
                return Ok(false);
            };
            tx.records.remove(due_key(timer.next_step_at, org, user))?;
            tx.remove(org, Kind::CheckInTimer, user)
        })
    }
}

//! The check-in timer (dead man's switch). A member starts it for the time
//! a task should take; checking in (app or SMS) starts it over, ending it
//! stops it. Before it runs out the member is reminded; when it runs out
//! they have the organisation's grace period, told by app and SMS; then the
//! organisation's chosen template raises the alarm with their last position
//! and note. Timers live in the store with an index by the time of their
//! next step, so a dead phone or a restarted appliance still raises it.

use crate::alerts::{AlertRequest, Engine, Notice, RecipientSpec, Start, Trigger};
use crate::auth::Access;
use crate::clock::SharedClock;
use crate::ids::Id;
use crate::store::{
    CheckInTimer, Location, OrgStore, Permission, Store, StoreError, TimerState, User,
};
use std::time::Duration;
use time::OffsetDateTime;

/// The longest timer: a working day and a half.
pub const MAX_TIMER_MINUTES: u32 = 720;
/// How long before a timer runs out the member is reminded.
const REMIND_BEFORE_MINUTES: u32 = 5;
/// How often the scheduler looks for timers due.
const LOOK_EVERY: Duration = Duration::from_millis(500);

#[cfg(test)]
mod tests;

#[derive(Debug, thiserror::Error)]
pub enum CheckInError {
    #[error("minutes: must be from 0 (the pre-alarm now) to {MAX_TIMER_MINUTES}")]
    Minutes,
    #[error("note: must be at most 200 characters")]
    Note,
    #[error("there is no check-in timer running")]
    NoTimer,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn minutes(n: u32) -> time::Duration {
    time::Duration::minutes(i64::from(n))
}

fn grace_of(org: &OrgStore) -> Result<time::Duration, StoreError> {
    let seconds = org
        .store()
        .get_org(org.org_id())?
        .map_or(120, |o| o.settings.dead_man_grace_seconds);
    Ok(time::Duration::seconds(i64::from(seconds)))
}

/// When a running timer reminds its member: five minutes before it runs
/// out, or halfway for short ones.
fn reminder_at(started: OffsetDateTime, minutes_set: u32) -> OffsetDateTime {
    if minutes_set >= 2 * REMIND_BEFORE_MINUTES {
        started + minutes(minutes_set - REMIND_BEFORE_MINUTES)
    } else {
        started + time::Duration::seconds(i64::from(minutes_set) * 30)
    }
}

fn running(
    org: &OrgStore,
    previous: Option<&CheckInTimer>,
    base: CheckInTimer,
) -> Result<CheckInTimer, StoreError> {
    org.put_check_in_timer(&base, previous)?;
    org.store().flush_blocking()?;
    Ok(base)
}

/// Starts (or replaces) the member's timer. Zero minutes is the pre-alarm
/// at once (the app saw no movement): the grace period, then the alarm.
pub fn start_timer(
    org: &OrgStore,
    user: Id,
    minutes_set: u32,
    note: &str,
    now: OffsetDateTime,
) -> Result<CheckInTimer, CheckInError> {
    if minutes_set > MAX_TIMER_MINUTES {
        return Err(CheckInError::Minutes);
    }
    let note = note.trim();
    if note.chars().count() > 200 {
        return Err(CheckInError::Note);
    }
    let previous = org.check_in_timer(user)?;
    let grace = grace_of(org)?;
    let timer = if minutes_set == 0 {
        let interrupted = previous
            .clone()
            .filter(|p| p.minutes > 0 && p.state != TimerState::Alarmed)
            .map(|mut p| {
                p.interrupted = None;
                Box::new(p)
            });
        CheckInTimer {
            id: Id::new(),
            user,
            minutes: 0,
            note: note.to_owned(),
            started_at: now,
            due_at: now,
            state: TimerState::Grace,
            grace_until: Some(now + grace),
            alert: None,
            next_step_at: now + grace,
            interrupted,
        }
    } else {
        CheckInTimer {
            id: Id::new(),
            user,
            minutes: minutes_set,
            note: note.to_owned(),
            started_at: now,
            due_at: now + minutes(minutes_set),
            state: TimerState::Running,
            grace_until: None,
            alert: None,
            next_step_at: reminder_at(now, minutes_set),
            interrupted: None,
        }
    };
    Ok(running(org, previous.as_ref(), timer)?)
}

/// The member checked in: the timer starts over for its minutes (a
/// pre-alarm or a raised alarm's timer ends: the member is fine; a
/// pre-alarm that interrupted a timer gives that timer back, started over).
pub fn check_in(
    org: &OrgStore,
    user: Id,
    now: OffsetDateTime,
) -> Result<Option<CheckInTimer>, CheckInError> {
    let Some(previous) = org.check_in_timer(user)? else {
        return Err(CheckInError::NoTimer);
    };
    if let (Some(original), false) = (
        previous.interrupted.clone(),
        previous.state == TimerState::Alarmed,
    ) {
        let timer = CheckInTimer {
            started_at: now,
            due_at: now + minutes(original.minutes),
            state: TimerState::Running,
            grace_until: None,
            alert: None,
            next_step_at: reminder_at(now, original.minutes),
            interrupted: None,
            ..*original
        };
        return Ok(Some(running(org, Some(&previous), timer)?));
    }
    if previous.minutes == 0 || previous.state == TimerState::Alarmed {
        end_timer(org, user)?;
        return Ok(None);
    }
    let timer = CheckInTimer {
        started_at: now,
        due_at: now + minutes(previous.minutes),
        state: TimerState::Running,
        grace_until: None,
        next_step_at: reminder_at(now, previous.minutes),
        ..previous.clone()
    };
    Ok(Some(running(org, Some(&previous), timer)?))
}

/// Ends the member's timer; `false` when none ran.
pub fn end_timer(org: &OrgStore, user: Id) -> Result<bool, CheckInError> {
    let ended = org.end_check_in_timer(user)?;
    org.store().flush_blocking()?;
    Ok(ended)
}

/// Takes due timers one step on: reminded, grace, alarm.
#[derive(Clone)]
pub struct Scheduler {
    store: Store,
    engine: Engine,
    clock: SharedClock,
}

impl Scheduler {
    pub fn new(store: Store, engine: Engine, clock: SharedClock) -> Scheduler {
        Scheduler {
            store,
            engine,
            clock,
        }
    }

    /// Runs until the runtime stops: looks for due timers twice a second.
    pub fn run(self) {
        tokio::spawn(async move {
            loop {
                let this = self.clone();
                let stepped = crate::store::blocking(move || this.step_due()).await;
                if let Err(e) = stepped {
                    tracing::error!(error = %e, "check-in timers could not be served");
                }
                tokio::time::sleep(LOOK_EVERY).await;
            }
        });
    }

    /// Serves every timer whose next step is due; how many.
    pub fn step_due(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let due = self.store.due_check_ins(now, 100)?;
        for d in &due {
            let org = self.store.org(d.org);
            if let Err(e) = self.step(&org, d.user, now) {
                tracing::error!(org = %d.org, user = %d.user, error = %e, "a check-in timer could not take its step");
            }
        }
        Ok(due.len())
    }

    fn step(&self, org: &OrgStore, user: Id, now: OffsetDateTime) -> Result<(), StoreError> {
        let Some(timer) = org.check_in_timer(user)? else {
            return Ok(());
        };
        if timer.next_step_at > now {
            return Ok(());
        }
        let Some(member) = org.user(user)? else {
            org.end_check_in_timer(user)?;
            return org.store().flush_blocking();
        };
        let mut next = timer.clone();
        match timer.state {
            TimerState::Running => {
                next.state = TimerState::Reminded;
                next.next_step_at = timer.due_at.max(now);
                self.tell_member(org, &member, &timer, "checkin_reminder", now);
            }
            TimerState::Reminded => {
                let grace_until = timer.due_at + grace_of(org)?;
                next.state = TimerState::Grace;
                next.grace_until = Some(grace_until);
                next.next_step_at = grace_until.max(now);
                self.tell_member(org, &member, &timer, "checkin_grace", now);
            }
            TimerState::Grace => match self.raise_alarm(org, &member, &timer, now) {
                Some(alert) => {
                    next.state = TimerState::Alarmed;
                    next.alert = Some(alert);
                }
                // Tried again shortly: an alarm is never given up.
                None => next.next_step_at = now + time::Duration::seconds(10),
            },
            TimerState::Alarmed => return Ok(()),
        }
        org.put_check_in_timer(&next, Some(&timer))?;
        org.store().flush_blocking()
    }

    /// A reminder or the pre-alarm to the member, by app and SMS, as a
    /// notice of its own (sent once, even if this step runs again).
    fn tell_member(
        &self,
        org: &OrgStore,
        member: &User,
        timer: &CheckInTimer,
        what: &str,
        now: OffsetDateTime,
    ) {
        let lang = crate::text::Lang::from_code(
            org.store()
                .language_of(org.org_id(), Some(member.id))
                .as_deref(),
        );
        let notice = Notice {
            title: crate::text::phrase(lang, what).to_owned(),
            body: crate::text::phrase(lang, "checkin_how").to_owned(),
            key: format!(
                "checkin:{}:{}:{}",
                timer.id,
                timer.started_at.unix_timestamp(),
                what
            ),
            via: "check-in timer",
        };
        let to = RecipientSpec {
            users: vec![member.id.to_string()],
            ..RecipientSpec::default()
        };
        let channels = self
            .engine
            .carried(&[crate::store::Channel::App, crate::store::Channel::Sms]);
        if let Err(e) = self.engine.tell(org, notice, to, channels, now) {
            tracing::error!(user = %member.id, error = %e, "cannot remind a member of their check-in timer");
        }
    }

    /// The alarm: the organisation's chosen template with the member's name,
    /// note and last position; without a template (or if it cannot be
    /// used) the organisation's admins are alarmed, so it is never lost.
    fn raise_alarm(
        &self,
        org: &OrgStore,
        member: &User,
        timer: &CheckInTimer,
        now: OffsetDateTime,
    ) -> Option<Id> {
        let position = org.position(member.id).ok().flatten();
        let mut detail = format!("{} did not check in", member.name);
        if !timer.note.is_empty() {
            detail.push_str(&format!(" ({})", timer.note));
        }
        if let Some(p) = &position {
            let age = (now - p.at).whole_minutes();
            detail.push_str(&format!(
                ". Last position {:.5}, {:.5} (±{:.0} m, {age} min ago)",
                p.lat, p.lon, p.accuracy_m
            ));
        }
        detail.push('.');
        let template = org
            .store()
            .get_org(org.org_id())
            .ok()
            .flatten()
            .and_then(|o| o.settings.dead_man_template)
            .and_then(|name| org.find_template(&name).ok().flatten());
        let request = template.and_then(|t| serde_json::from_value::<AlertRequest>(t.alert).ok());
        let from_template = match request {
            Some(mut request) => {
                request.body = if request.body.trim().is_empty() {
                    detail.clone()
                } else {
                    format!("{}\n{detail}", request.body.trim())
                };
                if let Some(p) = &position {
                    request.location = Some(Location {
                        lat: p.lat,
                        lon: p.lon,
                        label: member.name.clone(),
                    });
                }
                request.channels = self.engine.carried(&request.channels);
                let mut trigger = Trigger::new(
                    crate::audit::appliance(),
                    Access {
                        roles: Vec::new(),
                        permissions: vec![Permission::SendAlerts],
                        alert_groups: None,
                    },
                    Start::Request(Box::new(request)),
                );
                trigger.idempotency_key = Some(format!(
                    "checkin:{}:{}:alarm",
                    timer.id,
                    timer.started_at.unix_timestamp()
                ));
                trigger.via = Some(format!("check-in timer of {}", member.name));
                match self.engine.raise(org, trigger, now) {
                    Ok(raised) => Some(raised.created.alert.id),
                    Err(e) => {
                        tracing::error!(user = %member.id, error = %e, "the check-in alarm's template cannot be used; the admins are alarmed");
                        None
                    }
                }
            }
            None => None,
        };
        if let Some(alert) = from_template {
            tracing::warn!(user = %member.id, %alert, "a check-in timer ran out: alarm raised");
            return Some(alert);
        }
        let raised = self
            .engine
            .tell_admins(
                org,
                Notice {
                    title: format!("{} did not check in", member.name),
                    body: detail,
                    key: format!(
                        "checkin:{}:{}:alarm",
                        timer.id,
                        timer.started_at.unix_timestamp()
                    ),
                    via: "check-in timer",
                },
                now,
            )
            .map(|r| r.created.alert.id);
        match raised {
            Ok(alert) => {
                tracing::warn!(user = %member.id, %alert, "a check-in timer ran out: alarm raised");
                Some(alert)
            }
            Err(e) => {
                tracing::error!(user = %member.id, error = %e, "a check-in timer ran out and its alarm failed");
                None
            }
        }
    }
}

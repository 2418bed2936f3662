//! Reminding an organisation's admins that an access review is due: when
//! the last closed review (or, before the first, the organisation's
//! creation) is older than its `access_review_interval_days`, the people
//! who manage users get an alert from the appliance, at most once a week
//! until a review is closed.

use crate::alerts::{AlertError, Engine, Notice, RecipientSpec};
use crate::audit::{self, Entry};
use crate::auth::Permission;
use crate::clock::SharedClock;
use crate::store::{Channel, Organisation, Outcome, Severity, Store};
use std::time::Duration as StdDuration;
use time::{Duration, OffsetDateTime};

/// Reminders of one due review are this far apart at least.
pub const AGAIN_AFTER: Duration = Duration::days(7);

/// How often the appliance looks.
const EVERY: StdDuration = StdDuration::from_secs(3600);
/// The first look after a start waits a little, so a restart does not
/// send a reminder before the appliance has settled.
const FIRST_AFTER: StdDuration = StdDuration::from_secs(600);

/// Whether a reminder is due now: the interval since `anchor` has passed
/// and the last reminder (if any) is a week old.
pub fn due(
    anchor: OffsetDateTime,
    reminded_at: Option<OffsetDateTime>,
    interval_days: u32,
    now: OffsetDateTime,
) -> bool {
    now - anchor >= Duration::days(i64::from(interval_days))
        && reminded_at.is_none_or(|at| now - at >= AGAIN_AFTER)
}

/// Looks at every organisation and reminds those whose review is due;
/// returns how many were reminded. Blocks on the store.
pub fn remind_due(
    store: &Store,
    engine: &Engine,
    now: OffsetDateTime,
) -> Result<usize, AlertError> {
    let mut reminded = 0;
    for org in store.orgs()? {
        match remind_org(store, engine, &org, now) {
            Ok(true) => reminded += 1,
            Ok(false) => {}
            // One organisation's trouble does not keep the others' reminders.
            Err(error) => {
                tracing::error!(org = %org.slug, %error, "cannot remind of an access review due");
            }
        }
    }
    Ok(reminded)
}

fn remind_org(
    store: &Store,
    engine: &Engine,
    org: &Organisation,
    now: OffsetDateTime,
) -> Result<bool, AlertError> {
    let handle = store.org(org.id);
    let state = handle.access_review_state()?;
    let anchor = state.last_closed_at.unwrap_or(org.created_at);
    let interval = org.settings.access_review_interval_days;
    if !due(anchor, state.reminded_at, interval, now) {
        return Ok(false);
    }
    let mut admins = Vec::new();
    for user in handle.users()? {
        if !user.deactivated
            && crate::auth::login::access_of(&handle, &user)?.allows(Permission::ManageUsers)
        {
            admins.push(user.username);
        }
    }
    if admins.is_empty() {
        return Ok(false);
    }
    let last = match state.last_closed_at {
        Some(at) => format!("The last access review was closed on {}.", at.date()),
        None => "No access review has been closed yet.".to_owned(),
    };
    let notice = Notice {
        title: "Access review due".to_owned(),
        body: format!(
            "{last} Reviews are due every {interval} days: check who holds which accounts and API keys, and remove what is no longer needed (console: Access review)."
        ),
        // One a day at most, even when the reminder is not recorded (a crash
        // between the two): the same key finds the alert already sent.
        key: format!("access-review-due:{}", now.date()),
        via: "access review reminder",
    };
    let to = RecipientSpec {
        users: admins.clone(),
        ..RecipientSpec::default()
    };
    engine.tell_as(
        Severity::Info,
        &handle,
        notice,
        to,
        vec![Channel::App, Channel::Email],
        now,
    )?;
    handle.mark_review_reminded(now)?;
    Entry::new(
        audit::appliance(),
        "access_review.reminded",
        Outcome::Success,
    )
    .detail(format!("{} admins: {}", admins.len(), admins.join(", ")))
    .write(&handle, now)?;
    Ok(true)
}

/// Checks every hour until the runtime stops.
pub fn start(store: Store, engine: Engine, clock: SharedClock) {
    actix_web::rt::spawn(async move {
        tokio::time::sleep(FIRST_AFTER).await;
        loop {
            let (s, e, now) = (store.clone(), engine.clone(), clock.now());
            let done = crate::store::blocking(move || {
                let reminded = remind_due(&s, &e, now)?;
                if reminded > 0 {
                    s.flush_blocking()?;
                }
                Ok::<_, AlertError>(reminded)
            })
            .await;
            if let Err(error) = done {
                tracing::error!(%error, "cannot check for access reviews due");
            }
            tokio::time::sleep(EVERY).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_after_the_interval_and_then_weekly() {
        let start = OffsetDateTime::UNIX_EPOCH;
        let day = Duration::days(1);
        assert!(!due(start, None, 90, start + day * 89));
        assert!(due(start, None, 90, start + day * 90));
        let reminded = start + day * 90;
        assert!(!due(start, Some(reminded), 90, reminded + day * 6));
        assert!(due(start, Some(reminded), 90, reminded + day * 7));
        // A review closed since starts the interval again.
        let closed = start + day * 100;
        assert!(!due(closed, Some(reminded), 90, closed + day * 30));
    }
}

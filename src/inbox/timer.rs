//! Check-in timers by SMS, for a lone worker without the app: `TIMER 45
//! roof work` starts one for 45 minutes, `OK` (or `CHECK`) checks in,
//! `TIMER OFF` ends it. The sender is the member whose phone number it is;
//! they are told what was done by SMS.

use super::{Filed, Worker};
use crate::alerts::{Notice, RecipientSpec};
use crate::places::{self, CheckInError};
use crate::store::{Handling, InboundMessage, StoreError, User};
use crate::text::{fill, phrase, Lang};

/// What a text asks of the timer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Command {
    Start { minutes: u32, note: String },
    CheckIn,
    End,
}

fn command(text: &str) -> Option<Command> {
    let mut words = text.split_whitespace();
    let first = words.next()?.to_uppercase();
    match first.as_str() {
        "OK" | "CHECK" | "CHECKIN" if words.clone().all(|w| w.eq_ignore_ascii_case("in")) => {
            Some(Command::CheckIn)
        }
        "TIMER" => {
            let second = words.next()?;
            match second.to_uppercase().as_str() {
                "OFF" | "STOP" | "END" => Some(Command::End),
                n => Some(Command::Start {
                    minutes: n.parse().ok()?,
                    note: words.collect::<Vec<_>>().join(" "),
                }),
            }
        }
        _ => None,
    }
}

/// The member whose phone this is, in any organisation.
fn member_by_phone(
    worker: &Worker,
    phone: &str,
) -> Result<Option<(crate::ids::Id, User)>, StoreError> {
    for org in worker.store.orgs()? {
        let found = worker
            .store
            .org(org.id)
            .users()?
            .into_iter()
            .find(|u| u.phones.iter().any(|p| p == phone));
        if let Some(user) = found {
            return Ok(Some((org.id, user)));
        }
    }
    Ok(None)
}

/// Handles a timer command from a member; `None` when the text is none,
/// or is `OK` from someone with no timer (then it may answer an alert).
pub(super) fn handle(
    worker: &Worker,
    message: &InboundMessage,
) -> Result<Option<Filed>, StoreError> {
    let Some(command) = command(&message.text) else {
        return Ok(None);
    };
    let Some((org_id, user)) = member_by_phone(worker, &message.from)? else {
        return Ok(None);
    };
    let org = worker.store.org(org_id);
    let now = message.received_at;
    let done = match &command {
        Command::Start { minutes, note } => places::start_timer(&org, user.id, *minutes, note, now)
            .map(|t| format!("started for {} minutes", t.minutes)),
        Command::CheckIn => match places::check_in(&org, user.id, now) {
            Err(CheckInError::NoTimer) => return Ok(None),
            other => other.map(|t| match t {
                Some(t) => format!("checked in; runs {} minutes more", t.minutes),
                None => "checked in; ended".to_owned(),
            }),
        },
        Command::End => places::end_timer(&org, user.id)
            .map(|ended| if ended { "ended" } else { "none was running" }.to_owned()),
    };
    let action = match done {
        Ok(action) => action,
        Err(CheckInError::Store(e)) => return Err(e),
        Err(e) => format!("refused: {e}"),
    };
    tell(worker, &org, &user, &action, message);
    Ok(Some(Filed::under(
        org_id,
        Handling::Timer {
            user: user.id,
            action,
        },
    )))
}

/// Tells the member by SMS what their text did.
fn tell(
    worker: &Worker,
    org: &crate::store::OrgStore,
    user: &User,
    action: &str,
    message: &InboundMessage,
) {
    let lang = Lang::from_code(
        worker
            .store
            .language_of(org.org_id(), Some(user.id))
            .as_deref(),
    );
    let notice = Notice {
        title: phrase(lang, "checkin_title").to_owned(),
        body: fill(lang, "checkin_done", &[("action", action)]),
        key: format!("checkin:sms:{}", message.id),
        via: "check-in timer by SMS",
    };
    let to = RecipientSpec {
        users: vec![user.id.to_string()],
        ..RecipientSpec::default()
    };
    let channels = worker.engine.carried(&[crate::store::Channel::Sms]);
    if let Err(e) = worker
        .engine
        .tell(org, notice, to, channels, message.received_at)
    {
        tracing::error!(user = %user.id, error = %e, "cannot confirm a check-in timer by SMS");
    }
}

#[cfg(test)]
mod tests;

//! Handling keys pressed in a robot call: the call was about one alert and
//! one recipient, so the choice is their answer to it while it is active.

use super::answers;
use super::{Filed, Worker};
use crate::alerts::ResponseInput;
use crate::store::{AlertState, Handling, InboundMessage, Said, StoreError};

pub(super) fn handle(worker: &Worker, message: &InboundMessage) -> Result<Filed, StoreError> {
    let Said::Keys {
        org,
        alert,
        recipient,
        choice,
        eta_minutes,
    } = message.said
    else {
        return Ok(Filed::under(
            crate::ids::Id::SYSTEM,
            Handling::Ignored {
                why: "a call's message without its keys".to_owned(),
            },
        ));
    };
    let store = worker.store.org(org);
    let Some(alert) = store
        .alert(alert)?
        .filter(|a| a.state == AlertState::Active)
    else {
        return Ok(Filed::under(
            org,
            Handling::Ignored {
                why: "the alert is no longer active".to_owned(),
            },
        ));
    };
    let input = usize::from(choice)
        .checked_sub(1)
        .and_then(|i| alert.responses.get(i))
        .map(|choice| ResponseInput {
            choice: choice.clone(),
            eta_minutes: eta_minutes.filter(|_| alert.allow_eta),
            text: None,
        });
    let handling = answers::answer_or_note(&worker.hub, &store, &alert, recipient, input, message)?;
    Ok(Filed::under(org, handling))
}

//! What people send back on a device channel (an SMS reply, a radio's text,
//! status or call-out answer) becomes their answer to the alert, or a note
//! on its timeline when it is no answer. One place, so SMS and TETRA agree.

use crate::alerts::{respond, ResponseInput};
use crate::ids::Id;
use crate::live::Hub;
use crate::store::{
    Alert, AlertEvent, AlertState, Channel, Handling, OrgStore, Peer, Store, StoreError,
};
use time::OffsetDateTime;

/// The newest active alert among `peers`, with its organisation.
pub fn open_alert(
    store: &Store,
    peers: &[Peer],
) -> Result<Option<(Peer, OrgStore, Alert)>, StoreError> {
    for peer in peers {
        let org = store.org(peer.org);
        if let Some(alert) = org.alert(peer.alert)? {
            if alert.state == AlertState::Active {
                return Ok(Some((*peer, org, alert)));
            }
        }
    }
    Ok(None)
}

/// Records `input` as `recipient`'s answer, or, when there is none, `note`
/// (what was received, as JSON) on the alert's timeline; tells whoever
/// follows the alert.
#[allow(clippy::too_many_arguments)]
pub fn answer_or_note(
    hub: &Hub,
    org: &OrgStore,
    alert: &Alert,
    recipient: Id,
    input: Option<ResponseInput>,
    channel: Channel,
    note: serde_json::Value,
    at: OffsetDateTime,
) -> Result<Handling, StoreError> {
    let handling = match input {
        Some(input) => match respond(org, alert.id, recipient, input, channel, at) {
            Ok(updated) => Handling::Response {
                alert: alert.id,
                recipient,
                choice: updated.response.map(|r| r.choice).unwrap_or_default(),
            },
            Err(e) => Handling::Ignored {
                why: format!("the answer could not be recorded: {e}"),
            },
        },
        None => {
            let mut detail = note;
            detail["recipient"] = serde_json::json!(recipient);
            detail["channel"] = serde_json::json!(channel);
            org.add_alert_event(
                alert.id,
                &AlertEvent {
                    id: Id::new(),
                    at,
                    kind: "note".to_owned(),
                    detail,
                },
            )?;
            Handling::Note {
                alert: alert.id,
                recipient,
            }
        }
    };
    hub.notify_alert(org.org_id(), alert.id);
    Ok(handling)
}

/// Why a message that answers nothing was ignored.
pub fn unanswered(unknown_sender: bool, what: &str) -> Handling {
    Handling::Ignored {
        why: if unknown_sender {
            format!("the {what} is not known to any organisation")
        } else {
            format!("no open alert was sent to this {what}")
        },
    }
}

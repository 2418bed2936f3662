//! What people send back on a device channel (an SMS reply, a radio's text,
//! status or call-out answer) becomes their answer to the alert, or a note
//! on its timeline when it is no answer. One place, so SMS and TETRA agree.
//! The timeline event takes the received message's id, so handling a message
//! again after a crash writes it once.

use crate::alerts::{respond_as, ResponseInput};
use crate::ids::Id;
use crate::live::Hub;
use crate::store::{
    Alert, AlertEvent, AlertState, Channel, Handling, InboundMessage, OrgStore, Peer, Store,
    StoreError,
};

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

/// Records `input` as `recipient`'s answer, or, when there is none, a note
/// of what `message` said on the alert's timeline; tells whoever follows
/// the alert.
pub fn answer_or_note(
    hub: &Hub,
    org: &OrgStore,
    alert: &Alert,
    recipient: Id,
    input: Option<ResponseInput>,
    message: &InboundMessage,
) -> Result<Handling, StoreError> {
    let channel: Channel = message.channel;
    let handling = match input {
        Some(input) => match respond_as(
            org,
            alert.id,
            recipient,
            input,
            channel,
            message.id,
            message.received_at,
        ) {
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
            org.add_alert_event(
                alert.id,
                &AlertEvent {
                    id: message.id,
                    at: message.received_at,
                    kind: "note".to_owned(),
                    detail: serde_json::json!({
                        "from": message.from, "text": message.text,
                        "recipient": recipient, "channel": channel,
                    }),
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
pub fn unanswered(owned: bool, what: &str) -> Handling {
    Handling::Ignored {
        why: if owned {
            format!("no open alert was sent to this {what}")
        } else {
            format!("the {what} is not assigned to any organisation")
        },
    }
}

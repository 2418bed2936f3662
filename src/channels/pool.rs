//! Several devices sharing one channel's load (modems for SMS, radios for
//! TETRA): each message goes to the ready device with the shortest queue; a
//! device that fails or vanishes hands its message back and another takes it
//! at once; with none ready, a message waits a while before the dispatcher is
//! told to retry later.

use super::Outcome;
use crate::hw::{FailureClass, SendFailure};
use crate::ids::Id;
use crate::store::DeliveryRef;
use std::future::Future;
use std::time::Duration;

/// How long a send waits for some device to be ready before giving up for now.
const WAIT_FOR_DEVICE: Duration = Duration::from_secs(30);

/// A device that can take a share of a channel's messages.
pub trait Member: Clone + Send + Sync + 'static {
    type Request: Clone + Send + 'static;
    fn name(&self) -> &str;
    fn is_ready(&self) -> bool;
    fn waiting(&self) -> usize;
    fn state_name(&self) -> &'static str;
    fn send(
        &self,
        request: Self::Request,
    ) -> impl Future<Output = Result<Vec<u8>, SendFailure>> + Send;
}

/// Sends one request through the first device that takes it.
pub async fn send_through<M: Member>(members: Vec<M>, kind: &str, request: M::Request) -> Outcome {
    let deadline = tokio::time::Instant::now() + WAIT_FOR_DEVICE;
    let mut tried: Vec<String> = Vec::new();
    let mut last_down = String::new();
    loop {
        let candidate = members
            .iter()
            .filter(|m| m.is_ready() && !tried.iter().any(|t| t == m.name()))
            .min_by_key(|m| m.waiting())
            .cloned();
        let Some(member) = candidate else {
            if !tried.is_empty() && members.iter().all(|m| tried.iter().any(|t| t == m.name())) {
                // Every device failed this message once; let them recover.
                tried.clear();
            }
            if tokio::time::Instant::now() >= deadline {
                let states = members
                    .iter()
                    .map(|m| format!("{} {}", m.name(), m.state_name()))
                    .collect::<Vec<_>>()
                    .join(", ");
                let why = if members.is_empty() {
                    format!("no {kind} is configured")
                } else if last_down.is_empty() {
                    format!("no {kind} is ready ({states})")
                } else {
                    format!("no {kind} is ready ({states}); last: {last_down}")
                };
                return Outcome::Transient(why);
            }
            // Device states change rarely; a short poll keeps this simple.
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        match member.send(request.clone()).await {
            Ok(_) => return Outcome::Sent,
            Err(f) => match f.class {
                FailureClass::Permanent => return Outcome::Permanent(f.reason),
                FailureClass::RetryLater => return Outcome::Transient(f.reason),
                FailureClass::DeviceDown => {
                    tracing::warn!(device = %member.name(), reason = %f.reason, "a {kind} gave a message back; trying another");
                    last_down = format!("{}: {}", member.name(), f.reason);
                    tried.push(member.name().to_owned());
                }
            },
        }
    }
}

/// A delivery as a device request's tag, and back.
pub fn tag_of(r: DeliveryRef) -> String {
    format!("{}:{}:{}:{}", r.org, r.alert, r.recipient, r.delivery)
}

pub fn ref_of(tag: &str) -> Option<DeliveryRef> {
    let mut ids = tag.split(':').map(|s| s.parse::<Id>().ok());
    Some(DeliveryRef {
        org: ids.next()??,
        alert: ids.next()??,
        recipient: ids.next()??,
        delivery: ids.next()??,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip() {
        let r = DeliveryRef {
            org: Id::new(),
            alert: Id::new(),
            recipient: Id::new(),
            delivery: Id::new(),
        };
        assert_eq!(ref_of(&tag_of(r)), Some(r));
        assert_eq!(ref_of("x:y"), None);
    }
}

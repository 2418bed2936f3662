//! The `app` channel: members logged in to the app (or console) get the alert
//! on their live stream. Sending puts it in the member's feed and wakes their
//! open streams; it becomes `delivered` when a stream hands it to the client,
//! and read when the member opens it.

use super::{Channel, Job, Limits, Outcome};
use crate::ids::Id;
use crate::live::{Hub, MemberEvent};
use crate::store::Channel as ChannelName;
use futures_util::future::BoxFuture;
use std::sync::Arc;

pub struct AppChannel {
    hub: Arc<Hub>,
}

impl AppChannel {
    pub fn new(hub: Arc<Hub>) -> Self {
        AppChannel { hub }
    }
}

impl Channel for AppChannel {
    fn name(&self) -> ChannelName {
        ChannelName::App
    }

    fn limits(&self) -> Limits {
        // Only memory and sockets bound it.
        Limits {
            concurrency: 256,
            per_minute: u32::MAX,
        }
    }

    fn send(&self, job: Job) -> BoxFuture<'static, Outcome> {
        let hub = self.hub.clone();
        Box::pin(async move {
            let Ok(user) = job.delivery.address.parse::<Id>() else {
                return Outcome::Permanent("the recipient has no app account".to_owned());
            };
            hub.notify_member(
                job.org,
                user,
                MemberEvent {
                    delivery: job.delivery.id,
                    alert: job.alert.id,
                },
            );
            // In the member's feed now, whether or not a stream is open.
            Outcome::Sent
        })
    }
}

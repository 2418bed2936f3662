//! A live stream's hold on whoever opened it. The stream lives only while
//! its session (or API key) would still be let in: the lease watches the
//! records that decide that, checks again the moment one of them changes,
//! and ends the stream at once when the answer is no — after logout, "sign
//! out everywhere", a blocked or wiped device, a password change, a revoked
//! permission — and at the session's absolute expiry.

use super::extract::{Caller, Principal};
use super::AppState;
use crate::auth::{apikey, session, Access};
use crate::ids::Id;
use crate::store::{SessionKeys, SessionStage, Store, Watch};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::oneshot;

/// How often a lease checks again with nothing changed: the bound on how
/// late a stream ends at its expiry when the clock jumps.
const RECHECK_EVERY: Duration = Duration::from_secs(10);

/// Whether the access the caller holds now still covers the stream.
pub type StillAllowed = Box<dyn Fn(&Access) -> bool + Send + Sync>;

/// Ended when the stream must end; dropping it stops the watching.
pub struct Lease {
    end: oneshot::Receiver<()>,
}

/// Whom a lease is for.
#[derive(Debug, Clone, Copy)]
enum Holder {
    Session { org: Id, session: Id },
    ApiKey { org: Id, key: Id },
}

impl Lease {
    pub fn start(state: &AppState, principal: &Principal, allowed: StillAllowed) -> Lease {
        let org = principal.org.org_id();
        let (holder, watch, expires) = match &principal.caller {
            Caller::Session(s) => (
                Holder::Session {
                    org,
                    session: s.session.id,
                },
                state.store.watch_session(SessionKeys {
                    org,
                    session: s.session.id,
                    device: s.device.id,
                    user: s.user.id,
                }),
                Some(session::absolute_expiry(&s.org, &s.session)),
            ),
            Caller::ApiKey { key_id } => (
                Holder::ApiKey { org, key: *key_id },
                state.store.watch_api_key(org, *key_id),
                None,
            ),
        };
        let (tx, end) = oneshot::channel();
        let watcher = Watcher {
            store: state.store.clone(),
            clock: state.clock.clone(),
            holder,
            watch,
            expires,
            allowed,
        };
        tokio::spawn(watcher.run(tx));
        Lease { end }
    }

    /// Resolves when the stream must end. Call until it resolves, then
    /// not again.
    pub async fn ended(&mut self) {
        // A lost watcher ends the stream too: better to reconnect than to
        // stream unchecked.
        let _ = (&mut self.end).await;
    }
}

struct Watcher {
    store: Store,
    clock: crate::clock::SharedClock,
    holder: Holder,
    watch: Watch,
    expires: Option<OffsetDateTime>,
    allowed: StillAllowed,
}

impl Watcher {
    async fn run(self, mut end: oneshot::Sender<()>) {
        let this = std::sync::Arc::new(self);
        loop {
            let pause = this
                .expires
                .map(|at| (at - this.clock.now()).unsigned_abs())
                .map_or(RECHECK_EVERY, |left| left.min(RECHECK_EVERY));
            tokio::select! {
                () = end.closed() => return,
                () = this.watch.changed() => {}
                () = tokio::time::sleep(pause) => {}
            }
            let check = this.clone();
            let may_go_on = crate::store::blocking(move || {
                Ok::<_, crate::store::StoreError>(check.may_go_on())
            })
            .await
            .unwrap_or(false);
            if !may_go_on {
                let _ = end.send(());
                return;
            }
        }
    }

    fn may_go_on(&self) -> bool {
        let now = self.clock.now();
        let access = match self.holder {
            Holder::Session { org, session } => {
                match session::recheck(&self.store, org, session, now) {
                    Ok(session::Verdict::Valid(auth))
                        if auth.session.stage == SessionStage::Full =>
                    {
                        Some(auth.access)
                    }
                    Ok(_) => None,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot check a live stream's session; ending it");
                        None
                    }
                }
            }
            Holder::ApiKey { org, key } => apikey::recheck(&self.store.org(org), key, now)
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "cannot check a live stream's key; ending it");
                    None
                }),
        };
        access.is_some_and(|a| (self.allowed)(&a))
    }
}

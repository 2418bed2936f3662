//! Which alert each CAP message started, so an `Update` or a `Cancel`
//! that references the message finds it, and a message posted twice
//! finds the alert it started the first time.

use super::keys::Kind;
use super::{OrgStore, Result};
use crate::ids::Id;

impl OrgStore {
    /// The alert the message known by `key` started or changed.
    pub fn cap_alert(&self, key: Id) -> Result<Option<Id>> {
        self.store().get(self.org_id(), Kind::CapMessage, key)
    }

    pub fn remember_cap_message(&self, key: Id, alert: Id) -> Result<()> {
        let org = self.org_id();
        self.store()
            .transaction(|tx| tx.put(org, Kind::CapMessage, key, &alert))
    }
}

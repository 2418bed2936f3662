//! Login sessions of the console and the members' app. Only a SHA-256 of the
//! cookie's secret is kept, like API keys.

use super::keys::Kind;
use super::{DeviceRecord, OrgStore, Result, User};
use crate::ids::Id;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub id: Id,
    pub user_id: Id,
    pub device_id: Id,
    pub secret_sha256: String,
    /// Sent back in `X-CSRF-Token` with every state-changing request.
    pub csrf_token: String,
    /// Stored as it was at login; each request recomputes it from the
    /// user's security state now.
    pub stage: SessionStage,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub user_agent: Option<String>,
}

/// What a session may do. Until a forced password change or a required second
/// factor is done, the session reaches only the pages that do it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStage {
    Full,
    MustChangePassword,
    MustEnrollSecondFactor,
}

impl OrgStore {
    pub fn put_session(&self, session: &SessionRecord) -> Result<()> {
        self.store
            .insert(self.org, Kind::Session, session.id, session)
    }

    /// A successful login: the device, the new session and the user's
    /// last login, in one write.
    pub fn begin_session(
        &self,
        device: &DeviceRecord,
        session: &SessionRecord,
        now: OffsetDateTime,
    ) -> Result<()> {
        self.store.transaction(|tx| {
            tx.put(self.org, Kind::Device, device.id, device)?;
            tx.put(self.org, Kind::Session, session.id, session)?;
            if let Some(mut user) = tx.get::<User>(self.org, Kind::User, session.user_id)? {
                user.last_login_at = Some(now);
                tx.put(self.org, Kind::User, user.id, &user)?;
            }
            Ok(())
        })
    }

    pub fn session(&self, id: Id) -> Result<Option<SessionRecord>> {
        self.store.get(self.org, Kind::Session, id)
    }

    pub fn sessions(&self) -> Result<Vec<SessionRecord>> {
        self.store.list(self.org, Kind::Session)
    }

    pub fn sessions_of(&self, user: Id) -> Result<Vec<SessionRecord>> {
        Ok(self
            .sessions()?
            .into_iter()
            .filter(|s| s.user_id == user)
            .collect())
    }

    pub fn touch_session(&self, id: Id, now: OffsetDateTime) -> Result<()> {
        self.store
            .modify(self.org, Kind::Session, id, |s: &mut SessionRecord| {
                s.last_seen_at = now;
                Ok(())
            })
            .map(|_| ())
    }

    /// Ends sessions: true if there was one to end.
    pub fn end_session(&self, id: Id) -> Result<bool> {
        self.store
            .transaction(|tx| tx.remove(self.org, Kind::Session, id))
    }

    /// Ends every session of a user except `keep`; returns how many ended.
    pub fn end_sessions_of(&self, user: Id, keep: Option<Id>) -> Result<usize> {
        let ids: Vec<Id> = self
            .sessions_of(user)?
            .into_iter()
            .map(|s| s.id)
            .filter(|id| Some(*id) != keep)
            .collect();
        self.store.transaction(|tx| {
            for id in &ids {
                tx.remove(self.org, Kind::Session, *id)?;
            }
            Ok(ids.len())
        })
    }

    pub fn end_sessions_of_device(&self, device: Id) -> Result<usize> {
        let ids: Vec<Id> = self
            .sessions()?
            .into_iter()
            .filter(|s| s.device_id == device)
            .map(|s| s.id)
            .collect();
        self.store.transaction(|tx| {
            for id in &ids {
                tx.remove(self.org, Kind::Session, *id)?;
            }
            Ok(ids.len())
        })
    }
}

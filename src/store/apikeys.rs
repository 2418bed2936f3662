//! API keys for integrations. Only a SHA-256 of the secret is kept: the secret
//! is 256 random bits, so a slow hash adds nothing and would slow every request.

use super::keys::Kind;
use super::{Actor, OrgStore, Result};
use crate::ids::Id;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    pub id: Id,
    pub name: String,
    pub role: String,
    /// Hex SHA-256 of the secret part of the key.
    pub secret_sha256: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    /// Who made the key; keys made before this was kept have none.
    #[serde(default)]
    pub created_by: Option<Actor>,
}

#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub id: Id,
    pub name: String,
    pub role: String,
    pub secret_sha256: String,
    pub expires_at: Option<OffsetDateTime>,
    pub created_by: Option<Actor>,
}

impl OrgStore {
    pub fn create_api_key(&self, new: NewApiKey, now: OffsetDateTime) -> Result<ApiKeyRecord> {
        let record = ApiKeyRecord {
            id: new.id,
            name: new.name,
            role: new.role,
            secret_sha256: new.secret_sha256,
            created_at: now,
            expires_at: new.expires_at,
            last_used_at: None,
            revoked_at: None,
            created_by: new.created_by,
        };
        self.store
            .transaction(|tx| tx.put(self.org, Kind::ApiKey, record.id, &record))?;
        Ok(record)
    }

    pub fn api_key(&self, id: Id) -> Result<Option<ApiKeyRecord>> {
        self.store.get(self.org, Kind::ApiKey, id)
    }

    pub fn api_keys(&self) -> Result<Vec<ApiKeyRecord>> {
        self.store.list(self.org, Kind::ApiKey)
    }

    /// Records a use of the key. Not flushed on its own: losing the last few
    /// seconds of "last used" in a crash is harmless.
    pub fn touch_api_key(&self, id: Id, now: OffsetDateTime) -> Result<()> {
        self.store.transaction(|tx| {
            if let Some(mut record) = tx.get::<ApiKeyRecord>(self.org, Kind::ApiKey, id)? {
                record.last_used_at = Some(now);
                tx.put(self.org, Kind::ApiKey, id, &record)?;
            }
            Ok(())
        })
    }

    pub fn revoke_api_key(&self, id: Id, now: OffsetDateTime) -> Result<ApiKeyRecord> {
        self.store
            .modify(self.org, Kind::ApiKey, id, |record: &mut ApiKeyRecord| {
                record.revoked_at.get_or_insert(now);
                Ok(())
            })
    }
}

//! Devices: each app or console login registers one. A blocked device's
//! sessions die at once; a wipe order is delivered once, then the device is
//! blocked.

use super::keys::Kind;
use super::{OrgStore, Result};
use crate::ids::Id;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRecord {
    pub id: Id,
    pub user_id: Id,
    pub name: String,
    pub platform: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub blocked_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub wipe_requested_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub wipe_delivered_at: Option<OffsetDateTime>,
}

impl OrgStore {
    pub fn put_device(&self, device: &DeviceRecord) -> Result<()> {
        self.store.insert(self.org, Kind::Device, device.id, device)
    }

    pub fn device(&self, id: Id) -> Result<Option<DeviceRecord>> {
        self.store.get(self.org, Kind::Device, id)
    }

    pub fn devices(&self) -> Result<Vec<DeviceRecord>> {
        self.store.list(self.org, Kind::Device)
    }

    pub fn devices_of(&self, user: Id) -> Result<Vec<DeviceRecord>> {
        Ok(self
            .devices()?
            .into_iter()
            .filter(|d| d.user_id == user)
            .collect())
    }

    pub fn modify_device(&self, id: Id, f: impl Fn(&mut DeviceRecord)) -> Result<DeviceRecord> {
        self.store
            .modify(self.org, Kind::Device, id, |d: &mut DeviceRecord| {
                f(d);
                Ok(())
            })
    }
}

//! Organisations: the unit of isolation. The directory of organisations (slug →
//! id) is the one index that lives under the system namespace.

use super::keys::{self, IndexKind, Kind};
use super::{Result, Store, StoreError};
use crate::ids::Id;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub id: Id,
    /// Short name used at login and on the command line ("acme").
    pub slug: String,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Store {
    pub fn create_org(&self, slug: &str, name: &str, now: OffsetDateTime) -> Result<Organisation> {
        let org = Organisation {
            id: Id::new(),
            slug: slug.to_owned(),
            name: name.to_owned(),
            created_at: now,
        };
        self.transaction(|tx| {
            tx.claim(
                Id::SYSTEM,
                IndexKind::OrgSlug,
                &org.slug,
                org.id,
                "organisation",
            )?;
            tx.put(org.id, Kind::Organisation, org.id, &org)
        })?;
        Ok(org)
    }

    pub fn org_by_slug(&self, slug: &str) -> Result<Option<Organisation>> {
        match self.lookup(Id::SYSTEM, IndexKind::OrgSlug, slug)? {
            Some(id) => self.get_org(id),
            None => Ok(None),
        }
    }

    pub fn get_org(&self, id: Id) -> Result<Option<Organisation>> {
        self.get(id, Kind::Organisation, id)
    }

    pub fn orgs(&self) -> Result<Vec<Organisation>> {
        let prefix = keys::index(Id::SYSTEM, IndexKind::OrgSlug, "");
        let mut orgs = Vec::new();
        for entry in self.index.scan_prefix(prefix).values() {
            let id = Id::from_slice(&entry?).ok_or(StoreError::NotFound {
                what: "organisation",
            })?;
            if let Some(org) = self.get_org(id)? {
                orgs.push(org);
            }
        }
        Ok(orgs)
    }
}

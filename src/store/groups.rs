//! Groups: named sets of users an alert can be sent to. A user can be in many.

use super::keys::{IndexKind, Kind};
use super::{abort, OrgStore, Result, StoreError};
use crate::ids::Id;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: Id,
    pub name: String,
    #[serde(default)]
    pub members: Vec<Id>,
    /// Present when an identity provider manages this group over SCIM.
    #[serde(default)]
    pub scim: Option<ScimGroupLink>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// What an identity provider keeps on a group it manages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScimGroupLink {
    #[serde(default)]
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct NewGroup {
    pub name: String,
    pub members: Vec<Id>,
}

#[derive(Debug, Clone, Default)]
pub struct GroupChange {
    pub name: Option<String>,
    pub members: Option<Vec<Id>>,
    pub scim: Option<Option<ScimGroupLink>>,
}

impl OrgStore {
    /// Creates a group; every member must be a user of this organisation.
    pub fn create_group(&self, new: NewGroup, now: OffsetDateTime) -> Result<Group> {
        self.create_group_managed(new, None, now)
    }

    /// Creates a group an identity provider manages (`scim`).
    pub fn create_group_managed(
        &self,
        new: NewGroup,
        scim: Option<ScimGroupLink>,
        now: OffsetDateTime,
    ) -> Result<Group> {
        let group = Group {
            id: Id::new(),
            name: new.name,
            members: new.members,
            scim,
            created_at: now,
        };
        self.store.transaction(|tx| {
            for member in &group.members {
                if tx
                    .get::<super::User>(self.org, Kind::User, *member)?
                    .is_none()
                {
                    return Err(abort(StoreError::NotFound { what: "member" }));
                }
            }
            tx.claim(
                self.org,
                IndexKind::GroupName,
                &group.name,
                group.id,
                "group",
            )?;
            tx.put(self.org, Kind::Group, group.id, &group)
        })?;
        Ok(group)
    }

    pub fn group(&self, id: Id) -> Result<Option<Group>> {
        self.store.get(self.org, Kind::Group, id)
    }

    pub fn group_by_name(&self, name: &str) -> Result<Option<Group>> {
        match self.store.lookup(self.org, IndexKind::GroupName, name)? {
            Some(id) => self.group(id),
            None => Ok(None),
        }
    }

    /// A group by id or by name.
    pub fn find_group(&self, reference: &str) -> Result<Option<Group>> {
        if let Ok(id) = reference.parse::<Id>() {
            if let Some(group) = self.group(id)? {
                return Ok(Some(group));
            }
        }
        self.group_by_name(reference)
    }

    pub fn groups(&self) -> Result<Vec<Group>> {
        self.store.list(self.org, Kind::Group)
    }

    pub fn change_group(&self, id: Id, change: &GroupChange) -> Result<Group> {
        self.store.transaction(|tx| {
            let mut group: Group = tx
                .get(self.org, Kind::Group, id)?
                .ok_or(abort(StoreError::NotFound { what: "group" }))?;
            if let Some(name) = &change.name {
                if *name != group.name {
                    tx.release(self.org, IndexKind::GroupName, &group.name)?;
                    tx.claim(self.org, IndexKind::GroupName, name, id, "group")?;
                    group.name = name.clone();
                }
            }
            if let Some(members) = &change.members {
                for member in members {
                    if tx
                        .get::<super::User>(self.org, Kind::User, *member)?
                        .is_none()
                    {
                        return Err(abort(StoreError::NotFound { what: "member" }));
                    }
                }
                group.members = members.clone();
            }
            if let Some(scim) = &change.scim {
                group.scim = scim.clone();
            }
            tx.put(self.org, Kind::Group, id, &group)?;
            Ok(group)
        })
    }

    pub fn delete_group(&self, id: Id) -> Result<()> {
        self.store.transaction(|tx| {
            let group: Group = tx
                .get(self.org, Kind::Group, id)?
                .ok_or(abort(StoreError::NotFound { what: "group" }))?;
            tx.release(self.org, IndexKind::GroupName, &group.name)?;
            tx.remove(self.org, Kind::Group, id)?;
            Ok(())
        })
    }
}

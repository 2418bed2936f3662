//! Roles: named sets of permissions that each organisation's admins define. A
//! role may limit alerting to some groups only.

use super::keys::{IndexKind, Kind};
use super::{OrgStore, Result, StoreError, User};
use crate::auth::Permission;
use crate::ids::Id;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleRecord {
    pub id: Id,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub permissions: Vec<Permission>,
    /// Groups this role may alert; `None` means any group.
    #[serde(default)]
    pub alert_groups: Option<Vec<Id>>,
    #[serde(default)]
    pub built_in: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A change to a role; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct RoleChange {
    pub description: Option<String>,
    pub permissions: Option<Vec<Permission>>,
    pub alert_groups: Option<Option<Vec<Id>>>,
}

impl OrgStore {
    pub fn create_role(
        &self,
        name: &str,
        description: &str,
        permissions: Vec<Permission>,
        alert_groups: Option<Vec<Id>>,
        now: OffsetDateTime,
    ) -> Result<RoleRecord> {
        let role = RoleRecord {
            id: Id::new(),
            name: name.to_owned(),
            description: description.to_owned(),
            permissions,
            alert_groups,
            built_in: false,
            created_at: now,
            updated_at: now,
        };
        self.store.transaction(|tx| {
            tx.claim(self.org, IndexKind::RoleName, &role.name, role.id, "role")?;
            tx.put(self.org, Kind::Role, role.id, &role)
        })?;
        Ok(role)
    }

    pub fn role(&self, id: Id) -> Result<Option<RoleRecord>> {
        self.store.get(self.org, Kind::Role, id)
    }

    pub fn role_by_name(&self, name: &str) -> Result<Option<RoleRecord>> {
        match self.store.lookup(self.org, IndexKind::RoleName, name)? {
            Some(id) => self.role(id),
            None => Ok(None),
        }
    }

    /// A role by id or by name.
    pub fn find_role(&self, reference: &str) -> Result<Option<RoleRecord>> {
        if let Ok(id) = reference.parse::<Id>() {
            if let Some(role) = self.role(id)? {
                return Ok(Some(role));
            }
        }
        self.role_by_name(reference)
    }

    pub fn roles(&self) -> Result<Vec<RoleRecord>> {
        self.store.list(self.org, Kind::Role)
    }

    pub fn change_role(
        &self,
        id: Id,
        change: &RoleChange,
        now: OffsetDateTime,
    ) -> Result<RoleRecord> {
        self.store
            .modify(self.org, Kind::Role, id, |role: &mut RoleRecord| {
                if let Some(description) = &change.description {
                    role.description = description.clone();
                }
                if let Some(permissions) = &change.permissions {
                    role.permissions = permissions.clone();
                }
                if let Some(groups) = &change.alert_groups {
                    role.alert_groups = groups.clone();
                }
                role.updated_at = now;
                Ok(())
            })
    }

    /// Deletes a role nobody holds; built-in roles stay.
    pub fn delete_role(&self, id: Id) -> Result<()> {
        let role = self
            .role(id)?
            .ok_or(StoreError::NotFound { what: "role" })?;
        if role.built_in {
            return Err(StoreError::Refused(
                "built-in roles can be changed but not deleted",
            ));
        }
        let holders: Vec<User> = self.users()?;
        if holders.iter().any(|u| u.roles.contains(&role.name)) {
            return Err(StoreError::Refused("the role is still given to users"));
        }
        self.store.transaction(|tx| {
            tx.remove(self.org, Kind::Role, id)?;
            tx.release(self.org, IndexKind::RoleName, &role.name)?;
            Ok(())
        })?;
        Ok(())
    }
}

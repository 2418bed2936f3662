//! Roles: named sets of permissions that each organisation's admins define. A
//! role may limit alerting to some groups only. The permissions and the
//! built-in roles live here with the records that hold them; `auth` decides
//! what they add up to.

use super::keys::{IndexKind, Kind};
use super::{OrgStore, Result, StoreError, User};
use crate::ids::Id;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read users, groups and roles of the organisation.
    ReadDirectory,
    ManageUsers,
    ManageGroups,
    /// Define roles and give them to users.
    ManageRoles,
    SendAlerts,
    ReadAudit,
    ManageDevices,
    ManageSettings,
    ManageApiKeys,
    /// See members' last known positions (each read is audited).
    ReadLocations,
    /// Create, change and remove users and groups from an identity provider
    /// (SCIM).
    Provision,
    /// The appliance operator's: shared modems and radios, which senders
    /// belong to which organisation, traffic no organisation owns. Never
    /// part of an organisation's roles (not in [`Permission::ALL`]).
    OperateAppliance,
}

impl Permission {
    pub const ALL: [Permission; 11] = [
        Permission::ReadDirectory,
        Permission::ManageUsers,
        Permission::ManageGroups,
        Permission::ManageRoles,
        Permission::SendAlerts,
        Permission::ReadAudit,
        Permission::ManageDevices,
        Permission::ManageSettings,
        Permission::ManageApiKeys,
        Permission::ReadLocations,
        Permission::Provision,
    ];
}

pub struct BuiltInRole {
    pub name: &'static str,
    pub description: &'static str,
    pub permissions: &'static [Permission],
}

pub const ADMIN: &str = "admin";
/// The one role of the appliance's own namespace.
pub const OPERATOR: &str = "operator";

pub const BUILT_IN: &[BuiltInRole] = &[
    BuiltInRole {
        name: ADMIN,
        description: "Everything in the organisation",
        permissions: &Permission::ALL,
    },
    BuiltInRole {
        name: "sender",
        description: "Sends alerts and sees who is reached",
        permissions: &[Permission::ReadDirectory, Permission::SendAlerts],
    },
    BuiltInRole {
        name: "member",
        description: "Receives alerts and answers them",
        permissions: &[],
    },
];

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

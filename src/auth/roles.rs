//! Roles and the permissions they grant. The built-in roles are the starting set
//! every organisation has.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read users, groups and roles of the organisation.
    ReadDirectory,
    ManageUsers,
    ManageGroups,
    SendAlerts,
    ReadAudit,
    ManageDevices,
    ManageSettings,
    ManageApiKeys,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Sender,
    Member,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Sender, Role::Member];

    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Sender => "sender",
            Role::Member => "member",
        }
    }

    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }

    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Admin => &[
                ReadDirectory,
                ManageUsers,
                ManageGroups,
                SendAlerts,
                ReadAudit,
                ManageDevices,
                ManageSettings,
                ManageApiKeys,
            ],
            Role::Sender => &[ReadDirectory, SendAlerts],
            Role::Member => &[],
        }
    }

    pub fn allows(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }
}

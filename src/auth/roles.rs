//! Permissions, the built-in roles every organisation starts with, and the
//! access a set of roles adds up to.

use crate::ids::Id;
use crate::store::RoleRecord;
use serde::{Deserialize, Serialize};

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
    /// The appliance operator's: shared modems and radios, which senders
    /// belong to which organisation, traffic no organisation owns. Never
    /// part of an organisation's roles (not in [`Permission::ALL`]).
    OperateAppliance,
}

impl Permission {
    pub const ALL: [Permission; 9] = [
        Permission::ReadDirectory,
        Permission::ManageUsers,
        Permission::ManageGroups,
        Permission::ManageRoles,
        Permission::SendAlerts,
        Permission::ReadAudit,
        Permission::ManageDevices,
        Permission::ManageSettings,
        Permission::ManageApiKeys,
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

/// What a caller may do: the union of their roles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    pub roles: Vec<String>,
    pub permissions: Vec<Permission>,
    /// Groups the caller may alert; `None` means any group.
    pub alert_groups: Option<Vec<Id>>,
}

impl Access {
    pub fn from_roles<'a>(roles: impl IntoIterator<Item = &'a RoleRecord>) -> Access {
        let mut access = Access {
            alert_groups: Some(Vec::new()),
            ..Access::default()
        };
        for role in roles {
            access.roles.push(role.name.clone());
            for p in &role.permissions {
                if !access.permissions.contains(p) {
                    access.permissions.push(*p);
                }
            }
            if role.permissions.contains(&Permission::SendAlerts) {
                access.alert_groups = match (access.alert_groups.take(), &role.alert_groups) {
                    (None, _) | (_, None) => None,
                    (Some(mut mine), Some(more)) => {
                        mine.extend(
                            more.iter()
                                .filter(|g| !mine.contains(g))
                                .copied()
                                .collect::<Vec<_>>(),
                        );
                        Some(mine)
                    }
                };
            }
        }
        access.permissions.sort();
        access
    }

    pub fn allows(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }

    pub fn may_alert_group(&self, group: Id) -> bool {
        self.allows(Permission::SendAlerts)
            && self
                .alert_groups
                .as_ref()
                .is_none_or(|g| g.contains(&group))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;

    fn role(name: &str, permissions: &[Permission], groups: Option<Vec<Id>>) -> RoleRecord {
        RoleRecord {
            id: Id::new(),
            name: name.into(),
            description: String::new(),
            permissions: permissions.to_vec(),
            alert_groups: groups,
            built_in: false,
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn group_limits_add_up_and_unlimited_wins() {
        let (x, y, z) = (Id::new(), Id::new(), Id::new());
        let only_x = role("x", &[Permission::SendAlerts], Some(vec![x]));
        let only_y = role("y", &[Permission::SendAlerts], Some(vec![y]));
        let any = role("any", &[Permission::SendAlerts], None);
        let reader = role("r", &[Permission::ReadDirectory], None);

        let a = Access::from_roles([&only_x, &reader]);
        assert!(a.may_alert_group(x) && !a.may_alert_group(y));
        let a = Access::from_roles([&only_x, &only_y]);
        assert!(a.may_alert_group(x) && a.may_alert_group(y) && !a.may_alert_group(z));
        let a = Access::from_roles([&only_x, &any]);
        assert!(a.may_alert_group(z));
        let a = Access::from_roles([&reader]);
        assert!(!a.may_alert_group(x));
    }
}

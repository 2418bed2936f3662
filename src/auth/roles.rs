//! The access a set of roles adds up to. Permissions and the built-in roles
//! are defined with the role records in the store, and shown here too.

use crate::ids::Id;
use crate::store::RoleRecord;

pub use crate::store::{BuiltInRole, Permission, ADMIN, BUILT_IN, OPERATOR};

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

    /// Whether this access holds everything `other` does: each of its
    /// permissions, and for alerting, every group it may alert. The one rule
    /// for giving, resetting or acting on privileges: nobody does it for
    /// privileges they don't hold.
    pub fn covers(&self, other: &Access) -> bool {
        let permissions = other.permissions.iter().all(|p| self.allows(*p));
        let groups = !other.allows(Permission::SendAlerts)
            || match (&self.alert_groups, &other.alert_groups) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(mine), Some(theirs)) => theirs.iter().all(|g| mine.contains(g)),
            };
        permissions && groups
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

    #[test]
    fn covering_needs_every_permission_and_every_group() {
        let (x, y) = (Id::new(), Id::new());
        let admin = Access::from_roles([&role("admin", &Permission::ALL, None)]);
        let users = Access::from_roles([&role("u", &[Permission::ManageUsers], None)]);
        let send_x = Access::from_roles([&role("x", &[Permission::SendAlerts], Some(vec![x]))]);
        let send_xy =
            Access::from_roles([&role("xy", &[Permission::SendAlerts], Some(vec![x, y]))]);
        let send_any = Access::from_roles([&role("any", &[Permission::SendAlerts], None)]);
        assert!(admin.covers(&users) && !users.covers(&admin));
        assert!(send_xy.covers(&send_x) && !send_x.covers(&send_xy));
        assert!(send_any.covers(&send_xy) && !send_xy.covers(&send_any));
        assert!(users.covers(&Access::default()));
    }

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

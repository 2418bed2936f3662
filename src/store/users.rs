//! Users: everyone Tocsin can reach or who can log in. A user without a password
//! is a recipient only (SMS, call, email need no account).

use super::keys::{IndexKind, Kind};
use super::{Group, OrgStore, Result, StoreError};
use crate::ids::Id;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: Id,
    pub username: String,
    pub name: String,
    /// E.164 numbers, most preferred first.
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub tetra_issi: Option<u32>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    /// argon2id PHC string; `None` for recipients who never log in.
    #[serde(default)]
    pub password_hash: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub username: String,
    pub name: String,
    pub phones: Vec<String>,
    pub email: Option<String>,
    pub tetra_issi: Option<u32>,
    pub language: Option<String>,
    pub roles: Vec<String>,
    pub password_hash: Option<String>,
    /// Groups the new user joins, in the same transaction.
    pub groups: Vec<Id>,
}

impl OrgStore {
    pub fn create_user(&self, new: NewUser, now: OffsetDateTime) -> Result<User> {
        let user = User {
            id: Id::new(),
            username: new.username.clone(),
            name: new.name.clone(),
            phones: new.phones.clone(),
            email: new.email.clone(),
            tetra_issi: new.tetra_issi,
            language: new.language.clone(),
            roles: new.roles.clone(),
            password_hash: new.password_hash.clone(),
            created_at: now,
            updated_at: now,
        };
        self.store.transaction(|tx| {
            tx.claim(
                self.org,
                IndexKind::Username,
                &user.username,
                user.id,
                "username",
            )?;
            for group_id in &new.groups {
                let mut group: Group = tx
                    .get(self.org, Kind::Group, *group_id)?
                    .ok_or(super::abort(StoreError::NotFound { what: "group" }))?;
                if !group.members.contains(&user.id) {
                    group.members.push(user.id);
                }
                tx.put(self.org, Kind::Group, group.id, &group)?;
            }
            tx.put(self.org, Kind::User, user.id, &user)
        })?;
        Ok(user)
    }

    pub fn user(&self, id: Id) -> Result<Option<User>> {
        self.store.get(self.org, Kind::User, id)
    }

    pub fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        match self.store.lookup(self.org, IndexKind::Username, username)? {
            Some(id) => self.user(id),
            None => Ok(None),
        }
    }

    pub fn users(&self) -> Result<Vec<User>> {
        self.store.list(self.org, Kind::User)
    }

    /// Sets a login password and the roles a login needs (admin recovery).
    pub fn set_password_and_roles(
        &self,
        id: Id,
        password_hash: &str,
        roles: &[String],
        now: OffsetDateTime,
    ) -> Result<User> {
        self.store.transaction(|tx| {
            let mut user: User = tx
                .get(self.org, Kind::User, id)?
                .ok_or(super::abort(StoreError::NotFound { what: "user" }))?;
            user.password_hash = Some(password_hash.to_owned());
            for role in roles {
                if !user.roles.contains(role) {
                    user.roles.push(role.clone());
                }
            }
            user.updated_at = now;
            tx.put(self.org, Kind::User, id, &user)?;
            Ok(user)
        })
    }
}

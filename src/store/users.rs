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
    /// Channels the user wants alerts on, most preferred first; empty means the
    /// alert's own choice.
    #[serde(default)]
    pub channels: Vec<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    /// argon2id PHC string; `None` for recipients who never log in.
    #[serde(default)]
    pub password_hash: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub password_changed_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub must_change_password: bool,
    /// Switched on in the app: under the `duty` policy the app shares its
    /// position meanwhile.
    #[serde(default)]
    pub on_duty: bool,
    #[serde(default)]
    pub totp: Option<TotpState>,
    /// Each unused recovery code, salted and peppered
    /// ([`super::recovery_code_record`]).
    #[serde(default)]
    pub recovery_codes: Vec<String>,
    /// The number login codes go to by SMS, once the user proved it reaches them.
    #[serde(default)]
    pub sms_second_factor: Option<String>,
    /// The one SMS code outstanding (for login or for enrolling a number).
    #[serde(default)]
    pub sms_code: Option<SmsCode>,
    /// Switched off by an identity provider (SCIM `active: false`): the user
    /// can't log in and isn't alerted, but stays so the provider can switch
    /// them on again. Records written before this existed read as active.
    #[serde(default)]
    pub deactivated: bool,
    /// Present when an identity provider manages this user over SCIM: what
    /// it calls them and what it keeps here that Tocsin itself doesn't use.
    #[serde(default)]
    pub scim: Option<ScimLink>,
    /// The last successful login; none before this was kept.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_login_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// What reaching a person takes from their record, read without the rest
/// (password hash, second factors, times, SCIM link): a big alert reads
/// thousands of people while its sender waits.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Contact {
    pub id: Id,
    pub name: String,
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub tetra_issi: Option<u32>,
    #[serde(default)]
    pub channels: Vec<String>,
    #[serde(default)]
    pub deactivated: bool,
    /// Whether they can sign in to the app (they have a password).
    #[serde(default, rename = "password_hash", deserialize_with = "present")]
    pub signs_in: bool,
}

fn present<'de, D: serde::Deserializer<'de>>(from: D) -> std::result::Result<bool, D::Error> {
    Option::<serde::de::IgnoredAny>::deserialize(from).map(|value| value.is_some())
}

impl From<&User> for Contact {
    fn from(user: &User) -> Self {
        Contact {
            id: user.id,
            name: user.name.clone(),
            phones: user.phones.clone(),
            email: user.email.clone(),
            tetra_issi: user.tetra_issi,
            channels: user.channels.clone(),
            deactivated: user.deactivated,
            signs_in: user.password_hash.is_some(),
        }
    }
}

/// What an identity provider said about a user it manages, kept so it reads
/// back what it wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScimLink {
    /// The provider's `userName` as sent (the username is a handle made from it).
    pub user_name: String,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub employee_number: Option<String>,
    #[serde(default)]
    pub department: Option<String>,
    /// `preferredLanguage` as sent (`fi-FI`); the user's language is `fi`.
    #[serde(default)]
    pub preferred_language: Option<String>,
    /// `name` as sent; the user's name is one string.
    #[serde(default)]
    pub name: Option<ScimName>,
    /// Every address as sent; the user's email is the primary one.
    #[serde(default)]
    pub emails: Vec<ScimValue>,
    /// Every number (in E.164) with its type; the user's phones are these.
    #[serde(default)]
    pub phone_numbers: Vec<ScimValue>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScimName {
    #[serde(default)]
    pub formatted: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
}

/// One element of a multi-valued SCIM attribute (an email, a phone number).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScimValue {
    pub value: String,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub primary: bool,
}

impl User {
    /// Whether an identity provider manages this user over SCIM.
    pub fn scim_managed(&self) -> bool {
        self.scim.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpState {
    /// The shared secret (base32, as authenticator apps take it), sealed
    /// with the at-rest key: [`TotpState::open_secret`] reads it.
    pub secret: String,
    /// False until the user proves their app has it.
    pub confirmed: bool,
    /// The last time step a code was accepted for, so no code works twice.
    #[serde(default)]
    pub last_step: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsCode {
    /// The code peppered with the at-rest key ([`super::sms_code_hash`]):
    /// the code itself is never stored.
    pub hash: String,
    /// The number it went to.
    pub phone: String,
    #[serde(with = "time::serde::rfc3339")]
    pub sent_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Wrong guesses so far; the code dies after a few.
    pub tries: u32,
}

#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub username: String,
    pub name: String,
    pub phones: Vec<String>,
    pub email: Option<String>,
    pub tetra_issi: Option<u32>,
    pub language: Option<String>,
    pub channels: Vec<String>,
    pub roles: Vec<String>,
    pub password_hash: Option<String>,
    pub must_change_password: bool,
    /// Groups the new user joins, in the same transaction.
    pub groups: Vec<Id>,
}

/// A change to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub name: Option<String>,
    pub phones: Option<Vec<String>>,
    pub email: Option<Option<String>>,
    pub tetra_issi: Option<Option<u32>>,
    pub language: Option<Option<String>>,
    pub channels: Option<Vec<String>>,
    pub roles: Option<Vec<String>>,
    pub password_hash: Option<Option<String>>,
    pub must_change_password: Option<bool>,
    pub totp: Option<Option<TotpState>>,
    pub recovery_codes: Option<Vec<String>>,
    pub sms_second_factor: Option<Option<String>>,
    pub sms_code: Option<Option<SmsCode>>,
    pub on_duty: Option<bool>,
    pub deactivated: Option<bool>,
    pub scim: Option<Option<ScimLink>>,
}

impl UserChange {
    fn apply(&self, user: &mut User, now: OffsetDateTime) {
        if let Some(v) = &self.name {
            user.name = v.clone();
        }
        if let Some(v) = &self.phones {
            user.phones = v.clone();
        }
        if let Some(v) = &self.email {
            user.email = v.clone();
        }
        if let Some(v) = self.tetra_issi {
            user.tetra_issi = v;
        }
        if let Some(v) = &self.language {
            user.language = v.clone();
        }
        if let Some(v) = &self.channels {
            user.channels = v.clone();
        }
        if let Some(v) = &self.roles {
            user.roles = v.clone();
        }
        if let Some(v) = &self.password_hash {
            user.password_hash = v.clone();
            user.password_changed_at = Some(now);
        }
        if let Some(v) = self.must_change_password {
            user.must_change_password = v;
        }
        if let Some(v) = &self.totp {
            user.totp = v.clone();
        }
        if let Some(v) = &self.recovery_codes {
            user.recovery_codes = v.clone();
        }
        if let Some(v) = &self.sms_second_factor {
            user.sms_second_factor = v.clone();
        }
        if let Some(v) = &self.sms_code {
            user.sms_code = v.clone();
        }
        if let Some(v) = self.on_duty {
            user.on_duty = v;
        }
        if let Some(v) = self.deactivated {
            user.deactivated = v;
        }
        if let Some(v) = &self.scim {
            user.scim = v.clone();
        }
        user.updated_at = now;
    }
}

impl OrgStore {
    pub fn create_user(&self, new: NewUser, now: OffsetDateTime) -> Result<User> {
        self.create_user_managed(new, None, false, now)
    }

    /// Creates a user an identity provider manages (`scim`), possibly
    /// created switched off.
    pub fn create_user_managed(
        &self,
        new: NewUser,
        scim: Option<ScimLink>,
        deactivated: bool,
        now: OffsetDateTime,
    ) -> Result<User> {
        let user = User {
            id: Id::new(),
            username: new.username.clone(),
            name: new.name.clone(),
            phones: new.phones.clone(),
            email: new.email.clone(),
            tetra_issi: new.tetra_issi,
            language: new.language.clone(),
            channels: new.channels.clone(),
            roles: new.roles.clone(),
            password_changed_at: new.password_hash.as_ref().map(|_| now),
            password_hash: new.password_hash.clone(),
            must_change_password: new.must_change_password,
            on_duty: false,
            totp: None,
            recovery_codes: Vec::new(),
            sms_second_factor: None,
            sms_code: None,
            deactivated,
            scim,
            last_login_at: None,
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

    pub fn contact(&self, id: Id) -> Result<Option<Contact>> {
        self.store.get(self.org, Kind::User, id)
    }

    /// How to reach the users with these ids, in order (`None` for an id
    /// that is none).
    pub fn contacts_by_id(&self, ids: &[Id]) -> Result<Vec<Option<Contact>>> {
        super::in_halves(ids, 512, |id| self.contact(*id))
    }

    pub fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        match self.store.lookup(self.org, IndexKind::Username, username)? {
            Some(id) => self.user(id),
            None => Ok(None),
        }
    }

    /// A user by id or by username.
    pub fn find_user(&self, reference: &str) -> Result<Option<User>> {
        if let Ok(id) = reference.parse::<Id>() {
            if let Some(user) = self.user(id)? {
                return Ok(Some(user));
            }
        }
        self.user_by_username(reference)
    }

    pub fn users(&self) -> Result<Vec<User>> {
        self.store.list(self.org, Kind::User)
    }

    pub fn change_user(&self, id: Id, change: &UserChange, now: OffsetDateTime) -> Result<User> {
        self.store
            .modify(self.org, Kind::User, id, |user: &mut User| {
                change.apply(user, now);
                Ok(())
            })
    }

    /// Changes a user and, when `username` differs, renames them, in one
    /// transaction (an identity provider renaming someone and changing the
    /// rest at once).
    pub fn rename_and_change_user(
        &self,
        id: Id,
        username: &str,
        change: &UserChange,
        now: OffsetDateTime,
    ) -> Result<User> {
        self.store.transaction(|tx| {
            let mut user: User = tx
                .get(self.org, Kind::User, id)?
                .ok_or(super::abort(StoreError::NotFound { what: "user" }))?;
            if user.username != username {
                tx.release(self.org, IndexKind::Username, &user.username)?;
                tx.claim(self.org, IndexKind::Username, username, id, "username")?;
                user.username = username.to_owned();
            }
            change.apply(&mut user, now);
            tx.put(self.org, Kind::User, id, &user)?;
            Ok(user)
        })
    }

    /// Accepts a TOTP time step once: false if it (or a later one) was used.
    pub fn consume_totp_step(&self, id: Id, step: u64) -> Result<bool> {
        let result =
            self.store.modify(
                self.org,
                Kind::User,
                id,
                |user: &mut User| match &mut user.totp {
                    Some(totp) if totp.last_step < step => {
                        totp.last_step = step;
                        Ok(())
                    }
                    _ => Err(StoreError::Refused("this code was already used")),
                },
            );
        match result {
            Ok(_) => Ok(true),
            Err(StoreError::Refused(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Tries the outstanding SMS code, atomically: the guess counts before
    /// `matches` looks at it, so guesses made at once all count. A good code
    /// is used up; an expired one or one guessed `max_tries` times dies.
    /// Returns the number the good code went to.
    pub fn try_sms_code(
        &self,
        id: Id,
        now: OffsetDateTime,
        max_tries: u32,
        matches: impl Fn(&SmsCode) -> bool,
    ) -> Result<Option<String>> {
        let accepted = std::cell::RefCell::new(None);
        self.store
            .modify(self.org, Kind::User, id, |user: &mut User| {
                *accepted.borrow_mut() = None;
                let Some(mut pending) = user.sms_code.take() else {
                    return Ok(());
                };
                if pending.expires_at <= now || pending.tries >= max_tries {
                    return Ok(());
                }
                pending.tries += 1;
                if matches(&pending) {
                    *accepted.borrow_mut() = Some(pending.phone.clone());
                } else if pending.tries < max_tries {
                    user.sms_code = Some(pending);
                }
                Ok(())
            })?;
        Ok(accepted.into_inner())
    }

    /// Uses up the first recovery code `matches` accepts: false if none.
    pub fn consume_recovery_code(&self, id: Id, matches: impl Fn(&str) -> bool) -> Result<bool> {
        let result = self
            .store
            .modify(self.org, Kind::User, id, |user: &mut User| {
                match user.recovery_codes.iter().position(|c| matches(c)) {
                    Some(at) => {
                        user.recovery_codes.remove(at);
                        Ok(())
                    }
                    None => Err(StoreError::Refused("no such recovery code")),
                }
            });
        match result {
            Ok(_) => Ok(true),
            Err(StoreError::Refused(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Deletes a user, their group memberships, sessions, devices, check-in
    /// timer and last position.
    pub fn delete_user(&self, id: Id) -> Result<()> {
        let user = self
            .user(id)?
            .ok_or(StoreError::NotFound { what: "user" })?;
        let groups: Vec<Id> = self
            .groups()?
            .into_iter()
            .filter(|g| g.members.contains(&id))
            .map(|g| g.id)
            .collect();
        let sessions: Vec<Id> = self.sessions_of(id)?.into_iter().map(|s| s.id).collect();
        let devices: Vec<Id> = self.devices_of(id)?.into_iter().map(|d| d.id).collect();
        self.end_check_in_timer(id)?;
        self.store.transaction(|tx| {
            for group_id in &groups {
                if let Some(mut group) = tx.get::<Group>(self.org, Kind::Group, *group_id)? {
                    group.members.retain(|m| *m != id);
                    tx.put(self.org, Kind::Group, group.id, &group)?;
                }
            }
            for session in &sessions {
                tx.remove(self.org, Kind::Session, *session)?;
            }
            for device in &devices {
                tx.remove(self.org, Kind::Device, *device)?;
            }
            tx.release(self.org, IndexKind::Username, &user.username)?;
            tx.remove(self.org, Kind::KnownNetworks, id)?;
            tx.remove(self.org, Kind::Position, id)?;
            tx.remove(self.org, Kind::User, id)?;
            Ok(())
        })
    }
}

//! People: creating, changing and deleting users, ending their sessions,
//! resetting their second factor, and reading them.

use super::*;

#[derive(Debug, Serialize)]
pub(super) struct UserView {
    id: Id,
    username: String,
    name: String,
    phones: Vec<String>,
    email: Option<String>,
    tetra_issi: Option<u32>,
    language: Option<String>,
    channels: Vec<String>,
    roles: Vec<String>,
    groups: Vec<String>,
    can_log_in: bool,
    must_change_password: bool,
    second_factor: bool,
    /// False when the identity provider switched the user off.
    active: bool,
    /// An identity provider manages this user over SCIM; changes made here
    /// are overwritten by its next sync.
    scim_managed: bool,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
}

impl UserView {
    fn new(user: User, groups: &[Group]) -> Self {
        UserView {
            groups: groups
                .iter()
                .filter(|g| g.members.contains(&user.id))
                .map(|g| g.name.clone())
                .collect(),
            can_log_in: user.password_hash.is_some(),
            second_factor: crate::auth::second_factor::enrolled(&user),
            must_change_password: user.must_change_password,
            active: !user.deactivated,
            scim_managed: user.scim_managed(),
            id: user.id,
            username: user.username,
            name: user.name,
            phones: user.phones,
            email: user.email,
            tetra_issi: user.tetra_issi,
            language: user.language,
            channels: user.channels,
            roles: user.roles,
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CreateUser {
    username: String,
    name: String,
    #[serde(default)]
    phones: Vec<String>,
    email: Option<String>,
    tetra_issi: Option<u32>,
    language: Option<String>,
    #[serde(default)]
    channels: Vec<String>,
    #[serde(default)]
    roles: Vec<String>,
    password: Option<String>,
    #[serde(default)]
    must_change_password: bool,
    /// Group names (or ids) the user joins.
    #[serde(default)]
    groups: Vec<String>,
}

/// Checks a new password against the organisation's policy and hashes it.
pub(super) async fn hash_new_password(
    org: &OrgStore,
    password: Option<String>,
    username: &str,
    name: &str,
) -> Result<Option<String>, ApiError> {
    let Some(password) = password else {
        return Ok(None);
    };
    let handle = org.clone();
    let organisation = blocking(move || handle.store().get_org(handle.org_id()))
        .await?
        .ok_or(ApiError::Internal)?;
    let context = policy::Context {
        username,
        name,
        org_slug: &organisation.slug,
        org_name: &organisation.name,
    };
    policy::check(&password, &organisation.settings, &context)
        .map_err(|why| ApiError::field("password", why))?;
    Ok(Some(blocking(move || password::hash(&password)).await?))
}

#[post("/users")]
pub(super) async fn create_user(
    state: web::Data<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageUsers)?;
    check("username", validate::handle(&body.username))?;
    let f = body;
    check("name", validate::display_name(&f.name))?;
    let fields = UserFields {
        name: Some(f.name.clone()),
        phones: Some(f.phones.clone()),
        email: Some(f.email.clone()),
        tetra_issi: Some(f.tetra_issi),
        language: Some(f.language.clone()),
        channels: Some(f.channels.clone()),
        roles: Some(f.roles.clone()),
        password: None,
        must_change_password: None,
    };
    if !f.roles.is_empty() {
        principal.require(Permission::ManageRoles)?;
    }
    let org = principal.org.clone();
    let roles = f.roles.clone();
    let principal = blocking(move || {
        if let Err(e) = fields.validate(&org)? {
            return Ok(Err(e));
        }
        Ok::<_, StoreError>(may_grant(&principal, &org, &roles)?.map(|()| principal))
    })
    .await??;
    let password_hash =
        hash_new_password(&principal.org, f.password.clone(), &f.username, &f.name).await?;
    let now = state.clock.now();
    let view = blocking(move || {
        let org = &principal.org;
        let mut groups = Vec::new();
        for (i, reference) in f.groups.iter().enumerate() {
            match org.find_group(reference)? {
                Some(group) => groups.push(group.id),
                None => {
                    return Ok(Err(ApiError::field(
                        format!("groups[{i}]"),
                        "no such group in this organisation",
                    )))
                }
            }
        }
        let user = org.create_user(
            NewUser {
                username: f.username,
                name: f.name,
                phones: f.phones,
                email: f.email,
                tetra_issi: f.tetra_issi,
                language: f.language,
                channels: f.channels,
                roles: f.roles,
                password_hash,
                must_change_password: f.must_change_password,
                groups,
            },
            now,
        )?;
        principal
            .audit("user.created", Outcome::Success)
            .target(&user.username)
            .write(org, now)?;
        let groups = org.groups()?;
        Ok::<_, StoreError>(Ok(UserView::new(user, &groups)))
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/users/{}", view.id)))
        .json(view))
}

#[patch("/users/{user}")]
pub(super) async fn change_user(
    state: web::Data<AppState>,
    principal: Principal,
    reference: web::Path<String>,
    ApiJson(fields): ApiJson<UserFields>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageUsers)?;
    if fields.touches_roles() {
        principal.require(Permission::ManageRoles)?;
    }
    let reference = reference.into_inner();
    let (principal, user, fields) = blocking(move || {
        let org = principal.org.clone();
        let Some(user) = org.find_user(&reference)? else {
            return Ok(Err(ApiError::NotFound("user")));
        };
        if let Err(e) = fields.validate(&org)? {
            return Ok(Err(e));
        }
        if let Err(e) = may_act_on(&principal, &org, &user.roles)? {
            return Ok(Err(e));
        }
        if let Some(roles) = &fields.roles {
            if let Err(e) = may_grant(&principal, &org, roles)? {
                return Ok(Err(e));
            }
        }
        Ok::<_, StoreError>(Ok((principal, user, fields)))
    })
    .await??;
    let password_hash = hash_new_password(
        &principal.org,
        fields.password.clone(),
        &user.username,
        fields.name.as_deref().unwrap_or(&user.name),
    )
    .await?;
    let now = state.clock.now();
    let view = blocking(move || {
        let org = &principal.org;
        let change = UserChange {
            name: fields.name.clone(),
            phones: fields.phones.clone(),
            email: fields.email.clone(),
            tetra_issi: fields.tetra_issi,
            language: fields.language.clone(),
            channels: fields.channels.clone(),
            roles: fields.roles.clone(),
            password_hash: password_hash.map(Some),
            must_change_password: fields.must_change_password,
            totp: None,
            recovery_codes: None,
            ..UserChange::default()
        };
        let changed = org.change_user(user.id, &change, now)?;
        if change.password_hash.is_some() {
            // Whoever held the old password is out at once; the caller's own
            // session stays when they reset their own.
            let own = principal.session().map(|s| s.session.id);
            org.end_sessions_of(changed.id, own)?;
            principal
                .audit("user.password_reset", Outcome::Success)
                .target(&changed.username)
                .write(org, now)?;
        }
        let mut entry = principal
            .audit("user.changed", Outcome::Success)
            .target(&changed.username);
        if fields.roles.is_some() {
            entry = principal
                .audit("user.roles_changed", Outcome::Success)
                .target(&changed.username)
                .detail(format!("{:?} → {:?}", user.roles, changed.roles));
        }
        entry.write(org, now)?;
        let groups = org.groups()?;
        Ok::<_, StoreError>(UserView::new(changed, &groups))
    })
    .await?;
    state.store.flush().await?;
    Ok(HttpResponse::Ok().json(view))
}

#[delete("/users/{user}")]
pub(super) async fn delete_user(
    state: web::Data<AppState>,
    principal: Principal,
    reference: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageUsers)?;
    let reference = reference.into_inner();
    let now = state.clock.now();
    blocking(move || {
        let org = &principal.org;
        let user = match user_to_act_on(&principal, &reference)? {
            Ok(user) => user,
            Err(e) => return Ok(Err(e)),
        };
        if principal.user().is_ok_and(|me| me.id == user.id) {
            return Ok(Err(ApiError::Refused("you can't delete yourself")));
        }
        org.delete_user(user.id)?;
        principal
            .audit("user.deleted", Outcome::Success)
            .target(&user.username)
            .write(org, now)?;
        Ok::<_, StoreError>(Ok(()))
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ends every session of a user (an admin logging someone out everywhere).
#[delete("/users/{user}/sessions")]
pub(super) async fn end_user_sessions(
    state: web::Data<AppState>,
    principal: Principal,
    reference: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageUsers)?;
    let reference = reference.into_inner();
    let now = state.clock.now();
    let ended = blocking(move || {
        let org = &principal.org;
        let user = match user_to_act_on(&principal, &reference)? {
            Ok(user) => user,
            Err(e) => return Ok(Err(e)),
        };
        let ended = org.end_sessions_of(user.id, None)?;
        principal
            .audit("session.ended_by_admin", Outcome::Success)
            .target(&user.username)
            .detail(format!("{ended} sessions"))
            .write(org, now)?;
        Ok::<_, StoreError>(Ok(ended))
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::Ok().json(json!({ "ended": ended })))
}

/// Removes a user's second factor so they can enrol again (lost phone).
#[post("/users/{user}/reset-second-factor")]
pub(super) async fn reset_second_factor(
    state: web::Data<AppState>,
    principal: Principal,
    reference: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageUsers)?;
    let reference = reference.into_inner();
    let now = state.clock.now();
    blocking(move || {
        let org = &principal.org;
        let user = match user_to_act_on(&principal, &reference)? {
            Ok(user) => user,
            Err(e) => return Ok(Err(e)),
        };
        let change = UserChange {
            totp: Some(None),
            recovery_codes: Some(Vec::new()),
            sms_second_factor: Some(None),
            sms_code: Some(None),
            ..UserChange::default()
        };
        org.change_user(user.id, &change, now)?;
        org.end_sessions_of(user.id, None)?;
        principal
            .audit("second_factor.reset", Outcome::Success)
            .target(&user.username)
            .write(org, now)?;
        Ok::<_, StoreError>(Ok(()))
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::NoContent().finish())
}

#[get("/users")]
pub(super) async fn list_users(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ReadDirectory)?;
    let now = state.clock.now();
    let users = blocking(move || {
        let org = &principal.org;
        principal.audit_read("users", now)?;
        let groups = org.groups()?;
        Ok::<_, StoreError>(
            org.users()?
                .into_iter()
                .map(|u| UserView::new(u, &groups))
                .collect::<Vec<_>>(),
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "users": users })))
}

#[get("/users/{user}")]
pub(super) async fn get_user(
    state: web::Data<AppState>,
    principal: Principal,
    reference: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ReadDirectory)?;
    let reference = reference.into_inner();
    let now = state.clock.now();
    let view = blocking(move || {
        let org = &principal.org;
        let groups = org.groups()?;
        let found = org.find_user(&reference)?;
        if let Some(user) = &found {
            principal.audit_read(&user.username, now)?;
        }
        Ok::<_, StoreError>(found.map(|u| UserView::new(u, &groups)))
    })
    .await?
    .ok_or(ApiError::NotFound("user"))?;
    Ok(HttpResponse::Ok().json(view))
}

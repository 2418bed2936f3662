//! Roles and their permissions; nobody defines or grants a role with
//! permissions they do not hold themselves.

use super::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RoleBody {
    name: Option<String>,
    description: Option<String>,
    permissions: Option<Vec<Permission>>,
    /// Group names or ids this role may alert; null or absent for any group.
    #[serde(default, with = "double_option")]
    alert_groups: Option<Option<Vec<String>>>,
}

pub(super) fn resolve_groups(
    org: &OrgStore,
    references: &[String],
) -> Result<Result<Vec<Id>, ApiError>, StoreError> {
    let mut ids = Vec::new();
    for (i, reference) in references.iter().enumerate() {
        match org.find_group(reference)? {
            Some(group) => ids.push(group.id),
            None => {
                return Ok(Err(ApiError::field(
                    format!("alert_groups[{i}]"),
                    "no such group in this organisation",
                )))
            }
        }
    }
    Ok(Ok(ids))
}

#[get("/roles")]
pub(super) async fn list_roles(principal: Principal) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ReadDirectory)?;
    let org = principal.org.clone();
    let roles = blocking(move || org.roles()).await?;
    Ok(HttpResponse::Ok().json(json!({ "roles": roles })))
}

#[get("/roles/{role}")]
pub(super) async fn get_role(
    principal: Principal,
    reference: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ReadDirectory)?;
    let org = principal.org.clone();
    let reference = reference.into_inner();
    let role = blocking(move || org.find_role(&reference))
        .await?
        .ok_or(ApiError::NotFound("role"))?;
    Ok(HttpResponse::Ok().json(role))
}

#[post("/roles")]
pub(super) async fn create_role(
    state: web::Data<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageRoles)?;
    let name = body
        .name
        .ok_or_else(|| ApiError::field("name", "is required"))?;
    check("name", validate::handle(&name))?;
    appliance_only(body.permissions.as_deref())?;
    let now = state.clock.now();
    let role = blocking(move || {
        let org = &principal.org;
        let groups = match body
            .alert_groups
            .flatten()
            .as_deref()
            .map(|g| resolve_groups(org, g))
            .transpose()?
        {
            Some(Err(e)) => return Ok(Err(e)),
            Some(Ok(g)) => Some(g),
            None => None,
        };
        let permissions = body.permissions.clone().unwrap_or_default();
        if let Err(e) = may_define(&principal, &permissions, &groups) {
            return Ok(Err(e));
        }
        let role = org.create_role(
            &name,
            body.description.as_deref().unwrap_or_default(),
            body.permissions.unwrap_or_default(),
            groups,
            now,
        )?;
        principal
            .audit("role.created", Outcome::Success)
            .target(&role.name)
            .detail(format!("{:?}", role.permissions))
            .write(org, now)?;
        Ok::<_, StoreError>(Ok(role))
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/roles/{}", role.id)))
        .json(role))
}

#[patch("/roles/{role}")]
pub(super) async fn change_role(
    state: web::Data<AppState>,
    principal: Principal,
    reference: web::Path<String>,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageRoles)?;
    if body.name.is_some() {
        return Err(ApiError::field(
            "name",
            "can't be changed; create a new role instead",
        ));
    }
    let reference = reference.into_inner();
    let now = state.clock.now();
    let role = blocking(move || {
        let org = &principal.org;
        let Some(role) = org.find_role(&reference)? else {
            return Ok(Err(ApiError::NotFound("role")));
        };
        let alert_groups = match body.alert_groups {
            Some(Some(refs)) => match resolve_groups(org, &refs)? {
                Ok(ids) => Some(Some(ids)),
                Err(e) => return Ok(Err(e)),
            },
            Some(None) => Some(None),
            None => None,
        };
        if let Err(e) = appliance_only(body.permissions.as_deref()) {
            return Ok(Err(e));
        }
        if role.name == crate::auth::roles::ADMIN && body.permissions.is_some() {
            return Ok(Err(ApiError::field(
                "permissions",
                "the admin role always has every permission",
            )));
        }
        let after_permissions = body.permissions.clone().unwrap_or(role.permissions.clone());
        let after_groups = alert_groups.clone().unwrap_or(role.alert_groups.clone());
        if let Err(e) = may_define(&principal, &role.permissions, &role.alert_groups)
            .and_then(|()| may_define(&principal, &after_permissions, &after_groups))
        {
            return Ok(Err(e));
        }
        let change = RoleChange {
            description: body.description,
            permissions: body.permissions,
            alert_groups,
        };
        let changed = org.change_role(role.id, &change, now)?;
        principal
            .audit("role.changed", Outcome::Success)
            .target(&changed.name)
            .detail(format!(
                "{:?} → {:?}",
                role.permissions, changed.permissions
            ))
            .write(org, now)?;
        Ok::<_, StoreError>(Ok(changed))
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::Ok().json(role))
}

#[delete("/roles/{role}")]
pub(super) async fn delete_role(
    state: web::Data<AppState>,
    principal: Principal,
    reference: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageRoles)?;
    let reference = reference.into_inner();
    let now = state.clock.now();
    blocking(move || {
        let org = &principal.org;
        let Some(role) = org.find_role(&reference)? else {
            return Ok(Err(ApiError::NotFound("role")));
        };
        if let Err(e) = may_define(&principal, &role.permissions, &role.alert_groups) {
            return Ok(Err(e));
        }
        org.delete_role(role.id)?;
        principal
            .audit("role.deleted", Outcome::Success)
            .target(&role.name)
            .write(org, now)?;
        Ok::<_, StoreError>(Ok(()))
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The privilege rule for roles: a role can be defined, changed or removed
/// only by someone who holds every permission and group it has (before and
/// after the change), so `manage_roles` is not a way to become admin.
pub(super) fn may_define(
    principal: &Principal,
    permissions: &[Permission],
    alert_groups: &Option<Vec<Id>>,
) -> Result<(), ApiError> {
    let role = Access {
        roles: Vec::new(),
        permissions: permissions.to_vec(),
        alert_groups: alert_groups.clone(),
    };
    if principal.access.covers(&role) {
        Ok(())
    } else {
        Err(ApiError::Outranked(
            "permissions: the role would hold permissions or groups you don't; only someone who holds all of them may define it",
        ))
    }
}

/// Operating the appliance is the operator's alone: no organisation role
/// holds it.
pub(super) fn appliance_only(permissions: Option<&[Permission]>) -> Result<(), ApiError> {
    match permissions
        .unwrap_or_default()
        .iter()
        .position(|p| !Permission::ALL.contains(p))
    {
        Some(i) => Err(ApiError::field(
            format!("permissions[{i}]"),
            "belongs to the appliance operator, not to an organisation",
        )),
        None => Ok(()),
    }
}

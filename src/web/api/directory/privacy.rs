//! A person's rights over their data: the export of everything held about
//! them and their erasure, for members with an account and for addresses
//! alerts reached without one (`crate::privacy`).

use super::*;
use crate::privacy;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AddressQuery {
    address: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AddressBody {
    address: String,
}

/// A phone number in E.164 or an email address, as recipients hold them.
fn address(raw: &str) -> Result<String, ApiError> {
    let raw = raw.trim();
    if raw.contains('@') {
        validate::email(raw).map_err(|why| ApiError::field("address", why))?;
        Ok(raw.to_lowercase())
    } else {
        validate::e164(raw).map_err(|why| ApiError::field("address", why))?;
        Ok(raw.to_owned())
    }
}

/// The export holds positions only for a caller who may read them.
fn withhold_position(principal: &Principal, export: &mut serde_json::Value) {
    if principal.require(Permission::ReadLocations).is_err() {
        if let Some(object) = export.as_object_mut() {
            object.insert("position".into(), json!("withheld: needs read_locations"));
        }
    }
}

fn attachment(export: serde_json::Value, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .json(export)
}

#[get("/users/{user}/export")]
pub(super) async fn export_user(
    state: web::Data<AppState>,
    principal: Principal,
    reference: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageUsers)?;
    let reference = reference.into_inner();
    let now = state.clock.now();
    let (export, username) = blocking(move || {
        let org = &principal.org;
        let user = match user_to_act_on(&principal, &reference)? {
            Ok(user) => user,
            Err(e) => return Ok(Err(e)),
        };
        let mut export = privacy::export_user(org, &user, now)?;
        withhold_position(&principal, &mut export);
        principal
            .audit("privacy.exported", Outcome::Success)
            .target(&user.username)
            .write(org, now)?;
        Ok::<_, StoreError>(Ok((export, user.username)))
    })
    .await??;
    Ok(attachment(export, &format!("{username}-export.json")))
}

/// Says that an erasure happened, under the pseudonym, not what was erased.
fn audit_erasure(
    principal: &Principal,
    erased: &privacy::Erased,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    principal
        .audit("privacy.erased", Outcome::Success)
        .target(&erased.pseudonym)
        .detail(format!(
            "{} alerts, {} messages",
            erased.alerts, erased.messages
        ))
        .write(&principal.org, now)
}

fn erased_view(erased: &privacy::Erased) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "pseudonym": erased.pseudonym, "alerts": erased.alerts, "messages": erased.messages,
    }))
}

#[post("/users/{user}/erase")]
pub(super) async fn erase_user(
    state: web::Data<AppState>,
    principal: Principal,
    reference: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageUsers)?;
    let reference = reference.into_inner();
    let now = state.clock.now();
    let erased = blocking(move || {
        let org = &principal.org;
        let user = match user_to_act_on(&principal, &reference)? {
            Ok(user) => user,
            Err(e) => return Ok(Err(e)),
        };
        if principal.user().is_ok_and(|me| me.id == user.id) {
            return Ok(Err(ApiError::Refused("you can't erase yourself")));
        }
        let erased = privacy::erase_user(org, &user, now)?;
        audit_erasure(&principal, &erased, now)?;
        Ok::<_, StoreError>(Ok(erased))
    })
    .await??;
    state.store.flush().await?;
    Ok(erased_view(&erased))
}

#[get("/recipients/export")]
pub(super) async fn export_address(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<AddressQuery>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageUsers)?;
    let address = address(&query.address)?;
    let now = state.clock.now();
    let export = blocking(move || {
        let org = &principal.org;
        let export = privacy::export_address(org, &address, now)?;
        principal
            .audit("privacy.exported", Outcome::Success)
            .target(privacy::masked(&address))
            .write(org, now)?;
        Ok::<_, StoreError>(export)
    })
    .await?;
    Ok(attachment(export, "recipient-export.json"))
}

#[post("/recipients/erase")]
pub(super) async fn erase_address(
    state: web::Data<AppState>,
    principal: Principal,
    body: ApiJson<AddressBody>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageUsers)?;
    let address = address(&body.0.address)?;
    let now = state.clock.now();
    let erased = blocking(move || {
        let org = &principal.org;
        let has_it = org.users()?.into_iter().any(|u| {
            u.phones.contains(&address)
                || u.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(&address))
        });
        if has_it {
            return Ok(Err(ApiError::Refused(
                "address: a user has this address; erase the user instead",
            )));
        }
        let erased = privacy::erase_address(org, &address, now)?;
        audit_erasure(&principal, &erased, now)?;
        Ok::<_, StoreError>(Ok(erased))
    })
    .await??;
    state.store.flush().await?;
    Ok(erased_view(&erased))
}

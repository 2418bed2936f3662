//! SCIM Users: the organisation's people as an identity provider sees them.

use super::filter::{self, get_ci, ENTERPRISE, TETRA};
use super::*;
use crate::ids::Id;
use crate::store::{
    Group, NewUser, OrgStore, Outcome, ScimLink, ScimName, ScimValue, User, UserChange,
};
use crate::validate;
use crate::web::AppState;
use actix_web::{delete, get, patch, post, put};

/// A user as SCIM shows them.
pub fn to_scim(user: &User, groups: &[Group], base: &str) -> Value {
    let link = user.scim.clone().unwrap_or_default();
    let user_name = if link.user_name.is_empty() {
        user.username.clone()
    } else {
        link.user_name.clone()
    };
    let mut schemas = vec![json!(filter::CORE_USER)];
    let mut out = json!({
        "id": user.id.to_string(),
        "userName": user_name,
        "name": name_of(user, &link),
        "displayName": user.name,
        "active": !user.deactivated,
        "groups": groups
            .iter()
            .filter(|g| g.members.contains(&user.id))
            .map(|g| json!({"value": g.id.to_string(), "display": g.name, "$ref": format!("{base}/Groups/{}", g.id)}))
            .collect::<Vec<_>>(),
        "meta": {
            "resourceType": "User",
            "created": super::rfc3339(user.created_at),
            "lastModified": super::rfc3339(user.updated_at),
            "location": format!("{base}/Users/{}", user.id),
        },
    });
    let Some(object) = out.as_object_mut() else {
        return out;
    };
    if let Some(id) = &link.external_id {
        object.insert("externalId".into(), json!(id));
    }
    // What the provider sent is shown back while it still says what the
    // user holds; once the console changed the email or phones, theirs.
    let sent_email = link
        .emails
        .iter()
        .find(|e| e.primary)
        .or(link.emails.first())
        .map(|e| &e.value);
    if !link.emails.is_empty() && sent_email == user.email.as_ref() {
        object.insert("emails".into(), multi(&link.emails));
    } else if let Some(email) = &user.email {
        object.insert(
            "emails".into(),
            json!([{"value": email, "type": "work", "primary": true}]),
        );
    }
    // Kept as the provider sent them; compared in the form the user has.
    let sent_phones: Vec<String> = link
        .phone_numbers
        .iter()
        .filter_map(|p| e164(&p.value, "phoneNumbers").ok())
        .collect();
    if !link.phone_numbers.is_empty()
        && user.phones.iter().all(|p| sent_phones.contains(p))
        && sent_phones.len() == user.phones.len()
    {
        object.insert("phoneNumbers".into(), multi(&link.phone_numbers));
    } else if !user.phones.is_empty() {
        let phones: Vec<Value> = user
            .phones
            .iter()
            .enumerate()
            .map(|(i, p)| json!({"value": p, "type": "mobile", "primary": i == 0}))
            .collect();
        object.insert("phoneNumbers".into(), Value::Array(phones));
    }
    if let Some(language) = link.preferred_language.clone().or(user.language.clone()) {
        object.insert("preferredLanguage".into(), json!(language));
    }
    if link.employee_number.is_some() || link.department.is_some() {
        schemas.push(json!(ENTERPRISE));
        let mut enterprise = serde_json::Map::new();
        if let Some(v) = &link.employee_number {
            enterprise.insert("employeeNumber".into(), json!(v));
        }
        if let Some(v) = &link.department {
            enterprise.insert("department".into(), json!(v));
        }
        object.insert(ENTERPRISE.into(), Value::Object(enterprise));
    }
    if let Some(issi) = user.tetra_issi {
        schemas.push(json!(TETRA));
        object.insert(TETRA.into(), json!({"issi": issi}));
    }
    object.insert("schemas".into(), Value::Array(schemas));
    out
}

fn name_of(user: &User, link: &ScimLink) -> Value {
    let sent = link.name.clone().unwrap_or_default();
    let mut name = json!({"formatted": sent.formatted.unwrap_or_else(|| user.name.clone())});
    if let Some(object) = name.as_object_mut() {
        if let Some(v) = sent.given_name {
            object.insert("givenName".into(), json!(v));
        }
        if let Some(v) = sent.family_name {
            object.insert("familyName".into(), json!(v));
        }
    }
    name
}

fn multi(values: &[ScimValue]) -> Value {
    Value::Array(
        values
            .iter()
            .map(|v| {
                let mut out = json!({"value": v.value, "primary": v.primary});
                if let (Some(kind), Some(object)) = (&v.kind, out.as_object_mut()) {
                    object.insert("type".into(), json!(kind));
                }
                out
            })
            .collect(),
    )
}

fn is_primary(value: &Value) -> bool {
    get_ci(value, "primary").is_some_and(|p| {
        p == &Value::Bool(true) || p.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true"))
    })
}

/// A user as an identity provider sent them, checked and mapped.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub handle: String,
    pub name: String,
    pub email: Option<String>,
    pub phones: Vec<String>,
    pub language: Option<String>,
    pub active: bool,
    pub issi: Option<u32>,
    pub link: ScimLink,
}

fn string_at(value: &Value, keys: &[&str]) -> Option<String> {
    let mut current = value;
    for key in keys {
        current = get_ci(current, key)?;
    }
    current
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A Tocsin username from a SCIM `userName`: lowercased, and characters a
/// handle can't hold (`@`, spaces, letters beyond ASCII) become `_`, so
/// `Alice@Example.com` is `alice_example.com`.
pub fn handle_of(user_name: &str) -> Result<String, ScimError> {
    let mut handle: String = user_name
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if !handle.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        handle.insert(0, 'u');
        handle.truncate(64);
    }
    validate::handle(&handle)
        .map_err(|why| ScimError::invalid_value(format!("userName: {why}")))?;
    Ok(handle)
}

/// `active` as a boolean or as Entra's strings "True" / "False".
fn active_of(value: Option<&Value>) -> Result<bool, ScimError> {
    match value {
        None | Some(Value::Null) => Ok(true),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
        Some(other) => Err(ScimError::invalid_value(format!(
            "active: {other} is not true or false"
        ))),
    }
}

/// A phone number as E.164: spaces, dashes, dots and brackets people write
/// are dropped, `00` becomes `+`; anything else is refused.
fn e164(raw: &str, attribute: &str) -> Result<String, ScimError> {
    let raw = raw.trim();
    let raw = raw.strip_prefix("tel:").unwrap_or(raw);
    let mut number: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{a0}'))
        .collect();
    if let Some(rest) = number.strip_prefix("00") {
        number = format!("+{rest}");
    }
    validate::e164(&number).map_err(|_| {
        ScimError::invalid_value(format!(
            "{attribute}: {raw:?} is not an international (E.164) phone number such as +358401234567"
        ))
    })?;
    Ok(number)
}

/// The primary element of a multi-valued attribute first, then the rest.
fn primary_first(items: &[Value]) -> Vec<(usize, &Value)> {
    let mut ordered: Vec<(usize, &Value)> = items.iter().enumerate().collect();
    ordered.sort_by_key(|(_, v)| !is_primary(v));
    ordered
}

pub fn from_scim(value: &Value) -> Result<Incoming, ScimError> {
    let user_name = string_at(value, &["userName"])
        .ok_or_else(|| ScimError::invalid_value("userName is required"))?;
    let handle = handle_of(&user_name)?;
    let name = string_at(value, &["displayName"])
        .or_else(|| string_at(value, &["name", "formatted"]))
        .or_else(|| {
            let parts: Vec<String> = ["givenName", "familyName"]
                .iter()
                .filter_map(|k| string_at(value, &["name", k]))
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        })
        .unwrap_or_else(|| user_name.clone());
    validate::display_name(&name)
        .map_err(|why| ScimError::invalid_value(format!("displayName: {why}")))?;

    let emails = get_ci(value, "emails")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let email = primary_first(&emails)
        .into_iter()
        .find_map(|(_, e)| string_at(e, &["value"]));
    if let Some(email) = &email {
        validate::email(email)
            .map_err(|why| ScimError::invalid_value(format!("emails.value: {why}")))?;
    }

    let numbers = get_ci(value, "phoneNumbers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut phones = Vec::new();
    let mut phone_numbers = Vec::new();
    for (i, number) in numbers.iter().enumerate() {
        if let Some(raw) = string_at(number, &["value"]) {
            e164(&raw, &format!("phoneNumbers[{i}].value"))?;
            phone_numbers.push(ScimValue {
                value: raw,
                kind: string_at(number, &["type"]),
                primary: is_primary(number),
            });
        }
    }
    for (_, number) in primary_first(&numbers) {
        if let Some(raw) = string_at(number, &["value"]) {
            let phone = e164(&raw, "phoneNumbers")?;
            if !phones.contains(&phone) {
                phones.push(phone);
            }
        }
    }
    let sent_emails: Vec<ScimValue> = emails
        .iter()
        .filter_map(|e| {
            Some(ScimValue {
                value: string_at(e, &["value"])?,
                kind: string_at(e, &["type"]),
                primary: is_primary(e),
            })
        })
        .collect();
    let sent_name = get_ci(value, "name").map(|n| ScimName {
        formatted: string_at(n, &["formatted"]),
        given_name: string_at(n, &["givenName"]),
        family_name: string_at(n, &["familyName"]),
    });

    let preferred_language = string_at(value, &["preferredLanguage"]);
    let language = match &preferred_language {
        None => None,
        Some(tag) => {
            let primary = tag
                .split(['-', '_'])
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            validate::language(&primary).map_err(|_| {
                ScimError::invalid_value(format!(
                    "preferredLanguage: {tag:?} is not Finnish, Swedish or English (fi, sv, en, or a tag such as fi-FI)"
                ))
            })?;
            Some(primary)
        }
    };

    let issi = match get_ci(value, TETRA).and_then(|t| get_ci(t, "issi")) {
        None | Some(Value::Null) => None,
        Some(v) => {
            let number = match v {
                Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
                Value::String(s) => s.trim().parse::<u32>().ok(),
                _ => None,
            };
            let issi = number.ok_or_else(|| {
                ScimError::invalid_value(format!("{TETRA}:issi: {v} is not a number"))
            })?;
            validate::tetra_ssi(issi)
                .map_err(|why| ScimError::invalid_value(format!("{TETRA}:issi: {why}")))?;
            Some(issi)
        }
    };

    let enterprise = get_ci(value, ENTERPRISE);
    let employee_number = enterprise.and_then(|e| string_at(e, &["employeeNumber"]));
    let department = enterprise.and_then(|e| string_at(e, &["department"]));
    Ok(Incoming {
        handle,
        name,
        email,
        phones,
        language,
        active: active_of(get_ci(value, "active"))?,
        issi,
        link: ScimLink {
            user_name,
            external_id: string_at(value, &["externalId"]),
            employee_number,
            department,
            preferred_language,
            name: sent_name,
            emails: sent_emails,
            phone_numbers,
        },
    })
}

/// A user by SCIM id (ids only: a username is not a SCIM id).
fn by_id(org: &OrgStore, id: &str) -> Result<User, ScimError> {
    id.parse::<Id>()
        .ok()
        .map(|id| org.user(id))
        .transpose()?
        .flatten()
        .ok_or_else(|| ScimError::not_found("user"))
}

#[post("/Users")]
async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    bytes: web::Bytes,
) -> Result<HttpResponse, ScimError> {
    let principal = provisioner(&req).await?;
    let incoming = from_scim(&body(&req, &bytes)?)?;
    let now = state.clock.now();
    let base = base_url(&req);
    let out = blocking(move || {
        let org = &principal.org;
        if org.user_by_username(&incoming.handle)?.is_some() {
            return Err(ScimError::new(
                StatusCode::CONFLICT,
                Some("uniqueness"),
                format!("userName {:?} is taken", incoming.link.user_name),
            ));
        }
        let user = org.create_user_managed(
            NewUser {
                username: incoming.handle,
                name: incoming.name,
                phones: incoming.phones,
                email: incoming.email,
                tetra_issi: incoming.issi,
                language: incoming.language,
                ..NewUser::default()
            },
            Some(incoming.link),
            !incoming.active,
            now,
        )?;
        principal
            .audit("scim.user_created", Outcome::Success)
            .target(&user.username)
            .write(org, now)?;
        Ok(to_scim(&user, &[], &base))
    })
    .await?;
    state.store.flush().await?;
    let location = out
        .pointer("/meta/location")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut response = respond(StatusCode::CREATED, &out);
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&location) {
        response
            .headers_mut()
            .insert(actix_web::http::header::LOCATION, value);
    }
    Ok(response)
}

#[get("/Users/{id}")]
async fn read(
    req: HttpRequest,
    id: web::Path<String>,
    projection: web::Query<Projection>,
) -> Result<HttpResponse, ScimError> {
    let principal = provisioner(&req).await?;
    let base = base_url(&req);
    let mut out = blocking(move || {
        let org = &principal.org;
        let user = by_id(org, &id)?;
        Ok(to_scim(&user, &org.groups()?, &base))
    })
    .await?;
    projection.apply(&mut out);
    Ok(respond(StatusCode::OK, &out))
}

#[get("/Users")]
async fn list(req: HttpRequest, query: web::Query<ListQuery>) -> Result<HttpResponse, ScimError> {
    search(req, query.into_inner()).await
}

#[post("/Users/.search")]
async fn post_search(req: HttpRequest, bytes: web::Bytes) -> Result<HttpResponse, ScimError> {
    let query = ListQuery::from_search(&body(&req, &bytes)?)?;
    search(req, query).await
}

async fn search(req: HttpRequest, query: ListQuery) -> Result<HttpResponse, ScimError> {
    let principal = provisioner(&req).await?;
    let filter = query.filter()?;
    let base = base_url(&req);
    let resources = blocking(move || {
        let org = &principal.org;
        let groups = org.groups()?;
        let candidates = match filter.as_ref().and_then(filter::user_name_equals) {
            Some(name) => match handle_of(name) {
                Ok(handle) => org.user_by_username(&handle)?.into_iter().collect(),
                Err(_) => Vec::new(),
            },
            None => org.users()?,
        };
        Ok(candidates
            .iter()
            .map(|u| to_scim(u, &groups, &base))
            .filter(|v| filter.as_ref().is_none_or(|f| filter::matches(f, v)))
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(respond(StatusCode::OK, &query.page(resources)))
}

/// Replaces what SCIM manages of a user with `incoming` (PUT, and PATCH
/// once its operations are applied), audited as `scim.user_changed`.
async fn replace(
    req: &HttpRequest,
    state: &AppState,
    principal: Principal,
    user: User,
    incoming: Incoming,
) -> Result<HttpResponse, ScimError> {
    let now = state.clock.now();
    let base = base_url(req);
    let out = blocking(move || {
        let org = &principal.org;
        if incoming.handle != user.username {
            if let Some(other) = org.user_by_username(&incoming.handle)? {
                if other.id != user.id {
                    return Err(ScimError::new(
                        StatusCode::CONFLICT,
                        Some("uniqueness"),
                        format!("userName {:?} is taken", incoming.link.user_name),
                    ));
                }
            }
        }
        let change = UserChange {
            name: Some(incoming.name),
            phones: Some(incoming.phones),
            email: Some(incoming.email),
            tetra_issi: Some(incoming.issi),
            language: Some(incoming.language),
            deactivated: Some(!incoming.active),
            scim: Some(Some(incoming.link)),
            ..UserChange::default()
        };
        let changed = org.rename_and_change_user(user.id, &incoming.handle, &change, now)?;
        let mut detail = Vec::new();
        if changed.deactivated && !user.deactivated {
            // Switched off: whoever is logged in as them is out at once.
            let ended = org.end_sessions_of(changed.id, None)?;
            detail.push(format!("deactivated, {ended} sessions ended"));
        } else if !changed.deactivated && user.deactivated {
            detail.push("activated".to_owned());
        }
        if changed.username != user.username {
            detail.push(format!("renamed from {}", user.username));
        }
        let mut entry = principal
            .audit("scim.user_changed", Outcome::Success)
            .target(&changed.username);
        if !detail.is_empty() {
            entry = entry.detail(detail.join("; "));
        }
        entry.write(org, now)?;
        Ok(to_scim(&changed, &org.groups()?, &base))
    })
    .await?;
    state.store.flush().await?;
    Ok(respond(StatusCode::OK, &out))
}

#[put("/Users/{id}")]
async fn put_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    bytes: web::Bytes,
) -> Result<HttpResponse, ScimError> {
    let principal = provisioner(&req).await?;
    let incoming = from_scim(&body(&req, &bytes)?)?;
    let org = principal.org.clone();
    let user = blocking(move || by_id(&org, &id)).await?;
    replace(&req, &state, principal, user, incoming).await
}

#[patch("/Users/{id}")]
async fn patch_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    bytes: web::Bytes,
) -> Result<HttpResponse, ScimError> {
    let principal = provisioner(&req).await?;
    let ops = operations(&body(&req, &bytes)?)?;
    let org = principal.org.clone();
    let base = base_url(&req);
    let (user, current) = blocking(move || {
        let user = by_id(&org, &id)?;
        let current = to_scim(&user, &[], &base);
        Ok((user, current))
    })
    .await?;
    let mut resource = current;
    for (kind, path, value) in ops {
        patch::apply(&mut resource, kind, path.as_deref(), value)?;
    }
    let incoming = from_scim(&resource)?;
    replace(&req, &state, principal, user, incoming).await
}

#[delete("/Users/{id}")]
async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    let principal = provisioner(&req).await?;
    let now = state.clock.now();
    blocking(move || {
        let org = &principal.org;
        let user = by_id(org, &id)?;
        org.delete_user(user.id)?;
        principal
            .audit("scim.user_deleted", Outcome::Success)
            .target(&user.username)
            .write(org, now)?;
        Ok(())
    })
    .await?;
    state.store.flush().await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create)
        .service(post_search)
        .service(list)
        .service(read)
        .service(put_user)
        .service(patch_user)
        .service(remove);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entra_and_okta_shapes_map() {
        let user = from_scim(&json!({
            "userName": "Alice.Smith@Contoso.com",
            "active": "False",
            "name": {"givenName": "Alice", "familyName": "Smith"},
            "emails": [{"value": "a@b.fi", "type": "home"}, {"value": "alice@contoso.com", "primary": true}],
            "phoneNumbers": [{"value": "+358 40 123 4567", "type": "mobile"}],
            "preferredLanguage": "fi-FI",
            "urn:tocsin:params:scim:schemas:extension:tetra:2.0:User": {"issi": "1234567"}
        }))
        .unwrap();
        assert_eq!(user.handle, "alice.smith_contoso.com");
        assert_eq!(user.name, "Alice Smith");
        assert_eq!(user.email.as_deref(), Some("alice@contoso.com"));
        assert_eq!(user.phones, ["+358401234567"]);
        assert_eq!(user.language.as_deref(), Some("fi"));
        assert!(!user.active);
        assert_eq!(user.issi, Some(1234567));
        let bad = from_scim(&json!({"userName": "bob", "phoneNumbers": [{"value": "040 123"}]}));
        let bad = bad.unwrap_err();
        assert_eq!(bad.scim_type, Some("invalidValue"));
        assert!(
            bad.detail.contains("phoneNumbers[0].value"),
            "{}",
            bad.detail
        );
    }
}

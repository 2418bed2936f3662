//! API keys, devices, organisation settings and the audit log.

use crate::auth::{apikey, Permission};
use crate::ids::Id;
use crate::store::{
    Actor, ApiKeyRecord, AuditFilter, DeviceRecord, OrgSettings, Outcome, Retention, StoreError,
};
use crate::web::extract::{ApiJson, Principal};
use crate::web::problem::ApiError;
use crate::web::{blocking, AppState};
use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;

#[derive(Debug, Serialize)]
struct KeyView {
    id: Id,
    name: String,
    role: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    last_used_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    revoked_at: Option<OffsetDateTime>,
    created_by: Option<Actor>,
}

impl From<ApiKeyRecord> for KeyView {
    fn from(k: ApiKeyRecord) -> Self {
        KeyView {
            id: k.id,
            name: k.name,
            role: k.role,
            created_at: k.created_at,
            expires_at: k.expires_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
            created_by: k.created_by,
        }
    }
}

#[get("/apikeys")]
async fn list_keys(principal: Principal) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageApiKeys)?;
    let org = principal.org.clone();
    let keys = blocking(move || org.api_keys()).await?;
    let keys: Vec<KeyView> = keys.into_iter().map(KeyView::from).collect();
    Ok(HttpResponse::Ok().json(json!({ "apikeys": keys })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKeyBody {
    name: String,
    role: String,
    expires_in_days: Option<u32>,
}

#[post("/apikeys")]
async fn create_key(
    state: web::Data<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<NewKeyBody>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageApiKeys)?;
    crate::validate::display_name(&body.name).map_err(|why| ApiError::field("name", why))?;
    if body.expires_in_days.is_some_and(|d| d == 0 || d > 3650) {
        return Err(ApiError::field("expires_in_days", "must be from 1 to 3650"));
    }
    let now = state.clock.now();
    let (token, key) = blocking(move || {
        let org = &principal.org;
        let Some(role) = org.role_by_name(&body.role)? else {
            return Ok(Err(ApiError::field(
                "role",
                "no such role in this organisation",
            )));
        };
        // A key can't carry more than its creator holds, groups included.
        if !principal
            .access
            .covers(&crate::auth::Access::from_roles([&role]))
        {
            return Ok(Err(ApiError::field(
                "role",
                "grants permissions you don't have",
            )));
        }
        let expires_at = body
            .expires_in_days
            .map(|d| now + time::Duration::days(i64::from(d)));
        let mut issued = match apikey::issue(org.org_id(), &body.name, &role.name, expires_at) {
            Ok(issued) => issued,
            Err(e) => return Ok(Err(ApiError::from(e))),
        };
        issued.record.created_by = Some(principal.actor.clone());
        let key = org.create_api_key(issued.record, now)?;
        principal
            .audit("apikey.created", Outcome::Success)
            .target(key.id)
            .detail(format!("{} ({})", key.name, key.role))
            .write(org, now)?;
        Ok::<_, StoreError>(Ok((issued.token, key)))
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::Created().json(json!({"key": token, "apikey": KeyView::from(key)})))
}

#[delete("/apikeys/{id}")]
async fn revoke_key(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageApiKeys)?;
    let id: Id = id.parse().map_err(|_| ApiError::NotFound("api key"))?;
    let now = state.clock.now();
    let key = blocking(move || {
        let org = &principal.org;
        let key = org.revoke_api_key(id, now)?;
        principal
            .audit("apikey.revoked", Outcome::Success)
            .target(key.id)
            .write(org, now)?;
        Ok::<_, StoreError>(key)
    })
    .await?;
    state.store.flush().await?;
    Ok(HttpResponse::Ok().json(KeyView::from(key)))
}

#[derive(Debug, Serialize)]
struct DeviceView {
    id: Id,
    user_id: Id,
    name: String,
    platform: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    last_seen_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    blocked_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    wipe_requested_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    wipe_delivered_at: Option<OffsetDateTime>,
}

impl From<DeviceRecord> for DeviceView {
    fn from(d: DeviceRecord) -> Self {
        DeviceView {
            id: d.id,
            user_id: d.user_id,
            name: d.name,
            platform: d.platform,
            created_at: d.created_at,
            last_seen_at: d.last_seen_at,
            blocked_at: d.blocked_at,
            wipe_requested_at: d.wipe_requested_at,
            wipe_delivered_at: d.wipe_delivered_at,
        }
    }
}

#[get("/devices")]
async fn list_devices(principal: Principal) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageDevices)?;
    let org = principal.org.clone();
    let devices = blocking(move || org.devices()).await?;
    let devices: Vec<DeviceView> = devices.into_iter().map(DeviceView::from).collect();
    Ok(HttpResponse::Ok().json(json!({ "devices": devices })))
}

/// Blocks a device (its sessions end at once) or orders it wiped.
async fn device_action(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    wipe: bool,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageDevices)?;
    let id: Id = id.parse().map_err(|_| ApiError::NotFound("device"))?;
    let now = state.clock.now();
    let device = blocking(move || {
        let org = &principal.org;
        let device = org.modify_device(id, |d| {
            if wipe {
                d.wipe_requested_at.get_or_insert(now);
            } else {
                d.blocked_at.get_or_insert(now);
            }
        })?;
        // A wipe order must still reach the device, so its sessions live
        // until it calls in; a block ends them now.
        if !wipe {
            org.end_sessions_of_device(id)?;
        }
        let action = if wipe {
            "device.wipe_ordered"
        } else {
            "device.blocked"
        };
        principal
            .audit(action, Outcome::Success)
            .target(device.id)
            .write(org, now)?;
        Ok::<_, StoreError>(device)
    })
    .await?;
    state.store.flush().await?;
    Ok(HttpResponse::Ok().json(DeviceView::from(device)))
}

#[post("/devices/{id}/block")]
async fn block_device(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    device_action(state, principal, id, false).await
}

#[post("/devices/{id}/wipe")]
async fn wipe_device(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    device_action(state, principal, id, true).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    action: Option<String>,
    actor: Option<String>,
    outcome: Option<Outcome>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    since: Option<OffsetDateTime>,
    limit: Option<usize>,
}

#[get("/audit")]
async fn audit_log(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ReadAudit)?;
    let q = query.into_inner();
    let actor = q.actor.clone();
    let filter = AuditFilter {
        action_prefix: q.action,
        actor: q.actor,
        outcome: q.outcome,
        since: q.since,
        limit: q.limit.unwrap_or(100).clamp(1, 1000),
    };
    let now = state.clock.now();
    let events = blocking(move || {
        let org = &principal.org;
        let erasures = org.erasures()?;
        // Shown as erased, and not found by the name they had.
        let events: Vec<_> = org
            .audit_events(&filter)?
            .into_iter()
            .map(|e| crate::privacy::erase::as_shown(e, &erasures))
            .filter(|e| actor.as_ref().is_none_or(|a| e.actor.name == *a))
            .collect();
        principal
            .audit("audit.read", Outcome::Success)
            .write(org, now)?;
        Ok::<_, StoreError>(events)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "events": events })))
}

#[get("/settings")]
async fn get_settings(principal: Principal) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageSettings)?;
    let org = principal.org.clone();
    let record = blocking(move || org.store().get_org(org.org_id()))
        .await?
        .ok_or(ApiError::NotFound("organisation"))?;
    Ok(HttpResponse::Ok().json(json!({"org": {"id": record.id, "slug": record.slug, "name": record.name}, "settings": record.settings})))
}

#[patch("/settings")]
async fn change_settings(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageSettings)?;
    let org = principal.org.clone();
    let record = blocking(move || org.store().get_org(org.org_id()))
        .await?
        .ok_or(ApiError::NotFound("organisation"))?;
    // Merge the patch onto the current settings, then check the whole.
    let mut merged = serde_json::to_value(&record.settings).map_err(|_| ApiError::Internal)?;
    let patch: serde_json::Value = crate::web::extract::parse_json(&body)?;
    let (Some(target), Some(fields)) = (merged.as_object_mut(), patch.as_object()) else {
        return Err(ApiError::field("body", "must be a JSON object"));
    };
    // Nested settings (`security`) merge one level deep, so changing one
    // of their fields keeps the others.
    for (k, v) in fields {
        match (target.get_mut(k), v) {
            (Some(serde_json::Value::Object(inner)), serde_json::Value::Object(changes)) => {
                for (ik, iv) in changes {
                    inner.insert(ik.clone(), iv.clone());
                }
            }
            _ => {
                target.insert(k.clone(), v.clone());
            }
        }
    }
    if let Some(triggers) = patch.get("sms_triggers").cloned() {
        let hashed = blocking(move || hash_trigger_pins(triggers)).await??;
        target.insert("sms_triggers".to_owned(), hashed);
    }
    let settings: OrgSettings = crate::web::extract::parse_json(merged.to_string().as_bytes())?;
    validate_settings(&settings)?;
    let now = state.clock.now();
    let changed = blocking(move || {
        let org = &principal.org;
        for (i, rule) in settings.tetra_rules.iter().enumerate() {
            if org.template_by_name(&rule.template)?.is_none() {
                return Ok(Err(ApiError::field(
                    format!("tetra_rules[{i}].template"),
                    "no such template",
                )));
            }
        }
        for (i, rule) in settings.email_rules.iter().enumerate() {
            if org.template_by_name(&rule.template)?.is_none() {
                return Ok(Err(ApiError::field(
                    format!("email_rules[{i}].template"),
                    "no such template",
                )));
            }
        }
        for (i, rule) in settings.cap_rules.iter().enumerate() {
            if org.find_template(&rule.template)?.is_none() {
                return Ok(Err(ApiError::field(
                    format!("cap_rules[{i}].template"),
                    "no such template",
                )));
            }
        }
        if let Some(name) = &settings.dead_man_template {
            if org.find_template(name)?.is_none() {
                return Ok(Err(ApiError::field(
                    "dead_man_template",
                    "no such template",
                )));
            }
        }
        for (i, role) in settings.require_second_factor_for.iter().enumerate() {
            if org.role_by_name(role)?.is_none() {
                return Ok(Err(ApiError::field(
                    format!("require_second_factor_for[{i}]"),
                    "no such role",
                )));
            }
        }
        if let Some(field) = unknown_contact(org, &settings.security)? {
            return Ok(Err(ApiError::field(
                field,
                "no such user or group in this organisation",
            )));
        }
        if let Some(field) = unassigned_sender(org, &settings)? {
            return Ok(Err(ApiError::field(
                field,
                "is not assigned to this organisation; the appliance operator assigns senders",
            )));
        }
        let changed = org.store().set_org_settings(org.org_id(), &settings)?;
        principal
            .audit("settings.changed", Outcome::Success)
            .detail(format!(
                "{:?} → {:?}",
                without_pins(&record.settings),
                without_pins(&changed.settings)
            ))
            .write(org, now)?;
        Ok::<_, StoreError>(Ok(changed))
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::Ok().json(json!({"settings": changed.settings})))
}

/// Email rules: a name, senders that are whole addresses or "*@domain"
/// (never anyone at all), and patterns that compile and don't match every
/// text.
fn validate_email_rules(rules: &[crate::store::EmailRule]) -> Result<(), ApiError> {
    for (i, rule) in rules.iter().enumerate() {
        if rule.name.trim().is_empty() {
            return Err(ApiError::field(
                format!("email_rules[{i}].name"),
                "is required",
            ));
        }
        if rule.from.is_empty() {
            return Err(ApiError::field(
                format!("email_rules[{i}].from"),
                "name at least one sender, or the rule would take mail from anyone",
            ));
        }
        for (j, sender) in rule.from.iter().enumerate() {
            let address = sender
                .strip_prefix("*@")
                .map_or(sender.as_str(), |domain| domain);
            let domain = match sender.strip_prefix("*@") {
                Some(domain) => Some(domain),
                None => sender
                    .split_once('@')
                    .filter(|(local, _)| !local.is_empty())
                    .map(|(_, domain)| domain),
            };
            let ok = domain.is_some_and(|d| {
                d.contains('.')
                    && !d.starts_with('.')
                    && !d.ends_with('.')
                    && d.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            }) && !address.contains(char::is_whitespace)
                && !address.contains(['<', '>', '*']);
            if !ok {
                return Err(ApiError::field(
                    format!("email_rules[{i}].from[{j}]"),
                    "must be an address such as alarms@plant.example, or *@scada.example for a whole domain",
                ));
            }
        }
        for (field, pattern) in [("subject", &rule.subject), ("body", &rule.body)] {
            let Some(pattern) = pattern else { continue };
            let re = regex::Regex::new(pattern).map_err(|e| {
                ApiError::field(
                    format!("email_rules[{i}].{field}"),
                    format!("is not a valid pattern: {e}"),
                )
            })?;
            // A pattern that matches an empty text matches every text.
            if re.is_match("") {
                return Err(ApiError::field(
                    format!("email_rules[{i}].{field}"),
                    "matches every mail; name what the alarm contains",
                ));
            }
        }
    }
    Ok(())
}

fn validate_security(s: &crate::store::SecurityMonitoring) -> Result<(), ApiError> {
    use crate::store::Channel;
    if s.channels.is_empty() {
        return Err(ApiError::field(
            "security.channels",
            "name at least one of app, sms, email",
        ));
    }
    for (i, channel) in s.channels.iter().enumerate() {
        if !matches!(channel, Channel::App | Channel::Sms | Channel::Email) {
            return Err(ApiError::field(
                format!("security.channels[{i}]"),
                "must be app, sms or email",
            ));
        }
    }
    for (field, value) in [
        (
            "security.failed_logins_per_account",
            s.failed_logins_per_account,
        ),
        (
            "security.failed_logins_per_address",
            s.failed_logins_per_address,
        ),
    ] {
        if !(3..=10_000).contains(&value) {
            return Err(ApiError::field(field, "must be from 3 to 10000"));
        }
    }
    if !(1..=1440).contains(&s.window_minutes) {
        return Err(ApiError::field(
            "security.window_minutes",
            "must be from 1 to 1440",
        ));
    }
    for (i, rule) in s.rules_off.iter().enumerate() {
        if !crate::security::RULES.contains(&rule.as_str()) {
            return Err(ApiError::field(
                format!("security.rules_off[{i}]"),
                format!(
                    "no such rule; the rules are {}",
                    crate::security::RULES.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// The first security contact or contact group that does not exist.
fn unknown_contact(
    org: &crate::store::OrgStore,
    s: &crate::store::SecurityMonitoring,
) -> Result<Option<String>, StoreError> {
    for (i, name) in s.contacts.iter().enumerate() {
        if org.find_user(name)?.is_none() {
            return Ok(Some(format!("security.contacts[{i}]")));
        }
    }
    for (i, name) in s.contact_groups.iter().enumerate() {
        if org.find_group(name)?.is_none() {
            return Ok(Some(format!("security.contact_groups[{i}]")));
        }
    }
    Ok(None)
}

/// The first SMS trigger number or TETRA rule sender that the organisation
/// does not own: its rules could never see it.
fn unassigned_sender(
    org: &crate::store::OrgStore,
    settings: &OrgSettings,
) -> Result<Option<String>, StoreError> {
    let owns = |sender: String| -> Result<bool, StoreError> {
        Ok(org.store().sender_owner(&sender)? == Some(org.org_id()))
    };
    for (i, t) in settings.sms_triggers.iter().enumerate() {
        if !owns(crate::store::sms_sender(&t.number))? {
            return Ok(Some(format!("sms_triggers[{i}].number")));
        }
    }
    for (i, rule) in settings.tetra_rules.iter().enumerate() {
        for (j, ssi) in rule.from.iter().enumerate() {
            if !owns(crate::store::tetra_sender(*ssi))? {
                return Ok(Some(format!("tetra_rules[{i}].from[{j}]")));
            }
        }
    }
    Ok(None)
}

/// Settings as the audit trail shows them: PIN hashes left out.
fn without_pins(settings: &OrgSettings) -> OrgSettings {
    let mut shown = settings.clone();
    for t in &mut shown.sms_triggers {
        t.pin_hash = "(hidden)".to_owned();
    }
    shown
}

/// SMS trigger PINs arrive as `pin` and are kept only as argon2id hashes;
/// entries sent back unchanged keep their `pin_hash`.
fn hash_trigger_pins(
    triggers: serde_json::Value,
) -> Result<Result<serde_json::Value, ApiError>, StoreError> {
    let Some(list) = triggers.as_array() else {
        return Ok(Err(ApiError::field("sms_triggers", "must be a list")));
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, entry) in list.iter().enumerate() {
        let Some(fields) = entry.as_object() else {
            return Ok(Err(ApiError::field(
                format!("sms_triggers[{i}]"),
                "must be an object",
            )));
        };
        let mut fields = fields.clone();
        if let Some(pin) = fields.remove("pin") {
            let pin = pin.as_str().unwrap_or_default().to_owned();
            if !(6..=12).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
                return Ok(Err(ApiError::field(
                    format!("sms_triggers[{i}].pin"),
                    "must be 6 to 12 digits",
                )));
            }
            match crate::auth::password::hash(&pin) {
                Ok(hash) => fields.insert("pin_hash".to_owned(), json!(hash)),
                Err(e) => return Ok(Err(ApiError::from(e))),
            };
        }
        out.push(serde_json::Value::Object(fields));
    }
    Ok(Ok(serde_json::Value::Array(out)))
}

/// The CAP code lists a rule may name.
const CAP_CODES: &[(&str, &[&str])] = &[
    (
        "category",
        &[
            "Geo",
            "Met",
            "Safety",
            "Security",
            "Rescue",
            "Fire",
            "Health",
            "Env",
            "Transport",
            "Infra",
            "CBRNE",
            "Other",
        ],
    ),
    (
        "urgency",
        &["Immediate", "Expected", "Future", "Past", "Unknown"],
    ),
    (
        "severity",
        &["Extreme", "Severe", "Moderate", "Minor", "Unknown"],
    ),
    (
        "certainty",
        &["Observed", "Likely", "Possible", "Unlikely", "Unknown"],
    ),
];

fn validate_cap_rules(rules: &[crate::store::CapRule]) -> Result<(), ApiError> {
    for (i, rule) in rules.iter().enumerate() {
        let field = |name: &str| format!("cap_rules[{i}].{name}");
        if rule.name.trim().is_empty() {
            return Err(ApiError::field(field("name"), "is required"));
        }
        for (name, pattern) in [
            ("event", &rule.event),
            ("sender_name", &rule.sender_name),
            ("area", &rule.area),
        ] {
            if let Some(p) = pattern {
                regex::Regex::new(p).map_err(|e| {
                    ApiError::field(field(name), format!("is not a valid pattern: {e}"))
                })?;
            }
        }
        for (name, values) in [
            ("category", &rule.category),
            ("urgency", &rule.urgency),
            ("severity", &rule.severity),
            ("certainty", &rule.certainty),
        ] {
            let allowed = CAP_CODES
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(&[][..], |(_, codes)| *codes);
            if let Some(bad) = values.iter().find(|v| !allowed.contains(&v.as_str())) {
                return Err(ApiError::field(
                    field(name),
                    format!("\"{bad}\" is not one of {}", allowed.join(", ")),
                ));
            }
        }
        let conditions = rule.event.is_some()
            || rule.sender_name.is_some()
            || rule.area.is_some()
            || !rule.category.is_empty()
            || !rule.urgency.is_empty()
            || !rule.severity.is_empty()
            || !rule.certainty.is_empty();
        if !conditions {
            return Err(ApiError::field(
                format!("cap_rules[{i}]"),
                "needs a condition, or it would match every message",
            ));
        }
    }
    Ok(())
}

fn validate_settings(s: &OrgSettings) -> Result<(), ApiError> {
    validate_cap_rules(&s.cap_rules)?;
    crate::validate::language(&s.language).map_err(|why| ApiError::field("language", why))?;
    if !(1..=720).contains(&s.location_retention_hours) {
        return Err(ApiError::field(
            "location_retention_hours",
            "must be from 1 to 720 hours",
        ));
    }
    let r = &s.retention;
    for (field, days, min) in [
        (
            "retention.alerts_days",
            r.alerts_days,
            Retention::MIN_ALERTS_DAYS,
        ),
        (
            "retention.inbound_days",
            r.inbound_days,
            Retention::MIN_INBOUND_DAYS,
        ),
        (
            "retention.audit_days",
            r.audit_days,
            Retention::MIN_AUDIT_DAYS,
        ),
    ] {
        if !(min..=Retention::MAX_DAYS).contains(&days) {
            return Err(ApiError::field(
                field,
                format!("must be from {min} to {} days", Retention::MAX_DAYS),
            ));
        }
    }
    if s.dead_man_grace_seconds > 3600 {
        return Err(ApiError::field(
            "dead_man_grace_seconds",
            "must be from 0 to 3600 seconds",
        ));
    }
    if s.dead_man_template
        .as_ref()
        .is_some_and(|t| t.trim().is_empty())
    {
        return Err(ApiError::field(
            "dead_man_template",
            "must name a template, or be null for the admins to be alarmed",
        ));
    }
    validate_security(&s.security)?;
    for (label, option) in &s.tetra_status_replies {
        if !(1..=6).contains(option) {
            return Err(ApiError::field(
                format!("tetra_status_replies.{label}"),
                "must be an answer option from 1 to 6",
            ));
        }
    }
    for (i, rule) in s.tetra_rules.iter().enumerate() {
        if rule.name.trim().is_empty() {
            return Err(ApiError::field(
                format!("tetra_rules[{i}].name"),
                "is required",
            ));
        }
        if rule.status.is_none() && rule.pattern.is_none() && rule.from.is_empty() {
            return Err(ApiError::field(
                format!("tetra_rules[{i}]"),
                "needs a sender (from), a status or a pattern, or it would match everything",
            ));
        }
        if let Some(pattern) = &rule.pattern {
            let re = regex::Regex::new(pattern).map_err(|e| {
                ApiError::field(
                    format!("tetra_rules[{i}].pattern"),
                    format!("is not a valid pattern: {e}"),
                )
            })?;
            // A pattern that matches an empty text matches every text.
            if re.is_match("") {
                return Err(ApiError::field(
                    format!("tetra_rules[{i}].pattern"),
                    "matches every message; name what the alarm text contains",
                ));
            }
        }
    }
    validate_email_rules(&s.email_rules)?;
    for (i, t) in s.sms_triggers.iter().enumerate() {
        crate::validate::e164(&t.number)
            .map_err(|why| ApiError::field(format!("sms_triggers[{i}].number"), why))?;
        if !t.pin_hash.starts_with("$argon2id$") {
            return Err(ApiError::field(
                format!("sms_triggers[{i}].pin"),
                "is required: 6 to 12 digits",
            ));
        }
    }
    if !(8..=128).contains(&s.password_min_length) {
        return Err(ApiError::field(
            "password_min_length",
            "must be from 8 to 128",
        ));
    }
    if s.password_min_strength > 4 {
        return Err(ApiError::field(
            "password_min_strength",
            "must be from 0 to 4",
        ));
    }
    if s.password_max_age_days.is_some_and(|d| d == 0 || d > 3650) {
        return Err(ApiError::field(
            "password_max_age_days",
            "must be from 1 to 3650, or null",
        ));
    }
    if !(1..=1440).contains(&s.session_idle_minutes) {
        return Err(ApiError::field(
            "session_idle_minutes",
            "must be from 1 to 1440",
        ));
    }
    if !(1..=10_000).contains(&s.max_automated_alerts_per_minute) {
        return Err(ApiError::field(
            "max_automated_alerts_per_minute",
            "must be from 1 to 10000",
        ));
    }
    for (code, option) in &s.reply_codes {
        let ok_code = (1..=8).contains(&code.len())
            && code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() && !c.is_ascii_lowercase());
        if !ok_code || !(1..=6).contains(option) {
            return Err(ApiError::field(
                format!("reply_codes.{code}"),
                "codes are 1 to 8 uppercase letters or digits, for options 1 to 6",
            ));
        }
    }
    if !(7..=730).contains(&s.access_review_interval_days) {
        return Err(ApiError::field(
            "access_review_interval_days",
            "must be from 7 to 730 days",
        ));
    }
    if !(1..=720).contains(&s.session_lifetime_hours) {
        return Err(ApiError::field(
            "session_lifetime_hours",
            "must be from 1 to 720",
        ));
    }
    Ok(())
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list_keys)
        .service(create_key)
        .service(revoke_key)
        .service(list_devices)
        .service(block_device)
        .service(wipe_device)
        .service(audit_log)
        .service(get_settings)
        .service(change_settings);
}

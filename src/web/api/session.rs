//! Logging in and out, and what a logged-in user does for themself: password,
//! sessions, second factor.

use super::directory::UserFields;
use super::rfc3339;
use crate::auth::login::{self, Attempt, Outcome};
use crate::auth::session::COOKIE;
use crate::auth::{password, policy, second_factor};
use crate::ids::Id;
use crate::store::{Outcome as AuditOutcome, SessionStage, UserChange};
use crate::web::extract::{ApiJson, Caller, Principal};
use crate::web::problem::ApiError;
use crate::web::{blocking, AppState};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    org: String,
    username: String,
    password: String,
    code: Option<String>,
    /// The device id this client got at an earlier login.
    device_id: Option<Id>,
    device_name: Option<String>,
    platform: Option<String>,
}

fn session_cookie(value: String) -> Cookie<'static> {
    Cookie::build(COOKIE, value)
        .path("/")
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .finish()
}

#[post("/session")]
async fn log_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<HttpResponse, ApiError> {
    if let Some(ip) = req.peer_addr().map(|a| a.ip()) {
        state
            .login_limiter
            .attempt(ip, std::time::Instant::now())
            .map_err(ApiError::Throttled)?;
    }
    let user_agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(200).collect::<String>());
    let attempt = Attempt {
        org: body.org.trim().to_lowercase(),
        username: body.username.trim().to_lowercase(),
        password: body.password,
        code: body.code,
        device_id: body.device_id,
        device_name: body
            .device_name
            .map(|n| n.chars().take(100).collect())
            .or_else(|| user_agent.clone())
            .unwrap_or_else(|| "unknown".to_owned()),
        platform: body
            .platform
            .map(|p| p.chars().take(50).collect())
            .unwrap_or_else(|| "web".to_owned()),
        source: req.peer_addr().map(|a| a.ip().to_string()),
        network: req
            .peer_addr()
            .map(|a| crate::web::ratelimit::network_of(a.ip()).to_string())
            .unwrap_or_default(),
        user_agent,
    };
    let store = state.store.clone();
    let now = state.clock.now();
    let outcome = blocking(move || login::login(&store, now, &attempt)).await?;
    state.store.flush().await?;
    match outcome {
        // A lockout is told to the security contacts by monitoring.
        Outcome::Refused { .. } => Err(ApiError::LoginRefused),
        Outcome::SecondFactorRequired { sms: None } => Err(ApiError::SecondFactorRequired),
        Outcome::SecondFactorRequired { sms: Some(challenge) } => {
            let tail = last_digits(&challenge.phone);
            send_code(&state, challenge.phone, &challenge.code)?;
            Err(ApiError::SmsCodeSent(tail))
        }
        Outcome::Locked { retry_after } => Err(ApiError::Throttled(retry_after.as_secs())),
        Outcome::LoggedIn(done) => Ok(HttpResponse::Ok().cookie(session_cookie(done.cookie)).json(json!({
            "csrf_token": done.session.csrf_token,
            "session": {"id": done.session.id, "stage": done.session.stage, "created_at": rfc3339(done.session.created_at)},
            "device": {"id": done.device.id, "name": done.device.name},
            "user": {"id": done.user.id, "username": done.user.username, "name": done.user.name},
            "org": {"id": done.org.id, "slug": done.org.slug, "name": done.org.name},
            "roles": done.access.roles,
            "permissions": done.access.permissions,
            "idle_timeout_seconds": u64::from(done.org.settings.session_idle_minutes) * 60,
        }))),
    }
}

#[delete("/session")]
async fn log_out(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    let session = principal.session().ok_or(ApiError::NeedsLogin)?.session.id;
    let now = state.clock.now();
    blocking(move || {
        principal.org.end_session(session)?;
        principal
            .audit("logout", AuditOutcome::Success)
            .write(&principal.org, now)
    })
    .await?;
    state.store.flush().await?;
    let mut gone = session_cookie(String::new());
    gone.make_removal();
    Ok(HttpResponse::NoContent().cookie(gone).finish())
}

/// Who the caller is, as the server sees it.
#[get("/me")]
async fn me(principal: Principal) -> Result<HttpResponse, ApiError> {
    let places = match principal.session() {
        Some(s) => {
            let (org, user) = (principal.org.clone(), s.user.clone());
            Some(blocking(move || super::places::my_places(&org, &user)).await?)
        }
        None => None,
    };
    Ok(match &principal.caller {
        Caller::ApiKey { key_id } => HttpResponse::Ok().json(json!({
            "kind": "api_key",
            "org": principal.org.org_id(),
            "key": {"id": key_id, "name": principal.actor.name},
            "roles": principal.access.roles,
            "permissions": principal.access.permissions,
        })),
        Caller::Session(s) => HttpResponse::Ok().json(json!({
            "kind": "user",
            "org": {"id": s.org.id, "slug": s.org.slug, "name": s.org.name},
            "user": {
                "id": s.user.id, "username": s.user.username, "name": s.user.name,
                "phones": s.user.phones, "email": s.user.email, "tetra_issi": s.user.tetra_issi,
                "language": s.user.language, "channels": s.user.channels,
                "second_factor": second_factor::enrolled(&s.user),
            },
            "session": {"id": s.session.id, "stage": s.session.stage},
            // The page may have lost it (another tab signed in, storage off).
            "csrf_token": s.session.csrf_token,
            "device": {"id": s.device.id, "name": s.device.name},
            "roles": principal.access.roles,
            "permissions": principal.access.permissions,
            "idle_timeout_seconds": u64::from(s.org.settings.session_idle_minutes) * 60,
            "on_duty": places.as_ref().map(|p| p["on_duty"].clone()),
            "location": places.as_ref().map(|p| p["location"].clone()),
            "timer": places.as_ref().map(|p| p["timer"].clone()),
        })),
    })
}

/// What members set for themselves: the language of their messages and the
/// channels they are reached on, in order.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MyPreferences {
    #[serde(default, with = "super::directory::double_option")]
    language: Option<Option<String>>,
    channels: Option<Vec<String>>,
    /// On duty: under the `duty` location policy the app shares its
    /// position meanwhile.
    on_duty: Option<bool>,
}

#[patch("/me")]
async fn change_preferences(
    state: web::Data<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<MyPreferences>,
) -> Result<HttpResponse, ApiError> {
    principal.finished()?;
    let user = principal.user()?.id;
    let fields = UserFields {
        language: body.language,
        channels: body.channels,
        ..UserFields::default()
    };
    let now = state.clock.now();
    let changed = blocking(move || {
        let org = &principal.org;
        if let Err(e) = fields.validate(org)? {
            return Ok(Err(e));
        }
        let change = UserChange {
            language: fields.language.clone(),
            channels: fields.channels.clone(),
            on_duty: body.on_duty,
            ..UserChange::default()
        };
        let changed = org.change_user(user, &change, now)?;
        principal
            .audit("user.preferences_changed", AuditOutcome::Success)
            .target(&changed.username)
            .write(org, now)?;
        if let Some(on) = body.on_duty {
            principal
                .audit(
                    if on { "user.duty_on" } else { "user.duty_off" },
                    AuditOutcome::Success,
                )
                .target(&changed.username)
                .write(org, now)?;
        }
        Ok::<_, crate::store::StoreError>(Ok(changed))
    })
    .await??;
    state.store.flush().await?;
    Ok(
        HttpResponse::Ok()
            .json(json!({"language": changed.language, "channels": changed.channels, "on_duty": changed.on_duty})),
    )
}

/// What proves again, before a change to how someone logs in, that the
/// person at this session owns the account.
enum Proof {
    Password(String),
    Code(String),
}

/// Checks a [`Proof`], counted like a login from this session's device, so a
/// borrowed session can't guess its way to the account. A wrong proof is
/// audited as `refused` and named by `field`.
async fn reauthenticate(
    state: &AppState,
    principal: &Principal,
    proof: Proof,
    field: &'static str,
    refused: &'static str,
) -> Result<(), ApiError> {
    let auth = principal.session().ok_or(ApiError::NeedsLogin)?;
    let (user, org_slug, device) = (auth.user.clone(), auth.org.slug.clone(), auth.device.id);
    let (store, handle, now) = (
        state.store.clone(),
        principal.org.clone(),
        state.clock.now(),
    );
    let entry = principal.audit(refused, AuditOutcome::Denied);
    let checked = blocking(move || {
        let source = crate::store::LoginSource::KnownDevice(device);
        let gate =
            store.begin_login_attempt(&org_slug, &user.username, &source, now, login::LIMITS)?;
        if let Some(until) = gate.wait_until {
            let left = (until - now).whole_seconds().max(1);
            return Ok::<_, ApiError>(Err(ApiError::Throttled(left.unsigned_abs())));
        }
        let good = match &proof {
            Proof::Password(given) => {
                password::verify(user.password_hash.as_deref().unwrap_or_default(), given)
            }
            Proof::Code(code) => second_factor::verify(&handle, &user, code, now)?.is_some(),
        };
        if good {
            store.clear_login_throttle(&org_slug, &user.username, &source)?;
            return Ok(Ok(()));
        }
        entry
            .detail(match proof {
                Proof::Password(_) => "the current password was wrong",
                Proof::Code(_) => "the second-factor code was wrong",
            })
            .write(&handle, now)?;
        Ok(Err(ApiError::field(field, "is not right")))
    })
    .await?;
    state.store.flush().await?;
    checked
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    current_password: String,
    new_password: String,
}

#[post("/me/password")]
async fn change_password(
    state: web::Data<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<HttpResponse, ApiError> {
    let auth = principal.session().ok_or(ApiError::NeedsLogin)?;
    let (user, org, session) = (auth.user.clone(), auth.org.clone(), auth.session.clone());
    reauthenticate(
        &state,
        &principal,
        Proof::Password(body.current_password),
        "current_password",
        "password.change_refused",
    )
    .await?;
    let context = policy::Context {
        username: &user.username,
        name: &user.name,
        org_slug: &org.slug,
        org_name: &org.name,
    };
    policy::check(&body.new_password, &org.settings, &context)
        .map_err(|why| ApiError::field("new_password", why))?;
    if password::verify(
        user.password_hash.as_deref().unwrap_or_default(),
        &body.new_password,
    ) {
        return Err(ApiError::field(
            "new_password",
            "must differ from the current password",
        ));
    }
    let new_password = body.new_password;
    let hash = blocking(move || password::hash(&new_password)).await?;
    let now = state.clock.now();
    let handle = principal.org.clone();
    let stage = blocking(move || {
        let change = UserChange {
            password_hash: Some(Some(hash)),
            must_change_password: Some(false),
            ..UserChange::default()
        };
        let user = handle.change_user(user.id, &change, now)?;
        // Other sessions may have been opened with the old password.
        handle.end_sessions_of(user.id, Some(session.id))?;
        let mut updated = user.clone();
        updated.must_change_password = false;
        let access = login::access_of(&handle, &updated)?;
        let stage = login::stage_for(&org, &updated, &access, now);
        principal
            .audit("password.changed", AuditOutcome::Success)
            .target(&user.username)
            .write(&handle, now)?;
        Ok::<_, crate::store::StoreError>(stage)
    })
    .await?;
    state.store.flush().await?;
    Ok(HttpResponse::Ok().json(json!({"stage": stage})))
}

#[get("/me/sessions")]
async fn my_sessions(principal: Principal) -> Result<HttpResponse, ApiError> {
    let auth = principal.session().ok_or(ApiError::NeedsLogin)?;
    let (user, current) = (auth.user.id, auth.session.id);
    let org = principal.org.clone();
    let sessions = blocking(move || org.sessions_of(user)).await?;
    let list: Vec<_> = sessions
        .into_iter()
        .map(|s| {
            json!({"id": s.id, "device_id": s.device_id, "created_at": rfc3339(s.created_at),
                   "last_seen_at": rfc3339(s.last_seen_at), "source": s.source, "user_agent": s.user_agent,
                   "current": s.id == current})
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "sessions": list })))
}

#[delete("/me/sessions/{id}")]
async fn end_my_session(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = principal.user()?.id;
    let id: Id = id.parse().map_err(|_| ApiError::NotFound("session"))?;
    let now = state.clock.now();
    blocking(move || match principal.org.session(id)? {
        Some(s) if s.user_id == user => {
            principal.org.end_session(id)?;
            principal
                .audit("session.ended", AuditOutcome::Success)
                .target(id)
                .write(&principal.org, now)?;
            Ok(Ok(()))
        }
        _ => Ok::<_, crate::store::StoreError>(Err(ApiError::NotFound("session"))),
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The last two digits, all a login page may show of a number.
fn last_digits(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    digits.iter().skip(digits.len().saturating_sub(2)).collect()
}

/// Sends a one-time code through the modem pool without holding the
/// request: the code is stored already, and the person is waiting for it.
fn send_code(state: &AppState, phone: String, code: &str) -> Result<(), ApiError> {
    let pool = state.hardware.sms.clone().ok_or(ApiError::NoModem)?;
    let request = crate::hw::gsm::modem::SmsRequest {
        to: phone,
        text: format!("Tocsin login code: {code}\nIt works once, for 5 minutes. Never share it."),
        status_report: false,
        tag: None,
    };
    actix_web::rt::spawn(async move {
        let outcome = pool.send_text(request).await;
        tracing::info!(?outcome, "login code by SMS");
    });
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SmsFactorBody {
    phone: String,
    current_password: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReauthBody {
    current_password: String,
}

/// Starts SMS codes as the second factor: a code goes to one of the user's
/// own numbers, and `confirm` with it proves the number reaches them.
#[post("/me/sms-second-factor")]
async fn begin_sms_factor(
    state: web::Data<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<SmsFactorBody>,
) -> Result<HttpResponse, ApiError> {
    let auth = principal.session().ok_or(ApiError::NeedsLogin)?;
    if second_factor::enrolled(&auth.user) {
        return Err(ApiError::Refused(
            "a second factor is already set up; remove it first",
        ));
    }
    if !auth.user.phones.contains(&body.phone) {
        return Err(ApiError::field(
            "phone",
            "must be one of your own phone numbers",
        ));
    }
    if state.hardware.sms.is_none() {
        return Err(ApiError::NoModem);
    }
    reauthenticate(
        &state,
        &principal,
        Proof::Password(body.current_password.clone()),
        "current_password",
        "second_factor.enrolment_refused",
    )
    .await?;
    let auth = principal.session().ok_or(ApiError::NeedsLogin)?;
    let (user, phone, now) = (auth.user.clone(), body.phone.clone(), state.clock.now());
    let org = principal.org.clone();
    let entry = principal.audit("second_factor.enrolment_started", AuditOutcome::Success);
    let code = blocking(move || {
        let code = second_factor::issue_sms_code(&org, &user, &phone, now)?;
        entry
            .detail(format!("SMS to the number ending {}", last_digits(&phone)))
            .write(&org, now)?;
        Ok::<_, ApiError>(code)
    })
    .await?;
    state.store.flush().await?;
    if let Some(code) = code {
        send_code(&state, body.phone.clone(), &code)?;
    }
    Ok(HttpResponse::Accepted().json(json!({"sent_to_number_ending": last_digits(&body.phone)})))
}

/// A confirmed second factor, whichever kind.
struct Enrolment<'a> {
    principal: &'a Principal,
    org: &'a crate::store::Organisation,
    kind: &'static str,
}

impl Enrolment<'_> {
    /// Stores the factor and new recovery codes, lets a session that was
    /// waiting for it go on, and audits it; returns the session's stage.
    fn finish(
        &self,
        user: crate::ids::Id,
        change: &UserChange,
        now: time::OffsetDateTime,
    ) -> Result<SessionStage, crate::store::StoreError> {
        let handle = &self.principal.org;
        let user = handle.change_user(user, change, now)?;
        let access = login::access_of(handle, &user)?;
        let stage = login::stage_for(self.org, &user, &access, now);
        self.principal
            .audit("second_factor.enrolled", AuditOutcome::Success)
            .target(&user.username)
            .detail(self.kind)
            .write(handle, now)?;
        Ok(stage)
    }
}

#[post("/me/sms-second-factor/confirm")]
async fn confirm_sms_factor(
    state: web::Data<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<CodeBody>,
) -> Result<HttpResponse, ApiError> {
    let auth = principal.session().ok_or(ApiError::NeedsLogin)?;
    if second_factor::enrolled(&auth.user) {
        return Err(ApiError::Refused("a second factor is already set up"));
    }
    let now = state.clock.now();
    let (user, org_record) = (auth.user.clone(), auth.org.clone());
    let handle = principal.org.clone();
    let (codes, hashes) = second_factor::new_recovery_codes(&principal.org, &auth.user)?;
    let confirmed = blocking(move || {
        let Some(phone) = second_factor::take_sms_code(&handle, &user, &body.code, now)? else {
            return Ok::<_, ApiError>(None);
        };
        let change = UserChange {
            sms_second_factor: Some(Some(phone)),
            recovery_codes: Some(hashes),
            ..UserChange::default()
        };
        let enrolment = Enrolment {
            principal: &principal,
            org: &org_record,
            kind: "sms",
        };
        Ok(Some(enrolment.finish(user.id, &change, now)?))
    })
    .await;
    state.store.flush().await?;
    match confirmed? {
        Some(stage) => {
            Ok(HttpResponse::Ok().json(json!({"recovery_codes": codes, "stage": stage})))
        }
        None => Err(ApiError::field(
            "code",
            "is not the code sent, or it expired",
        )),
    }
}

#[post("/me/totp")]
async fn begin_totp(
    state: web::Data<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<ReauthBody>,
) -> Result<HttpResponse, ApiError> {
    let auth = principal.session().ok_or(ApiError::NeedsLogin)?;
    if second_factor::enrolled(&auth.user) {
        return Err(ApiError::Refused(
            "a second factor is already set up; remove it first",
        ));
    }
    reauthenticate(
        &state,
        &principal,
        Proof::Password(body.current_password),
        "current_password",
        "second_factor.enrolment_refused",
    )
    .await?;
    let account = format!("{}@{}", auth.user.username, auth.org.slug);
    let (state_record, secret, uri) =
        second_factor::new_totp(&principal.org, &auth.user, &account)?;
    let user = auth.user.id;
    let now = state.clock.now();
    let org = principal.org.clone();
    let entry = principal.audit("second_factor.enrolment_started", AuditOutcome::Success);
    blocking(move || {
        org.change_user(
            user,
            &UserChange {
                totp: Some(Some(state_record)),
                ..UserChange::default()
            },
            now,
        )?;
        entry.detail("app (TOTP)").write(&org, now)
    })
    .await?;
    state.store.flush().await?;
    Ok(HttpResponse::Ok().json(json!({"secret": secret, "otpauth_uri": uri})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeBody {
    code: String,
}

#[post("/me/totp/confirm")]
async fn confirm_totp(
    state: web::Data<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<CodeBody>,
) -> Result<HttpResponse, ApiError> {
    let auth = principal.session().ok_or(ApiError::NeedsLogin)?;
    let Some(mut totp) = auth.user.totp.clone().filter(|t| !t.confirmed) else {
        return Err(ApiError::Refused("start with POST /api/v1/me/totp"));
    };
    let now = state.clock.now();
    let step = second_factor::totp_step(&principal.org, &auth.user, &totp, &body.code, now)?
        .ok_or_else(|| ApiError::field("code", "is not the current code"))?;
    totp.confirmed = true;
    totp.last_step = step;
    let (codes, hashes) = second_factor::new_recovery_codes(&principal.org, &auth.user)?;
    let (user, org_record) = (auth.user.clone(), auth.org.clone());
    let stage = blocking(move || {
        let change = UserChange {
            totp: Some(Some(totp)),
            recovery_codes: Some(hashes),
            ..UserChange::default()
        };
        let enrolment = Enrolment {
            principal: &principal,
            org: &org_record,
            kind: "totp",
        };
        enrolment.finish(user.id, &change, now)
    })
    .await?;
    state.store.flush().await?;
    Ok(HttpResponse::Ok().json(json!({"recovery_codes": codes, "stage": stage})))
}

#[delete("/me/totp")]
async fn remove_totp(
    state: web::Data<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<CodeBody>,
) -> Result<HttpResponse, ApiError> {
    let auth = principal.session().ok_or(ApiError::NeedsLogin)?;
    if auth.session.stage != SessionStage::Full {
        return Err(ApiError::Unfinished(auth.session.stage));
    }
    if auth.org.settings.requires_second_factor(&auth.access.roles) {
        return Err(ApiError::Refused("your role requires a second factor"));
    }
    reauthenticate(
        &state,
        &principal,
        Proof::Code(body.code),
        "code",
        "second_factor.removal_refused",
    )
    .await?;
    let (user, now, handle) = (auth.user.clone(), state.clock.now(), principal.org.clone());
    blocking(move || {
        handle.change_user(
            user.id,
            &UserChange {
                totp: Some(None),
                sms_second_factor: Some(None),
                sms_code: Some(None),
                recovery_codes: Some(Vec::new()),
                ..UserChange::default()
            },
            now,
        )?;
        principal
            .audit("second_factor.removed", AuditOutcome::Success)
            .target(&user.username)
            .write(&handle, now)
    })
    .await?;
    state.store.flush().await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(log_in)
        .service(log_out)
        .service(me)
        .service(change_preferences)
        .service(change_password)
        .service(my_sessions)
        .service(end_my_session)
        .service(begin_totp)
        .service(confirm_totp)
        .service(remove_totp)
        .service(begin_sms_factor)
        .service(confirm_sms_factor);
}

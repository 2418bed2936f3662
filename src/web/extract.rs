//! Request extractors: JSON bodies whose errors name the field, and the caller's
//! identity from an API key or a session cookie.

use super::problem::ApiError;
use super::AppState;
use crate::audit::{self, Entry};
use crate::auth::session::{self, Authenticated, Verdict};
use crate::auth::{apikey, Access, Permission};
use crate::ids::Id;
use crate::store::{Actor, ActorKind, OrgStore, Outcome, SessionStage, StoreError, User};
use actix_web::dev::Payload;
use actix_web::http::{header, Method};
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

/// A JSON request body. Errors are 4xx problems that name the offending field.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::NotJson);
            }
            let bytes = body.await.map_err(|_| ApiError::BodyUnreadable)?;
            parse_json(&bytes).map(ApiJson)
        })
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let inner = e.inner().to_string();
        let path = e.path().to_string();
        // serde reports missing and unknown fields against their parent; the
        // field's own name is in the message, between backticks.
        let named = ["missing field `", "unknown field `"]
            .iter()
            .find_map(|lead| inner.strip_prefix(lead))
            .and_then(|rest| rest.split('`').next());
        let field = match (named, path.as_str()) {
            (Some(name), ".") => name.to_owned(),
            (Some(name), path) if path == name || path.ends_with(&format!(".{name}")) => {
                path.to_owned()
            }
            (Some(name), parent) => format!("{parent}.{name}"),
            (None, ".") => "body".to_owned(),
            (None, path) => path.to_owned(),
        };
        let detail = inner.split(" at line ").next().unwrap_or(&inner).to_owned();
        ApiError::field(field, detail)
    })
}

/// How the caller proved who they are.
#[derive(Debug)]
pub enum Caller {
    ApiKey { key_id: Id },
    Session(Box<Authenticated>),
}

/// The authenticated caller, bound to their own organisation.
#[derive(Debug)]
pub struct Principal {
    pub org: OrgStore,
    pub actor: Actor,
    pub access: Access,
    pub caller: Caller,
    /// The client address, for audit events.
    pub source: Option<String>,
}

impl Principal {
    /// Checks a permission; a session that must first change its password or
    /// enrol a second factor has none.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        self.finished()?;
        if self.access.allows(permission) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(permission))
        }
    }

    pub fn session(&self) -> Option<&Authenticated> {
        match &self.caller {
            Caller::Session(s) => Some(s),
            Caller::ApiKey { .. } => None,
        }
    }

    /// The logged-in user; API keys act for no user.
    /// Refuses a session that must first change its password or enrol a
    /// second factor.
    pub fn finished(&self) -> Result<(), ApiError> {
        match &self.caller {
            Caller::Session(s) if s.session.stage != SessionStage::Full => {
                Err(ApiError::Unfinished(s.session.stage))
            }
            _ => Ok(()),
        }
    }

    pub fn user(&self) -> Result<&User, ApiError> {
        self.session().map(|s| &s.user).ok_or(ApiError::NeedsLogin)
    }

    /// An audit event for a person reading directory data. Reads through API
    /// keys are integrations syncing, not people browsing, and are not logged
    /// one by one (their key's last use is).
    pub fn audit_read(&self, what: &str, now: time::OffsetDateTime) -> Result<(), StoreError> {
        match self.caller {
            Caller::Session(_) => self
                .audit("directory.read", Outcome::Success)
                .target(what)
                .write(&self.org, now),
            Caller::ApiKey { .. } => Ok(()),
        }
    }

    /// An audit event by this caller.
    pub fn audit(&self, action: &'static str, outcome: Outcome) -> Entry {
        Entry::new(self.actor.clone(), action, outcome).source(self.source.clone())
    }
}

/// How stale "last used" may get before a request writes it again.
const LAST_USED_RESOLUTION: time::Duration = time::Duration::minutes(1);

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.strip_prefix("Bearer ").unwrap_or("").trim().to_owned());
        let cookie = req.cookie(session::COOKIE).map(|c| c.value().to_owned());
        let csrf = req
            .headers()
            .get("X-CSRF-Token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let unsafe_method = !is_safe(req.method());
        let source = req.peer_addr().map(|a| a.ip().to_string());
        Box::pin(async move {
            let state = state.ok_or(ApiError::Internal)?;
            let now = state.clock.now();
            let store = state.store.clone();
            match (bearer, cookie) {
                (Some(token), _) => {
                    super::blocking(move || api_key_principal(&store, &token, now, source)).await?
                }
                (None, Some(cookie)) => {
                    super::blocking(move || {
                        session_principal(&store, &cookie, csrf, unsafe_method, now, source)
                    })
                    .await?
                }
                (None, None) => Err(ApiError::Unauthorized),
            }
        })
    }
}

type Checked = Result<Result<Principal, ApiError>, StoreError>;

fn api_key_principal(
    store: &crate::store::Store,
    token: &str,
    now: time::OffsetDateTime,
    source: Option<String>,
) -> Checked {
    let Some(parsed) = apikey::parse(token) else {
        return Ok(Err(ApiError::Unauthorized));
    };
    let org = store.org(parsed.org);
    let Some(record) = org.api_key(parsed.id)? else {
        return Ok(Err(ApiError::Unauthorized));
    };
    if let Err(refusal) = apikey::check(&parsed, &record, now) {
        tracing::info!(key = %record.id, ?refusal, "API key refused");
        Entry::new(
            Actor {
                kind: ActorKind::ApiKey,
                id: Some(record.id),
                name: record.name.clone(),
            },
            "apikey.refused",
            Outcome::Denied,
        )
        .source(source)
        .detail(format!("{refusal:?}"))
        .write(&org, now)?;
        return Ok(Err(ApiError::Unauthorized));
    }
    let Some(role) = org.role_by_name(&record.role)? else {
        return Ok(Err(ApiError::Unauthorized));
    };
    if record
        .last_used_at
        .is_none_or(|at| now - at > LAST_USED_RESOLUTION)
    {
        org.touch_api_key(record.id, now)?;
    }
    Ok(Ok(Principal {
        actor: Actor {
            kind: ActorKind::ApiKey,
            id: Some(record.id),
            name: record.name,
        },
        access: Access::from_roles([&role]),
        caller: Caller::ApiKey { key_id: record.id },
        org,
        source,
    }))
}

fn session_principal(
    store: &crate::store::Store,
    cookie: &str,
    csrf: Option<String>,
    unsafe_method: bool,
    now: time::OffsetDateTime,
    source: Option<String>,
) -> Checked {
    match session::authenticate(store, cookie, now)? {
        Verdict::Refused => Ok(Err(ApiError::Unauthorized)),
        Verdict::Wiped => Ok(Err(ApiError::DeviceWiped)),
        Verdict::Valid(authenticated) => {
            let org = store.org(authenticated.org.id);
            if unsafe_method
                && !csrf.is_some_and(|t| {
                    crate::auth::token::same(&t, &authenticated.session.csrf_token)
                })
            {
                Entry::new(
                    audit::user_actor(authenticated.user.id, &authenticated.user.username),
                    "request.csrf_refused",
                    Outcome::Denied,
                )
                .source(source)
                .write(&org, now)?;
                return Ok(Err(ApiError::Csrf));
            }
            Ok(Ok(Principal {
                actor: audit::user_actor(authenticated.user.id, &authenticated.user.username),
                access: authenticated.access.clone(),
                caller: Caller::Session(authenticated),
                org,
                source,
            }))
        }
    }
}

//! Webhook subscriptions: which URLs hear of which events. The signing
//! secret is shown once, when the subscription is made.

use crate::auth::Permission;
use crate::ids::Id;
use crate::store::{
    Outcome, StoreError, Webhook, WebhookState, WEBHOOK_EVENTS, WEBHOOK_TEST_EVENT,
};
use crate::web::extract::{ApiJson, Principal};
use crate::web::problem::ApiError;
use crate::web::{blocking, AppState};
use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A subscription as the API shows it: never its secret.
#[derive(Debug, Serialize)]
struct WebhookView {
    id: Id,
    url: String,
    events: Vec<String>,
    state: WebhookState,
    paused_reason: Option<String>,
    created_at: String,
    failing_since: Option<String>,
    last_error: Option<String>,
    last_success_at: Option<String>,
    /// Events waiting to be sent.
    backlog: usize,
}

fn view(hook: Webhook, backlog: usize) -> WebhookView {
    WebhookView {
        id: hook.id,
        url: hook.url,
        events: hook.events,
        state: hook.state,
        paused_reason: hook.paused_reason,
        created_at: super::rfc3339(hook.created_at),
        failing_since: hook.failing_since.map(super::rfc3339),
        last_error: hook.last_error,
        last_success_at: hook.last_success_at.map(super::rfc3339),
        backlog,
    }
}

fn check_events(events: &[String]) -> Result<(), ApiError> {
    if events.is_empty() {
        return Err(ApiError::field("events", "name at least one event"));
    }
    if let Some(bad) = events
        .iter()
        .find(|e| !WEBHOOK_EVENTS.contains(&e.as_str()))
    {
        return Err(ApiError::field(
            "events",
            format!("{bad:?} is not one of {}", WEBHOOK_EVENTS.join(", ")),
        ));
    }
    Ok(())
}

fn check_url(url: &str) -> Result<(), ApiError> {
    if url.len() > 2000 {
        return Err(ApiError::field("url", "must be at most 2000 characters"));
    }
    crate::webhooks::check_url(url).map_err(|why| ApiError::field("url", why))
}

fn parse_id(id: &str) -> Result<Id, ApiError> {
    id.parse().map_err(|_| ApiError::NotFound("webhook"))
}

#[get("/webhooks")]
async fn list_webhooks(principal: Principal) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageSettings)?;
    let org = principal.org.clone();
    let hooks = blocking(move || {
        let hooks = org.webhooks()?;
        Ok::<_, StoreError>(
            hooks
                .into_iter()
                .map(|h| {
                    let backlog = org.store().webhook_backlog(h.id);
                    view(h, backlog)
                })
                .collect::<Vec<_>>(),
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "webhooks": hooks, "events": WEBHOOK_EVENTS })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewWebhook {
    url: String,
    events: Vec<String>,
}

#[post("/webhooks")]
async fn create_webhook(
    state: web::Data<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<NewWebhook>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageSettings)?;
    check_url(&body.url)?;
    check_events(&body.events)?;
    let secret = crate::webhooks::new_secret().map_err(|_| ApiError::Internal)?;
    let now = state.clock.now();
    let shown = secret.clone();
    let hook = blocking(move || {
        let org = &principal.org;
        let hook = org.create_webhook(body.url, body.events, &secret, now)?;
        principal
            .audit("webhook.created", Outcome::Success)
            .target(hook.id)
            .detail(format!("{} ({})", hook.url, hook.events.join(", ")))
            .write(org, now)?;
        Ok::<_, StoreError>(hook)
    })
    .await?;
    state.store.flush().await?;
    Ok(HttpResponse::Created().json(json!({"secret": shown, "webhook": view(hook, 0)})))
}

#[get("/webhooks/{id}")]
async fn get_webhook(
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageSettings)?;
    let id = parse_id(&id)?;
    let org = principal.org.clone();
    let (hook, backlog) = blocking(move || {
        let hook = org.webhook(id)?;
        Ok::<_, StoreError>((hook, org.store().webhook_backlog(id)))
    })
    .await?;
    let hook = hook.ok_or(ApiError::NotFound("webhook"))?;
    Ok(HttpResponse::Ok().json(view(hook, backlog)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookChange {
    url: Option<String>,
    events: Option<Vec<String>>,
    state: Option<WebhookState>,
}

#[patch("/webhooks/{id}")]
async fn change_webhook(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    ApiJson(body): ApiJson<WebhookChange>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageSettings)?;
    let id = parse_id(&id)?;
    if let Some(url) = &body.url {
        check_url(url)?;
    }
    if let Some(events) = &body.events {
        check_events(events)?;
    }
    let now = state.clock.now();
    let (hook, backlog) = blocking(move || {
        let org = &principal.org;
        let hook = org.change_webhook(id, |w| {
            if let Some(url) = &body.url {
                w.url = url.clone();
            }
            if let Some(events) = &body.events {
                w.events = events.clone();
            }
            if let Some(state) = body.state {
                if state == WebhookState::Active && w.state == WebhookState::Paused {
                    // Resumed: the day of failures starts again.
                    w.failing_since = None;
                    w.paused_reason = None;
                }
                if state == WebhookState::Paused && w.state == WebhookState::Active {
                    w.paused_reason = None;
                }
                w.state = state;
            }
        })?;
        let mut changed = Vec::new();
        if body.url.is_some() {
            changed.push(format!("url {}", hook.url));
        }
        if body.events.is_some() {
            changed.push(format!("events {}", hook.events.join(", ")));
        }
        if let Some(state) = body.state {
            changed.push(format!("state {state:?}").to_lowercase());
        }
        principal
            .audit("webhook.changed", Outcome::Success)
            .target(hook.id)
            .detail(changed.join("; "))
            .write(org, now)?;
        Ok::<_, StoreError>((hook, org.store().webhook_backlog(id)))
    })
    .await?;
    state.store.flush().await?;
    Ok(HttpResponse::Ok().json(view(hook, backlog)))
}

#[delete("/webhooks/{id}")]
async fn delete_webhook(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageSettings)?;
    let id = parse_id(&id)?;
    let now = state.clock.now();
    let removed = blocking(move || {
        let org = &principal.org;
        let Some(hook) = org.webhook(id)? else {
            return Ok(false);
        };
        org.delete_webhook(id)?;
        principal
            .audit("webhook.deleted", Outcome::Success)
            .target(id)
            .detail(hook.url)
            .write(org, now)?;
        Ok::<_, StoreError>(true)
    })
    .await?;
    if !removed {
        return Err(ApiError::NotFound("webhook"));
    }
    state.store.flush().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Queues a `test` event for one subscription, behind whatever waits for it.
#[post("/webhooks/{id}/test")]
async fn test_webhook(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageSettings)?;
    let id = parse_id(&id)?;
    let now = state.clock.now();
    let found = blocking(move || {
        let org = &principal.org;
        let Some(hook) = org.webhook(id)? else {
            return Ok(None);
        };
        let data = json!({"webhook_id": hook.id, "message": "a test event from Tocsin"});
        org.queue_webhook_event(WEBHOOK_TEST_EVENT, &data, Some(id), now)?;
        principal
            .audit("webhook.tested", Outcome::Success)
            .target(id)
            .write(org, now)?;
        Ok::<_, StoreError>(Some(hook))
    })
    .await?;
    let hook = found.ok_or(ApiError::NotFound("webhook"))?;
    state.store.flush().await?;
    let backlog = state.store.webhook_backlog(id);
    Ok(HttpResponse::Accepted().json(json!({"queued": true, "webhook": view(hook, backlog)})))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list_webhooks)
        .service(create_webhook)
        .service(get_webhook)
        .service(change_webhook)
        .service(delete_webhook)
        .service(test_webhook);
}

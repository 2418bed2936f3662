//! Alert templates and their one-click buttons.

use super::alerts::{guard_automated, summary};
use crate::alerts::{self, AlertRequest, Start, Trigger};
use crate::auth::{Access, Permission};
use crate::ids::Id;
use crate::store::{Outcome, StoreError, Template};
use crate::web::extract::{parse_json, ApiJson, Principal};
use crate::web::problem::ApiError;
use crate::web::{blocking, AppState};
use actix_web::http::header;
use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateBody {
    name: String,
    button: Option<String>,
    #[serde(default)]
    button_roles: Vec<String>,
    alert: serde_json::Value,
    merge_window_seconds: Option<u32>,
    check_in_minutes: Option<u32>,
}

#[post("/templates")]
async fn create_template(
    state: web::Data<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<TemplateBody>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageSettings)?;
    crate::validate::handle(&body.name).map_err(|why| ApiError::field("name", why))?;
    check_button(body.button.as_deref())?;
    let window = body.merge_window_seconds.unwrap_or(300);
    check_window(window)?;
    let request = check_alert(&body.alert)?;
    check_check_in(body.check_in_minutes)?;
    check_button_roles(&principal, body.button_roles.clone()).await?;
    let now = state.clock.now();
    let template = Template {
        id: Id::new(),
        name: body.name,
        button: body.button,
        button_roles: body.button_roles,
        alert: serde_json::to_value(&request).map_err(|_| ApiError::Internal)?,
        merge_window_seconds: window,
        check_in_minutes: body.check_in_minutes,
        last_fired: None,
        created_at: now,
        updated_at: now,
    };
    let stored = template.clone();
    blocking(move || {
        principal.org.create_template(&stored)?;
        principal
            .audit("template.created", Outcome::Success)
            .target(&stored.name)
            .write(&principal.org, now)
    })
    .await?;
    state.store.flush().await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/templates/{}", template.id),
        ))
        .json(template))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateChange {
    button: Option<String>,
    button_roles: Option<Vec<String>>,
    alert: Option<serde_json::Value>,
    merge_window_seconds: Option<u32>,
    #[serde(default, with = "super::directory::double_option")]
    check_in_minutes: Option<Option<u32>>,
}

#[patch("/templates/{template}")]
async fn change_template(
    state: web::Data<AppState>,
    principal: Principal,
    reference: web::Path<String>,
    ApiJson(body): ApiJson<TemplateChange>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageSettings)?;
    check_button(body.button.as_deref())?;
    if let Some(window) = body.merge_window_seconds {
        check_window(window)?;
    }
    if let Some(minutes) = body.check_in_minutes {
        check_check_in(minutes)?;
    }
    if let Some(roles) = &body.button_roles {
        check_button_roles(&principal, roles.clone()).await?;
    }
    let alert = match &body.alert {
        Some(alert) => {
            Some(serde_json::to_value(check_alert(alert)?).map_err(|_| ApiError::Internal)?)
        }
        None => None,
    };
    let reference = reference.into_inner();
    let now = state.clock.now();
    let changed = blocking(move || {
        let Some(template) = principal.org.find_template(&reference)? else {
            return Ok(Err(ApiError::NotFound("template")));
        };
        let changed = principal.org.change_template(
            template.id,
            |t| {
                if let Some(button) = &body.button {
                    t.button = Some(button.clone());
                }
                if let Some(roles) = &body.button_roles {
                    t.button_roles = roles.clone();
                }
                if let Some(alert) = &alert {
                    t.alert = alert.clone();
                }
                if let Some(window) = body.merge_window_seconds {
                    t.merge_window_seconds = window;
                }
                if let Some(minutes) = body.check_in_minutes {
                    t.check_in_minutes = minutes;
                }
            },
            now,
        )?;
        principal
            .audit("template.changed", Outcome::Success)
            .target(&changed.name)
            .write(&principal.org, now)?;
        Ok::<_, StoreError>(Ok(changed))
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::Ok().json(changed))
}

fn check_button(button: Option<&str>) -> Result<(), ApiError> {
    if let Some(button) = button {
        crate::validate::display_name(button).map_err(|why| ApiError::field("button", why))?;
    }
    Ok(())
}

async fn check_button_roles(principal: &Principal, roles: Vec<String>) -> Result<(), ApiError> {
    let org = principal.org.clone();
    blocking(move || {
        for (i, role) in roles.iter().enumerate() {
            if org.role_by_name(role)?.is_none() {
                return Ok(Err(ApiError::field(
                    format!("button_roles[{i}]"),
                    "no such role in this organisation",
                )));
            }
        }
        Ok::<_, StoreError>(Ok(()))
    })
    .await?
}

/// Whether the caller may press this template's button: senders may fire any
/// template; others only buttons given to one of their roles.
fn may_press(principal: &Principal, template: &Template) -> bool {
    principal.access.allows(Permission::SendAlerts)
        || (template.button.is_some()
            && template
                .button_roles
                .iter()
                .any(|r| principal.access.roles.contains(r)))
}

/// The buttons the caller may press, for the members' app.
#[get("/me/buttons")]
async fn my_buttons(principal: Principal) -> Result<HttpResponse, ApiError> {
    principal.finished()?;
    let org = principal.org.clone();
    let templates = blocking(move || org.templates()).await?;
    let buttons: Vec<_> = templates
        .iter()
        .filter(|t| t.button.is_some() && may_press(&principal, t))
        .map(|t| {
            json!({
                "template": t.name, "button": t.button,
                "severity": t.alert.get("severity"), "title": t.alert.get("title"),
                "check_in_minutes": t.check_in_minutes,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "buttons": buttons })))
}

fn check_check_in(minutes: Option<u32>) -> Result<(), ApiError> {
    if minutes.is_some_and(|m| !(1..=crate::places::MAX_TIMER_MINUTES).contains(&m)) {
        return Err(ApiError::field(
            "check_in_minutes",
            format!(
                "must be from 1 to {} minutes",
                crate::places::MAX_TIMER_MINUTES
            ),
        ));
    }
    Ok(())
}

fn check_window(window: u32) -> Result<(), ApiError> {
    if window > 86_400 {
        return Err(ApiError::field(
            "merge_window_seconds",
            "must be at most 86400",
        ));
    }
    Ok(())
}

/// The alert must be one `POST /api/v1/alerts` would take.
fn check_alert(alert: &serde_json::Value) -> Result<AlertRequest, ApiError> {
    let request: AlertRequest = parse_json(alert.to_string().as_bytes()).map_err(|e| match e {
        ApiError::InvalidField { field, detail } if field == "body" => {
            ApiError::field("alert", detail)
        }
        ApiError::InvalidField { field, detail } => {
            ApiError::field(format!("alert.{field}"), detail)
        }
        other => other,
    })?;
    alerts::check_request(&request).map_err(|e| match ApiError::from(e) {
        ApiError::InvalidField { field, detail } => {
            ApiError::field(format!("alert.{field}"), detail)
        }
        other => other,
    })?;
    Ok(request)
}

#[get("/templates")]
async fn list_templates(principal: Principal) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::SendAlerts)?;
    let org = principal.org.clone();
    let templates = blocking(move || org.templates()).await?;
    Ok(HttpResponse::Ok().json(json!({ "templates": templates })))
}

#[get("/templates/{template}")]
async fn get_template(
    principal: Principal,
    reference: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::SendAlerts)?;
    let org = principal.org.clone();
    let reference = reference.into_inner();
    let template = blocking(move || org.find_template(&reference))
        .await?
        .ok_or(ApiError::NotFound("template"))?;
    Ok(HttpResponse::Ok().json(template))
}

#[delete("/templates/{template}")]
async fn delete_template(
    state: web::Data<AppState>,
    principal: Principal,
    reference: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageSettings)?;
    let reference = reference.into_inner();
    let now = state.clock.now();
    blocking(move || {
        let Some(template) = principal.org.find_template(&reference)? else {
            return Ok(Err(ApiError::NotFound("template")));
        };
        principal.org.delete_template(template.id)?;
        principal
            .audit("template.deleted", Outcome::Success)
            .target(&template.name)
            .write(&principal.org, now)?;
        Ok::<_, StoreError>(Ok(()))
    })
    .await??;
    state.store.flush().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// One call or one tap fires the template.
#[post("/oneclick/{template}")]
async fn one_click(
    state: web::Data<AppState>,
    principal: Principal,
    reference: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.finished()?;
    guard_automated(&state, &principal).await?;
    let reference = reference.into_inner();
    let now = state.clock.now();
    let engine = state.engine.clone();
    let fired = blocking(move || {
        let Some(template) = principal.org.find_template(&reference)? else {
            // Only those who may send learn which templates exist.
            return Ok(Err(if principal.access.allows(Permission::SendAlerts) {
                ApiError::NotFound("template")
            } else {
                ApiError::Forbidden(Permission::SendAlerts)
            }));
        };
        if !may_press(&principal, &template) {
            principal
                .audit("alert.button_refused", Outcome::Denied)
                .target(&template.name)
                .write(&principal.org, now)?;
            return Ok(Err(ApiError::Forbidden(Permission::SendAlerts)));
        }
        if let Some(minutes) = template.check_in_minutes {
            let Some(user) = principal.session().map(|s| s.user.id) else {
                return Ok(Err(ApiError::NeedsLogin));
            };
            let note = template.button.clone().unwrap_or(template.name.clone());
            return Ok(
                match crate::places::start_timer(&principal.org, user, minutes, &note, now) {
                    Ok(timer) => {
                        principal
                            .audit("checkin.started", Outcome::Success)
                            .detail(format!("{minutes} minutes by the button {}", template.name))
                            .write(&principal.org, now)?;
                        Ok(Pressed::Timer(timer))
                    }
                    Err(e) => Err(ApiError::from(e)),
                },
            );
        }
        // A button given to a role sends to whom the template says; the
        // presser's own sending limits don't narrow it.
        let access = if principal.access.allows(Permission::SendAlerts) {
            principal.access.clone()
        } else {
            Access {
                roles: principal.access.roles.clone(),
                permissions: vec![Permission::SendAlerts],
                alert_groups: None,
            }
        };
        let mut trigger = Trigger::new(
            principal.actor.clone(),
            access,
            Start::Template {
                id: template.id,
                detail: None,
            },
        );
        trigger.source = principal.source.clone();
        Ok::<_, StoreError>(
            engine
                .raise(&principal.org, trigger, now)
                .map(|raised| Pressed::Alert(Box::new(raised)))
                .map_err(ApiError::from),
        )
    })
    .await??;
    let fired = match fired {
        Pressed::Alert(fired) => fired,
        Pressed::Timer(timer) => {
            state.store.flush().await?;
            return Ok(HttpResponse::Created().json(json!({
                "timer": super::places::timer_json(&timer),
            })));
        }
    };
    Ok(HttpResponse::Accepted().json(json!({
        "id": fired.created.alert.id,
        "merged": fired.merged,
        "recipients": fired.created.recipients,
        "alert": summary(&fired.created.alert),
    })))
}

/// What pressing a button did: sent an alert, or started a timer.
enum Pressed {
    Alert(Box<crate::alerts::Raised>),
    Timer(crate::store::CheckInTimer),
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create_template)
        .service(list_templates)
        .service(get_template)
        .service(change_template)
        .service(delete_template)
        .service(one_click)
        .service(my_buttons);
}

//! One-click answers from messages: `GET /r/{token}` shows what the link
//! answers and a button; the button (`POST`) records it. The two steps keep
//! mail scanners that open every link from answering for the person. Each
//! link works once.

use super::{blocking, AppState};
use crate::alerts::links::{AnswerLinks, Claim, LinkError};
use crate::alerts::{respond, ResponseInput};
use crate::audit::Entry;
use crate::store::{Actor, ActorKind, Channel, Outcome, StoreError};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use sha2::{Digest, Sha256};

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t}</title><link rel=\"stylesheet\" href=\"/console/app.css\"></head><body><main class=\"answer-page\"><h1>{t}</h1>{body}</main></body></html>",
            t = escape(title)
        ))
}

fn refused(e: &LinkError) -> HttpResponse {
    let status = match e {
        LinkError::Invalid => StatusCode::BAD_REQUEST,
        LinkError::Expired => StatusCode::GONE,
    };
    page(
        status,
        "This link can't be used",
        &format!("<p>{}.</p>", escape(&e.to_string())),
    )
}

fn links(state: &AppState) -> Result<AnswerLinks, StoreError> {
    state.store.answer_link_key().map(AnswerLinks::new)
}

/// The alert's title and the answer option a claim names.
fn describe(state: &AppState, claim: &Claim) -> Result<Option<(String, String)>, StoreError> {
    let org = state.store.org(claim.org);
    Ok(org.alert(claim.alert)?.and_then(|alert| {
        let choice = alert.responses.get(usize::from(claim.option))?.clone();
        Some((alert.title, choice))
    }))
}

#[get("/r/{token}")]
async fn show(state: web::Data<AppState>, token: web::Path<String>) -> HttpResponse {
    let now = state.clock.now();
    let state2 = state.clone();
    let token = token.into_inner();
    let checked = blocking(move || {
        let claim = match links(&state2)?.verify(&token, now) {
            Ok(claim) => claim,
            Err(e) => return Ok::<_, StoreError>(Err(e)),
        };
        Ok(Ok((claim, describe(&state2, &claim)?, token)))
    })
    .await;
    match checked {
        Ok(Ok((_, Some((title, choice)), token))) => page(
            StatusCode::OK,
            &title,
            &format!(
                "<p>Answer <strong>{c}</strong>?</p><form method=\"post\" action=\"/r/{t}\"><button class=\"btn btn-primary\" type=\"submit\">Answer {c}</button></form>",
                c = escape(&choice),
                t = escape(&token)
            ),
        ),
        Ok(Ok((_, None, _))) => page(StatusCode::GONE, "This alert is gone", "<p>The alert was removed.</p>"),
        Ok(Err(e)) => refused(&e),
        Err(_) => page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "<p>Please try again.</p>"),
    }
}

/// Why a link answered nothing.
enum Unused {
    Link(LinkError),
    Gone,
    Used,
}

fn unused(why: &Unused) -> HttpResponse {
    match why {
        Unused::Link(e) => refused(e),
        Unused::Gone => page(
            StatusCode::GONE,
            "This alert is gone",
            "<p>The alert was removed.</p>",
        ),
        Unused::Used => page(
            StatusCode::CONFLICT,
            "This link was used already",
            "<p>Each link answers once. Your first answer stands.</p>",
        ),
    }
}

#[post("/r/{token}")]
async fn answer(state: web::Data<AppState>, token: web::Path<String>) -> HttpResponse {
    let now = state.clock.now();
    let state2 = state.clone();
    let token = token.into_inner();
    let done = blocking(move || {
        let claim = match links(&state2)?.verify(&token, now) {
            Ok(claim) => claim,
            Err(e) => return Ok::<_, StoreError>(Err(Unused::Link(e))),
        };
        let Some((title, choice)) = describe(&state2, &claim)? else {
            return Ok(Err(Unused::Gone));
        };
        let hash = Sha256::digest(token.as_bytes());
        if !state2.store.use_answer_link(&hash)? {
            return Ok(Err(Unused::Used));
        }
        let org = state2.store.org(claim.org);
        let input = ResponseInput {
            choice: choice.clone(),
            ..ResponseInput::default()
        };
        let recorded = respond(
            &org,
            claim.alert,
            claim.recipient,
            input,
            Channel::Email,
            now,
        );
        let actor = Actor {
            kind: ActorKind::External,
            id: None,
            name: "answer link".to_owned(),
        };
        Entry::new(
            actor,
            "alert.answered_by_link",
            if recorded.is_ok() {
                Outcome::Success
            } else {
                Outcome::Failure
            },
        )
        .target(claim.alert)
        .detail(choice.clone())
        .write(&org, now)?;
        state2.store.flush_blocking()?;
        Ok(Ok((
            claim,
            title,
            choice,
            recorded.map_err(|e| e.to_string()),
        )))
    })
    .await;
    match done {
        Ok(Ok((claim, title, choice, Ok(_)))) => {
            state.hub.notify_alert(claim.org, claim.alert);
            page(
                StatusCode::OK,
                &title,
                &format!(
                    "<p>Thank you. Your answer <strong>{}</strong> is recorded.</p>",
                    escape(&choice)
                ),
            )
        }
        Ok(Ok((_, title, _, Err(why)))) => page(
            StatusCode::CONFLICT,
            &title,
            &format!("<p>The answer could not be recorded: {}.</p>", escape(&why)),
        ),
        Ok(Err(why)) => unused(&why),
        Err(_) => page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "<p>Please try again.</p>",
        ),
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(show).service(answer);
}

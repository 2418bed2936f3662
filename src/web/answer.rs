//! One-click answers from messages: `GET /r/{token}` shows what the link
//! answers and a button; the button (`POST`) records it. The two steps keep
//! mail scanners that open every link from answering for the person. Each
//! link works once. Pages speak the person's language.

use super::{blocking, AppState};
use crate::alerts::links::{AnswerLinks, Claim, LinkError};
use crate::alerts::{respond, ResponseInput};
use crate::audit::Entry;
use crate::store::{Actor, ActorKind, Channel, Outcome, StoreError};
use crate::text::{escape_html as escape, fill, phrase, Lang};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};

fn page(status: StatusCode, lang: Lang, title: &str, body: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><html lang=\"{l}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t}</title><link rel=\"stylesheet\" href=\"/console/app.css\"></head><body><main class=\"answer-page\"><h1>{t}</h1>{body}</main></body></html>",
            l = lang.code(),
            t = escape(title)
        ))
}

/// Why a link answered nothing.
enum Unused {
    Link(LinkError),
    Gone(Lang),
    Used(Lang),
}

fn unused(why: &Unused) -> HttpResponse {
    let para = |lang, key| format!("<p>{}</p>", escape(phrase(lang, key)));
    match why {
        Unused::Link(e) => {
            let (status, key) = match e {
                LinkError::Invalid => (StatusCode::BAD_REQUEST, "link_invalid"),
                LinkError::Expired => (StatusCode::GONE, "link_expired"),
            };
            page(
                status,
                Lang::En,
                phrase(Lang::En, "link_unusable"),
                &para(Lang::En, key),
            )
        }
        Unused::Gone(lang) => page(StatusCode::GONE, *lang, phrase(*lang, "alert_gone"), ""),
        Unused::Used(lang) => page(
            StatusCode::CONFLICT,
            *lang,
            phrase(*lang, "link_used"),
            &para(*lang, "first_answer_stands"),
        ),
    }
}

/// Answer-link requests one client address may make per five minutes: a
/// person answers a few alerts, a guesser would make many requests.
pub const LINK_REQUESTS_PER_ADDRESS: u32 = 60;

/// Refuses an address that made too many answer-link requests lately.
fn throttled(req: &HttpRequest, state: &AppState) -> Option<HttpResponse> {
    let ip = req.peer_addr()?.ip();
    let wait = state
        .link_limiter
        .attempt(ip, std::time::Instant::now())
        .err()?;
    let mut response = page(
        StatusCode::TOO_MANY_REQUESTS,
        Lang::En,
        phrase(Lang::En, "try_again"),
        "",
    );
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&wait.to_string()) {
        response
            .headers_mut()
            .insert(actix_web::http::header::RETRY_AFTER, value);
    }
    Some(response)
}

fn failed() -> HttpResponse {
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        Lang::En,
        phrase(Lang::En, "try_again"),
        "",
    )
}

struct Described {
    title: String,
    choice: String,
    lang: Lang,
}

/// What a token answers, in whose language; or why it answers nothing.
fn look_up(
    state: &AppState,
    token: &str,
) -> Result<Result<(Claim, Described), Unused>, StoreError> {
    let links = AnswerLinks::new(state.store.answer_link_key()?);
    let claim = match links.verify(token, state.clock.now()) {
        Ok(claim) => claim,
        Err(e) => return Ok(Err(Unused::Link(e))),
    };
    let org = state.store.org(claim.org);
    let user = org
        .recipient(claim.alert, claim.recipient)?
        .and_then(|r| r.user_id);
    let lang = Lang::from_code(state.store.language_of(claim.org, user).as_deref());
    let described = org.alert(claim.alert)?.and_then(|alert| {
        let choice = alert.responses.get(usize::from(claim.option))?.clone();
        Some(Described {
            title: alert.title,
            choice,
            lang,
        })
    });
    Ok(match described {
        Some(d) => Ok((claim, d)),
        None => Err(Unused::Gone(lang)),
    })
}

#[get("/r/{token}")]
async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> HttpResponse {
    if let Some(refused) = throttled(&req, &state) {
        return refused;
    }
    let token = token.into_inner();
    let state2 = state.clone();
    let looked = {
        let token = token.clone();
        blocking(move || look_up(&state2, &token)).await
    };
    match looked {
        Ok(Ok((_, d))) => {
            let choice = [("choice", d.choice.as_str())];
            page(
                StatusCode::OK,
                d.lang,
                &d.title,
                &format!(
                    "<p>{question}</p><form method=\"post\" action=\"/r/{t}\"><button class=\"btn btn-primary\" type=\"submit\">{button}</button></form>",
                    question = escape(&fill(d.lang, "answer_question", &choice)),
                    button = escape(&fill(d.lang, "answer_button", &choice)),
                    t = escape(&token)
                ),
            )
        }
        Ok(Err(why)) => unused(&why),
        Err(_) => failed(),
    }
}

#[post("/r/{token}")]
async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> HttpResponse {
    if let Some(refused) = throttled(&req, &state) {
        return refused;
    }
    let now = state.clock.now();
    let state2 = state.clone();
    let token = token.into_inner();
    let done = blocking(move || {
        let (claim, d) = match look_up(&state2, &token)? {
            Ok(found) => found,
            Err(why) => return Ok::<_, StoreError>(Err(why)),
        };
        // Used by what it signs, however the link was spelled.
        if !state2.store.use_answer_link(&claim.fingerprint())? {
            return Ok(Err(Unused::Used(d.lang)));
        }
        let org = state2.store.org(claim.org);
        let input = ResponseInput {
            choice: d.choice.clone(),
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
        let outcome = if recorded.is_ok() {
            Outcome::Success
        } else {
            Outcome::Failure
        };
        Entry::new(actor, "alert.answered_by_link", outcome)
            .target(claim.alert)
            .detail(d.choice.clone())
            .write(&org, now)?;
        state2.store.flush_blocking()?;
        Ok(Ok((claim, d, recorded.map_err(|e| e.to_string()))))
    })
    .await;
    match done {
        Ok(Ok((claim, d, Ok(_)))) => {
            state.hub.notify_alert(claim.org, claim.alert);
            let text = fill(d.lang, "recorded", &[("choice", &d.choice)]);
            page(
                StatusCode::OK,
                d.lang,
                &d.title,
                &format!("<p>{}</p>", escape(&text)),
            )
        }
        Ok(Ok((_, d, Err(why)))) => {
            let text = fill(d.lang, "not_recorded", &[("why", &why)]);
            page(
                StatusCode::CONFLICT,
                d.lang,
                &d.title,
                &format!("<p>{}</p>", escape(&text)),
            )
        }
        Ok(Err(why)) => unused(&why),
        Err(_) => failed(),
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(show).service(answer);
}

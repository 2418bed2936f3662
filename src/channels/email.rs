//! The `email` channel: SMTP to the organisation's relay (lettre over rustls:
//! STARTTLS or implicit TLS as `email.smtp_url` says). Each message is text
//! and HTML, with a signed one-click link per answer option, so answering
//! needs no login. A message the relay accepted is `sent`, never
//! `delivered`: email gives no honest proof of delivery. The relay's 4xx
//! replies are retried; its 5xx replies fail the delivery with the relay's
//! own words.

use super::{Channel, Job, Limits, Outcome};
use crate::alerts::links::{AnswerLinks, Claim, LIFETIME};
use crate::secret::Secret;
use crate::store::{Channel as ChannelName, Severity};
use crate::text::{escape_html as escape, fill, phrase};
use futures_util::future::BoxFuture;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum EmailSetupError {
    #[error("email.smtp_url can't be used: {0}")]
    Url(lettre::transport::smtp::Error),
    #[error("email.from is not a mailbox: {0}")]
    From(lettre::address::AddressError),
}

pub struct EmailChannel {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    public_url: String,
    per_minute: u32,
    links: AnswerLinks,
}

impl EmailChannel {
    /// A channel through the relay at `smtp_url`, sending as `from` (a
    /// mailbox) at most `per_minute` messages a minute.
    pub fn new(
        smtp_url: &Secret,
        from: &str,
        per_minute: u32,
        public_url: &str,
        links: AnswerLinks,
    ) -> Result<Arc<Self>, EmailSetupError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url.expose())
            .map_err(EmailSetupError::Url)?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        Ok(Arc::new(EmailChannel {
            transport,
            from: from.parse().map_err(EmailSetupError::From)?,
            public_url: public_url.to_owned(),
            per_minute,
            links,
        }))
    }

    fn message(&self, job: &Job) -> Result<Message, String> {
        let to: Mailbox = job
            .delivery
            .address
            .parse()
            .map_err(|e| format!("{} is not an email address: {e}", job.delivery.address))?;
        let lang = job.lang;
        let body = crate::alerts::outward_body(&job.alert, &self.public_url, lang);
        let tag = match job.alert.severity {
            Severity::Critical => phrase(lang, "critical"),
            Severity::Warning => phrase(lang, "warning"),
            Severity::Info => "",
        };
        let sent_by = fill(
            lang,
            "sent_by",
            &[
                ("sender", &job.sender),
                ("alert", &job.alert.id.to_string()),
            ],
        );
        let expires = (job.claimed_at + LIFETIME)
            .replace_nanosecond(0)
            .unwrap_or(job.claimed_at + LIFETIME);
        let links: Vec<(String, String)> = job
            .alert
            .responses
            .iter()
            .enumerate()
            .filter_map(|(i, option)| {
                let token = self.links.sign(&Claim {
                    org: job.org,
                    alert: job.alert.id,
                    recipient: job.recipient.id,
                    option: u8::try_from(i).ok()?,
                    expires,
                });
                Some((option.clone(), format!("{}/r/{token}", self.public_url)))
            })
            .collect();
        let text_links = links
            .iter()
            .map(|(option, url)| format!("  {option}: {url}"))
            .collect::<Vec<_>>()
            .join("\n");
        let text = format!(
            "{title}\n\n{body}\n\n{one_click}\n{text_links}\n\n-- \n{sent_by}\n",
            title = job.alert.title,
            one_click = phrase(lang, "one_click"),
        );
        let buttons = links
            .iter()
            .map(|(option, url)| {
                format!(
                    "<a href=\"{}\" style=\"display:inline-block;padding:12px 20px;margin:4px;background:#1f3a68;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:bold\">{}</a>",
                    escape(url),
                    escape(option)
                )
            })
            .collect::<String>();
        let html = format!(
            "<!doctype html><html lang=\"{lang}\"><body style=\"font-family:sans-serif\"><h1 style=\"color:{colour}\">{title}</h1><p>{body}</p><p>{buttons}</p><p style=\"color:#555\">{once}</p><hr><p style=\"color:#555;font-size:small\">{sent_by}</p></body></html>",
            lang = lang.code(),
            once = phrase(lang, "links_once"),
            sent_by = escape(&sent_by),
            colour = match job.alert.severity {
                Severity::Critical => "#b3261e",
                Severity::Warning => "#8a5a00",
                Severity::Info => "#1f3a68",
            },
            title = escape(&job.alert.title),
            body = escape(&body).replace('\n', "<br>"),
        );
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(format!("{tag}{}", job.alert.title))
            .message_id(Some(format!(
                "<{}.{}@tocsin>",
                job.delivery.id, job.delivery.attempts
            )))
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|e| format!("the message could not be built: {e}"))
    }
}

impl Channel for EmailChannel {
    fn name(&self) -> ChannelName {
        ChannelName::Email
    }

    fn limits(&self) -> Limits {
        Limits {
            concurrency: 4,
            per_minute: self.per_minute,
        }
    }

    fn send(&self, job: Job) -> BoxFuture<'static, Outcome> {
        let message = self.message(&job);
        let transport = self.transport.clone();
        Box::pin(async move {
            let message = match message {
                Ok(m) => m,
                Err(why) => return Outcome::Permanent(why),
            };
            match transport.send(message).await {
                Ok(_) => Outcome::Sent,
                Err(e) if e.is_permanent() => {
                    Outcome::Permanent(format!("the relay refused it: {e}"))
                }
                Err(e) => Outcome::Transient(format!("the relay is unavailable: {e}")),
            }
        })
    }
}

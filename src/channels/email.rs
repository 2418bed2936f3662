//! The `email` channel: SMTP to the organisation's relay (lettre over rustls:
//! STARTTLS or implicit TLS as `email.smtp_url` says). A message the relay
//! accepted is `sent`, never `delivered`: email gives no honest proof of
//! delivery. The relay's 4xx replies are retried; its 5xx replies fail the
//! delivery with the relay's own words.

use super::{Channel, Job, Limits, Outcome};
use crate::config::EmailConfig;
use crate::store::{Channel as ChannelName, Severity};
use futures_util::future::BoxFuture;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
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
}

impl EmailChannel {
    pub fn new(config: &EmailConfig, public_url: &str) -> Result<Arc<Self>, EmailSetupError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(config.smtp_url.expose())
            .map_err(EmailSetupError::Url)?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        Ok(Arc::new(EmailChannel {
            transport,
            from: config.from.parse().map_err(EmailSetupError::From)?,
            public_url: public_url.to_owned(),
            per_minute: config.per_minute,
        }))
    }

    fn message(&self, job: &Job) -> Result<Message, String> {
        let to: Mailbox = job
            .delivery
            .address
            .parse()
            .map_err(|e| format!("{} is not an email address: {e}", job.delivery.address))?;
        let tag = match job.alert.severity {
            Severity::Critical => "[CRITICAL] ",
            Severity::Warning => "[WARNING] ",
            Severity::Info => "",
        };
        let answers = job
            .alert
            .responses
            .iter()
            .map(|r| format!("  - {r}"))
            .collect::<Vec<_>>()
            .join("\n");
        let text = format!(
            "{title}\n\n{body}\n\nAnswer in the Tocsin app:\n{answers}\n\n{url}/app\n\n-- \nSent by Tocsin for {sender}. Alert {alert}.\n",
            title = job.alert.title,
            body = job.alert.body,
            url = self.public_url,
            sender = job.alert.created_by.name,
            alert = job.alert.id,
        );
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(format!("{tag}{}", job.alert.title))
            .message_id(Some(format!(
                "<{}.{}@tocsin>",
                job.delivery.id, job.delivery.attempts
            )))
            .header(ContentType::TEXT_PLAIN)
            .body(text)
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

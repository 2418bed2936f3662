//! CAP and Atom documents Tocsin writes: the `Ack` or `Error` a sender
//! gets, any alert as a CAP 1.2 `alert`, and the Atom feed of an
//! organisation's alerts (RFC 4287) that partners poll.

use super::message::{cap_time, escape, Message, NAMESPACE};
use crate::store::{Alert, AlertState, Organisation, Severity};
use time::OffsetDateTime;

/// This appliance as a CAP sender: the organisation's handle at Tocsin.
fn sender(org: &Organisation) -> String {
    format!("tocsin-{}", org.slug)
}

/// An `Ack` (or, with `error`, an `Error`) answering `to`: a new message
/// referencing it, with what was done as its note.
pub fn ack(
    org: &Organisation,
    to: Option<&Message>,
    error: bool,
    note: &str,
    now: OffsetDateTime,
) -> String {
    let references = to
        .map(|m| {
            format!(
                "  <references>{},{},{}</references>\n",
                escape(&m.sender),
                escape(&m.identifier),
                escape(&m.sent)
            )
        })
        .unwrap_or_default();
    let status = to.map_or("Actual", |m| m.status.as_str());
    let scope = to.map_or("Public", |m| m.scope.as_str());
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<alert xmlns=\"{NAMESPACE}\">\n  <identifier>{id}</identifier>\n  <sender>{sender}</sender>\n  <sent>{sent}</sent>\n  <status>{status}</status>\n  <msgType>{kind}</msgType>\n  <scope>{scope}</scope>\n  <note>{note}</note>\n{references}</alert>\n",
        id = crate::ids::Id::new(),
        sender = escape(&sender(org)),
        sent = cap_time(now),
        status = escape(status),
        kind = if error { "Error" } else { "Ack" },
        scope = escape(scope),
        note = escape(note),
    )
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Extreme",
        Severity::Warning => "Severe",
        Severity::Info => "Minor",
    }
}

/// An alert as CAP 1.2: a `Cancel` once cancelled. A sealed alert's text
/// stays sealed: the document says where to open it.
pub fn alert_as_cap(org: &Organisation, alert: &Alert, public_url: &str) -> String {
    let cancelled = alert.state == AlertState::Cancelled;
    let body = crate::alerts::outward_body(alert, public_url, crate::text::Lang::En);
    let area = match &alert.location {
        Some(l) => format!(
            "    <area>\n      <areaDesc>{}</areaDesc>\n      <circle>{:.6},{:.6} 0</circle>\n    </area>\n",
            escape(if l.label.is_empty() { "Alert location" } else { &l.label }),
            l.lat,
            l.lon
        ),
        None => String::new(),
    };
    let references = if cancelled {
        format!(
            "  <references>{},{},{}</references>\n",
            escape(&sender(org)),
            alert.id,
            cap_time(alert.created_at)
        )
    } else {
        String::new()
    };
    let identifier = if cancelled {
        format!("{}-cancel", alert.id)
    } else {
        alert.id.to_string()
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<alert xmlns=\"{NAMESPACE}\">\n  <identifier>{identifier}</identifier>\n  <sender>{sender}</sender>\n  <sent>{sent}</sent>\n  <status>Actual</status>\n  <msgType>{kind}</msgType>\n  <scope>Private</scope>\n{references}  <info>\n    <language>{lang}</language>\n    <category>Other</category>\n    <event>{event}</event>\n    <urgency>Immediate</urgency>\n    <severity>{severity}</severity>\n    <certainty>Observed</certainty>\n    <senderName>{org_name}</senderName>\n    <headline>{headline}</headline>\n    <description>{body}</description>\n    <web>{web}</web>\n{area}  </info>\n</alert>\n",
        sender = escape(&sender(org)),
        sent = cap_time(alert.cancelled_at.filter(|_| cancelled).unwrap_or(alert.created_at)),
        kind = if cancelled { "Cancel" } else { "Alert" },
        lang = escape(&org.settings.language),
        event = escape(&alert.title),
        severity = severity(alert.severity),
        org_name = escape(&org.name),
        headline = escape(&alert.title),
        body = escape(&body),
        web = escape(&format!("{public_url}/app/#alert={}", alert.id)),
    )
}

fn atom_time(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The organisation's newest alerts as an Atom feed; each entry links to
/// the alert as CAP.
pub fn feed(org: &Organisation, alerts: &[Alert], public_url: &str, now: OffsetDateTime) -> String {
    let updated = alerts
        .iter()
        .map(|a| a.cancelled_at.unwrap_or(a.created_at))
        .max()
        .unwrap_or(now);
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n  <id>{base}/api/v1/cap/feed#{org_id}</id>\n  <title>{title}</title>\n  <updated>{updated}</updated>\n  <author><name>{name}</name></author>\n  <link rel=\"self\" type=\"application/atom+xml\" href=\"{base}/api/v1/cap/feed\"/>\n",
        base = escape(public_url),
        org_id = org.id,
        title = escape(&format!("Alerts of {}", org.name)),
        updated = atom_time(updated),
        name = escape(&org.name),
    );
    for alert in alerts {
        let state = if alert.state == AlertState::Cancelled {
            "cancelled"
        } else {
            "active"
        };
        out.push_str(&format!(
            "  <entry>\n    <id>urn:tocsin:alert:{id}</id>\n    <title>{title}</title>\n    <updated>{updated}</updated>\n    <published>{published}</published>\n    <summary>{severity}, {state}</summary>\n    <link rel=\"alternate\" type=\"application/cap+xml\" href=\"{base}/api/v1/alerts/{id}\"/>\n  </entry>\n",
            id = alert.id,
            title = escape(&alert.title),
            updated = atom_time(alert.cancelled_at.unwrap_or(alert.created_at)),
            published = atom_time(alert.created_at),
            severity = severity(alert.severity),
            base = escape(public_url),
        ));
    }
    out.push_str("</feed>\n");
    out
}

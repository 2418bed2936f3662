//! What an alert request holds and the checks it must pass before
//! anything is stored.

use super::*;

pub const MAX_RECIPIENTS: usize = 50_000;
pub const DEFAULT_RESPONSES: [&str; 2] = ["Coming", "Not coming"];

pub(super) fn check_location(l: &Location) -> Result<(), AlertError> {
    if !l.lat.is_finite() || !(-90.0..=90.0).contains(&l.lat) {
        return Err(invalid("location.lat", "must be degrees from -90 to 90"));
    }
    if !l.lon.is_finite() || !(-180.0..=180.0).contains(&l.lon) {
        return Err(invalid("location.lon", "must be degrees from -180 to 180"));
    }
    if l.label.chars().count() > 200 {
        return Err(invalid("location.label", "must be at most 200 characters"));
    }
    Ok(())
}

/// Who an alert goes to. Names or ids of users, groups and roles; numbers,
/// addresses and radio ids of people without an account.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecipientSpec {
    pub users: Vec<String>,
    pub groups: Vec<String>,
    pub roles: Vec<String>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub tetra_issi: Vec<u32>,
    pub tetra_gssi: Vec<u32>,
    /// Members whose last known position lies inside.
    pub area: Option<crate::geo::Area>,
    /// How fresh a position must be to count (minutes; 30 when not given).
    pub seen_within_minutes: Option<u32>,
    /// Members who enter the area while the alert is active get it then.
    pub follow: bool,
}

/// How fresh a position must be to count, when an alert does not say.
pub const SEEN_WITHIN_MINUTES: u32 = 30;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationSpec {
    pub next_channel_after_seconds: Option<u32>,
    pub min_coming: Option<u32>,
    pub coming_within_seconds: Option<u32>,
    #[serde(default)]
    pub then_groups: Vec<String>,
    pub max_rounds: Option<u32>,
}

/// An alert to send: the body of `POST /api/v1/alerts`, and what a template
/// holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRequest {
    pub title: String,
    #[serde(default)]
    pub body: String,
    pub severity: Severity,
    pub channels: Vec<Channel>,
    pub recipients: RecipientSpec,
    #[serde(default)]
    pub responses: Vec<String>,
    #[serde(default)]
    pub allow_eta: bool,
    #[serde(default)]
    pub allow_text: bool,
    pub escalation: Option<EscalationSpec>,
    /// Reach TETRA radios with a call-out (tone, text, Accept/Reject) instead
    /// of a text SDS.
    #[serde(default)]
    pub tetra_callout: Option<TetraCalloutSpec>,
    /// Send a TETRA status instead of a text: a label of the radio profile's
    /// status table ("3") or four hex digits ("8005").
    #[serde(default)]
    pub tetra_status: Option<String>,
    /// Where it happens: members get a map point and a navigation link.
    #[serde(default)]
    pub location: Option<Location>,
    /// The body, encrypted in the sender's browser; `body` must then be empty.
    #[serde(default)]
    pub sealed: Option<SealedBody>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TetraCalloutSpec {
    /// 1 (lowest) to 15 (highest); by default from the alert's severity.
    pub severity: Option<u8>,
}

pub fn check_request(r: &AlertRequest) -> Result<(), AlertError> {
    if r.tetra_callout
        .as_ref()
        .and_then(|c| c.severity)
        .is_some_and(|s| !(1..=15).contains(&s))
    {
        return Err(invalid("tetra_callout.severity", "must be from 1 to 15"));
    }
    if let Some(status) = &r.tetra_status {
        if r.tetra_callout.is_some() {
            return Err(invalid(
                "tetra_status",
                "a call-out and a status can't go together",
            ));
        }
        let ok = !status.is_empty()
            && status.len() <= 8
            && status.chars().all(|c| c.is_ascii_alphanumeric());
        if !ok {
            return Err(invalid(
                "tetra_status",
                "must be a status label such as \"3\" or four hex digits such as \"8005\"",
            ));
        }
    }
    let title = r.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(invalid("title", "must be 1 to 200 characters"));
    }
    if r.body.chars().count() > 4000 {
        return Err(invalid("body", "must be at most 4000 characters"));
    }
    if let Some(location) = &r.location {
        check_location(location)?;
    }
    if let Some(sealed) = &r.sealed {
        if !r.body.trim().is_empty() {
            return Err(invalid(
                "body",
                "must be empty when the body is sealed: the plaintext must not reach the server",
            ));
        }
        sealed::check(sealed).map_err(|(field, why)| invalid(format!("sealed.{field}"), why))?;
    }
    if r.channels.is_empty() {
        return Err(invalid(
            "channels",
            "must name at least one of app, sms, voice, email, tetra",
        ));
    }
    let mut seen = HashSet::new();
    for (i, c) in r.channels.iter().enumerate() {
        if !seen.insert(*c) {
            return Err(invalid(format!("channels[{i}]"), "is named twice"));
        }
    }
    if r.responses.len() > 6 {
        return Err(invalid("responses", "at most 6 options"));
    }
    for (i, option) in r.responses.iter().enumerate() {
        if option.trim().is_empty() || option.chars().count() > 40 {
            return Err(invalid(
                format!("responses[{i}]"),
                "must be 1 to 40 characters",
            ));
        }
    }
    let spec = &r.recipients;
    if let Some(area) = &spec.area {
        area.check()
            .map_err(|e| invalid(format!("recipients.area.{}", e.field), e.why))?;
    }
    if spec
        .seen_within_minutes
        .is_some_and(|m| !(1..=1440).contains(&m))
    {
        return Err(invalid(
            "recipients.seen_within_minutes",
            "must be from 1 to 1440 minutes",
        ));
    }
    if spec.area.is_none() && (spec.follow || spec.seen_within_minutes.is_some()) {
        return Err(invalid(
            "recipients.area",
            "is required with follow and seen_within_minutes",
        ));
    }
    for (i, phone) in spec.phones.iter().enumerate() {
        validate::e164(phone).map_err(|why| invalid(format!("recipients.phones[{i}]"), why))?;
    }
    for (i, email) in spec.emails.iter().enumerate() {
        validate::email(email).map_err(|why| invalid(format!("recipients.emails[{i}]"), why))?;
    }
    for (i, ssi) in spec.tetra_issi.iter().enumerate() {
        validate::tetra_ssi(*ssi)
            .map_err(|why| invalid(format!("recipients.tetra_issi[{i}]"), why))?;
    }
    for (i, ssi) in spec.tetra_gssi.iter().enumerate() {
        validate::tetra_ssi(*ssi)
            .map_err(|why| invalid(format!("recipients.tetra_gssi[{i}]"), why))?;
    }
    if let Some(e) = &r.escalation {
        if e.next_channel_after_seconds
            .is_some_and(|s| !(5..=86_400).contains(&s))
        {
            return Err(invalid(
                "escalation.next_channel_after_seconds",
                "must be from 5 to 86400",
            ));
        }
        if e.min_coming.is_some() != e.coming_within_seconds.is_some() {
            return Err(invalid(
                "escalation.min_coming",
                "goes together with escalation.coming_within_seconds",
            ));
        }
        if e.coming_within_seconds
            .is_some_and(|s| !(5..=86_400).contains(&s))
        {
            return Err(invalid(
                "escalation.coming_within_seconds",
                "must be from 5 to 86400",
            ));
        }
        if e.min_coming.is_some() && e.then_groups.is_empty() {
            return Err(invalid(
                "escalation.then_groups",
                "must name the groups to alert when too few are coming",
            ));
        }
        if e.max_rounds.is_some_and(|n| n > 10) {
            return Err(invalid("escalation.max_rounds", "must be at most 10"));
        }
    }
    Ok(())
}

/// Escalation groups are recipients too: a sender limited to some groups
/// may escalate only to those.
pub(super) fn resolve_escalation(
    org: &OrgStore,
    access: &Access,
    spec: Option<&EscalationSpec>,
) -> Result<Option<Escalation>, AlertError> {
    let Some(spec) = spec else {
        return Ok(None);
    };
    let mut then_groups = Vec::new();
    for (i, reference) in spec.then_groups.iter().enumerate() {
        let group = org.find_group(reference)?.ok_or_else(|| {
            invalid(
                format!("escalation.then_groups[{i}]"),
                "no such group in this organisation",
            )
        })?;
        if !access.may_alert_group(group.id) {
            return Err(AlertError::NotAllowed {
                field: format!("escalation.then_groups[{i}]"),
                why: "your roles may not alert this group".to_owned(),
            });
        }
        then_groups.push(group.id);
    }
    Ok(Some(Escalation {
        next_channel_after_seconds: spec.next_channel_after_seconds,
        min_coming: spec.min_coming,
        coming_within_seconds: spec.coming_within_seconds,
        then_groups,
        max_rounds: spec.max_rounds.unwrap_or(1),
    }))
}

//! A CAP 1.2 `alert` document (OASIS Common Alerting Protocol 1.2, §3),
//! read and checked against the schema's structure: the namespace, each
//! element in its sequence and cardinality, the code lists, and the
//! date-time form. A document that fails names the element, with its path.

use time::OffsetDateTime;

pub const NAMESPACE: &str = "urn:oasis:names:tc:emergency:cap:1.2";

/// The largest document taken: CAP messages are text; images go by URI.
pub const MAX_BYTES: usize = 512 * 1024;

const STATUS: &[&str] = &["Actual", "Exercise", "System", "Test", "Draft"];
const MSG_TYPE: &[&str] = &["Alert", "Update", "Cancel", "Ack", "Error"];
const SCOPE: &[&str] = &["Public", "Restricted", "Private"];
const CATEGORY: &[&str] = &[
    "Geo",
    "Met",
    "Safety",
    "Security",
    "Rescue",
    "Fire",
    "Health",
    "Env",
    "Transport",
    "Infra",
    "CBRNE",
    "Other",
];
const RESPONSE: &[&str] = &[
    "Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None",
];
const URGENCY: &[&str] = &["Immediate", "Expected", "Future", "Past", "Unknown"];
const SEVERITY: &[&str] = &["Extreme", "Severe", "Moderate", "Minor", "Unknown"];
const CERTAINTY: &[&str] = &["Observed", "Likely", "Possible", "Unlikely", "Unknown"];

/// Why a document is not CAP 1.2: the element (as a path) and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{element}: {why}")]
pub struct Invalid {
    pub element: String,
    pub why: String,
}

fn invalid(element: impl Into<String>, why: impl Into<String>) -> Invalid {
    Invalid {
        element: element.into(),
        why: why.into(),
    }
}

/// The parts of a message Tocsin acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub identifier: String,
    pub sender: String,
    /// As written, for references.
    pub sent: String,
    pub status: String,
    pub msg_type: String,
    pub scope: String,
    /// `sender,identifier,sent` triples of earlier messages.
    pub references: Vec<String>,
    pub infos: Vec<Info>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Info {
    pub language: String,
    pub categories: Vec<String>,
    pub event: String,
    pub urgency: String,
    pub severity: String,
    pub certainty: String,
    pub sender_name: String,
    pub headline: String,
    pub description: String,
    pub instruction: String,
    pub areas: Vec<String>,
}

/// How often an element may appear in its sequence.
#[derive(Clone, Copy)]
enum Times {
    One,
    Optional,
    Many,
    AtLeastOne,
}

/// What an element holds.
#[derive(Clone, Copy)]
enum Holds {
    Text,
    Code(&'static [&'static str]),
    DateTime,
    /// Elements of its own, checked by their own sequence.
    Children(&'static [(&'static str, Times, Holds)]),
}

const VALUE_PAIR: &[(&str, Times, Holds)] = &[
    ("valueName", Times::One, Holds::Text),
    ("value", Times::One, Holds::Text),
];
const RESOURCE: &[(&str, Times, Holds)] = &[
    ("resourceDesc", Times::One, Holds::Text),
    ("mimeType", Times::One, Holds::Text),
    ("size", Times::Optional, Holds::Text),
    ("uri", Times::Optional, Holds::Text),
    ("derefUri", Times::Optional, Holds::Text),
    ("digest", Times::Optional, Holds::Text),
];
const AREA: &[(&str, Times, Holds)] = &[
    ("areaDesc", Times::One, Holds::Text),
    ("polygon", Times::Many, Holds::Text),
    ("circle", Times::Many, Holds::Text),
    ("geocode", Times::Many, Holds::Children(VALUE_PAIR)),
    ("altitude", Times::Optional, Holds::Text),
    ("ceiling", Times::Optional, Holds::Text),
];
const INFO: &[(&str, Times, Holds)] = &[
    ("language", Times::Optional, Holds::Text),
    ("category", Times::AtLeastOne, Holds::Code(CATEGORY)),
    ("event", Times::One, Holds::Text),
    ("responseType", Times::Many, Holds::Code(RESPONSE)),
    ("urgency", Times::One, Holds::Code(URGENCY)),
    ("severity", Times::One, Holds::Code(SEVERITY)),
    ("certainty", Times::One, Holds::Code(CERTAINTY)),
    ("audience", Times::Optional, Holds::Text),
    ("eventCode", Times::Many, Holds::Children(VALUE_PAIR)),
    ("effective", Times::Optional, Holds::DateTime),
    ("onset", Times::Optional, Holds::DateTime),
    ("expires", Times::Optional, Holds::DateTime),
    ("senderName", Times::Optional, Holds::Text),
    ("headline", Times::Optional, Holds::Text),
    ("description", Times::Optional, Holds::Text),
    ("instruction", Times::Optional, Holds::Text),
    ("web", Times::Optional, Holds::Text),
    ("contact", Times::Optional, Holds::Text),
    ("parameter", Times::Many, Holds::Children(VALUE_PAIR)),
    ("resource", Times::Many, Holds::Children(RESOURCE)),
    ("area", Times::Many, Holds::Children(AREA)),
];
const ALERT: &[(&str, Times, Holds)] = &[
    ("identifier", Times::One, Holds::Text),
    ("sender", Times::One, Holds::Text),
    ("sent", Times::One, Holds::DateTime),
    ("status", Times::One, Holds::Code(STATUS)),
    ("msgType", Times::One, Holds::Code(MSG_TYPE)),
    ("source", Times::Optional, Holds::Text),
    ("scope", Times::One, Holds::Code(SCOPE)),
    ("restriction", Times::Optional, Holds::Text),
    ("addresses", Times::Optional, Holds::Text),
    ("code", Times::Many, Holds::Text),
    ("note", Times::Optional, Holds::Text),
    ("references", Times::Optional, Holds::Text),
    ("incidents", Times::Optional, Holds::Text),
    ("info", Times::Many, Holds::Children(INFO)),
];

/// CAP's date-time: `2003-06-17T14:57:00-07:00`, seconds and a zone
/// required, `Z` not allowed (§3.3.2).
pub fn parse_time(text: &str) -> Option<OffsetDateTime> {
    if text.ends_with('Z') || text.ends_with('z') {
        return None;
    }
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

fn text_of(node: roxmltree::Node<'_, '_>) -> String {
    node.children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Checks one element's children against `sequence`; `path` names it.
fn check(
    node: roxmltree::Node<'_, '_>,
    path: &str,
    sequence: &[(&str, Times, Holds)],
) -> Result<(), Invalid> {
    let mut at = 0usize;
    let mut seen = vec![0usize; sequence.len()];
    for child in node.children().filter(|c| c.is_element()) {
        let name = child.tag_name().name();
        let here = format!("{path}/{name}");
        if child.tag_name().namespace() != Some(NAMESPACE) {
            // The schema's `any` from other namespaces (a signature) is
            // allowed at the end of `alert` only.
            if path == "alert" {
                continue;
            }
            return Err(invalid(here, "is not a CAP 1.2 element"));
        }
        let Some(index) = sequence.iter().position(|(n, _, _)| *n == name) else {
            return Err(invalid(here, "is not allowed here"));
        };
        if index < at {
            return Err(invalid(
                here,
                "is out of order: the schema's sequence puts it earlier",
            ));
        }
        at = index;
        let (_, times, holds) =
            sequence
                .get(index)
                .copied()
                .unwrap_or(("", Times::Many, Holds::Text));
        let count = seen.get_mut(index).map_or(0, |c| {
            *c += 1;
            *c
        });
        if matches!(times, Times::One | Times::Optional) && count > 1 {
            return Err(invalid(here, "may appear only once"));
        }
        match holds {
            Holds::Text => {}
            Holds::Code(codes) => {
                let value = text_of(child);
                if !codes.contains(&value.as_str()) {
                    return Err(invalid(
                        here,
                        format!("\"{value}\" is not one of {}", codes.join(", ")),
                    ));
                }
            }
            Holds::DateTime => {
                if parse_time(&text_of(child)).is_none() {
                    return Err(invalid(
                        here,
                        "must be a date-time with seconds and a zone offset, as 2003-06-17T14:57:00-07:00",
                    ));
                }
            }
            Holds::Children(inner) => check(child, &here, inner)?,
        }
    }
    for ((name, times, _), count) in sequence.iter().zip(&seen) {
        if matches!(times, Times::One | Times::AtLeastOne) && *count == 0 {
            return Err(invalid(format!("{path}/{name}"), "is required"));
        }
    }
    Ok(())
}

fn child_text(node: roxmltree::Node<'_, '_>, name: &str) -> String {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
        .map(text_of)
        .unwrap_or_default()
}

fn children_text(node: roxmltree::Node<'_, '_>, name: &str) -> Vec<String> {
    node.children()
        .filter(|c| c.is_element() && c.tag_name().name() == name)
        .map(text_of)
        .collect()
}

/// Reads and checks a CAP 1.2 document.
pub fn parse(xml: &str) -> Result<Message, Invalid> {
    if xml.len() > MAX_BYTES {
        return Err(invalid("alert", "the document is larger than 512 KiB"));
    }
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(xml, options)
        .map_err(|e| invalid("alert", format!("is not well-formed XML: {e}")))?;
    let root = doc.root_element();
    if root.tag_name().name() != "alert" || root.tag_name().namespace() != Some(NAMESPACE) {
        return Err(invalid(
            root.tag_name().name(),
            format!("the root element must be alert in the namespace {NAMESPACE}"),
        ));
    }
    check(root, "alert", ALERT)?;
    let references = child_text(root, "references")
        .split_whitespace()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    for r in &references {
        if r.split(',').count() != 3 {
            return Err(invalid(
                "alert/references",
                format!("\"{r}\" is not sender,identifier,sent"),
            ));
        }
    }
    let infos = root
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "info")
        .map(|info| Info {
            language: child_text(info, "language"),
            categories: children_text(info, "category"),
            event: child_text(info, "event"),
            urgency: child_text(info, "urgency"),
            severity: child_text(info, "severity"),
            certainty: child_text(info, "certainty"),
            sender_name: child_text(info, "senderName"),
            headline: child_text(info, "headline"),
            description: child_text(info, "description"),
            instruction: child_text(info, "instruction"),
            areas: info
                .children()
                .filter(|c| c.is_element() && c.tag_name().name() == "area")
                .map(|a| child_text(a, "areaDesc"))
                .collect(),
        })
        .collect();
    let message = Message {
        identifier: child_text(root, "identifier"),
        sender: child_text(root, "sender"),
        sent: child_text(root, "sent"),
        status: child_text(root, "status"),
        msg_type: child_text(root, "msgType"),
        scope: child_text(root, "scope"),
        references,
        infos,
    };
    // §3.2.1: identifier and sender have no spaces, commas or restricted
    // characters (& <), so references can name them.
    for (name, value) in [
        ("identifier", &message.identifier),
        ("sender", &message.sender),
    ] {
        if value.is_empty() || value.contains([' ', ',', '<', '&']) {
            return Err(invalid(
                format!("alert/{name}"),
                "must be non-empty, without spaces, commas, < or &",
            ));
        }
    }
    if matches!(
        message.msg_type.as_str(),
        "Update" | "Cancel" | "Ack" | "Error"
    ) && message.references.is_empty()
    {
        return Err(invalid(
            "alert/references",
            format!("is required for msgType {}", message.msg_type),
        ));
    }
    Ok(message)
}

/// Text safe inside an XML element or attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 has no place for other control characters.
            c if c.is_control() && !matches!(c, '\n' | '\r' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

/// CAP's date-time form of `at`: seconds, an offset, never `Z`.
pub fn cap_time(at: OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
    );
    at.format(&format).unwrap_or_default()
}

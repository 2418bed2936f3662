//! Just enough MIME (RFC 2045–2047) to read an alarm: the subject, the
//! Message-ID and the plain text. Alarm senders (SCADA systems, fire
//! panels, monitoring) send short text mails; the text is taken from the
//! first `text/plain` part, or from the first `text/html` part with its
//! tags taken out when there is no plain one. Attachments are passed over.
//! Charsets read: UTF-8, US-ASCII, ISO-8859-1 and windows-1252 (read as
//! ISO-8859-1); anything else is read as UTF-8 with unknown bytes replaced.

use base64::Engine as _;

/// Nested multiparts deeper than this are not looked into.
const MAX_DEPTH: u8 = 8;
/// The text kept of a mail; an alert takes at most 4000 characters of it.
pub const MAX_TEXT_CHARS: usize = 16_000;

/// What a mail says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub subject: String,
    pub text: String,
    pub message_id: Option<String>,
}

pub fn parse(raw: &[u8]) -> Parsed {
    let (headers, body) = split_head(raw);
    let subject = header(&headers, "subject")
        .map(|v| decode_words(v).trim().to_owned())
        .unwrap_or_default();
    let message_id = header(&headers, "message-id")
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    let text = match text_of(&headers, body, 0) {
        Some((_, text)) => text,
        None => String::new(),
    };
    let text = text.trim();
    let text = if text.chars().count() > MAX_TEXT_CHARS {
        let mut kept: String = text.chars().take(MAX_TEXT_CHARS).collect();
        kept.push('…');
        kept
    } else {
        text.to_owned()
    };
    Parsed {
        subject,
        text,
        message_id,
    }
}

type Headers = Vec<(String, String)>;

/// The header fields (names lowercased, folded lines joined) and the body.
fn split_head(raw: &[u8]) -> (Headers, &[u8]) {
    let crlf = find(raw, b"\r\n\r\n").map(|at| (at, at + 4));
    let lf = find(raw, b"\n\n").map(|at| (at, at + 2));
    let (head, body) = match (crlf, lf) {
        (Some(a), Some(b)) => {
            let (end, start) = if a.0 <= b.0 { a } else { b };
            (
                raw.get(..end).unwrap_or(raw),
                raw.get(start..).unwrap_or(&[]),
            )
        }
        (Some((end, start)), None) | (None, Some((end, start))) => (
            raw.get(..end).unwrap_or(raw),
            raw.get(start..).unwrap_or(&[]),
        ),
        (None, None) => (raw, &[][..]),
    };
    let head = String::from_utf8_lossy(head);
    let mut headers: Headers = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    (headers, body)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn header<'h>(headers: &'h Headers, name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// A Content-Type: the lowercased type and its parameters.
struct ContentType {
    kind: String,
    params: Vec<(String, String)>,
}

impl ContentType {
    fn of(headers: &Headers) -> ContentType {
        let value = header(headers, "content-type").unwrap_or("text/plain");
        let mut pieces = value.split(';');
        let kind = pieces
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let params = pieces
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| {
                (
                    k.trim().to_ascii_lowercase(),
                    v.trim().trim_matches('"').to_owned(),
                )
            })
            .collect();
        ContentType {
            kind: if kind.is_empty() {
                "text/plain".to_owned()
            } else {
                kind
            },
            params,
        }
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The text of a part: `(true, text)` for plain text, `(false, text)` for
/// HTML with its tags taken out; `None` when it holds no text.
fn text_of(headers: &Headers, body: &[u8], depth: u8) -> Option<(bool, String)> {
    let content_type = ContentType::of(headers);
    let attachment = header(headers, "content-disposition")
        .is_some_and(|d| d.trim().to_ascii_lowercase().starts_with("attachment"));
    if content_type.kind.starts_with("multipart/") {
        let boundary = content_type.param("boundary")?;
        if depth >= MAX_DEPTH {
            return None;
        }
        let mut html = None;
        for part in parts(body, boundary) {
            let (headers, body) = split_head(part);
            match text_of(&headers, body, depth.saturating_add(1)) {
                Some((true, text)) => return Some((true, text)),
                Some((false, text)) if html.is_none() => html = Some((false, text)),
                _ => {}
            }
        }
        return html;
    }
    if attachment {
        return None;
    }
    let plain = match content_type.kind.as_str() {
        "text/plain" => true,
        "text/html" => false,
        _ => return None,
    };
    let encoding = header(headers, "content-transfer-encoding")
        .unwrap_or("7bit")
        .trim()
        .to_ascii_lowercase();
    let bytes = match encoding.as_str() {
        "quoted-printable" => quoted_printable(body, false),
        "base64" => base64_lenient(body),
        _ => body.to_vec(),
    };
    let text = charset(&bytes, content_type.param("charset").unwrap_or("us-ascii"));
    let text = text.replace("\r\n", "\n");
    Some(if plain {
        (true, text)
    } else {
        (false, without_tags(&text))
    })
}

/// The parts of a multipart body, between its boundary lines.
fn parts<'b>(body: &'b [u8], boundary: &str) -> Vec<&'b [u8]> {
    let marker = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut start: Option<usize> = None;
    let mut at = 0;
    while at <= body.len() {
        let end = body
            .get(at..)
            .and_then(|rest| rest.iter().position(|b| *b == b'\n'))
            .map_or(body.len(), |p| at + p);
        let line = body.get(at..end).unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(rest) = line.strip_prefix(marker.as_bytes()) {
            if let Some(begin) = start {
                // The line break before a boundary belongs to the boundary.
                let mut stop = at;
                if body.get(..stop).is_some_and(|b| b.ends_with(b"\n")) {
                    stop -= 1;
                }
                if body.get(..stop).is_some_and(|b| b.ends_with(b"\r")) {
                    stop -= 1;
                }
                parts.push(body.get(begin..stop.max(begin)).unwrap_or_default());
            }
            if rest.starts_with(b"--") {
                return parts;
            }
            start = Some(end.saturating_add(1).min(body.len()));
        }
        at = end.saturating_add(1);
    }
    if let Some(begin) = start {
        parts.push(body.get(begin..).unwrap_or_default());
    }
    parts
}

/// Quoted-printable (RFC 2045 §6.7); `underscores` reads "_" as a space, as
/// encoded words do (RFC 2047 §4.2). A broken escape is kept as it came.
fn quoted_printable(input: &[u8], underscores: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        match b {
            b'=' => match (input.get(i + 1).copied(), input.get(i + 2).copied()) {
                // A soft line break: the line goes on.
                (Some(b'\r'), Some(b'\n')) => i += 3,
                (Some(b'\n'), _) => i += 2,
                (Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                    out.push(hex(h).unwrap_or(0) << 4 | hex(l).unwrap_or(0));
                    i += 3;
                }
                _ => {
                    out.push(b'=');
                    i += 1;
                }
            },
            b'_' if underscores => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// Base64 with line breaks and stray characters skipped; what can't be
/// decoded is kept as it came rather than lost.
fn base64_lenient(input: &[u8]) -> Vec<u8> {
    let clean: Vec<u8> = input
        .iter()
        .copied()
        .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/'))
        .collect();
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(&clean)
        .unwrap_or_else(|_| input.to_vec())
}

fn charset(bytes: &[u8], name: &str) -> String {
    match name.trim().to_ascii_lowercase().as_str() {
        "iso-8859-1" | "latin1" | "iso_8859-1" | "windows-1252" | "cp1252" => {
            bytes.iter().map(|b| char::from(*b)).collect()
        }
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Decodes RFC 2047 encoded words ("=?utf-8?Q?H=C3=A4lytys?="); the space
/// between two encoded words is not part of the text.
pub fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, candidate) = rest.split_at(start);
        match encoded_word(candidate) {
            Some((text, used)) => {
                if !(after_word && before.trim().is_empty()) {
                    out.push_str(before);
                }
                out.push_str(&text);
                rest = candidate.get(used..).unwrap_or_default();
                after_word = true;
            }
            None => {
                out.push_str(before);
                out.push_str("=?");
                rest = candidate.get(2..).unwrap_or_default();
                after_word = false;
            }
        }
    }
    out.push_str(rest);
    out
}

/// One encoded word at the start of `s`: its text and its length.
fn encoded_word(s: &str) -> Option<(String, usize)> {
    let inner = s.strip_prefix("=?")?;
    let (charset_name, inner) = inner.split_once('?')?;
    let (encoding, inner) = inner.split_once('?')?;
    let end = inner.find("?=")?;
    let payload = inner.get(..end)?;
    if payload.contains(char::is_whitespace) {
        return None;
    }
    let used = 2 + charset_name.len() + 1 + encoding.len() + 1 + end + 2;
    // A language tag (RFC 2231 §5) may follow the charset.
    let charset_name = charset_name.split('*').next().unwrap_or(charset_name);
    let bytes = match encoding {
        "Q" | "q" => quoted_printable(payload.as_bytes(), true),
        "B" | "b" => base64::engine::general_purpose::STANDARD
            .decode(payload.as_bytes())
            .ok()?,
        _ => return None,
    };
    Some((charset(&bytes, charset_name), used))
}

/// HTML as text: tags and comments out, line breaks for block ends, the
/// common entities read.
fn without_tags(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(rest.get(..open).unwrap_or_default());
        let tail = rest.get(open..).unwrap_or_default();
        let close = if tail.starts_with("<!--") {
            tail.find("-->").map(|c| c + 3)
        } else {
            tail.find('>').map(|c| c + 1)
        };
        let Some(close) = close else {
            rest = "";
            break;
        };
        let tag = tail.get(..close).unwrap_or_default().to_ascii_lowercase();
        if ["<br", "</p", "</div", "</tr", "</li", "</h"]
            .iter()
            .any(|t| tag.starts_with(t))
        {
            out.push('\n');
        }
        rest = tail.get(close..).unwrap_or_default();
    }
    out.push_str(rest);
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_mail_gives_its_subject_text_and_id() {
        let raw = b"From: a@b.example\r\nSubject: Pump 3\r\n failed\r\nMessage-ID: <1@b.example>\r\n\r\nPressure low\r\n";
        let mail = parse(raw);
        assert_eq!(mail.subject, "Pump 3 failed");
        assert_eq!(mail.text, "Pressure low");
        assert_eq!(mail.message_id.as_deref(), Some("<1@b.example>"));
    }

    #[test]
    fn encoded_subjects_and_bodies_are_decoded() {
        assert_eq!(
            decode_words("=?utf-8?Q?H=C3=A4lytys_A?= =?UTF-8?B?w6Rsw6Q=?= now"),
            "Hälytys Aälä now"
        );
        assert_eq!(decode_words("=?iso-8859-1?q?P=E4=E4?="), "Pää");
        assert_eq!(decode_words("no =? word"), "no =? word");
        let raw = "Subject: x\r\nContent-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n\
                   preamble\r\n--b1\r\nContent-Type: text/html\r\n\r\n<p>Fire &amp; smoke</p>\r\n\
                   --b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
                   Tulipalo, kerros =\r\n3 =E2=80=93 h=C3=A4ly\r\n--b1--\r\n";
        assert_eq!(parse(raw.as_bytes()).text, "Tulipalo, kerros 3 – häly");
        let raw = "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/html\r\n\r\n<b>Fire</b><br>Hall 2\r\n--x\r\nContent-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nlog\r\n--x--\r\n";
        assert_eq!(parse(raw.as_bytes()).text, "Fire\nHall 2");
        let raw = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nSMOkbHl0\r\neXM=\r\n";
        assert_eq!(parse(raw.as_bytes()).text, "Hälytys");
    }
}

//! A minimal SMTP server (RFC 5321) for alarms by email: EHLO/HELO,
//! STARTTLS (RFC 3207) with the appliance's own certificate, MAIL, RCPT,
//! DATA, RSET, NOOP, QUIT; no AUTH and no relaying. Senders prove nothing
//! in SMTP, so who may send is decided per organisation by its rules, and
//! mail from anyone else is refused at RCPT time.
//!
//! Peers other than this host must say STARTTLS before MAIL: alarm texts
//! name places and people, and must not cross the network in the clear. A
//! sender on this host (a local relay or script) may skip it.

use super::refusals::RefusalBudget;
use super::{mime, orgs_taking, Mail};
use crate::config::EmailInConfig;
use crate::inbox::Inbox;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// A command line, CRLF included; longer than RFC 5321 §4.5.3.1.4's 512
/// for the parameters some clients add.
const COMMAND_LINE: u64 = 1000;
/// A text line in DATA, CRLF included (RFC 5321 §4.5.3.1.6).
const TEXT_LINE: u64 = 1000;
/// How long the server waits for a command or a line of text (RFC 5321
/// §4.5.3.2.7 asks for at least five minutes).
const LINE_TIMEOUT: Duration = Duration::from_secs(300);
/// How long a whole session may last, however busy.
const SESSION_TIMEOUT: Duration = Duration::from_secs(1800);
/// Sessions at once; more are told to come back later.
const MAX_SESSIONS: usize = 64;
/// Recipients in one mail (RFC 5321 §4.5.3.1.8 asks for at least 100).
const MAX_RECIPIENTS: usize = 100;
/// Unknown or misplaced commands before the session is closed.
const MAX_ERRORS: u32 = 10;

#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("cannot listen for mail on {addr} (email_in.listen): {source}")]
    Bind { addr: SocketAddr, source: io::Error },
}

struct Context {
    inbox: Inbox,
    tls: tokio_rustls::TlsAcceptor,
    hostname: String,
    max_bytes: usize,
    sessions: Arc<Semaphore>,
    refusals: RefusalBudget,
}

/// Starts listening on `config.listen` and returns the address it got.
/// `tls` is the appliance's own certificate, without ALPN protocols.
pub async fn listen(
    config: &EmailInConfig,
    tls: Arc<rustls::ServerConfig>,
    inbox: Inbox,
    hostname: String,
) -> Result<SocketAddr, SmtpError> {
    let failed = |source| SmtpError::Bind {
        addr: config.listen,
        source,
    };
    let listener = TcpListener::bind(config.listen).await.map_err(failed)?;
    let local = listener.local_addr().map_err(failed)?;
    let context = Arc::new(Context {
        inbox,
        tls: tokio_rustls::TlsAcceptor::from(tls),
        hostname,
        max_bytes: config.max_message_bytes,
        sessions: Arc::new(Semaphore::new(MAX_SESSIONS)),
        refusals: RefusalBudget::default(),
    });
    tokio::spawn(accept(listener, context));
    Ok(local)
}

async fn accept(listener: TcpListener, context: Arc<Context>) {
    loop {
        let (conn, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of descriptors, most likely: wait for some to close.
                tracing::warn!(error = %e, "cannot accept a mail connection");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let Ok(permit) = context.sessions.clone().try_acquire_owned() else {
            tokio::spawn(async move {
                let mut conn = conn;
                let _ = conn
                    .write_all(b"421 4.3.2 Too many connections, try again later\r\n")
                    .await;
            });
            continue;
        };
        let context = context.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match tokio::time::timeout(SESSION_TIMEOUT, session(conn, peer, &context)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "a mail session ended"),
                Err(_) => tracing::info!(%peer, "a mail session took too long; closed"),
            }
        });
    }
}

/// Loopback peers, IPv4-mapped ones included.
fn on_this_host(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map_or(v6.is_loopback(), |v4| v4.is_loopback()),
    }
}

/// What a dialogue ended with.
enum Next {
    Close,
    StartTls,
}

/// One mail being told, and what the session knows.
struct Session {
    peer: SocketAddr,
    secure: bool,
    greeted: bool,
    from: Option<String>,
    to: Vec<String>,
    /// A refusal of this sender is logged once per mail.
    refusal_logged: bool,
    errors: u32,
}

impl Session {
    fn new(peer: SocketAddr, secure: bool) -> Session {
        Session {
            peer,
            secure,
            greeted: false,
            from: None,
            to: Vec::new(),
            refusal_logged: false,
            errors: 0,
        }
    }

    fn reset(&mut self) {
        self.from = None;
        self.to.clear();
        self.refusal_logged = false;
    }
}

async fn session(conn: TcpStream, peer: SocketAddr, context: &Context) -> io::Result<()> {
    let mut plain = BufReader::new(conn);
    let greeting = format!("220 {} ESMTP Tocsin", context.hostname);
    reply(&mut plain, &greeting).await?;
    let mut state = Session::new(peer, false);
    if let Next::Close = dialogue(&mut plain, &mut state, context).await? {
        return Ok(());
    }
    // Whatever came after STARTTLS before the handshake was sent in the
    // clear and must not be taken as said under TLS (RFC 3207 §6).
    if !plain.buffer().is_empty() {
        return Ok(());
    }
    let tls = tokio::time::timeout(LINE_TIMEOUT, context.tls.accept(plain.into_inner()))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out"))??;
    let mut secure = BufReader::new(tls);
    // Everything known before TLS is forgotten (RFC 3207 §4.2).
    let mut state = Session::new(peer, true);
    dialogue(&mut secure, &mut state, context).await?;
    Ok(())
}

async fn reply<S: AsyncWrite + Unpin>(stream: &mut S, line: &str) -> io::Result<()> {
    stream.write_all(line.as_bytes()).await?;
    stream.write_all(b"\r\n").await?;
    stream.flush().await
}

enum Line {
    Text(Vec<u8>),
    TooLong,
    Closed,
}

/// One line without its line break, at most `limit` bytes with it.
async fn read_line<S: AsyncBufRead + Unpin>(stream: &mut S, limit: u64) -> io::Result<Line> {
    let mut line = Vec::new();
    let read = tokio::time::timeout(
        LINE_TIMEOUT,
        (&mut *stream).take(limit).read_until(b'\n', &mut line),
    )
    .await
    .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no command in time"))??;
    if read == 0 {
        return Ok(Line::Closed);
    }
    if line.last() != Some(&b'\n') {
        return Ok(if read as u64 >= limit {
            Line::TooLong
        } else {
            Line::Closed
        });
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(Line::Text(line))
}

/// The address in "FROM:<a@b.example> SIZE=12" (or without brackets), and
/// the parameters after it.
fn path_and_params<'l>(rest: &'l str, keyword: &str) -> Option<(String, Vec<&'l str>)> {
    let head = rest.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = rest.get(keyword.len()..)?.trim_start();
    let (path, params) = match rest.strip_prefix('<') {
        Some(inner) => {
            let close = inner.find('>')?;
            (inner.get(..close)?, inner.get(close + 1..)?)
        }
        None => rest.split_once(' ').unwrap_or((rest, "")),
    };
    // A source route ("@relay:user@host", RFC 5321 §4.1.2) names the mailbox last.
    let path = path.rsplit(':').next().unwrap_or(path).trim();
    if path.contains(char::is_whitespace) || path.contains(['<', '>']) {
        return None;
    }
    Some((path.to_owned(), params.split_whitespace().collect()))
}

async fn dialogue<S>(stream: &mut S, state: &mut Session, context: &Context) -> io::Result<Next>
where
    S: AsyncBufRead + AsyncWrite + Unpin,
{
    loop {
        let line = match read_line(stream, COMMAND_LINE).await? {
            Line::Text(line) => String::from_utf8_lossy(&line).into_owned(),
            Line::TooLong => {
                reply(stream, "500 5.5.2 Line too long").await?;
                return Ok(Next::Close);
            }
            Line::Closed => return Ok(Next::Close),
        };
        let (verb, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let (verb, rest) = (verb.to_ascii_uppercase(), rest.trim());
        let answer: String = match verb.as_str() {
            "EHLO" | "HELO" if rest.is_empty() => "501 5.5.4 Say who you are".to_owned(),
            "EHLO" => {
                state.reset();
                state.greeted = true;
                let mut lines = vec![
                    format!("250-{} greets {rest}", context.hostname),
                    format!("250-SIZE {}", context.max_bytes),
                    "250-8BITMIME".to_owned(),
                ];
                if !state.secure {
                    lines.push("250-STARTTLS".to_owned());
                }
                lines.push("250 ENHANCEDSTATUSCODES".to_owned());
                lines.join("\r\n")
            }
            "HELO" => {
                state.reset();
                state.greeted = true;
                format!("250 {}", context.hostname)
            }
            "STARTTLS" if state.secure => "503 5.5.1 TLS is already on".to_owned(),
            "STARTTLS" if !rest.is_empty() => "501 5.5.4 STARTTLS takes nothing".to_owned(),
            "STARTTLS" => {
                reply(stream, "220 2.0.0 Ready to start TLS").await?;
                return Ok(Next::StartTls);
            }
            "MAIL" => mail(state, rest, context.max_bytes),
            "RCPT" => rcpt(state, rest, context).await,
            "DATA" if state.from.is_none() || state.to.is_empty() => {
                "503 5.5.1 No accepted recipients yet".to_owned()
            }
            "DATA" if !rest.is_empty() => "501 5.5.4 DATA takes nothing".to_owned(),
            "DATA" => {
                reply(stream, "354 End data with <CR><LF>.<CR><LF>").await?;
                match data(stream, state, context).await? {
                    Some(answer) => answer,
                    None => return Ok(Next::Close),
                }
            }
            "RSET" => {
                state.reset();
                "250 2.0.0 OK".to_owned()
            }
            "NOOP" => "250 2.0.0 OK".to_owned(),
            "VRFY" => "252 2.5.2 Cannot VRFY; send the mail".to_owned(),
            "QUIT" => {
                reply(stream, "221 2.0.0 Bye").await?;
                return Ok(Next::Close);
            }
            _ => "502 5.5.2 Command not recognised".to_owned(),
        };
        if answer.starts_with('5') {
            state.errors = state.errors.saturating_add(1);
            if state.errors > MAX_ERRORS {
                reply(stream, "421 4.7.0 Too many errors; closing").await?;
                return Ok(Next::Close);
            }
        }
        reply(stream, &answer).await?;
    }
}

fn mail(state: &mut Session, rest: &str, max_bytes: usize) -> String {
    if !state.greeted {
        return "503 5.5.1 Say EHLO first".to_owned();
    }
    if state.from.is_some() {
        return "503 5.5.1 A mail is already begun; RSET first".to_owned();
    }
    if !state.secure && !on_this_host(state.peer.ip()) {
        return "530 5.7.0 Must issue a STARTTLS command first".to_owned();
    }
    let Some((from, params)) = path_and_params(rest, "FROM:") else {
        return "501 5.1.7 Write MAIL FROM:<address>".to_owned();
    };
    for param in params {
        if let Some(size) = param
            .split_once('=')
            .filter(|(k, _)| k.eq_ignore_ascii_case("SIZE"))
            .map(|(_, v)| v)
        {
            if size.parse::<usize>().map_or(true, |n| n > max_bytes) {
                return format!("552 5.3.4 Mail is limited to {max_bytes} bytes");
            }
        }
    }
    state.from = Some(from);
    "250 2.1.0 OK".to_owned()
}

async fn rcpt(state: &mut Session, rest: &str, context: &Context) -> String {
    let Some(from) = state.from.clone() else {
        return "503 5.5.1 MAIL first".to_owned();
    };
    let Some((to, _)) = path_and_params(rest, "TO:") else {
        return "501 5.1.3 Write RCPT TO:<address>".to_owned();
    };
    if state.to.len() >= MAX_RECIPIENTS {
        return "452 4.5.3 Too many recipients".to_owned();
    }
    let inbox = context.inbox.clone();
    let sender = from.clone();
    let taking = crate::store::blocking(move || orgs_taking(&inbox.store, &sender)).await;
    match taking {
        Ok(orgs) if !orgs.is_empty() => {
            state.to.push(to);
            "250 2.1.5 OK".to_owned()
        }
        Ok(_) => {
            let shown = if from.is_empty() { "<>" } else { &from };
            let why = format!("no organisation here takes alarms by email from {shown}");
            // One listed refusal per mail, within the listener's budget.
            let first = !std::mem::replace(&mut state.refusal_logged, true);
            if first
                && context
                    .refusals
                    .take(state.peer.ip(), std::time::Instant::now())
            {
                let (inbox, why) = (context.inbox.clone(), why.clone());
                let sender = from.clone();
                let kept =
                    crate::store::blocking(move || inbox.refuse_email(&sender, &to, &why)).await;
                if let Err(e) = kept {
                    tracing::error!(error = %e, "cannot keep a refused mail in the inbound list");
                }
            }
            format!("550 5.7.1 {why}")
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot read the email rules");
            "451 4.3.0 Cannot check the sender now; try again later".to_owned()
        }
    }
}

/// Reads the text up to the lone dot and keeps it. `None` when the
/// session must end (the peer left, or sent a line too long to follow).
async fn data<S>(
    stream: &mut S,
    state: &mut Session,
    context: &Context,
) -> io::Result<Option<String>>
where
    S: AsyncBufRead + AsyncWrite + Unpin,
{
    let mut raw: Vec<u8> = Vec::new();
    let mut too_big = false;
    loop {
        let line = match read_line(stream, TEXT_LINE).await? {
            Line::Text(line) => line,
            Line::TooLong => {
                reply(stream, "500 5.5.2 Line too long").await?;
                return Ok(None);
            }
            Line::Closed => return Ok(None),
        };
        if line == b"." {
            break;
        }
        // Dot-stuffing (RFC 5321 §4.5.2): a leading dot was doubled.
        let line = line.strip_prefix(b".").unwrap_or(&line);
        if raw.len() + line.len() + 2 > context.max_bytes {
            too_big = true;
            raw.clear();
        }
        if !too_big {
            raw.extend_from_slice(line);
            raw.extend_from_slice(b"\r\n");
        }
    }
    let (from, to) = (
        state.from.take().unwrap_or_default(),
        std::mem::take(&mut state.to),
    );
    state.reset();
    if too_big {
        return Ok(Some(format!(
            "552 5.3.4 Mail is limited to {} bytes",
            context.max_bytes
        )));
    }
    let mail = Mail {
        from,
        to,
        parsed: mime::parse(&raw),
    };
    let inbox = context.inbox.clone();
    match crate::store::blocking(move || inbox.accept_email(&mail)).await {
        Ok(id) => Ok(Some(format!("250 2.0.0 Kept as {id}"))),
        Err(e) => {
            tracing::error!(error = %e, "cannot keep a received mail");
            Ok(Some(
                "451 4.3.0 Cannot keep the mail now; try again later".to_owned(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_peers() {
        assert_eq!(
            path_and_params("FROM:<a@b.example> SIZE=10", "FROM:"),
            Some(("a@b.example".to_owned(), vec!["SIZE=10"]))
        );
        assert_eq!(
            path_and_params("from: <>", "FROM:"),
            Some((String::new(), vec![]))
        );
        assert_eq!(
            path_and_params("TO:<@relay.example:c@d.example>", "TO:"),
            Some(("c@d.example".to_owned(), vec![]))
        );
        assert!(path_and_params("TO:<a b@c>", "TO:").is_none());
        assert!(path_and_params("FROM <a@b>", "FROM:").is_none());
        assert!(on_this_host("127.0.0.1".parse().unwrap()));
        assert!(on_this_host("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!on_this_host("192.0.2.1".parse().unwrap()));
    }

    #[test]
    fn mail_from_another_host_needs_starttls_first() {
        let far: SocketAddr = "192.0.2.1:40000".parse().unwrap();
        let mut state = Session::new(far, false);
        assert!(mail(&mut state, "FROM:<a@b.example>", 1024).starts_with("503 5.5.1"));
        state.greeted = true;
        assert!(mail(&mut state, "FROM:<a@b.example>", 1024).starts_with("530 5.7.0"));
        let mut state = Session::new(far, true);
        state.greeted = true;
        assert!(mail(&mut state, "FROM:<a@b.example> SIZE=2048", 1024).starts_with("552 5.3.4"));
        assert!(mail(&mut state, "FROM:<a@b.example> SIZE=512", 1024).starts_with("250"));
        assert!(mail(&mut state, "FROM:<c@b.example>", 1024).starts_with("503"));
        let mut near = Session::new("127.0.0.1:40000".parse().unwrap(), false);
        near.greeted = true;
        assert!(mail(&mut near, "FROM:<a@b.example>", 1024).starts_with("250"));
    }
}

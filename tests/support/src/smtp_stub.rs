//! A small scripted SMTP server for fault-injection tests.
//!
//! [`StubSmtp::start`] listens on 127.0.0.1:0 and speaks enough plain SMTP (RFC 5321, no TLS,
//! no AUTH, no PIPELINING) for lettre's pooled async transport: greeting, EHLO/HELO, MAIL, RCPT,
//! DATA, RSET, NOOP, QUIT, several messages per connection. A [`Script`] makes the first
//! `faulty_sessions` connections misbehave in one chosen way; later connections behave normally.
//! Every connection is its own task; all of them stop when the [`StubSmtp`] is dropped.
//!
//! lettre's `timeout` covers only the TCP connect (tokio1 transport); a [`Fault::Silent`] server
//! stalls the greeting read forever, so callers must bound sends themselves.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::server::LoopbackServer;

/// Longest command or message line accepted, CRLF included; longer closes the connection.
const MAX_LINE: usize = 64 * 1024;
/// Largest message accepted (after dot-unstuffing); larger closes the connection.
const MAX_MESSAGE: usize = 10 * 1024 * 1024;

/// How the faulty sessions misbehave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Behave normally.
    None,
    /// `421` instead of the `220` greeting, then close.
    GreetingReject,
    /// `451` (transient) in answer to RCPT TO.
    RcptTempFail,
    /// `550` (permanent) in answer to RCPT TO.
    RcptReject,
    /// `554` (permanent) after the DATA body's final dot; the message is not delivered.
    DataReject,
    /// Close the TCP connection without a reply after MAIL FROM.
    DropAfterMailFrom,
    /// Accept the TCP connection and never write anything; keep it open until the peer closes
    /// it or the stub is dropped.
    Silent,
}

/// What the stub does.
#[derive(Debug, Clone)]
pub struct Script {
    pub fault: Fault,
    /// How many SMTP sessions (connections, in accept order) get the fault; later ones behave
    /// normally. `usize::MAX`: every session.
    pub faulty_sessions: usize,
    /// When set, RCPT/DATA faults apply only where a RCPT TO address ends with this domain
    /// (case-insensitive; a leading `@` is ignored). Greeting/drop/silent faults ignore it.
    pub fault_only_for_domain: Option<String>,
    /// Sleep before answering `250` to a message's final dot (a slow sink).
    pub data_delay: Duration,
}

impl Default for Script {
    fn default() -> Self {
        Script::normal()
    }
}

impl Script {
    /// A well-behaved server.
    pub fn normal() -> Script {
        Script {
            fault: Fault::None,
            faulty_sessions: 0,
            fault_only_for_domain: None,
            data_delay: Duration::ZERO,
        }
    }

    /// `fault` on every session.
    pub fn always(fault: Fault) -> Script {
        Script::first(usize::MAX, fault)
    }

    /// `fault` on the first `sessions` sessions, normal afterwards.
    pub fn first(sessions: usize, fault: Fault) -> Script {
        Script {
            fault,
            faulty_sessions: sessions,
            ..Script::normal()
        }
    }

    /// Restrict RCPT/DATA faults to recipients in `domain`.
    pub fn for_domain(mut self, domain: &str) -> Script {
        self.fault_only_for_domain = Some(domain.to_string());
        self
    }

    /// Delay each `250` after DATA by `delay`.
    pub fn with_data_delay(mut self, delay: Duration) -> Script {
        self.data_delay = delay;
        self
    }
}

/// One message the server accepted with `250` after DATA.
#[derive(Debug, Clone)]
pub struct Delivered {
    /// The MAIL FROM path without angle brackets (empty for the null sender).
    pub mail_from: String,
    /// The accepted RCPT TO paths without angle brackets, in order.
    pub rcpt_to: Vec<String>,
    /// The raw message, dot-unstuffed, CRLF kept (invalid UTF-8 replaced).
    pub data: String,
}

impl Delivered {
    fn parsed(&self) -> mailparse::ParsedMail<'_> {
        mailparse::parse_mail(self.data.as_bytes())
            .unwrap_or_else(|e| panic!("delivered message does not parse: {e}\n{}", self.data))
    }

    /// The first header called `name` (case-insensitive), unfolded and RFC 2047-decoded.
    pub fn header(&self, name: &str) -> Option<String> {
        let (headers, _) = mailparse::parse_headers(self.data.as_bytes()).ok()?;
        mailparse::MailHeaderMap::get_first_value(headers.as_slice(), name)
    }

    /// Every header called `name` (case-insensitive), unfolded and decoded.
    pub fn headers_named(&self, name: &str) -> Vec<String> {
        match mailparse::parse_headers(self.data.as_bytes()) {
            Ok((headers, _)) => mailparse::MailHeaderMap::get_all_values(headers.as_slice(), name),
            Err(_) => Vec::new(),
        }
    }

    /// The decoded body of the first `text/plain` part (or of the message itself when it has no
    /// such part), transfer encoding and charset undone.
    pub fn body_text(&self) -> String {
        let parsed = self.parsed();
        let part = find_part(&parsed, "text/plain").unwrap_or(&parsed);
        part.get_body()
            .unwrap_or_else(|e| panic!("cannot decode body: {e}\n{}", self.data))
    }

    /// The decoded body of the first `text/html` part, if any.
    pub fn body_html(&self) -> Option<String> {
        let parsed = self.parsed();
        let part = find_part(&parsed, "text/html")?;
        part.get_body().ok()
    }

    /// The Message-ID header, angle brackets kept as sent.
    pub fn message_id(&self) -> Option<String> {
        self.header("Message-ID").map(|v| v.trim().to_string())
    }
}

fn find_part<'a>(
    mail: &'a mailparse::ParsedMail<'a>,
    mimetype: &str,
) -> Option<&'a mailparse::ParsedMail<'a>> {
    if mail.subparts.is_empty() {
        return mail
            .ctype
            .mimetype
            .eq_ignore_ascii_case(mimetype)
            .then_some(mail);
    }
    mail.subparts.iter().find_map(|p| find_part(p, mimetype))
}

#[derive(Default)]
struct State {
    sessions: usize,
    delivered: Vec<Delivered>,
    /// RCPT TO commands seen, keyed by lower-cased address.
    rcpt_attempts: HashMap<String, usize>,
}

struct Shared {
    script: Script,
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking session task must not hide what was recorded before it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running stub server; dropping it stops the listener and every open session.
pub struct StubSmtp {
    server: LoopbackServer,
    shared: Arc<Shared>,
}

impl StubSmtp {
    pub async fn start(script: Script) -> StubSmtp {
        let shared = Arc::new(Shared {
            script,
            state: Mutex::new(State::default()),
        });
        let for_sessions = shared.clone();
        let server = LoopbackServer::start(move |stream| {
            let shared = for_sessions.clone();
            let index = {
                let mut st = shared.lock();
                st.sessions += 1;
                st.sessions - 1
            };
            let fault = if index < shared.script.faulty_sessions {
                shared.script.fault
            } else {
                Fault::None
            };
            session(stream, shared, fault)
        })
        .await;
        StubSmtp { server, shared }
    }

    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// lettre's URL form for a plain (no TLS) connection.
    pub fn url(&self) -> String {
        self.server.smtp_url()
    }

    /// Connections accepted so far.
    pub fn sessions(&self) -> usize {
        self.shared.lock().sessions
    }

    /// Messages accepted with `250` after DATA, in order.
    pub fn delivered(&self) -> Vec<Delivered> {
        self.shared.lock().delivered.clone()
    }

    /// RCPT TO commands seen for `rcpt` (case-insensitive, angle brackets optional), whatever
    /// the answer was.
    pub fn attempts_to(&self, rcpt: &str) -> usize {
        let key = strip_brackets(rcpt).to_ascii_lowercase();
        self.shared
            .lock()
            .rcpt_attempts
            .get(&key)
            .copied()
            .unwrap_or(0)
    }

    /// Waits until at least `n` messages were delivered; panics after `within`.
    pub async fn wait_for_delivered(&self, n: usize, within: Duration) -> Vec<Delivered> {
        let every = Duration::from_millis(20);
        wait_for_messages(n, within, every, || self.delivered())
            .await
            .unwrap_or_else(|delivered| {
                let st = self.shared.lock();
                panic!(
                    "stub SMTP: expected {n} delivered message(s) within {within:?}, got {} \
                     ({} session(s); RCPT attempts {:?}); delivered: {:#?}",
                    delivered.len(),
                    st.sessions,
                    st.rcpt_attempts,
                    delivered
                );
            })
    }
}

/// Polls `messages` every `every` until it holds at least `n`; `Err` with the last answer
/// after `within`.
pub async fn wait_for_messages(
    n: usize,
    within: Duration,
    every: Duration,
    messages: impl Fn() -> Vec<Delivered>,
) -> Result<Vec<Delivered>, Vec<Delivered>> {
    let deadline = Instant::now() + within;
    loop {
        let got = messages();
        if got.len() >= n {
            return Ok(got);
        }
        if Instant::now() >= deadline {
            return Err(got);
        }
        tokio::time::sleep(every).await;
    }
}

/// Why a session ended early; only used to leave the session loop.
struct Closed;

type IoResult<T> = Result<T, Closed>;

async fn reply<W: AsyncWrite + Unpin>(w: &mut W, text: &str) -> IoResult<()> {
    w.write_all(text.as_bytes()).await.map_err(|_| Closed)?;
    w.write_all(b"\r\n").await.map_err(|_| Closed)?;
    w.flush().await.map_err(|_| Closed)
}

/// One line including its terminator; `Err` on EOF, I/O error, or a line over [`MAX_LINE`].
async fn read_line<R: tokio::io::AsyncBufRead + Unpin>(r: &mut R) -> IoResult<Vec<u8>> {
    let mut buf = Vec::new();
    let n = r
        .take(MAX_LINE as u64)
        .read_until(b'\n', &mut buf)
        .await
        .map_err(|_| Closed)?;
    if n == 0 || buf.last() != Some(&b'\n') {
        return Err(Closed);
    }
    Ok(buf)
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn strip_brackets(path: &str) -> &str {
    let p = path.trim();
    p.strip_prefix('<')
        .and_then(|p| p.strip_suffix('>'))
        .unwrap_or(p)
}

/// The path of `MAIL FROM:<path> PARAMS` / `RCPT TO:<path> PARAMS` after the colon, brackets
/// removed; `None` when malformed.
fn parse_path(arg: &str) -> Option<String> {
    let arg = arg.trim_start();
    if let Some(rest) = arg.strip_prefix('<') {
        let end = rest.find('>')?;
        Some(rest[..end].to_string())
    } else {
        // Lenient: an unbracketed path up to the first space.
        let path = arg.split_whitespace().next()?;
        Some(path.to_string())
    }
}

/// `rest` after a case-insensitive `prefix`, e.g. `MAIL FROM:`.
fn after_prefix<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let head = line.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &line[prefix.len()..])
}

fn domain_matches(script: &Script, rcpt: &str) -> bool {
    match &script.fault_only_for_domain {
        None => true,
        Some(domain) => {
            let domain = domain.trim_start_matches('@').to_ascii_lowercase();
            rcpt.to_ascii_lowercase().ends_with(&domain)
        }
    }
}

async fn session(stream: TcpStream, shared: Arc<Shared>, fault: Fault) {
    // Replies go out at once (no Nagle delay waiting on the client's delayed ACK).
    let _ = stream.set_nodelay(true);
    let _ = run_session(stream, &shared, fault).await;
}

async fn run_session(stream: TcpStream, shared: &Shared, fault: Fault) -> IoResult<()> {
    let (read_half, mut w) = stream.into_split();
    let mut r = BufReader::new(read_half);

    match fault {
        Fault::GreetingReject => {
            reply(
                &mut w,
                "421 stub.local Service not available, closing channel",
            )
            .await?;
            return Ok(());
        }
        Fault::Silent => {
            // Never answer; discard input until the peer closes (or the task is aborted).
            let mut sink = [0u8; 4096];
            while matches!(r.read(&mut sink).await, Ok(n) if n > 0) {}
            return Ok(());
        }
        _ => {}
    }

    reply(&mut w, "220 stub.local ESMTP stub ready").await?;

    let mut greeted = false;
    let mut mail_from: Option<String> = None;
    let mut rcpts: Vec<String> = Vec::new();

    loop {
        let raw = read_line(&mut r).await?;
        let line = String::from_utf8_lossy(trim_eol(&raw)).into_owned();
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();

        match verb.as_str() {
            "EHLO" => {
                greeted = true;
                mail_from = None;
                rcpts.clear();
                w.write_all(
                    b"250-stub.local\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n",
                )
                .await
                .map_err(|_| Closed)?;
                w.flush().await.map_err(|_| Closed)?;
            }
            "HELO" => {
                greeted = true;
                mail_from = None;
                rcpts.clear();
                reply(&mut w, "250 stub.local").await?;
            }
            "MAIL" => {
                let Some(path) = after_prefix(&line, "MAIL FROM:").and_then(parse_path) else {
                    reply(&mut w, "501 5.5.4 Syntax: MAIL FROM:<address>").await?;
                    continue;
                };
                if !greeted {
                    reply(&mut w, "503 5.5.1 Send EHLO first").await?;
                    continue;
                }
                if mail_from.is_some() {
                    reply(&mut w, "503 5.5.1 Nested MAIL command").await?;
                    continue;
                }
                if fault == Fault::DropAfterMailFrom {
                    return Ok(()); // dropping both halves closes the connection, no reply
                }
                mail_from = Some(path);
                rcpts.clear();
                reply(&mut w, "250 2.1.0 OK").await?;
            }
            "RCPT" => {
                let Some(path) = after_prefix(&line, "RCPT TO:").and_then(parse_path) else {
                    reply(&mut w, "501 5.5.4 Syntax: RCPT TO:<address>").await?;
                    continue;
                };
                if mail_from.is_none() {
                    reply(&mut w, "503 5.5.1 Need MAIL before RCPT").await?;
                    continue;
                }
                *shared
                    .lock()
                    .rcpt_attempts
                    .entry(path.to_ascii_lowercase())
                    .or_insert(0) += 1;
                let hit = domain_matches(&shared.script, &path);
                match fault {
                    Fault::RcptTempFail if hit => {
                        reply(&mut w, "451 4.3.0 Temporary failure, try again later").await?;
                    }
                    Fault::RcptReject if hit => {
                        reply(&mut w, "550 5.1.1 Recipient rejected: no such user").await?;
                    }
                    _ => {
                        rcpts.push(path);
                        reply(&mut w, "250 2.1.5 OK").await?;
                    }
                }
            }
            "DATA" => {
                if mail_from.is_none() {
                    reply(&mut w, "503 5.5.1 Need MAIL command").await?;
                    continue;
                }
                if rcpts.is_empty() {
                    reply(&mut w, "554 5.5.1 No valid recipients").await?;
                    continue;
                }
                reply(&mut w, "354 End data with <CR><LF>.<CR><LF>").await?;
                let data = read_data(&mut r).await?;
                let from = mail_from.take().unwrap_or_default();
                let to = std::mem::take(&mut rcpts);
                let reject = fault == Fault::DataReject
                    && to.iter().any(|t| domain_matches(&shared.script, t));
                if reject {
                    reply(&mut w, "554 5.7.1 Message rejected").await?;
                    continue;
                }
                if !shared.script.data_delay.is_zero() {
                    tokio::time::sleep(shared.script.data_delay).await;
                }
                shared.lock().delivered.push(Delivered {
                    mail_from: from,
                    rcpt_to: to,
                    data: String::from_utf8_lossy(&data).into_owned(),
                });
                reply(&mut w, "250 2.0.0 OK: queued").await?;
            }
            "RSET" => {
                mail_from = None;
                rcpts.clear();
                reply(&mut w, "250 2.0.0 OK").await?;
            }
            "NOOP" => reply(&mut w, "250 2.0.0 OK").await?,
            "QUIT" => {
                reply(&mut w, "221 2.0.0 Bye").await?;
                return Ok(());
            }
            _ => reply(&mut w, "502 5.5.2 Command not recognized").await?,
        }
    }
}

/// The DATA body up to the terminating `.` line, dot-unstuffed, line endings kept.
async fn read_data<R: tokio::io::AsyncBufRead + Unpin>(r: &mut R) -> IoResult<Vec<u8>> {
    let mut data = Vec::new();
    loop {
        let line = read_line(r).await?;
        if trim_eol(&line) == b"." {
            return Ok(data);
        }
        let line = line.strip_prefix(b".").unwrap_or(&line);
        if data.len() + line.len() > MAX_MESSAGE {
            return Err(Closed);
        }
        data.extend_from_slice(line);
    }
}

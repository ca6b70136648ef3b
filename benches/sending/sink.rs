//! The loopback SMTP sink every measurement sends to, and the check of why it is not the tests'
//! `StubSmtp`.
//!
//! A sink answers at once: every reply is one write on a `TCP_NODELAY` socket, and (Linux) it
//! acknowledges every segment at once (`TCP_QUICKACK`, re-armed after each read). It speaks the
//! plain SMTP the tests' stub speaks; counts what it accepts, and keeps the messages when asked
//! (for the confirmation links). The stub stays as it is: it is the slow baseline
//! [`probe_sinks`] measures beside the sink, and its scripted faults have no place here.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use advocate_test_support::server::LoopbackServer;
use advocate_test_support::smtp_stub::wait_for_messages;
use advocate_test_support::{Delivered, Script, StubSmtp, FROM};
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

const MAX_LINE: u64 = 64 * 1024;
const MAX_MESSAGE: usize = 10 * 1024 * 1024;

#[derive(Default)]
struct State {
    sessions: AtomicUsize,
    delivered: AtomicUsize,
    bytes: AtomicUsize,
    kept: Mutex<Vec<Delivered>>,
}

#[derive(Clone, Copy)]
pub struct Options {
    pub keep: bool,
    pub quickack: bool,
}

pub struct Sink {
    server: LoopbackServer,
    state: Arc<State>,
}

impl Sink {
    pub async fn start(options: Options) -> Sink {
        let state = Arc::new(State::default());
        let for_sessions = state.clone();
        let server = LoopbackServer::start(move |stream| {
            for_sessions.sessions.fetch_add(1, Ordering::Relaxed);
            session(stream, for_sessions.clone(), options)
        })
        .await;
        Sink { server, state }
    }

    pub fn url(&self) -> String {
        self.server.smtp_url()
    }

    pub fn delivered(&self) -> usize {
        self.state.delivered.load(Ordering::Relaxed)
    }

    pub fn bytes(&self) -> usize {
        self.state.bytes.load(Ordering::Relaxed)
    }

    pub fn sessions(&self) -> usize {
        self.state.sessions.load(Ordering::Relaxed)
    }

    /// The kept messages once there are at least `n`; panics after `within`.
    pub async fn wait_for_kept(&self, n: usize, within: Duration) -> Vec<Delivered> {
        let kept = || {
            self.state
                .kept
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone()
        };
        wait_for_messages(n, within, Duration::from_millis(20), kept)
            .await
            .unwrap_or_else(|kept| {
                panic!(
                    "the sink kept {} of {n} messages within {within:?}",
                    kept.len()
                )
            })
    }
}

#[cfg(target_os = "linux")]
fn quickack(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    extern "C" {
        fn setsockopt(
            socket: i32,
            level: i32,
            name: i32,
            value: *const std::ffi::c_void,
            len: u32,
        ) -> i32;
    }
    const IPPROTO_TCP: i32 = 6;
    const TCP_QUICKACK: i32 = 12;
    let on: i32 = 1;
    // SAFETY: a valid socket descriptor and a pointer to an int of the given length.
    unsafe {
        setsockopt(
            stream.as_raw_fd(),
            IPPROTO_TCP,
            TCP_QUICKACK,
            (&on as *const i32).cast(),
            4,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn quickack(_stream: &TcpStream) {}

fn path(line: &str) -> String {
    let after = line.split_once(':').map(|(_, p)| p).unwrap_or("").trim();
    after
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap_or("")
        .to_string()
}

async fn session(stream: TcpStream, state: Arc<State>, options: Options) {
    let _ = stream.set_nodelay(true);
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let mut line = Vec::new();
    let (mut from, mut rcpts) = (String::new(), Vec::new());
    if w.write_all(b"220 sink.local ESMTP\r\n").await.is_err() {
        return;
    }
    // One command per iteration; the session ends with the connection.
    loop {
        line.clear();
        let read = (&mut r).take(MAX_LINE).read_until(b'\n', &mut line).await;
        if options.quickack {
            quickack(r.get_ref().as_ref());
        }
        if !matches!(read, Ok(n) if n > 0) || line.last() != Some(&b'\n') {
            return;
        }
        let text = String::from_utf8_lossy(&line).into_owned();
        let verb = text.get(..4).unwrap_or("").to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-sink.local\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n",
            "HELO" => b"250 sink.local\r\n",
            "MAIL" => {
                from = path(&text);
                rcpts.clear();
                b"250 2.1.0 OK\r\n"
            }
            "RCPT" => {
                rcpts.push(path(&text));
                b"250 2.1.5 OK\r\n"
            }
            "DATA" => {
                if w.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
                let mut data = Vec::new();
                loop {
                    line.clear();
                    let read = (&mut r).take(MAX_LINE).read_until(b'\n', &mut line).await;
                    if options.quickack {
                        quickack(r.get_ref().as_ref());
                    }
                    if !matches!(read, Ok(n) if n > 0) || data.len() > MAX_MESSAGE {
                        return;
                    }
                    if line == b".\r\n" || line == b".\n" {
                        break;
                    }
                    data.extend_from_slice(line.strip_prefix(b".").unwrap_or(&line));
                }
                state.delivered.fetch_add(1, Ordering::Relaxed);
                state.bytes.fetch_add(data.len(), Ordering::Relaxed);
                if options.keep {
                    let mut kept = state.kept.lock().unwrap_or_else(|p| p.into_inner());
                    kept.push(Delivered {
                        mail_from: std::mem::take(&mut from),
                        rcpt_to: std::mem::take(&mut rcpts),
                        data: String::from_utf8_lossy(&data).into_owned(),
                    });
                }
                b"250 2.0.0 OK: queued\r\n"
            }
            "RSET" => b"250 2.0.0 OK\r\n",
            "NOOP" => b"250 2.0.0 OK\r\n",
            "QUIT" => {
                let _ = w.write_all(b"221 2.0.0 Bye\r\n").await;
                return;
            }
            _ => b"502 5.5.2 Command not recognized\r\n",
        };
        if w.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// Bare lettre, one message at a time, to three sinks: the tests' stub, a sink that answers in
/// single writes on `TCP_NODELAY` sockets, and one that also acknowledges at once. lettre 0.11
/// leaves Nagle's algorithm on and writes a message's text and its final `.` line separately,
/// and the tests' stub writes each reply and its CRLF separately, so both wait for delayed ACKs
/// (40 ms on Linux): against those sinks, both the bare loop and the worker measure the timer.
pub async fn probe_sinks() -> String {
    let transport = |url: &str| {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .expect("url")
            .timeout(Some(Duration::from_secs(5)))
            .build()
    };
    let message = |i: usize| {
        Message::builder()
            .from(FROM.parse::<Mailbox>().expect("from"))
            .to("office@example.org".parse::<Mailbox>().expect("to"))
            .subject(format!("probe {i}"))
            .header(ContentType::TEXT_PLAIN)
            .body("Dear Senator,\r\n\r\nPlease act.\r\n".repeat(40))
            .expect("message")
    };
    async fn rate(t: &AsyncSmtpTransport<Tokio1Executor>, make: &dyn Fn(usize) -> Message) -> f64 {
        let started = Instant::now();
        let mut n = 0;
        while n < 300 && started.elapsed() < Duration::from_secs(5) {
            t.send(make(n)).await.expect("probe send");
            n += 1;
        }
        n as f64 / started.elapsed().as_secs_f64()
    }
    let stub = StubSmtp::start(Script::normal()).await;
    let a = rate(&transport(&stub.url()), &message).await;
    let plain = Sink::start(Options {
        keep: false,
        quickack: false,
    })
    .await;
    let b = rate(&transport(&plain.url()), &message).await;
    let quick = Sink::start(Options {
        keep: false,
        quickack: true,
    })
    .await;
    let c = rate(&transport(&quick.url()), &message).await;
    format!(
        "sink check (bare lettre, one at a time): tests' StubSmtp {a:.0} msg/s; \
         TCP_NODELAY sink {b:.0} msg/s; TCP_NODELAY + TCP_QUICKACK sink (used below) {c:.0} msg/s"
    )
}

/// Messages the sink accepted, their average size, and the connections it accepted.
pub fn accepted(sink: &Sink) -> (usize, f64, usize) {
    let n = sink.delivered();
    (n, sink.bytes() as f64 / n.max(1) as f64, sink.sessions())
}

/// The sink every measurement sends to (see `probe_sinks` for why not the tests' stub).
pub async fn fast_sink(keep: bool) -> Sink {
    Sink::start(Options {
        keep,
        quickack: true,
    })
    .await
}

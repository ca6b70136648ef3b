//! A real SMTP server we did not write: aiosmtpd (Debian's python3-aiosmtpd) with its `Mailbox`
//! handler, which stores every accepted message in a Maildir.
//!
//! The interpreter is `/usr/bin/python3` unless ADVOCATE_TEST_PYTHON names another one (a
//! pyenv/venv `python3` on PATH usually lacks the module). aiosmtpd's Mailbox handler adds three
//! headers to each stored message: `X-Peer` (Python tuple repr, e.g. `('127.0.0.1', 40000)`),
//! `X-MailFrom` (envelope sender) and `X-RcptTo` (envelope recipients joined with `, `).
//! Messages land in `<tempdir>/maildir/new/`, one file each, LF line endings (Python rewrites
//! them); SMTPUTF8 is not advertised (no `-u`), so non-ASCII addresses are refused.

use std::net::{SocketAddr, TcpListener as StdTcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use crate::smtp_stub::{wait_for_messages, Delivered};

/// How long one start attempt may take before the server must answer a 220 greeting.
const START_WITHIN: Duration = Duration::from_secs(15);
const START_ATTEMPTS: usize = 3;

/// A running aiosmtpd; the process is killed (and reaped) and its Maildir removed on drop.
pub struct Aiosmtpd {
    child: Child,
    port: u16,
    maildir: PathBuf,
    _dir: tempfile::TempDir,
}

impl Aiosmtpd {
    pub async fn start() -> Aiosmtpd {
        let python =
            std::env::var("ADVOCATE_TEST_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
        let mut failures = Vec::new();
        for attempt in 1..=START_ATTEMPTS {
            match Self::try_start(&python).await {
                Ok(server) => return server,
                Err(why) => failures.push(format!("attempt {attempt}: {why}")),
            }
        }
        panic!(
            "aiosmtpd did not start with {python} (is python3-aiosmtpd installed? set \
             ADVOCATE_TEST_PYTHON to an interpreter that has it):\n{}",
            failures.join("\n")
        );
    }

    async fn try_start(python: &str) -> Result<Aiosmtpd, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
        let maildir = dir.path().join("maildir");
        let port = free_port().map_err(|e| format!("no free port: {e}"))?;
        let log_path = dir.path().join("aiosmtpd.log");
        let log = std::fs::File::create(&log_path).map_err(|e| format!("log file: {e}"))?;
        let log_err = log.try_clone().map_err(|e| format!("log file: {e}"))?;
        let child = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|e| format!("cannot run {python}: {e}"))?;
        // From here on Drop kills the child if we give up.
        let mut server = Aiosmtpd {
            child,
            port,
            maildir,
            _dir: dir,
        };
        let deadline = Instant::now() + START_WITHIN;
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                return Err(format!("exited early ({status}) on port {port}: {log}"));
            }
            if greets(port).await {
                return Ok(server);
            }
            if Instant::now() >= deadline {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                // Drop kills it.
                let _ = server.child.kill();
                return Err(format!(
                    "no 220 greeting on port {port} within {START_WITHIN:?}: {log}"
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// lettre's URL form for a plain (no TLS) connection.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The Maildir aiosmtpd writes to (`new/`, `cur/`, `tmp/` beneath it).
    pub fn maildir(&self) -> &Path {
        &self.maildir
    }

    /// Every stored message (`new/` then `cur/`), oldest file first. `mail_from`/`rcpt_to`
    /// come from the X-MailFrom/X-RcptTo headers aiosmtpd adds; `data` is the stored file.
    pub fn messages(&self) -> Vec<Delivered> {
        let mut files = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir.join(sub)) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if !path.is_file() {
                    continue;
                }
                let modified = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .unwrap_or(std::time::SystemTime::UNIX_EPOCH);
                files.push((modified, path));
            }
        }
        // Maildir names start with the delivery time in seconds; sort by mtime, then name.
        files.sort();
        files
            .into_iter()
            .filter_map(|(_, path)| std::fs::read(&path).ok())
            .map(|bytes| {
                let data = String::from_utf8_lossy(&bytes).into_owned();
                let mut d = Delivered {
                    mail_from: String::new(),
                    rcpt_to: Vec::new(),
                    data,
                };
                d.mail_from = d.header("X-MailFrom").unwrap_or_default();
                d.rcpt_to = d
                    .header("X-RcptTo")
                    .map(|v| {
                        v.split(',')
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty())
                            .collect()
                    })
                    .unwrap_or_default();
                d
            })
            .collect()
    }

    /// Waits until at least `n` messages are stored; panics after `within`, listing them.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Delivered> {
        let every = Duration::from_millis(50);
        wait_for_messages(n, within, every, || self.messages())
            .await
            .unwrap_or_else(|got| {
                let summary: Vec<String> = got
                    .iter()
                    .map(|d| {
                        format!(
                            "from {:?} to {:?} subject {:?}",
                            d.mail_from,
                            d.rcpt_to,
                            d.header("Subject")
                        )
                    })
                    .collect();
                panic!(
                    "aiosmtpd: expected {n} message(s) within {within:?}, got {}: {summary:#?}",
                    got.len()
                );
            })
    }
}

impl Drop for Aiosmtpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port that was free a moment ago (bind 127.0.0.1:0, read it, release it).
fn free_port() -> std::io::Result<u16> {
    let listener = StdTcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Whether something on `port` accepts TCP and answers with a 220 greeting line.
async fn greets(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let probe = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        let mut buf = [0u8; 512];
        let mut got = Vec::new();
        while !got.contains(&b'\n') && got.len() < buf.len() {
            let n = stream.read(&mut buf).await.ok()?;
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        // Dropping the stream closes it; aiosmtpd just logs the lost connection.
        Some(got.starts_with(b"220"))
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), probe).await,
        Ok(Some(true))
    )
}

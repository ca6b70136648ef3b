//! The SMTP relay: one pooled lettre transport, every send bounded, every failure sorted into
//! "try again later" and "will never work".

use super::dkim::Signer;
use crate::config::SmtpSettings;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// How one send ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The relay accepted the message (250 after DATA).
    Accepted,
    /// A 4xx reply, a dropped connection, a timeout: worth another attempt later.
    Temporary(String),
    /// A 5xx reply: the relay refused the message, and will again.
    Permanent(String),
}

impl Delivery {
    /// The `result` label of the SMTP send latency: `accepted`, `temporary` or `permanent`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Delivery::Accepted => "accepted",
            Delivery::Temporary(_) => "temporary",
            Delivery::Permanent(_) => "permanent",
        }
    }
}

/// Checks an `smtp.url`: lettre's URL form, with TLS (implicit, or STARTTLS required) unless the
/// host is a loopback address.
pub fn check_url(raw: &str) -> Result<(), String> {
    let url = url::Url::parse(raw.trim()).map_err(|e| format!("not a URL ({e})"))?;
    let host = url
        .host_str()
        .ok_or_else(|| "names no host".to_string())?
        .trim_matches(['[', ']']);
    let tls = url
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.to_string());
    match (url.scheme(), tls.as_deref()) {
        ("smtps", None) | ("smtp", Some("required")) => {}
        ("smtp", None) => {
            let loopback = host == "localhost"
                || host
                    .parse::<IpAddr>()
                    .map(|ip| ip.is_loopback())
                    .unwrap_or(false);
            if !loopback {
                return Err(format!(
                    "plain SMTP is only allowed to a loopback address; use smtps://{host} or \
                     smtp://{host}:587?tls=required"
                ));
            }
        }
        (scheme, tls) => {
            return Err(format!(
                "use smtps://, smtp://...?tls=required, or smtp:// to loopback (got scheme \
                 `{scheme}`, tls `{}`)",
                tls.unwrap_or("")
            ))
        }
    }
    AsyncSmtpTransport::<Tokio1Executor>::from_url(raw.trim())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The relay, as the worker uses it.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// Bound on one whole send (connect, greeting, envelope, data).
    timeout: Duration,
    /// Signs every mail just before it is sent, when DKIM is configured.
    dkim: Option<Arc<Signer>>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("timeout", &self.timeout)
            .field("dkim", &self.dkim)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// The configured relay; `None` when `smtp.url` is empty (sending is off).
    pub fn from_settings(settings: &SmtpSettings) -> Result<Option<Mailer>, String> {
        if !settings.enabled() {
            return Ok(None);
        }
        let url = settings.url.expose_secret();
        check_url(url)?;
        let timeout = Duration::from_secs(settings.timeout_secs);
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.trim())
            .map_err(|e| e.to_string())?
            // Each command's bound; the whole send is bounded again in `send`.
            .timeout(Some(timeout))
            .pool_config(
                PoolConfig::new()
                    .max_size(settings.pool_size)
                    .idle_timeout(Duration::from_secs(30)),
            )
            .build();
        Ok(Some(Mailer {
            transport,
            timeout,
            dkim: settings.dkim.clone(),
        }))
    }

    /// Sends one message (DKIM-signed when configured), within the configured bound.
    pub async fn send(&self, mut message: Message) -> Delivery {
        if let Some(signer) = &self.dkim {
            signer.sign(&mut message);
        }
        // A little beyond the per-command bound, so lettre's own timeout reports first.
        let bound = self.timeout + Duration::from_secs(1);
        let started = std::time::Instant::now();
        let delivery = match tokio::time::timeout(bound, self.transport.send(message)).await {
            Err(_) => Delivery::Temporary(format!(
                "no answer from the mail server within {} seconds",
                bound.as_secs()
            )),
            Ok(Ok(_)) => Delivery::Accepted,
            Ok(Err(err)) => classify(&err),
        };
        crate::meters::smtp_send(delivery.as_str(), started.elapsed());
        delivery
    }
}

/// Sorts a lettre error: 5xx replies are permanent, everything else (4xx, I/O, TLS, timeouts)
/// temporary. The message keeps the server's reply, for the receipt.
pub fn classify(err: &lettre::transport::smtp::Error) -> Delivery {
    let reason = describe(err);
    if err.is_permanent() {
        Delivery::Permanent(reason)
    } else {
        Delivery::Temporary(reason)
    }
}

fn describe(err: &lettre::transport::smtp::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(error) = source {
        let cause = error.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
        source = error.source();
    }
    if err.is_timeout() && !text.contains("timed out") {
        text.push_str(" (timed out)");
    }
    text.chars().take(500).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_need_tls_unless_loopback() {
        assert!(check_url("smtp://127.0.0.1:2525").is_ok());
        assert!(check_url("smtp://localhost").is_ok());
        assert!(check_url("smtp://[::1]:25").is_ok());
        assert!(check_url("smtps://user:pass@smtp.example.org").is_ok());
        assert!(check_url("smtp://user:pass@smtp.example.org:587?tls=required").is_ok());
        let plain = check_url("smtp://smtp.example.org").expect_err("plain remote");
        assert!(plain.contains("loopback"), "{plain}");
        assert!(check_url("smtp://smtp.example.org?tls=opportunistic").is_err());
        assert!(check_url("http://smtp.example.org").is_err());
        assert!(check_url("not a url").is_err());
    }
}

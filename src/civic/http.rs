//! The one HTTP client every civic-data provider shares: bounded in time, retrying once on
//! 429/5xx, and careful never to log what it sends (addresses, coordinates and API keys travel in
//! query strings).

use crate::config::CivicSettings;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;
use std::time::{Duration, Instant};

/// Largest response body read from a provider; a Census answer with every layer is ~50 KB.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// Pause before the retry when the provider gives no `Retry-After`.
const DEFAULT_RETRY_PAUSE: Duration = Duration::from_millis(250);
/// Time the retry itself needs at least; a `Retry-After` leaving less than this is not honoured.
const MIN_ATTEMPT: Duration = Duration::from_millis(100);
/// Longest provider message kept (for logs and errors).
const MAX_MESSAGE_CHARS: usize = 200;

/// Why a provider could not answer. The chain moves on to the next provider on any of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// Network trouble, a timeout, a 5xx or a 429 that persisted.
    #[error("{provider} is unavailable: {reason}")]
    Unavailable {
        provider: &'static str,
        reason: String,
    },
    /// The provider refused the request: a missing or bad key (401/403), bad parameters (422)
    /// or another 4xx. `message` is the provider's own, shortened. `status` 0: the request could
    /// not even be built (a base URL or key unusable in a request).
    #[error("{provider} rejected the request (HTTP {status}): {message}")]
    Rejected {
        provider: &'static str,
        status: u16,
        message: String,
    },
    /// The answer could not be read.
    #[error("{provider} sent an unreadable answer: {reason}")]
    Malformed {
        provider: &'static str,
        reason: String,
    },
}

impl ProviderError {
    pub fn provider(&self) -> &'static str {
        match self {
            ProviderError::Unavailable { provider, .. }
            | ProviderError::Rejected { provider, .. }
            | ProviderError::Malformed { provider, .. } => provider,
        }
    }

    pub(crate) fn malformed(provider: &'static str, reason: impl ToString) -> ProviderError {
        ProviderError::Malformed {
            provider,
            reason: shorten(&reason.to_string()),
        }
    }
}

/// The shared client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    /// Bound on one whole `get` call, the retry included.
    total: Duration,
}

impl HttpClient {
    pub fn new(settings: &CivicSettings) -> Result<HttpClient, reqwest::Error> {
        let total = Duration::from_millis(settings.timeout_ms.max(1));
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(settings.connect_timeout_ms.max(1)))
            .timeout(total)
            .redirect(reqwest::redirect::Policy::limited(3))
            .user_agent(concat!("advocate/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(HttpClient { client, total })
    }

    /// GETs `url` and returns the body of a 2xx answer. Retries once on 429/5xx, waiting for
    /// `Retry-After` (seconds) only when that wait and a retry fit in the time left; otherwise
    /// gives up at once. Only the provider name, status and elapsed time are logged.
    pub async fn get(
        &self,
        provider: &'static str,
        url: url::Url,
        headers: HeaderMap,
    ) -> Result<Vec<u8>, ProviderError> {
        let started = Instant::now();
        let deadline = started + self.total;
        let mut attempt = 1;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(timed_out(provider, started));
            }
            let outcome = self
                .client
                .get(url.clone())
                .headers(headers.clone())
                .timeout(remaining)
                .send()
                .await;
            let response = match outcome {
                Ok(response) => response,
                Err(err) => {
                    let reason = describe(&err);
                    tracing::warn!(
                        provider,
                        attempt,
                        elapsed_ms = elapsed_ms(started),
                        reason = %reason,
                        "civic provider unreachable"
                    );
                    return Err(ProviderError::Unavailable { provider, reason });
                }
            };
            let status = response.status();
            tracing::info!(
                provider,
                status = status.as_u16(),
                attempt,
                elapsed_ms = elapsed_ms(started),
                "civic provider answered"
            );
            if status.is_success() {
                return read_body(provider, response, started).await;
            }
            if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                if attempt == 1 {
                    let pause = retry_after(response.headers()).unwrap_or(DEFAULT_RETRY_PAUSE);
                    let left = deadline.saturating_duration_since(Instant::now());
                    if pause + MIN_ATTEMPT <= left {
                        tokio::time::sleep(pause).await;
                        attempt += 1;
                        continue;
                    }
                    tracing::warn!(
                        provider,
                        status = status.as_u16(),
                        wait_ms = pause.as_millis() as u64,
                        "civic provider asked for a wait longer than the time left; giving up"
                    );
                }
                return Err(ProviderError::Unavailable {
                    provider,
                    reason: format!("HTTP {}", status.as_u16()),
                });
            }
            let body = read_body(provider, response, started)
                .await
                .unwrap_or_default();
            return Err(ProviderError::Rejected {
                provider,
                status: status.as_u16(),
                message: provider_message(&body).unwrap_or_else(|| status_text(status).to_string()),
            });
        }
    }
}

fn elapsed_ms(started: Instant) -> u64 {
    started.elapsed().as_millis() as u64
}

fn timed_out(provider: &'static str, started: Instant) -> ProviderError {
    ProviderError::Unavailable {
        provider,
        reason: format!("no answer within {} ms", elapsed_ms(started)),
    }
}

/// A reqwest error in words, without the URL (its query string holds the address or a key).
fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        "timed out".to_string()
    } else if err.is_connect() {
        "cannot connect".to_string()
    } else if err.is_body() || err.is_decode() {
        "the answer broke off".to_string()
    } else if err.is_redirect() {
        "too many redirects".to_string()
    } else {
        "request failed".to_string()
    }
}

/// Seconds from a `Retry-After` header; HTTP dates are not honoured (treated as absent).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let raw = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    raw.parse::<u64>().ok().map(Duration::from_secs)
}

/// Reads at most [`MAX_BODY_BYTES`], within the client's time bound.
async fn read_body(
    provider: &'static str,
    mut response: reqwest::Response,
    started: Instant,
) -> Result<Vec<u8>, ProviderError> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(ProviderError::malformed(
                        provider,
                        "the answer is too large",
                    ));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(err) if err.is_timeout() => return Err(timed_out(provider, started)),
            Err(err) => {
                return Err(ProviderError::Unavailable {
                    provider,
                    reason: describe(&err),
                })
            }
        }
    }
}

/// The provider's own explanation from an error body: `{"detail": ".."}` (Open States),
/// `{"error": ".."}` (Geocodio), `{"message": ".."}`. Structured details (which can echo the
/// request's parameters) are not kept.
pub(crate) fn provider_message(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    ["detail", "error", "message"]
        .iter()
        .find_map(|key| value.get(key).and_then(|v| v.as_str()))
        .map(shorten)
        .filter(|m| !m.is_empty())
}

fn status_text(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "bad API key",
        403 => "missing API key or over quota",
        422 => "bad parameters",
        _ => status.canonical_reason().unwrap_or("refused"),
    }
}

/// One line, at most [`MAX_MESSAGE_CHARS`] characters.
pub(crate) fn shorten(message: &str) -> String {
    let line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= MAX_MESSAGE_CHARS {
        line
    } else {
        let mut cut: String = line.chars().take(MAX_MESSAGE_CHARS).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_takes_seconds_only() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static(" 2 "));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn provider_messages_are_strings_only_and_short() {
        assert_eq!(
            provider_message(br#"{"detail":"Invalid API key."}"#).as_deref(),
            Some("Invalid API key.")
        );
        assert_eq!(
            provider_message(br#"{"error":"Could not geocode address."}"#).as_deref(),
            Some("Could not geocode address.")
        );
        assert_eq!(
            provider_message(br#"{"detail":[{"loc":["query","lat"],"input":"42.1"}]}"#),
            None
        );
        assert_eq!(provider_message(b"<html>"), None);
        let long = format!(r#"{{"detail":"{}"}}"#, "x".repeat(500));
        let kept = provider_message(long.as_bytes()).expect("kept");
        assert_eq!(kept.chars().count(), MAX_MESSAGE_CHARS + 1);
    }
}

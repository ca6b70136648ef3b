//! `/metrics` (the Prometheus text format) and the middleware that counts every request by
//! method, route *pattern* and status. The names are in [`crate::meters`].
//!
//! The scrape is readable from `metrics.allow` (the client address as every limit sees it,
//! trusted proxies respected) or with `Authorization: Bearer <metrics.token>`; anyone else gets
//! 403. It is never cached, and not rate limited.

use super::extract::ClientAddr;
use super::AppState;
use crate::meters::{self, ScrapeGauges};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{get, web, HttpRequest, HttpResponse};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// The `route` label of a request no route matched (its path could be anything).
const UNMATCHED: &str = "unmatched";
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(scrape);
}

/// Counts the request under its route pattern (`/confirm/{token}`, never the path) and status,
/// and times it to the response head.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = method_label(req.method());
    let route = req.match_pattern();
    let route = route.as_deref().unwrap_or(UNMATCHED).to_string();
    let res = next.call(req).await;
    let status = match &res {
        Ok(res) => res.status(),
        Err(err) => err.as_response_error().status_code(),
    };
    meters::http_request(method, &route, status.as_u16(), started.elapsed());
    res
}

/// The standard methods by name; anything else (a client can send any token) as `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The metrics, for a client in `metrics.allow` or one holding `metrics.token`.
#[get("/metrics")]
async fn scrape(req: HttpRequest, client: ClientAddr, state: web::Data<AppState>) -> HttpResponse {
    let settings = &state.settings.metrics;
    let from_allowed = client.0.is_some_and(|ip| settings.allow.contains(ip));
    if !from_allowed && !token_matches(&req, settings.token.expose_secret()) {
        return HttpResponse::Forbidden()
            .insert_header((CACHE_CONTROL, "no-store"))
            .insert_header((CONTENT_TYPE, "text/plain; charset=utf-8"))
            .body("Metrics are readable only from metrics.allow or with metrics.token.\n");
    }
    let outbox =
        match tokio::time::timeout(Duration::from_secs(2), state.store.mails_by_status()).await {
            Ok(Ok(rows)) => Some(
                crate::store::MailStatus::ALL
                    .iter()
                    .map(|status| {
                        let n = rows
                            .iter()
                            .find(|(s, _)| s == status)
                            .map_or(0, |(_, n)| *n);
                        (status.as_str(), n)
                    })
                    .collect(),
            ),
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "metrics: outbox count failed");
                None
            }
            Err(_) => {
                tracing::warn!("metrics: outbox count timed out");
                None
            }
        };
    let gauges = ScrapeGauges {
        outbox,
        pool: state.store.pool_connections(),
    };
    let mut body = meters::handle().render();
    gauges.render(&mut body);
    HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((CONTENT_TYPE, TEXT_FORMAT))
        .body(body)
}

/// Whether the request carries `Authorization: Bearer <token>`, compared in constant time (as
/// SHA-256 digests, so not even the length shows); never with an empty token.
fn token_matches(req: &HttpRequest, token: &str) -> bool {
    if token.is_empty() {
        return false;
    }
    let Some(presented) = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, value)| value.trim())
    else {
        return false;
    };
    let expected = Sha256::digest(token.as_bytes());
    let presented = Sha256::digest(presented.as_bytes());
    bool::from(expected.ct_eq(&presented))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn only_the_configured_bearer_token_matches() {
        let with = |value: &str| {
            TestRequest::default()
                .insert_header((AUTHORIZATION, value))
                .to_http_request()
        };
        assert!(token_matches(&with("Bearer s3cret"), "s3cret"));
        assert!(token_matches(&with("bearer  s3cret "), "s3cret"));
        assert!(!token_matches(&with("Bearer s3cre"), "s3cret"));
        assert!(!token_matches(&with("Bearer s3crett"), "s3cret"));
        assert!(!token_matches(&with("Basic s3cret"), "s3cret"));
        assert!(!token_matches(&with("s3cret"), "s3cret"));
        assert!(!token_matches(&with("Bearer "), ""));
        assert!(!token_matches(
            &TestRequest::default().to_http_request(),
            "s3cret"
        ));
    }

    #[test]
    fn unusual_methods_share_one_label() {
        assert_eq!(method_label(&Method::POST), "POST");
        let custom = Method::from_bytes(b"PROPFIND").expect("method");
        assert_eq!(method_label(&custom), "other");
    }
}

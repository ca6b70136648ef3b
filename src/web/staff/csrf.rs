//! Cross-site request forgery checks for every unsafe request (POST, PUT, PATCH, DELETE) under
//! `/staff`, made by the scope's middleware before any handler runs, so no route can forget
//! them:
//! 1. the request comes from this site: its `Origin` is `server.public_url`'s origin, or,
//!    without `Origin` or with the opaque `Origin: null`, `Sec-Fetch-Site` says `same-origin`
//!    (neither: refused). Browsers send `Origin: null` on a form's POST from a page served with
//!    `Referrer-Policy: no-referrer`, as every page of this site is; `Sec-Fetch-Site` is set by
//!    the browser alone, and says `cross-site` for any other site's page, `null` or not;
//! 2. it carries the synchronizer token, in the form field `csrf_token` (URL-encoded or
//!    multipart forms) or the header
//!    `X-CSRF-Token`: the session's token, or, on the forms used before a session exists
//!    (sign-in, setting a password), the value of the short-lived pre-session cookie.
//!
//! Tokens compare in constant time.

use actix_web::dev::{Payload, ServiceRequest};
use actix_web::http::header::{HeaderMap, CONTENT_LENGTH, CONTENT_TYPE, ORIGIN};
use actix_web::http::Method;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpMessage, HttpRequest};
use futures_util::StreamExt;
use subtle::ConstantTimeEq;

use super::auth::Cookies;
use super::multipart;
use crate::staff::token::{self, Token};

/// The hidden form field holding the token.
pub const FIELD: &str = "csrf_token";
/// The header scripts send the token in.
pub const HEADER: &str = "x-csrf-token";

/// Whether `method` may change something (and so needs the checks).
pub fn is_unsafe(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// The forms posted before a session exists: checked against the pre-session cookie.
pub fn is_pre_session(path: &str) -> bool {
    path == "/staff/login" || path.starts_with("/staff/password/")
}

/// Whether the request says it comes from `expected_origin` (`scheme://host[:port]`).
pub fn same_origin(headers: &HeaderMap, expected_origin: &str) -> bool {
    if let Some(origin) = headers.get(ORIGIN).filter(|o| o.as_bytes() != b"null") {
        return origin.as_bytes() == expected_origin.as_bytes();
    }
    headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"same-origin")
}

/// Whether `presented` equals `expected`, in constant time (for equal lengths).
pub fn tokens_match(expected: &str, presented: &str) -> bool {
    !expected.is_empty()
        && expected.len() == presented.len()
        && bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
}

/// The token the request presents: the header, else the form field of a URL-encoded body or
/// of a `multipart/form-data` upload (read here and put back for the handler). Over-long bodies
/// present none (the handler's own extractor answers 413 for them anyway); uploads are read
/// up to [`MAX_UPLOAD_BYTES`].
pub async fn presented(req: &mut ServiceRequest) -> Option<String> {
    if let Some(v) = req.headers().get(HEADER) {
        return v.to_str().ok().map(str::to_string);
    }
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let is_form = content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim() == "application/x-www-form-urlencoded");
    if is_form {
        let body = req.extract::<Bytes>().await.ok()?;
        let token = url::form_urlencoded::parse(&body)
            .find(|(k, _)| k == FIELD)
            .map(|(_, v)| v.into_owned());
        req.set_payload(Payload::from(body));
        return token;
    }
    if !multipart::is_multipart(&content_type) {
        return None;
    }
    let body = read_bounded(req, MAX_UPLOAD_BYTES).await?;
    let token = multipart::fields(&content_type, body.clone())
        .await
        .ok()?
        .into_iter()
        .find(|f| f.name == FIELD)
        .and_then(|f| String::from_utf8(f.data.to_vec()).ok());
    req.set_payload(Payload::from(body));
    token
}

/// Whether the request says its body is longer than the check reads (an upload refused with
/// 413 before anything else).
pub fn too_large(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|len| len > MAX_UPLOAD_BYTES)
}

/// The largest upload body the check reads (a campaign file and its form).
pub const MAX_UPLOAD_BYTES: usize = super::campaign_file::MAX_FILE_BYTES + 64 * 1024;

/// The whole body, or `None` past `limit` bytes or on a read error.
async fn read_bounded(req: &mut ServiceRequest, limit: usize) -> Option<Bytes> {
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.ok()?;
        if body.len() + chunk.len() > limit {
            return None;
        }
        body.extend_from_slice(&chunk);
    }
    Some(body.freeze())
}

/// The pre-session token for a sign-in or password form: the cookie's when it holds a
/// well-formed one (so two open tabs both work), else a fresh random one. The caller sets the
/// cookie again with the answer.
pub fn pre_session_token(req: &HttpRequest, cookies: Cookies) -> String {
    req.cookie(cookies.pre_session_name())
        .map(|c| c.value().to_string())
        .filter(|v| token::parse_token(v).is_some())
        .unwrap_or_else(|| Token::generate().expose().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(list: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in list {
            map.insert(
                HeaderName::from_bytes(k.as_bytes()).expect("name"),
                HeaderValue::from_str(v).expect("value"),
            );
        }
        map
    }

    #[test]
    fn origin_must_be_ours_or_the_fetch_same_origin() {
        let ours = "https://act.example.org";
        assert!(same_origin(&headers(&[("origin", ours)]), ours));
        assert!(!same_origin(
            &headers(&[("origin", "https://evil.example")]),
            ours
        ));
        assert!(!same_origin(&headers(&[("origin", "null")]), ours));
        // `null` (a page with `Referrer-Policy: no-referrer`) leaves it to Sec-Fetch-Site.
        assert!(same_origin(
            &headers(&[("origin", "null"), ("sec-fetch-site", "same-origin")]),
            ours
        ));
        for site in ["cross-site", "same-site", "none"] {
            assert!(!same_origin(
                &headers(&[("origin", "null"), ("sec-fetch-site", site)]),
                ours
            ));
        }
        // A foreign Origin is not rescued by Sec-Fetch-Site.
        assert!(!same_origin(
            &headers(&[
                ("origin", "https://evil.example"),
                ("sec-fetch-site", "same-origin")
            ]),
            ours
        ));
        assert!(same_origin(
            &headers(&[("sec-fetch-site", "same-origin")]),
            ours
        ));
        assert!(!same_origin(
            &headers(&[("sec-fetch-site", "same-site")]),
            ours
        ));
        assert!(!same_origin(
            &headers(&[("sec-fetch-site", "cross-site")]),
            ours
        ));
        assert!(!same_origin(&headers(&[]), ours));
    }

    #[test]
    fn tokens_compare_exactly_and_never_empty() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("abc", "ab"));
        assert!(!tokens_match("", ""));
    }

    #[test]
    fn only_unsafe_methods_are_checked() {
        assert!(!is_unsafe(&Method::GET));
        assert!(!is_unsafe(&Method::HEAD));
        for m in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            assert!(is_unsafe(&m));
        }
    }
}

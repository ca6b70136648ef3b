//! Request extractors: what handlers take instead of reading the request themselves.
//! - [`ClientAddr`]: the client's address, from the TCP peer, or from `Forwarded` /
//!   `X-Forwarded-For` only when the peer is a trusted proxy (`server.trusted_proxies`);
//!   every per-client limit keys on it;
//! - [`ApiCampaign`] / [`SiteCampaign`]: the campaign of the path's `{slug}` (API) or the one
//!   the site runs (pages), through the in-memory cache, or the 404;
//! - [`LookupQuery`]: the one lookup form, from a query string;
//! - [`Posted`]: a form's pairs, repeated keys kept (checkboxes).

use super::error::{ApiError, PageError};
use super::AppState;
use crate::civic::LookupForm;
use crate::config::{canonical, TrustedProxies};
use crate::scorecard::CampaignDoc;
use actix_web::dev::Payload;
use actix_web::http::header::{HeaderMap, FORWARDED};
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use std::future::{ready, Ready};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

const X_FORWARDED_FOR: &str = "x-forwarded-for";
/// Hops read from a forwarding header at most (a longer chain is someone playing games).
const MAX_HOPS: usize = 32;

/// The client's address, as every limit sees it. `None` off TCP (in-process tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl ClientAddr {
    /// The client of a request from `peer` carrying `headers`: `peer` itself unless it is a
    /// trusted proxy; then the right-most hop of the forwarding chain that is not a trusted
    /// proxy (each proxy appends the address it saw, so hops left of an untrusted one could
    /// have been written by anybody). `Forwarded` (RFC 7239) is read when present, else
    /// `X-Forwarded-For`. A chain of trusted proxies only ends at its left-most hop; an
    /// unreadable hop stops the walk at the last address known.
    pub fn resolve(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &TrustedProxies) -> Self {
        let Some(peer) = peer.map(canonical) else {
            return ClientAddr(None);
        };
        if trusted.is_empty() || !trusted.contains(peer) {
            return ClientAddr(Some(peer));
        }
        let hops = forwarded_hops(headers);
        let mut client = peer;
        for hop in hops.iter().rev().take(MAX_HOPS) {
            let Some(ip) = hop else { break };
            client = canonical(*ip);
            if !trusted.contains(client) {
                break;
            }
        }
        ClientAddr(Some(client))
    }
}

impl ClientAddr {
    /// The client of `req`, under the application's `server.trusted_proxies`.
    pub fn of(req: &HttpRequest) -> ClientAddr {
        let peer = req.peer_addr().map(|a| a.ip());
        match req.app_data::<web::Data<AppState>>() {
            Some(app) => {
                ClientAddr::resolve(peer, req.headers(), &app.settings.server.trusted_proxies)
            }
            None => ClientAddr(peer),
        }
    }
}

/// The hops of the forwarding chain, left to right; `None` for a hop that is not an address
/// (`unknown`, an obfuscated `_name`, garbage).
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name| {
        headers
            .get_all(name)
            .map(|v| v.to_str().unwrap_or("\u{0}"))
            .collect::<Vec<_>>()
    };
    let forwarded = values(FORWARDED.as_str());
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, v)| node_ip(v))
            })
            .collect();
    }
    values(X_FORWARDED_FOR)
        .iter()
        .flat_map(|v| v.split(','))
        .map(node_ip)
        .collect()
}

/// An address from a hop: `192.0.2.1`, `"192.0.2.1:4711"`, `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn node_ip(raw: &str) -> Option<IpAddr> {
    let s = raw.trim().trim_matches('"').trim();
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sock) = s.parse::<SocketAddr>() {
        return Some(sock.ip());
    }
    s.strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(inner, _)| inner.parse::<IpAddr>().ok())
}

impl FromRequest for ClientAddr {
    type Error = std::convert::Infallible;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(ClientAddr::of(req)))
    }
}

fn app_state(req: &HttpRequest) -> Option<web::Data<AppState>> {
    req.app_data::<web::Data<AppState>>().cloned()
}

/// The campaign named by the path's `{slug}`; 404 (JSON) when there is none.
pub struct ApiCampaign(pub Arc<CampaignDoc>);

impl FromRequest for ApiCampaign {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let app = app_state(req);
        let slug = req.match_info().get("slug").unwrap_or_default().to_string();
        Box::pin(async move {
            let app = app.ok_or_else(|| ApiError::internal("no application state"))?;
            match app.campaign(&slug).await? {
                Some(doc) => Ok(ApiCampaign(doc)),
                None => Err(ApiError::no_campaign(&slug)),
            }
        })
    }
}

/// The campaign the site runs (`campaign.default`); a 404 page when it is not set up.
pub struct SiteCampaign(pub Arc<CampaignDoc>);

impl FromRequest for SiteCampaign {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let app = app_state(req);
        Box::pin(async move {
            let app = app.ok_or_else(|| PageError::internal("no application state"))?;
            app.campaign(&app.settings.campaign.default)
                .await?
                .map(SiteCampaign)
                .ok_or_else(|| PageError::not_found("This campaign is not set up yet."))
        })
    }
}

/// The lookup form from the query string (`address`, or `street`/`city`/`state`/`zip`, or
/// `choice`, or `state` + `manual`, repeated or comma-separated). Unknown keys are ignored.
pub struct LookupQuery(pub LookupForm);

impl FromRequest for LookupQuery {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string());
        ready(match pairs {
            Ok(pairs) => Ok(LookupQuery(LookupForm::from_pairs(&pairs, ""))),
            Err(err) => Err(err.into()),
        })
    }
}

/// A posted form as its pairs: repeated keys (checkboxes) are kept, which a struct extractor
/// cannot do.
pub struct Posted(pub Vec<(String, String)>);

impl Posted {
    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `key`, or empty.
    pub fn text(&self, key: &str) -> String {
        self.get(key).unwrap_or_default().to_string()
    }

    /// Every distinct value of `key`, in order.
    pub fn all(&self, key: &str) -> Vec<String> {
        let mut values: Vec<String> = Vec::new();
        for (k, v) in &self.0 {
            if k == key && !values.contains(v) {
                values.push(v.clone());
            }
        }
        values
    }

    /// The lookup the writing pages carry in their `lookup_*` fields.
    pub fn lookup(&self) -> LookupForm {
        LookupForm::from_pairs(&self.0, "lookup_")
    }
}

impl FromRequest for Posted {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let form = web::Form::<Vec<(String, String)>>::from_request(req, payload);
        Box::pin(async move { Ok(Posted(form.await?.into_inner())) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};
    use proptest::prelude::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    fn headers(list: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in list {
            map.append(
                HeaderName::from_bytes(k.as_bytes()).expect("name"),
                HeaderValue::from_str(v).expect("value"),
            );
        }
        map
    }

    fn client(peer: &str, trusted: &str, list: &[(&str, &str)]) -> Option<IpAddr> {
        let trusted = TrustedProxies::parse(trusted).expect("trusted");
        ClientAddr::resolve(Some(ip(peer)), &headers(list), &trusted).0
    }

    #[test]
    fn without_trusted_proxies_the_headers_are_ignored() {
        let xff = [("x-forwarded-for", "203.0.113.9")];
        assert_eq!(client("127.0.0.1", "", &xff), Some(ip("127.0.0.1")));
        assert_eq!(
            client("192.0.2.1", "127.0.0.1/32", &xff),
            Some(ip("192.0.2.1"))
        );
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let trusted = "127.0.0.1/32, 10.0.0.0/8";
        let xff = [("x-forwarded-for", "198.51.100.7, 203.0.113.9, 10.1.2.3")];
        assert_eq!(client("127.0.0.1", trusted, &xff), Some(ip("203.0.113.9")));
        // Two header lines are one list.
        let split = [
            ("x-forwarded-for", "198.51.100.7"),
            ("x-forwarded-for", "203.0.113.9 , 10.1.2.3"),
        ];
        assert_eq!(
            client("127.0.0.1", trusted, &split),
            Some(ip("203.0.113.9"))
        );
        // Only trusted hops: the left-most.
        let inner = [("x-forwarded-for", "10.0.0.5, 10.0.0.6")];
        assert_eq!(client("127.0.0.1", trusted, &inner), Some(ip("10.0.0.5")));
        // No header: the proxy itself.
        assert_eq!(client("127.0.0.1", trusted, &[]), Some(ip("127.0.0.1")));
    }

    #[test]
    fn forwarded_wins_over_x_forwarded_for() {
        let list = [
            (
                "forwarded",
                "for=198.51.100.7;proto=https, for=\"[2001:db8::1]:4711\"",
            ),
            ("x-forwarded-for", "203.0.113.9"),
        ];
        assert_eq!(
            client("127.0.0.1", "127.0.0.1", &list),
            Some(ip("2001:db8::1"))
        );
        let quoted = [("forwarded", "for=\"192.0.2.60:8080\";by=203.0.113.43")];
        assert_eq!(
            client("127.0.0.1", "127.0.0.1", &quoted),
            Some(ip("192.0.2.60"))
        );
    }

    #[test]
    fn an_unreadable_hop_stops_at_the_last_address_known() {
        let list = [("x-forwarded-for", "198.51.100.7, unknown, 10.0.0.9")];
        assert_eq!(
            client("127.0.0.1", "127.0.0.1,10.0.0.0/8", &list),
            Some(ip("10.0.0.9"))
        );
        let obfuscated = [("forwarded", "for=_hidden")];
        assert_eq!(
            client("127.0.0.1", "127.0.0.1", &obfuscated),
            Some(ip("127.0.0.1"))
        );
    }

    #[test]
    fn mapped_ipv4_peers_match_ipv4_networks() {
        let xff = [("x-forwarded-for", "203.0.113.9")];
        assert_eq!(
            client("::ffff:127.0.0.1", "127.0.0.0/8", &xff),
            Some(ip("203.0.113.9"))
        );
    }

    proptest! {
        #[test]
        fn any_forwarding_headers_resolve_without_panicking(
            xff in "[0-9a-f.:, \\[\\]\"]{0,80}",
            fwd in proptest::option::of("[a-zA-Z0-9=;,.:\"\\[\\] _-]{0,80}"),
        ) {
            let mut list = vec![("x-forwarded-for", xff.as_str())];
            if let Some(f) = fwd.as_deref() {
                list.push(("forwarded", f));
            }
            prop_assert!(client("127.0.0.1", "127.0.0.1", &list).is_some());
        }

        #[test]
        fn the_last_untrusted_hop_of_any_chain_is_the_client(
            hops in proptest::collection::vec(any::<[u8; 4]>(), 1..8),
            proxies in 0usize..3,
        ) {
            // Untrusted hops never fall in 127.0.0.0/8, the trusted network here.
            let hops: Vec<IpAddr> = hops
                .into_iter()
                .map(|[a, b, c, d]| IpAddr::from([if a == 127 { 128 } else { a }, b, c, d]))
                .collect();
            let mut chain: Vec<String> = hops.iter().map(IpAddr::to_string).collect();
            chain.extend((0..proxies).map(|i| format!("127.0.0.{}", i + 2)));
            let value = chain.join(", ");
            let got = client("127.0.0.1", "127.0.0.0/8", &[("x-forwarded-for", value.as_str())]);
            prop_assert_eq!(got, hops.last().copied());
        }
    }
}

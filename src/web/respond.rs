//! Responses other than JSON, each with the caching it needs:
//! - [`public_page`]: the same for everyone (the campaign, a state's scorecard): shared caches
//!   may keep it briefly, so a staff edit shows within a minute;
//! - [`private_page`]: anything holding a supporter's data (their legislators, messages,
//!   receipt) or an error: never stored;
//! - [`see_other`]: 303 after a POST or to a stored destination: never stored;
//! - [`asset`]: the stylesheet and script, cached for an hour.

use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;

const HTML: &str = "text/html; charset=utf-8";

/// A page that is the same for every visitor.
pub fn public_page(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(HTML)
        .insert_header((CACHE_CONTROL, "public, max-age=60"))
        .body(body)
}

/// A page about one supporter (or an error): `no-store`.
pub fn private_page(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(HTML)
        .insert_header((CACHE_CONTROL, "no-store"))
        .body(body)
}

/// `303 See Other` to `location`.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location.to_string()))
        .insert_header((CACHE_CONTROL, "no-store"))
        .finish()
}

/// A static file compiled into the binary.
pub fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

//! The stylesheet and the drafts' copy script (progressive enhancement: the pages work without
//! it), compiled into the binary.

use crate::web::respond::asset;
use actix_web::{get, HttpResponse};

#[get("/static/style.css")]
pub async fn stylesheet() -> HttpResponse {
    asset("text/css; charset=utf-8", super::STYLESHEET)
}

#[get("/static/copy.js")]
pub async fn copy_script() -> HttpResponse {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../../templates/site/copy.js"),
    )
}

//! `GET /staff`: the workspace's home: who is signed in, and the links their role opens.

use super::auth::{Organiser, Signed};
use super::view::{self, render, Bar};
use crate::web::error::PageError;
use crate::web::site::Site;
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "staff/home.html")]
pub struct HomePage {
    pub site: Site,
    pub title: String,
    pub bar: Bar,
    /// The campaign this service runs (for the campaign file link).
    pub campaign_slug: String,
}

#[get("")]
pub async fn page(
    app: web::Data<AppState>,
    signed: Signed<Organiser>,
) -> Result<HttpResponse, PageError> {
    let view = HomePage {
        site: view::site(&app).await,
        title: "Staff workspace".to_string(),
        bar: Bar::of(&signed),
        campaign_slug: app.settings.campaign.default.clone(),
    };
    Ok(render(StatusCode::OK, &view)?)
}

//! What every staff page shows: the site's heading and, once signed in, the bar with who is
//! signed in, the workspace's links for their role and the sign-out buttons.

use super::auth::{NeedsRole, Signed};
use crate::staff::Role;
use crate::web::respond::private_page;
use crate::web::site::Site;
use crate::web::AppState;
use actix_web::cookie::Cookie;
use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

/// The layout's heading: the campaign this service runs, or the built-in one.
pub async fn site(app: &AppState) -> Site {
    match app.campaign(&app.settings.campaign.default).await {
        Ok(Some(doc)) => Site::from_campaign(&doc.campaign),
        _ => Site::fallback(),
    }
}

/// The signed-in bar.
#[derive(Debug, Clone)]
pub struct Bar {
    pub email: String,
    pub role: &'static str,
    pub is_admin: bool,
    /// The session's synchronizer token, for the sign-out forms.
    pub csrf_token: String,
}

impl Bar {
    pub fn of<R: NeedsRole>(signed: &Signed<R>) -> Bar {
        Bar {
            email: signed.person.email.clone(),
            role: signed.person.role.as_str(),
            is_admin: signed.person.role.allows(Role::Admin),
            csrf_token: signed.session.csrf_token.clone(),
        }
    }
}

/// `page` rendered with `status`, never stored.
pub fn render(status: StatusCode, page: &impl Template) -> Result<HttpResponse, askama::Error> {
    Ok(private_page(status, page.render()?))
}

/// `303 See Other` to `location`, setting `cookies`, never stored.
pub fn see_other_setting(location: &str, cookies: &[Cookie<'static>]) -> HttpResponse {
    let mut res = HttpResponse::SeeOther();
    res.insert_header((LOCATION, location.to_string()))
        .insert_header((CACHE_CONTROL, "no-store"));
    for c in cookies {
        res.cookie(c.clone());
    }
    res.finish()
}

//! `POST /staff/logout`: ends this session; `POST /staff/logout/everywhere`: ends every
//! session of the person signed in. Both remove the cookie and go to the sign-in page.

use super::auth::{Cookies, Organiser, Signed, LOGIN_PATH};
use super::view::see_other_setting;
use crate::web::error::PageError;
use crate::web::AppState;
use actix_web::{post, web, HttpResponse};

fn signed_out(app: &AppState) -> HttpResponse {
    let end = Cookies::for_settings(&app.settings).end_session();
    see_other_setting(LOGIN_PATH, &[end])
}

#[post("/logout")]
pub async fn here(
    app: web::Data<AppState>,
    signed: Signed<Organiser>,
) -> Result<HttpResponse, PageError> {
    app.staff.sign_out(signed.client.0, &signed.session).await?;
    Ok(signed_out(&app))
}

#[post("/logout/everywhere")]
pub async fn everywhere(
    app: web::Data<AppState>,
    signed: Signed<Organiser>,
) -> Result<HttpResponse, PageError> {
    app.staff
        .sign_out_everywhere(signed.origin(), signed.person.id)
        .await?;
    Ok(signed_out(&app))
}

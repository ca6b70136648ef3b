//! `GET /r/{token}`: the counting redirect behind every draft link. Counts the draft and
//! redirects (303) to its mailto / web-compose / contact-form URL, which the server stored; an
//! unknown or expired token is a 404.

use crate::messages::drafts;
use crate::web::error::PageError;
use crate::web::respond::see_other;
use crate::web::AppState;
use actix_web::{get, web, HttpResponse};

#[get("/r/{token}")]
pub async fn follow(
    app: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let Some(link) = drafts::follow(&app.store, &token, chrono::Utc::now()).await? else {
        return Err(PageError::not_found(
            "This draft link has expired or does not exist. Draft links work for 24 hours: \
             please write your message again.",
        ));
    };
    // Ids and state only: the destination holds the message.
    tracing::info!(
        state = %link.state,
        legislator = %link.legislator_id,
        channel = link.channel.as_str(),
        counted = link.counted,
        "draft link followed"
    );
    Ok(see_other(&link.target_url))
}

//! Staff people for tests: invited from the command line with a known password, signed in
//! (session cookie and CSRF token) or holding an API token, and requests that carry them.

use crate::app::TestApp;
use advocate::config::Settings;
use advocate::staff::{Origin, Role, Staff};
use reqwest::{RequestBuilder, Response};
use secrecy::SecretString;

/// The password every test person has.
pub const PASSWORD: &str = "violet lantern under quiet gravel";
/// `server.public_url`'s origin in the test settings (the default).
pub const ORIGIN: &str = "http://127.0.0.1:8080";
/// The session cookie's name over plain http.
pub const SESSION_COOKIE: &str = "advocate_staff";
/// The pre-session CSRF cookie's name over plain http.
pub const PRE_SESSION_COOKIE: &str = "advocate_staff_csrf";

/// The staff services over the test app's database (default settings).
pub fn service(app: &TestApp) -> Staff {
    let settings = Settings::load_with_env(None, Vec::new()).expect("default settings");
    Staff::new(app.store.clone(), &settings)
}

/// Invites `email` with `role` from the CLI and sets [`PASSWORD`] through the link; the id.
pub async fn person(staff: &Staff, email: &str, role: Role) -> i64 {
    let link = staff
        .invite(Origin::cli(), email, role)
        .await
        .expect("invite");
    staff
        .set_password(None, link.token.expose(), SecretString::from(PASSWORD))
        .await
        .expect("password set");
    link.person_id
}

/// A signed-in browser: its session cookie's value and the session's CSRF token.
#[derive(Clone, Debug)]
pub struct Signed {
    pub cookie: String,
    pub csrf: String,
}

/// Signs `email` in (password [`PASSWORD`]) through the service, as the sign-in form would.
pub async fn sign_in(staff: &Staff, email: &str) -> Signed {
    let new = staff
        .login(email, SecretString::from(PASSWORD), None, None)
        .await
        .expect("signed in");
    Signed {
        cookie: new.token.expose().to_string(),
        csrf: new.session.csrf_token.clone(),
    }
}

/// A person with `role` made and signed in: `(id, session)`.
pub async fn signed_in(app: &TestApp, email: &str, role: Role) -> (i64, Signed) {
    let staff = service(app);
    let id = person(&staff, email, role).await;
    (id, sign_in(&staff, email).await)
}

/// A person with `role` made and holding a fresh API token: `(person id, "adv_...")`.
pub async fn bearer(app: &TestApp, email: &str, role: Role) -> (i64, String) {
    let id = person(&service(app), email, role).await;
    (id, token_for(app, email).await.1)
}

/// A fresh API token (made from the CLI) for the existing person `email`: `(token id, "adv_...")`.
pub async fn token_for(app: &TestApp, email: &str) -> (i64, String) {
    let (id, token) = service(app)
        .create_token(Origin::cli(), email, "tests")
        .await
        .expect("token");
    (id, token.expose().to_string())
}

impl TestApp {
    fn with_session(&self, req: RequestBuilder, who: Option<&Signed>) -> RequestBuilder {
        match who {
            Some(s) => req.header("cookie", format!("{SESSION_COOKIE}={}", s.cookie)),
            None => req,
        }
    }

    /// `GET path` with `who`'s session cookie (none: no cookie).
    pub async fn staff_get(&self, path: &str, who: Option<&Signed>) -> Response {
        self.with_session(self.client.get(self.url(path)), who)
            .send()
            .await
            .expect("request sent")
    }

    /// `POST path` from this site (`Origin` ours) with the form `pairs` and, when signed in, the
    /// session's cookie and CSRF token.
    pub async fn staff_post(
        &self,
        path: &str,
        who: Option<&Signed>,
        pairs: &[(&str, &str)],
    ) -> Response {
        let mut form: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if let Some(s) = who {
            form.push(("csrf_token".into(), s.csrf.clone()));
        }
        let req = self.client.post(self.url(path)).header("origin", ORIGIN);
        self.with_session(req, who)
            .form(&form)
            .send()
            .await
            .expect("request sent")
    }

    /// A request to the JSON API with `Authorization: Bearer token` (none: no header).
    pub fn with_bearer(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
    ) -> RequestBuilder {
        let req = self.client.request(method, self.url(path));
        match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }
}

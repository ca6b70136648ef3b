//! Staff in tests: people made through the services the CLI uses, signed-in browsers (a session
//! cookie and its CSRF token), API tokens, and [`TestApp`] methods that speak to the workspace
//! as one of them.

use crate::TestApp;
use advocate::config::Settings;
use advocate::staff::{Origin, Role, Staff};
use reqwest::{Method, RequestBuilder, Response};
use secrecy::SecretString;

/// Every test person's password.
pub const PASSWORD: &str = "violet lantern under quiet gravel";
/// `server.public_url`'s origin in the test settings (the default).
pub const ORIGIN: &str = "http://127.0.0.1:8080";
/// The session cookie's name over http.
pub const SESSION_COOKIE: &str = "advocate_staff";

/// The staff service over the app's store, with the default settings.
pub fn service(app: &TestApp) -> Staff {
    let settings = Settings::load_with_env(None, Vec::new()).expect("defaults");
    Staff::new(app.store.clone(), &settings)
}

/// Invites `email` with `role` from the CLI and sets [`PASSWORD`] through the link; the
/// person's id.
pub async fn person(app: &TestApp, email: &str, role: Role) -> i64 {
    let staff = service(app);
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

/// A signed-in browser: its session cookie and the session's CSRF token.
#[derive(Clone, Debug)]
pub struct Signed {
    pub cookie: String,
    pub csrf: String,
}

/// Signs `email` in (with [`PASSWORD`]).
pub async fn sign_in(app: &TestApp, email: &str) -> Signed {
    let new = service(app)
        .login(email, SecretString::from(PASSWORD), None, None)
        .await
        .expect("signed in");
    Signed {
        cookie: new.token.expose().to_string(),
        csrf: new.session.csrf_token.clone(),
    }
}

/// A new person with `role`, signed in.
pub async fn signed_in(app: &TestApp, email: &str, role: Role) -> Signed {
    person(app, email, role).await;
    sign_in(app, email).await
}

/// An API token for `email` (made from the CLI): its id and the secret to send.
pub async fn bearer(app: &TestApp, email: &str) -> (i64, String) {
    let (id, token) = service(app)
        .create_token(Origin::cli(), email, "tests")
        .await
        .expect("token");
    (id, token.expose().to_string())
}

impl TestApp {
    /// `GET path`, with `who`'s session cookie when given.
    pub async fn staff_get(&self, path: &str, who: Option<&Signed>) -> Response {
        let mut req = self.client.get(self.url(path));
        if let Some(s) = who {
            req = req.header("cookie", format!("{SESSION_COOKIE}={}", s.cookie));
        }
        req.send().await.expect("request sent")
    }

    /// `POST path` from this site (`Origin` ours) with `pairs` and, when signed in, the
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
        let mut req = self.client.post(self.url(path)).header("origin", ORIGIN);
        if let Some(s) = who {
            req = req.header("cookie", format!("{SESSION_COOKIE}={}", s.cookie));
            form.push(("csrf_token".into(), s.csrf.clone()));
        }
        req.form(&form).send().await.expect("request sent")
    }

    /// A request to `path` with `Authorization: Bearer TOKEN` when a token is given.
    pub fn with_bearer(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let req = self.client.request(method, self.url(path));
        match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }
}

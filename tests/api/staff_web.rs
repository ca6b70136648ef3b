//! The staff workspace over HTTP: every staff route with every role and with none, the CSRF
//! refusals (each changing nothing), sign-in through the form (cookie attributes, no session
//! fixation, throttling), sign-out, expired sessions, disabled people, setting a password from
//! a link, and that no password or token reaches the audit log. On the test's database (SQLite
//! or PostgreSQL).

use advocate::staff::{AuditFilter, Origin, Role};
use advocate::store::Store;
use advocate_test_support::staff::{
    person, service, sign_in, Signed, ORIGIN, PASSWORD, PRE_SESSION_COOKIE, SESSION_COOKIE,
};
use advocate_test_support::{location, spawn_app, TestApp};
use reqwest::Response;

/// The value of cookie `name` set by `res`, with the whole `Set-Cookie` line.
fn set_cookie(res: &Response, name: &str) -> Option<(String, String)> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|line| {
            let value = line[name.len() + 1..]
                .split(';')
                .next()
                .unwrap_or_default()
                .to_string();
            (value, line.to_string())
        })
}

fn csrf_field(html: &str) -> String {
    let re = regex::Regex::new(r#"name="csrf_token" value="([0-9a-f]+)""#).expect("regex");
    re.captures(html).expect("a csrf_token field")[1].to_string()
}

async fn people_count(app: &TestApp) -> usize {
    app.store.staff_people().await.expect("people").len()
}

async fn audit_rows(app: &TestApp) -> Vec<advocate::staff::AuditEntry> {
    app.store
        .staff_audit(&AuditFilter {
            limit: 500,
            ..AuditFilter::default()
        })
        .await
        .expect("audit")
}

/// What a route answers a role with.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    /// 303 to the sign-in page.
    Login,
    Forbidden,
    Status(u16),
}

/// A route of the matrix: method, path, form, and the answer to none, organiser, editor, admin.
type Row<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, [Expect; 4]);

#[tokio::test]
async fn every_staff_route_answers_each_role_as_the_matrix_says() {
    let app = spawn_app().await;
    let staff = service(&app);
    person(&staff, "org@example.org", Role::Organiser).await;
    person(&staff, "ed@example.org", Role::Editor).await;
    person(&staff, "admin@example.org", Role::Admin).await;
    // One office counted, for the reach legislator page.
    let counted = advocate::store::CountEvent {
        state: advocate::domain::StateCode::parse("MA").expect("MA"),
        legislator_id: "bioguide:M001".into(),
        chamber: advocate::directory::Chamber::UsHouse,
        channel: advocate::stats::Channel::Sent,
        template_version: 1,
        n: 1,
        at: chrono::Utc::now(),
    };
    assert!(app
        .store
        .count_messages(advocate_test_support::SLUG, &[counted])
        .await
        .expect("counted"));

    use Expect::*;
    let roles: [(&str, Option<&str>); 4] = [
        ("none", None),
        ("organiser", Some("org@example.org")),
        ("editor", Some("ed@example.org")),
        ("admin", Some("admin@example.org")),
    ];
    for (i, (role, email)) in roles.into_iter().enumerate() {
        let who = match email {
            Some(e) => Some(sign_in(&staff, e).await),
            None => None,
        };
        let who = who.as_ref();
        let victim = staff
            .invite(
                Origin::cli(),
                &format!("victim{i}@example.org"),
                Role::Editor,
            )
            .await
            .expect("victim")
            .person_id;
        let disable = format!("/staff/people/{victim}/disable");
        let role_path = format!("/staff/people/{victim}/role");
        let link_path = format!("/staff/people/{victim}/password-link");
        let totp_path = format!("/staff/people/{victim}/totp/reset");
        let enable_path = format!("/staff/people/{victim}/enable");
        let invitee = format!("new{i}@example.org");
        // (method, path, form, [none, organiser, editor, admin]); sign-out last.
        let table: Vec<Row> = vec![
            (
                "GET",
                "/staff",
                vec![],
                [Login, Status(200), Status(200), Status(200)],
            ),
            ("GET", "/staff/login", vec![], [Status(200); 4]),
            ("GET", "/staff/password/00", vec![], [Status(404); 4]),
            (
                "GET",
                "/staff/people",
                vec![],
                [Login, Forbidden, Forbidden, Status(200)],
            ),
            (
                "GET",
                "/staff/audit",
                vec![],
                [Login, Forbidden, Forbidden, Status(200)],
            ),
            (
                "POST",
                "/staff/people",
                vec![("email", invitee.as_str()), ("role", "editor")],
                [Login, Forbidden, Forbidden, Status(200)],
            ),
            (
                "GET",
                "/staff/tokens",
                vec![],
                [Login, Forbidden, Forbidden, Status(200)],
            ),
            (
                "POST",
                "/staff/tokens",
                vec![("email", "admin@example.org"), ("name", "matrix")],
                [Login, Forbidden, Forbidden, Status(201)],
            ),
            (
                "POST",
                "/staff/tokens/999999/revoke",
                vec![],
                [Login, Forbidden, Forbidden, Status(404)],
            ),
            (
                "POST",
                "/staff/people/second-factor",
                vec![("require", "off")],
                [Login, Forbidden, Forbidden, Status(303)],
            ),
            (
                "POST",
                &role_path,
                vec![("role", "organiser")],
                [Login, Forbidden, Forbidden, Status(303)],
            ),
            (
                "POST",
                &link_path,
                vec![],
                [Login, Forbidden, Forbidden, Status(200)],
            ),
            (
                "POST",
                &totp_path,
                vec![],
                [Login, Forbidden, Forbidden, Status(303)],
            ),
            (
                "POST",
                &disable,
                vec![],
                [Login, Forbidden, Forbidden, Status(303)],
            ),
            (
                "POST",
                &enable_path,
                vec![],
                [Login, Forbidden, Forbidden, Status(303)],
            ),
            // The campaign file: admins only (a form that is not a multipart upload: 422).
            (
                "GET",
                "/staff/campaigns/end-qualified-immunity/file",
                vec![],
                [Login, Forbidden, Forbidden, Status(200)],
            ),
            (
                "GET",
                "/staff/campaigns/end-qualified-immunity/file/download",
                vec![],
                [Login, Forbidden, Forbidden, Status(200)],
            ),
            (
                "POST",
                "/staff/campaigns/end-qualified-immunity/file",
                vec![("file", "x")],
                [Login, Forbidden, Forbidden, Status(422)],
            ),
            // The scorecard editor: everyone reads, editors preview and restore.
            (
                "GET",
                "/staff/scorecards",
                vec![],
                [Login, Status(303), Status(303), Status(303)],
            ),
            (
                "GET",
                "/staff/campaigns/end-qualified-immunity/scorecards",
                vec![],
                [Login, Status(200), Status(200), Status(200)],
            ),
            (
                "GET",
                "/staff/campaigns/end-qualified-immunity/scorecards/MA",
                vec![],
                [Login, Status(200), Status(200), Status(200)],
            ),
            (
                "GET",
                "/staff/campaigns/end-qualified-immunity/scorecards/MA/history",
                vec![],
                [Login, Status(200), Status(200), Status(200)],
            ),
            // Wyoming has no bills: an empty form previews it unchanged.
            (
                "POST",
                "/staff/campaigns/end-qualified-immunity/scorecards/WY",
                vec![("action", "preview")],
                [Login, Forbidden, Status(200), Status(200)],
            ),
            (
                "POST",
                "/staff/campaigns/end-qualified-immunity/scorecards/MA/revisions/1/restore",
                vec![],
                [Login, Forbidden, Status(303), Status(303)],
            ),
            // The public counter: everyone reads, editors and admins set the goal.
            (
                "GET",
                "/staff/campaigns/end-qualified-immunity/counter",
                vec![],
                [Login, Status(200), Status(200), Status(200)],
            ),
            (
                "POST",
                "/staff/campaigns/end-qualified-immunity/counter",
                vec![("goal", "1000")],
                [Login, Forbidden, Status(303), Status(303)],
            ),
            // Delivery limits: everyone reads, editors and admins set and remove overrides (the
            // campaign's default; an office known from the counts above; a forged office: 422).
            (
                "GET",
                "/staff/campaigns/end-qualified-immunity/caps",
                vec![],
                [Login, Status(200), Status(200), Status(200)],
            ),
            (
                "POST",
                "/staff/campaigns/end-qualified-immunity/caps",
                vec![("per_hour", "12")],
                [Login, Forbidden, Status(303), Status(303)],
            ),
            (
                "POST",
                "/staff/campaigns/end-qualified-immunity/caps",
                vec![("office", "bioguide:M001"), ("per_hour", "3")],
                [Login, Forbidden, Status(303), Status(303)],
            ),
            (
                "POST",
                "/staff/campaigns/end-qualified-immunity/caps",
                vec![("office", "forged:X1"), ("per_hour", "3")],
                [Login, Forbidden, Status(422), Status(422)],
            ),
            (
                "POST",
                "/staff/campaigns/end-qualified-immunity/caps/remove",
                vec![("office", "bioguide:M001")],
                [Login, Forbidden, Status(303), Status(303)],
            ),
            // The legislator directory: everyone reads, admins ask for a sync now.
            (
                "GET",
                "/staff/directory",
                vec![],
                [Login, Status(200), Status(200), Status(200)],
            ),
            (
                "POST",
                "/staff/directory/sync",
                vec![],
                [Login, Forbidden, Forbidden, Status(303)],
            ),
            // The pre-session forms need the pre-session cookie, which nobody here has.
            (
                "POST",
                "/staff/login",
                vec![("email", "x@example.org")],
                [Forbidden; 4],
            ),
            (
                "POST",
                "/staff/password/00",
                vec![("password", "x")],
                [Forbidden; 4],
            ),
            (
                "GET",
                "/staff/totp",
                vec![],
                [Login, Status(200), Status(200), Status(200)],
            ),
            (
                "POST",
                "/staff/totp/begin",
                vec![],
                [Login, Status(200), Status(200), Status(200)],
            ),
            (
                "POST",
                "/staff/totp",
                vec![("code", "000000")],
                [Login, Status(422), Status(422), Status(422)],
            ),
            // The template editor: everyone reads, editors and admins change.
            (
                "GET",
                "/staff/templates",
                vec![],
                [Login, Status(303), Status(303), Status(303)],
            ),
            (
                "GET",
                "/staff/campaigns/end-qualified-immunity/templates",
                vec![],
                [Login, Status(200), Status(200), Status(200)],
            ),
            (
                "GET",
                "/staff/campaigns/end-qualified-immunity/templates/state",
                vec![],
                [Login, Status(200), Status(200), Status(200)],
            ),
            (
                "GET",
                "/staff/campaigns/end-qualified-immunity/templates/federal/versions",
                vec![],
                [Login, Status(200), Status(200), Status(200)],
            ),
            (
                "POST",
                "/staff/campaigns/end-qualified-immunity/templates/state",
                vec![("action", "preview"), ("subject", "S"), ("body", "B")],
                [Login, Forbidden, Status(200), Status(200)],
            ),
            (
                "POST",
                "/staff/campaigns/end-qualified-immunity/templates/federal/versions/1/restore",
                vec![],
                [Login, Forbidden, Status(303), Status(303)],
            ),
            // The reach dashboard: every role reads.
            (
                "GET",
                "/staff/reach",
                vec![],
                [Login, Status(303), Status(303), Status(303)],
            ),
            (
                "GET",
                "/staff/campaigns/end-qualified-immunity/reach",
                vec![],
                [Login, Status(200), Status(200), Status(200)],
            ),
            (
                "GET",
                "/staff/campaigns/end-qualified-immunity/reach?range=365",
                vec![],
                [Login, Status(400), Status(400), Status(400)],
            ),
            (
                "GET",
                "/staff/campaigns/end-qualified-immunity/reach/legislators/bioguide%3AM001",
                vec![],
                [Login, Status(200), Status(200), Status(200)],
            ),
            (
                "GET",
                "/staff/campaigns/end-qualified-immunity/reach/legislators/nobody",
                vec![],
                [Login, Status(404), Status(404), Status(404)],
            ),
            // The reach CSV downloads: organisers and up.
            (
                "GET",
                "/staff/campaigns/end-qualified-immunity/reach/day.csv",
                vec![],
                [Login, Status(200), Status(200), Status(200)],
            ),
            (
                "GET",
                "/staff/campaigns/end-qualified-immunity/reach/legislator.csv?range=all&sort=office",
                vec![],
                [Login, Status(200), Status(200), Status(200)],
            ),
            // The delivery health CSV downloads: organisers and up.
            (
                "GET",
                "/staff/campaigns/end-qualified-immunity/reach/health/status.csv",
                vec![],
                [Login, Status(200), Status(200), Status(200)],
            ),
            (
                "GET",
                "/staff/campaigns/end-qualified-immunity/reach/health/causes.csv?range=7",
                vec![],
                [Login, Status(200), Status(200), Status(200)],
            ),
            (
                "GET",
                "/staff/campaigns/end-qualified-immunity/reach/health/domains.csv?range=all",
                vec![],
                [Login, Status(200), Status(200), Status(200)],
            ),
            (
                "GET",
                "/staff/campaigns/end-qualified-immunity/reach/health/replies.csv",
                vec![],
                [Login, Status(200), Status(200), Status(200)],
            ),
            (
                "GET",
                "/staff/campaigns/end-qualified-immunity/reach/health/nope.csv",
                vec![],
                [Login, Status(404), Status(404), Status(404)],
            ),
            (
                "GET",
                "/staff/campaigns/end-qualified-immunity/reach/health/causes.csv?range=365",
                vec![],
                [Login, Status(400), Status(400), Status(400)],
            ),
            ("POST", "/staff/logout/everywhere", vec![], [Login; 4]),
        ];
        for (method, path, form, expected) in &table {
            let res = match *method {
                "GET" => app.staff_get(path, who).await,
                _ => app.staff_post(path, who, form).await,
            };
            let status = res.status().as_u16();
            let got = match status {
                303 if location(&res) == "/staff/login" => Login,
                403 => Forbidden,
                s => Status(s),
            };
            assert_eq!(got, expected[i], "{method} {path} as {role}");
            if *method == "GET" && status == 200 {
                assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
            }
        }
        let victim_disabled = app
            .store
            .staff_person(victim)
            .await
            .expect("victim")
            .expect("exists")
            .person
            .disabled;
        // The admin disabled the victim and enabled them again; nobody else changed anything.
        assert!(!victim_disabled, "victim as {role}");
        let victim_role = app
            .store
            .staff_person(victim)
            .await
            .expect("victim")
            .expect("exists")
            .person
            .role;
        let expected_role = if role == "admin" {
            Role::Organiser
        } else {
            Role::Editor
        };
        assert_eq!(victim_role, expected_role, "victim's role as {role}");
        let goal = app
            .store
            .campaign_goal("end-qualified-immunity")
            .await
            .expect("goal")
            .expect("campaign");
        assert_eq!(goal.is_some(), i >= 2, "the goal as {role}");
        // Editors and admins set the campaign's cap and an office's, then removed the office's.
        let caps = app
            .store
            .campaign_caps("end-qualified-immunity")
            .await
            .expect("caps")
            .expect("campaign");
        assert_eq!(
            (caps.default, caps.offices.len()),
            (if i >= 2 { Some(12) } else { None }, 0),
            "the caps as {role}"
        );
        // Only the admin asked for a directory sync, audited.
        let asked = audit_rows(&app)
            .await
            .iter()
            .filter(|r| r.action == "directory.sync_requested")
            .count();
        assert_eq!(
            asked,
            usize::from(role == "admin"),
            "sync requests as {role}"
        );
        let tokens = service(&app).tokens().await.expect("tokens").len();
        assert_eq!(tokens, usize::from(role == "admin"), "tokens as {role}");
        let invited = app
            .store
            .staff_person_by_email(&invitee)
            .await
            .expect("lookup")
            .is_some();
        assert_eq!(invited, role == "admin", "invitation as {role}");
        if let Some(s) = who {
            // Signed out everywhere: the cookie no longer works.
            let res = app.staff_get("/staff", Some(s)).await;
            assert_eq!(res.status().as_u16(), 303, "{role} after sign-out");
        }
    }
}

#[tokio::test]
async fn staff_csrf_refusals_change_nothing() {
    let app = spawn_app().await;
    let staff = service(&app);
    person(&staff, "admin@example.org", Role::Admin).await;
    let admin = sign_in(&staff, "admin@example.org").await;
    let people = people_count(&app).await;
    let audit = audit_rows(&app).await;
    let cookie = format!("{SESSION_COOKIE}={}", admin.cookie);
    let invite = |token: Option<&str>| {
        let mut form = vec![("email", "mallory@example.org"), ("role", "admin")];
        if let Some(t) = token {
            form.push(("csrf_token", t));
        }
        form.into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };
    let attempts = [
        ("missing token", Some(ORIGIN), None, None),
        ("wrong token", Some(ORIGIN), None, Some("0".repeat(64))),
        (
            "cross-site Origin",
            Some("https://evil.example"),
            None,
            Some(admin.csrf.clone()),
        ),
        (
            "Sec-Fetch-Site cross-site",
            None,
            Some("cross-site"),
            Some(admin.csrf.clone()),
        ),
        (
            "neither Origin nor Sec-Fetch-Site",
            None,
            None,
            Some(admin.csrf.clone()),
        ),
        (
            "Origin null without Sec-Fetch-Site",
            Some("null"),
            None,
            Some(admin.csrf.clone()),
        ),
        (
            "Origin null, Sec-Fetch-Site cross-site",
            Some("null"),
            Some("cross-site"),
            Some(admin.csrf.clone()),
        ),
    ];
    for (what, origin, fetch_site, token) in attempts {
        let mut req = app
            .client
            .post(app.url("/staff/people"))
            .header("cookie", &cookie);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        if let Some(f) = fetch_site {
            req = req.header("sec-fetch-site", f);
        }
        let res = req
            .form(&invite(token.as_deref()))
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status().as_u16(), 403, "{what}");
        assert_eq!(people_count(&app).await, people, "{what}");
        assert_eq!(audit_rows(&app).await, audit, "{what}");
    }
    // Every unsafe staff route refuses a request without the token, signed in or not, and
    // changes nothing.
    let admin_id = app
        .store
        .staff_person_by_email("admin@example.org")
        .await
        .expect("lookup")
        .expect("admin")
        .person
        .id;
    let unsafe_routes = [
        "/staff/login".to_string(),
        "/staff/logout".to_string(),
        "/staff/logout/everywhere".to_string(),
        format!("/staff/password/{}", "0".repeat(64)),
        "/staff/people".to_string(),
        format!("/staff/people/{admin_id}/disable"),
        "/staff/totp/begin".to_string(),
        "/staff/totp".to_string(),
        "/staff/campaigns/end-qualified-immunity/templates/state".to_string(),
        "/staff/campaigns/end-qualified-immunity/templates/state/versions/1/restore".to_string(),
        "/staff/campaigns/end-qualified-immunity/counter".to_string(),
        "/staff/campaigns/end-qualified-immunity/caps".to_string(),
        "/staff/campaigns/end-qualified-immunity/caps/remove".to_string(),
        "/staff/directory/sync".to_string(),
    ];
    for path in &unsafe_routes {
        for method in [
            reqwest::Method::POST,
            reqwest::Method::PUT,
            reqwest::Method::DELETE,
        ] {
            let res = app
                .client
                .request(method.clone(), app.url(path))
                .header("cookie", &cookie)
                .header("origin", ORIGIN)
                .form(&invite(None))
                .send()
                .await
                .expect("sent");
            let status = res.status().as_u16();
            // POST meets the CSRF check; other methods find no route (nothing runs).
            if method == reqwest::Method::POST {
                assert_eq!(status, 403, "{method} {path}");
            } else {
                assert!(status == 403 || status == 404, "{method} {path}: {status}");
            }
        }
    }
    assert_eq!(people_count(&app).await, people);
    assert_eq!(audit_rows(&app).await, audit);
    assert_eq!(
        app.staff_get("/staff", Some(&admin))
            .await
            .status()
            .as_u16(),
        200
    );

    // A sign-out with a wrong token does nothing either.
    let res = app
        .client
        .post(app.url("/staff/logout"))
        .header("cookie", &cookie)
        .header("origin", ORIGIN)
        .header("x-csrf-token", "nope")
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(
        app.staff_get("/staff", Some(&admin))
            .await
            .status()
            .as_u16(),
        200
    );

    // The header works for scripts, with Sec-Fetch-Site instead of Origin.
    let res = app
        .client
        .post(app.url("/staff/people"))
        .header("cookie", &cookie)
        .header("sec-fetch-site", "same-origin")
        .header("x-csrf-token", &admin.csrf)
        .form(&invite(None))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(people_count(&app).await, people + 1);

    // What a browser sends from these pages (served with `Referrer-Policy: no-referrer`): the
    // form's token, `Origin: null` and `Sec-Fetch-Site: same-origin`.
    let res = app
        .client
        .post(app.url("/staff/people"))
        .header("cookie", &cookie)
        .header("origin", "null")
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("email", "trudy@example.org"),
            ("role", "editor"),
            ("csrf_token", admin.csrf.as_str()),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(people_count(&app).await, people + 2);
}

#[tokio::test]
async fn staff_sign_in_through_the_form_sets_a_new_session_cookie() {
    let app = spawn_app().await;
    let staff = service(&app);
    person(&staff, "ed@example.org", Role::Editor).await;
    let old = sign_in(&staff, "ed@example.org").await;

    let res = app.get("/staff/login").await;
    assert_eq!(res.status().as_u16(), 200);
    let (pre, line) = set_cookie(&res, PRE_SESSION_COOKIE).expect("pre-session cookie");
    assert!(
        line.contains("HttpOnly") && line.contains("Path=/"),
        "{line}"
    );
    let html = res.text().await.expect("html");
    assert!(html.contains(r#"name="email""#) && html.contains(r#"name="password""#));
    let token = csrf_field(&html);
    assert_eq!(token, pre);

    let form = [
        ("email", "ED@example.org"),
        ("password", PASSWORD),
        ("csrf_token", token.as_str()),
    ];
    // The field must match the cookie.
    let res = app
        .client
        .post(app.url("/staff/login"))
        .header("origin", ORIGIN)
        .header("cookie", format!("{PRE_SESSION_COOKIE}={}", "a".repeat(64)))
        .form(&form)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status().as_u16(), 403);

    let res = app
        .client
        .post(app.url("/staff/login"))
        .header("origin", ORIGIN)
        .header(
            "cookie",
            format!(
                "{PRE_SESSION_COOKIE}={pre}; {SESSION_COOKIE}={}",
                old.cookie
            ),
        )
        .form(&form)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/staff");
    let (session, line) = set_cookie(&res, SESSION_COOKIE).expect("session cookie");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(line.contains(attr), "{attr} in {line}");
    }
    assert!(!line.contains("Secure"), "plain http: {line}");
    assert_ne!(session, old.cookie, "a new session at sign-in");
    // The session the browser held before ended.
    assert_eq!(
        app.staff_get("/staff", Some(&old)).await.status().as_u16(),
        303
    );
    let new = Signed {
        cookie: session,
        csrf: String::new(),
    };
    let (status, html) =
        advocate_test_support::status_and_text(app.staff_get("/staff", Some(&new)).await).await;
    assert_eq!(status, 200);
    assert!(html.contains("ed@example.org") && html.contains("editor"));
    let new = Signed {
        csrf: csrf_field(&html),
        ..new
    };

    // Sign out: the cookie is removed and no longer works.
    let res = app.staff_post("/staff/logout", Some(&new), &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/staff/login");
    let (_, line) = set_cookie(&res, SESSION_COOKIE).expect("removal");
    assert!(line.contains("Max-Age=0"), "{line}");
    assert_eq!(
        app.staff_get("/staff", Some(&new)).await.status().as_u16(),
        303
    );
}

#[tokio::test]
async fn staff_sign_in_failures_are_generic_and_throttled_with_a_time_to_retry() {
    let app = spawn_app().await;
    let staff = service(&app);
    person(&staff, "ed@example.org", Role::Editor).await;
    let res = app.get("/staff/login").await;
    let (pre, _) = set_cookie(&res, PRE_SESSION_COOKIE).expect("pre-session cookie");
    let attempt = |email: &'static str, password: &'static str| {
        let pre = pre.clone();
        let app = &app;
        async move {
            app.client
                .post(app.url("/staff/login"))
                .header("origin", ORIGIN)
                .header("cookie", format!("{PRE_SESSION_COOKIE}={pre}"))
                .form(&[
                    ("email", email),
                    ("password", password),
                    ("csrf_token", pre.as_str()),
                ])
                .send()
                .await
                .expect("sent")
        }
    };
    let (s1, wrong) =
        advocate_test_support::status_and_text(attempt("ed@example.org", "not the password").await)
            .await;
    let (s2, nobody) = advocate_test_support::status_and_text(
        attempt("nobody@example.org", "not the password").await,
    )
    .await;
    assert_eq!((s1, s2), (401, 401));
    let generic = "That email address, password or code is not right.";
    assert!(wrong.contains(generic) && nobody.contains(generic));

    let mut last = None;
    for _ in 0..10 {
        let res = attempt("ed@example.org", "not the password").await;
        if res.status().as_u16() == 429 {
            last = Some(res);
            break;
        }
    }
    let res = last.expect("throttled within 10 attempts");
    let retry: i64 = res.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(retry > 0 && retry <= 3600, "{retry}");
    let html = res.text().await.expect("html");
    assert!(html.contains("try again after"), "{html}");
    // Even the right password waits.
    let res = attempt("ed@example.org", PASSWORD).await;
    assert_eq!(res.status().as_u16(), 429);
}

#[tokio::test]
async fn staff_expired_and_disabled_sessions_lose_access_at_once() {
    let app = spawn_app().await;
    let staff = service(&app);
    person(&staff, "admin@example.org", Role::Admin).await;
    let ed_id = person(&staff, "ed@example.org", Role::Editor).await;
    let admin = sign_in(&staff, "admin@example.org").await;
    let ed = sign_in(&staff, "ed@example.org").await;
    assert_eq!(
        app.staff_get("/staff", Some(&ed)).await.status().as_u16(),
        200
    );

    // The admin disables the editor from the people page: the editor's session ends now.
    let res = app
        .staff_post(&format!("/staff/people/{ed_id}/disable"), Some(&admin), &[])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        app.staff_get("/staff", Some(&ed)).await.status().as_u16(),
        303
    );
    let (_, html) =
        advocate_test_support::status_and_text(app.staff_get("/staff/people", Some(&admin)).await)
            .await;
    assert!(html.contains("disabled"));
    // An admin cannot disable themselves.
    let admin_id = app
        .store
        .staff_person_by_email("admin@example.org")
        .await
        .expect("lookup")
        .expect("admin")
        .person
        .id;
    let res = app
        .staff_post(
            &format!("/staff/people/{admin_id}/disable"),
            Some(&admin),
            &[],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);

    // A session idle past the limit is over.
    let idle = 31 * 60;
    let sql = format!("UPDATE staff_sessions SET last_seen_at = last_seen_at - {idle}, created_at = created_at - {idle}");
    match &app.store {
        Store::Sqlite(pool) => {
            sqlx::query(&sql).execute(pool).await.expect("aged");
        }
        Store::Postgres(pool) => {
            sqlx::query(&sql).execute(pool).await.expect("aged");
        }
    }
    let res = app.staff_get("/staff/people", Some(&admin)).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/staff/login");
}

#[tokio::test]
async fn staff_password_link_page_sets_a_password_once_and_shows_policy_errors() {
    let app = spawn_app().await;
    let staff = service(&app);
    let link = staff
        .invite(Origin::cli(), "new@example.org", Role::Organiser)
        .await
        .expect("invite");
    let path = format!("/staff/password/{}", link.token.expose());
    let res = app.get(&path).await;
    assert_eq!(res.status().as_u16(), 200);
    let (pre, _) = set_cookie(&res, PRE_SESSION_COOKIE).expect("pre-session cookie");
    let html = res.text().await.expect("html");
    assert!(html.contains("new@example.org"));
    let token = csrf_field(&html);
    let submit = |password: &'static str, confirm: &'static str| {
        let (pre, token, path, app) = (pre.clone(), token.clone(), path.clone(), &app);
        async move {
            app.client
                .post(app.url(&path))
                .header("origin", ORIGIN)
                .header("cookie", format!("{PRE_SESSION_COOKIE}={pre}"))
                .form(&[
                    ("password", password),
                    ("confirm", confirm),
                    ("csrf_token", token.as_str()),
                ])
                .send()
                .await
                .expect("sent")
        }
    };
    let (status, html) =
        advocate_test_support::status_and_text(submit("password1234", "password1234").await).await;
    assert_eq!(status, 422);
    assert!(html.contains("aria-invalid=\"true\""));
    let (status, _) =
        advocate_test_support::status_and_text(submit(PASSWORD, "something else entirely").await)
            .await;
    assert_eq!(status, 422);
    let (status, html) =
        advocate_test_support::status_and_text(submit(PASSWORD, PASSWORD).await).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Your password is set"));
    // The link is used up.
    assert_eq!(submit(PASSWORD, PASSWORD).await.status().as_u16(), 404);
    assert_eq!(app.get(&path).await.status().as_u16(), 404);
    // And the password works.
    sign_in(&staff, "new@example.org").await;
}

#[tokio::test]
async fn staff_audit_page_filters_and_no_secret_reaches_an_audit_row() {
    let app = spawn_app().await;
    let staff = service(&app);
    person(&staff, "admin@example.org", Role::Admin).await;
    let admin = sign_in(&staff, "admin@example.org").await;
    // An invitation through the page: its link is shown once and never stored in clear.
    let res = app
        .staff_post(
            "/staff/people",
            Some(&admin),
            &[("email", "org@example.org"), ("role", "organiser")],
        )
        .await;
    let (status, html) = advocate_test_support::status_and_text(res).await;
    assert_eq!(status, 200);
    let re = regex::Regex::new(r"/staff/password/([0-9a-f]{64})").expect("regex");
    let link_token = re.captures(&html).expect("the link")[1].to_string();

    let (status, html) = advocate_test_support::status_and_text(
        app.staff_get("/staff/audit?action=person.invited", Some(&admin))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("person.invited") && html.contains("127.0.0.1"),
        "{html}"
    );
    assert!(!html.contains("login.succeeded"));
    let (status, html) = advocate_test_support::status_and_text(
        app.staff_get("/staff/audit?from=yesterday", Some(&admin))
            .await,
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("aria-invalid=\"true\""));

    let rows = audit_rows(&app).await;
    assert!(rows
        .iter()
        .any(|r| r.action == "person.invited" && r.client_addr.as_deref() == Some("127.0.0.1")));
    for row in rows {
        let text = format!("{row:?}");
        for secret in [PASSWORD, &admin.cookie, &admin.csrf, &link_token] {
            assert!(!text.contains(secret), "a secret in {text}");
        }
    }
}

/// The service as its own process on a free port, logging (JSON, debug) into a file.
struct Served {
    child: std::process::Child,
    address: String,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Served {
    /// Stops the process and answers what it logged.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::fs::read_to_string(&self.log).expect("the log")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn serve_process(db_url: &str) -> Served {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("address")
        .port();
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("out.log");
    let out = std::fs::File::create(&log).expect("log file");
    let err = out.try_clone().expect("log file");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_advocate"))
        .arg("serve")
        .env_remove("RUST_LOG")
        .env("ADVOCATE__DATABASE__URL", db_url)
        .env("ADVOCATE__SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("ADVOCATE__LOG__LEVEL", "debug")
        .env("ADVOCATE__LOG__FORMAT", "json")
        .env("ADVOCATE__OUTBOX__WORKER", "false")
        .env("ADVOCATE__DIRECTORY__SYNC_ON_START", "false")
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("advocate serve starts");
    let address = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client
            .get(format!("{address}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Served {
        child,
        address,
        log,
        _dir: dir,
    }
}

#[tokio::test]
async fn staff_logs_never_hold_a_password_or_token() {
    let app = spawn_app().await;
    let staff = service(&app);
    let link = staff
        .invite(Origin::cli(), "ed@example.org", Role::Editor)
        .await
        .expect("invite");
    let spare = staff
        .invite(Origin::cli(), "org@example.org", Role::Organiser)
        .await
        .expect("invite");
    let served = serve_process(&app.db_url).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let url = |p: &str| format!("{}{p}", served.address);
    let send = |req: reqwest::RequestBuilder| async move { req.send().await.expect("sent") };

    // Set the password through the link page.
    let path = format!("/staff/password/{}", link.token.expose());
    let res = send(client.get(url(&path))).await;
    let (pre, _) = set_cookie(&res, PRE_SESSION_COOKIE).expect("pre-session cookie");
    let pre_cookie = format!("{PRE_SESSION_COOKIE}={pre}");
    let form = [
        ("password", PASSWORD),
        ("confirm", PASSWORD),
        ("csrf_token", pre.as_str()),
    ];
    let res = send(
        client
            .post(url(&path))
            .header("origin", ORIGIN)
            .header("cookie", &pre_cookie)
            .form(&form),
    )
    .await;
    assert_eq!(res.status().as_u16(), 200);
    // A refused post to another link (logged as refused, inside the request's span).
    let spare_path = format!("/staff/password/{}", spare.token.expose());
    let res = send(
        client
            .post(url(&spare_path))
            .header("origin", ORIGIN)
            .form(&form),
    )
    .await;
    assert_eq!(res.status().as_u16(), 403);

    // Sign in: a failure, then success.
    let mut signed = None;
    for (password, status) in [("not the password at all", 401), (PASSWORD, 303)] {
        let res = send(
            client
                .post(url("/staff/login"))
                .header("origin", ORIGIN)
                .header("cookie", &pre_cookie)
                .form(&[
                    ("email", "ed@example.org"),
                    ("password", password),
                    ("csrf_token", pre.as_str()),
                ]),
        )
        .await;
        assert_eq!(res.status().as_u16(), status);
        signed = set_cookie(&res, SESSION_COOKIE).map(|(v, _)| v);
    }
    let session = signed.expect("signed in");
    let cookie = format!("{SESSION_COOKIE}={session}");
    let html = send(client.get(url("/staff")).header("cookie", &cookie))
        .await
        .text()
        .await
        .expect("html");
    let csrf = csrf_field(&html);
    // A refused sign-out (wrong token), then a real one.
    for (token, status) in [("wrong", 403), (csrf.as_str(), 303)] {
        let res = send(
            client
                .post(url("/staff/logout"))
                .header("origin", ORIGIN)
                .header("cookie", &cookie)
                .form(&[("csrf_token", token)]),
        )
        .await;
        assert_eq!(res.status().as_u16(), status);
    }

    let log = served.stop();
    assert!(
        log.contains("staff request refused"),
        "the log was captured: {log}"
    );
    assert!(
        log.contains("/staff/password/{token}"),
        "routes are logged as patterns"
    );
    for secret in [
        PASSWORD,
        session.as_str(),
        csrf.as_str(),
        pre.as_str(),
        link.token.expose(),
        spare.token.expose(),
    ] {
        assert!(!log.contains(secret), "a secret in the log: {log}");
    }
}

#[tokio::test]
async fn staff_without_a_required_second_factor_are_sent_to_set_one_up() {
    let app = spawn_app().await;
    let staff = service(&app);
    person(&staff, "admin@example.org", Role::Admin).await;
    staff
        .set_require_totp(Origin::cli(), true)
        .await
        .expect("required");
    let admin = sign_in(&staff, "admin@example.org").await;
    for path in ["/staff", "/staff/people", "/staff/audit"] {
        let res = app.staff_get(path, Some(&admin)).await;
        assert_eq!(res.status().as_u16(), 303, "{path}");
        assert_eq!(location(&res), "/staff/totp", "{path}");
    }
    let res = app.staff_post("/staff/totp/begin", Some(&admin), &[]).await;
    let (status, html) = advocate_test_support::status_and_text(res).await;
    assert_eq!(status, 200);
    let re = regex::Regex::new(r#"<code class="invite-link">([A-Z2-7]+)</code>"#).expect("regex");
    let secret = re.captures(&html).expect("the key")[1].to_string();
    let now = u64::try_from(chrono::Utc::now().timestamp()).expect("time");
    let code = advocate::staff::totp::code_at(&secret, now).expect("code");
    let res = app
        .staff_post("/staff/totp", Some(&admin), &[("code", code.as_str())])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/staff");
    assert_eq!(
        app.staff_get("/staff/people", Some(&admin))
            .await
            .status()
            .as_u16(),
        200
    );
}

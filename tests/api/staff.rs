//! Staff accounts below the web layer: invitations and password links, sign-in, sessions, TOTP,
//! API tokens, throttling and the audit log, on the test's database (SQLite or PostgreSQL), and
//! the `advocate staff` commands.

use advocate::config::Settings;
use advocate::staff::{
    Actor, AuditFilter, LoginError, Origin, Role, SetPasswordError, Staff, StaffError,
};
use advocate::store::Store;
use advocate_test_support::{spawn_app, token_after, TestApp};
use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret, SecretString};
use std::net::IpAddr;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

const PASSWORD: &str = "violet lantern under quiet gravel";
const ADDR: &str = "192.0.2.7";

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

/// A clock the test moves by hand.
#[derive(Clone)]
struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    fn new() -> TestClock {
        TestClock(Arc::new(Mutex::new(
            DateTime::from_timestamp(1_800_000_000, 0).expect("time"),
        )))
    }
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock")
    }
    fn advance(&self, by: Duration) {
        *self.0.lock().expect("clock") += by;
    }
}

fn service(store: &Store, clock: &TestClock) -> Staff {
    let settings = Settings::load_with_env(None, Vec::new()).expect("defaults");
    let c = clock.clone();
    Staff::new(store.clone(), &settings).with_clock(Arc::new(move || c.now()))
}

fn pw(s: &str) -> SecretString {
    SecretString::from(s.to_string())
}

/// Invites `email` with `role` from the CLI and sets PASSWORD through the link.
async fn person(staff: &Staff, email: &str, role: Role) -> i64 {
    let link = staff
        .invite(Origin::cli(), email, role)
        .await
        .expect("invite");
    staff
        .set_password(Some(ip(ADDR)), link.token.expose(), pw(PASSWORD))
        .await
        .expect("password set");
    link.person_id
}

async fn all_audit(app: &TestApp) -> Vec<advocate::staff::AuditEntry> {
    app.store
        .staff_audit(&AuditFilter {
            limit: 500,
            ..AuditFilter::default()
        })
        .await
        .expect("audit")
}

#[tokio::test]
async fn an_invitation_link_sets_a_password_once_and_refuses_weak_ones() {
    let app = spawn_app().await;
    let clock = TestClock::new();
    let staff = service(&app.store, &clock);
    let link = staff
        .invite(Origin::cli(), " Jane.Doe@Example.org ", Role::Editor)
        .await
        .expect("invite");
    assert!(link
        .url
        .expose_secret()
        .starts_with("http://127.0.0.1:8080/staff/password/"));
    assert!(matches!(
        staff
            .invite(Origin::cli(), "jane.doe@example.org", Role::Admin)
            .await,
        Err(StaffError::AlreadyExists)
    ));
    let token = link.token.expose().to_string();
    let p = staff.check_password_link(&token).await.expect("usable");
    assert_eq!(p.email, "jane.doe@example.org");
    assert!(!p.password_set);

    for weak in ["short", "password12345", "jane.doe-lantern-quiet"] {
        let err = staff
            .set_password(None, &token, pw(weak))
            .await
            .expect_err("refused");
        assert!(matches!(err, SetPasswordError::Policy(_)), "{weak}: {err}");
    }
    let p = staff
        .set_password(None, &token, pw(PASSWORD))
        .await
        .expect("set");
    assert!(p.password_set);
    assert!(matches!(
        staff.set_password(None, &token, pw(PASSWORD)).await,
        Err(SetPasswordError::InvalidLink)
    ));
    assert!(matches!(
        staff.set_password(None, "not-a-token", pw(PASSWORD)).await,
        Err(SetPasswordError::InvalidLink)
    ));

    // A link expires after 24 hours.
    let late = staff
        .invite(Origin::cli(), "late@example.org", Role::Organiser)
        .await
        .expect("invite");
    clock.advance(Duration::hours(24));
    assert!(matches!(
        staff
            .set_password(None, late.token.expose(), pw(PASSWORD))
            .await,
        Err(SetPasswordError::InvalidLink)
    ));
}

#[tokio::test]
async fn a_session_lives_until_idle_or_absolute_timeout_and_sign_out() {
    let app = spawn_app().await;
    let clock = TestClock::new();
    let staff = service(&app.store, &clock);
    let id = person(&staff, "ed@example.org", Role::Editor).await;

    assert!(matches!(
        staff
            .login(
                "ed@example.org",
                pw("wrong password here"),
                None,
                Some(ip(ADDR))
            )
            .await,
        Err(LoginError::Failed)
    ));
    let s = staff
        .login("ED@example.org", pw(PASSWORD), None, Some(ip(ADDR)))
        .await
        .expect("login");
    assert_eq!(s.person.id, id);
    assert_eq!(s.person.role, Role::Editor);
    let cookie = s.token.expose().to_string();
    let (p, session) = staff
        .authenticate_session(&cookie)
        .await
        .expect("db")
        .expect("live");
    assert_eq!(p.id, id);
    assert!(session.csrf_matches(&s.session.csrf_token));
    assert!(!session.csrf_matches("forged"));
    assert!(!session.must_enrol_totp);

    // Requests keep it alive past the idle timeout...
    for _ in 0..3 {
        clock.advance(Duration::minutes(29));
        assert!(staff
            .authenticate_session(&cookie)
            .await
            .expect("db")
            .is_some());
    }
    // ...but 30 idle minutes end it.
    clock.advance(Duration::minutes(30));
    assert!(staff
        .authenticate_session(&cookie)
        .await
        .expect("db")
        .is_none());

    // However active, a session ends 12 hours after sign-in.
    let s = staff
        .login("ed@example.org", pw(PASSWORD), None, Some(ip(ADDR)))
        .await
        .expect("login");
    let cookie = s.token.expose().to_string();
    for _ in 0..(12 * 60 / 20 - 1) {
        clock.advance(Duration::minutes(20));
        assert!(staff
            .authenticate_session(&cookie)
            .await
            .expect("db")
            .is_some());
    }
    clock.advance(Duration::minutes(20));
    assert!(staff
        .authenticate_session(&cookie)
        .await
        .expect("db")
        .is_none());

    // Sign out ends one session; sign out everywhere ends them all.
    let a = staff
        .login("ed@example.org", pw(PASSWORD), None, None)
        .await
        .expect("a");
    let b = staff
        .login("ed@example.org", pw(PASSWORD), None, None)
        .await
        .expect("b");
    let c = staff
        .login("ed@example.org", pw(PASSWORD), None, None)
        .await
        .expect("c");
    assert_ne!(
        a.token.expose(),
        b.token.expose(),
        "a new session at every sign-in"
    );
    staff.sign_out(None, &a.session).await.expect("sign out");
    assert!(staff
        .authenticate_session(a.token.expose())
        .await
        .expect("db")
        .is_none());
    assert!(staff
        .authenticate_session(b.token.expose())
        .await
        .expect("db")
        .is_some());
    let n = staff
        .sign_out_everywhere(Origin::web(Actor::Staff(id), ip(ADDR)), id)
        .await
        .expect("everywhere");
    assert_eq!(n, 2);
    for s in [&b, &c] {
        assert!(staff
            .authenticate_session(s.token.expose())
            .await
            .expect("db")
            .is_none());
    }
    assert!(staff
        .authenticate_session("garbage")
        .await
        .expect("db")
        .is_none());
}

#[tokio::test]
async fn failed_logins_lock_the_account_and_the_client_across_instances() {
    let app = spawn_app().await;
    let clock = TestClock::new();
    // Two services over one database stand for two instances behind a load balancer.
    let one = service(&app.store, &clock);
    let two = service(&app.store, &clock);
    person(&one, "org@example.org", Role::Organiser).await;

    for i in 0..5 {
        let who = if i % 2 == 0 { &one } else { &two };
        assert!(matches!(
            who.login(
                "org@example.org",
                pw("not the password!"),
                None,
                Some(ip(ADDR))
            )
            .await,
            Err(LoginError::Failed)
        ));
    }
    // Locked: even the right password is not checked.
    let err = two
        .login(
            "org@example.org",
            pw(PASSWORD),
            None,
            Some(ip("198.51.100.1")),
        )
        .await
        .expect_err("locked");
    assert!(matches!(err, LoginError::Throttled { .. }), "{err}");
    clock.advance(Duration::seconds(61));
    two.login(
        "org@example.org",
        pw(PASSWORD),
        None,
        Some(ip("198.51.100.1")),
    )
    .await
    .expect("unlocked after a minute");
    // The success reset the count: four more failures do not lock.
    for _ in 0..4 {
        let _ = one
            .login("org@example.org", pw("not the password!"), None, None)
            .await;
    }
    one.login("org@example.org", pw(PASSWORD), None, None)
        .await
        .expect("not locked");

    // An unknown account behaves the same (nothing tells that it does not exist).
    for _ in 0..5 {
        assert!(matches!(
            one.login("nobody@example.org", pw(PASSWORD), None, None)
                .await,
            Err(LoginError::Failed)
        ));
    }
    assert!(matches!(
        one.login("nobody@example.org", pw(PASSWORD), None, None)
            .await,
        Err(LoginError::Throttled { .. })
    ));

    // One client trying many accounts is locked after 20 failures, whatever the account.
    for i in 0..20 {
        let _ = one
            .login(
                &format!("guess{i}@example.org"),
                pw("guess guess guess"),
                None,
                Some(ip("203.0.113.9")),
            )
            .await;
    }
    assert!(matches!(
        one.login(
            "org@example.org",
            pw(PASSWORD),
            None,
            Some(ip("203.0.113.9"))
        )
        .await,
        Err(LoginError::Throttled { .. })
    ));

    // Every attempt is audited, never with the password.
    let audit = all_audit(&app).await;
    let attempts = audit
        .iter()
        .filter(|e| e.action.starts_with("login."))
        .count();
    assert_eq!(attempts, 5 + 1 + 1 + 4 + 1 + 5 + 1 + 20 + 1);
    for e in &audit {
        let row = format!("{e:?}");
        assert!(
            !row.contains(PASSWORD) && !row.contains("not the password"),
            "{row}"
        );
    }
}

#[tokio::test]
async fn a_totp_code_is_needed_once_enrolled_and_cannot_be_replayed() {
    let app = spawn_app().await;
    let clock = TestClock::new();
    let staff = service(&app.store, &clock);
    let id = person(&staff, "admin@example.org", Role::Admin).await;
    let s = staff
        .login("admin@example.org", pw(PASSWORD), None, None)
        .await
        .expect("login");

    staff
        .set_require_totp(Origin::web(Actor::Staff(id), ip(ADDR)), true)
        .await
        .expect("require");
    let (_, session) = staff
        .authenticate_session(s.token.expose())
        .await
        .expect("db")
        .expect("live");
    assert!(session.must_enrol_totp);

    let enrol = staff.begin_totp(&s.person).await.expect("begin");
    let secret = enrol.secret_base32.expose_secret().to_string();
    let now = || u64::try_from(clock.now().timestamp()).expect("time");
    let code = |at: u64| advocate::staff::totp::code_at(&secret, at).expect("code");
    assert!(matches!(
        staff.enable_totp(None, id, "000000").await,
        Err(StaffError::WrongTotpCode)
    ));
    staff
        .enable_totp(None, id, &code(now()))
        .await
        .expect("enabled");
    let (_, session) = staff
        .authenticate_session(s.token.expose())
        .await
        .expect("db")
        .expect("live");
    assert!(!session.must_enrol_totp);

    assert!(matches!(
        staff
            .login("admin@example.org", pw(PASSWORD), None, None)
            .await,
        Err(LoginError::TotpRequired)
    ));
    // The enrolment used the current step: its code is spent.
    assert!(matches!(
        staff
            .login("admin@example.org", pw(PASSWORD), Some(&code(now())), None)
            .await,
        Err(LoginError::Failed)
    ));
    clock.advance(Duration::seconds(30));
    let fresh = code(now());
    staff
        .login("admin@example.org", pw(PASSWORD), Some(&fresh), None)
        .await
        .expect("a fresh code");
    assert!(matches!(
        staff
            .login("admin@example.org", pw(PASSWORD), Some(&fresh), None)
            .await,
        Err(LoginError::Failed)
    ));
    // A wrong password with a right code is the same generic failure.
    clock.advance(Duration::seconds(30));
    assert!(matches!(
        staff
            .login(
                "admin@example.org",
                pw("wrong wrong wrong"),
                Some(&code(now())),
                None
            )
            .await,
        Err(LoginError::Failed)
    ));
    // An admin can remove a lost second factor.
    staff
        .reset_totp(Origin::cli(), "admin@example.org")
        .await
        .expect("reset");
    staff
        .login("admin@example.org", pw(PASSWORD), None, None)
        .await
        .expect("password alone again");
}

#[tokio::test]
async fn disabling_a_person_ends_their_sessions_and_tokens_at_once() {
    let app = spawn_app().await;
    let clock = TestClock::new();
    let staff = service(&app.store, &clock);
    let admin = person(&staff, "admin@example.org", Role::Admin).await;
    let ed = person(&staff, "ed@example.org", Role::Editor).await;
    let as_admin = Origin::web(Actor::Staff(admin), ip(ADDR));
    let as_editor = Origin::web(Actor::Staff(ed), ip(ADDR));

    // Only admins manage people.
    assert!(matches!(
        staff.invite(as_editor, "x@example.org", Role::Admin).await,
        Err(StaffError::Forbidden)
    ));
    assert!(matches!(
        staff.disable(as_editor, "admin@example.org").await,
        Err(StaffError::Forbidden)
    ));
    assert!(matches!(
        staff.audit_log(as_editor, &AuditFilter::default()).await,
        Err(StaffError::Forbidden)
    ));

    let (token_id, token) = staff
        .create_token(as_admin, "ed@example.org", "crm export")
        .await
        .expect("token");
    assert!(token.expose().starts_with("adv_"));
    let header = format!("Bearer {}", token.expose());
    let (p, t) = staff
        .authenticate_bearer(&header)
        .await
        .expect("db")
        .expect("live");
    assert_eq!((p.id, p.role, t.id), (ed, Role::Editor, token_id));
    let listed = staff.tokens().await.expect("tokens");
    assert!(listed[0].last_used_at.is_some(), "last use recorded");

    let s = staff
        .login("ed@example.org", pw(PASSWORD), None, None)
        .await
        .expect("login");
    staff
        .disable(as_admin, "ed@example.org")
        .await
        .expect("disable");
    assert!(staff
        .authenticate_session(s.token.expose())
        .await
        .expect("db")
        .is_none());
    assert!(staff
        .authenticate_bearer(&header)
        .await
        .expect("db")
        .is_none());
    assert!(matches!(
        staff
            .login("ed@example.org", pw(PASSWORD), None, None)
            .await,
        Err(LoginError::Failed)
    ));
    // Enabled again, the old token stays revoked.
    staff
        .enable(as_admin, "ed@example.org")
        .await
        .expect("enable");
    assert!(staff
        .authenticate_bearer(&header)
        .await
        .expect("db")
        .is_none());

    // Revoking one token.
    let (id2, t2) = staff
        .create_token(Origin::cli(), "admin@example.org", "script")
        .await
        .expect("token");
    assert!(staff
        .authenticate_bearer(t2.expose())
        .await
        .expect("db")
        .is_some());
    staff.revoke_token(as_admin, id2).await.expect("revoke");
    assert!(staff
        .authenticate_bearer(t2.expose())
        .await
        .expect("db")
        .is_none());
    assert!(matches!(
        staff.revoke_token(as_admin, id2).await,
        Err(StaffError::UnknownToken)
    ));

    let disabled = staff
        .audit_log(
            as_admin,
            &AuditFilter {
                action: Some("person.disabled".into()),
                ..AuditFilter::default()
            },
        )
        .await
        .expect("audit");
    assert_eq!(disabled.len(), 1);
    assert_eq!(disabled[0].actor, format!("staff:{admin}"));
    assert_eq!(disabled[0].object, format!("staff:{ed}"));
    assert_eq!(disabled[0].client_addr.as_deref(), Some(ADDR));
}

#[tokio::test]
async fn the_audit_log_filters_pages_and_refuses_changes() {
    let app = spawn_app().await;
    let clock = TestClock::new();
    let staff = service(&app.store, &clock);
    let start = clock.now();
    let admin = person(&staff, "admin@example.org", Role::Admin).await;
    clock.advance(Duration::hours(1));
    let link = staff
        .invite(
            Origin::web(Actor::Staff(admin), ip(ADDR)),
            "o@example.org",
            Role::Organiser,
        )
        .await
        .expect("invite");
    let s = staff
        .login("admin@example.org", pw(PASSWORD), None, Some(ip(ADDR)))
        .await
        .expect("login");

    let all = all_audit(&app).await;
    let actions: Vec<&str> = all.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "login.succeeded",
            "person.invited",
            "person.password_set",
            "person.invited"
        ]
    );
    // Nothing secret in any row.
    for e in &all {
        let row = format!("{e:?}");
        for secret in [
            PASSWORD,
            link.token.expose(),
            s.token.expose(),
            &s.session.csrf_token,
        ] {
            assert!(!row.contains(secret), "{row}");
        }
    }

    let by_cli = staff
        .audit_log(
            Origin::cli(),
            &AuditFilter {
                actor: Some(Actor::Cli),
                ..AuditFilter::default()
            },
        )
        .await
        .expect("audit");
    assert_eq!(by_cli.len(), 1);
    let later = staff
        .audit_log(
            Origin::cli(),
            &AuditFilter {
                from: Some(start + Duration::minutes(30)),
                ..AuditFilter::default()
            },
        )
        .await
        .expect("audit");
    assert_eq!(later.len(), 2);
    let early = staff
        .audit_log(
            Origin::cli(),
            &AuditFilter {
                until: Some(start + Duration::minutes(30)),
                ..AuditFilter::default()
            },
        )
        .await
        .expect("audit");
    assert_eq!(early.len(), 2);
    // Pages of two, newest first.
    let page1 = staff
        .audit_log(
            Origin::cli(),
            &AuditFilter {
                limit: 2,
                ..AuditFilter::default()
            },
        )
        .await
        .expect("audit");
    let page2 = staff
        .audit_log(
            Origin::cli(),
            &AuditFilter {
                limit: 2,
                before_id: page1.last().map(|e| e.id),
                ..AuditFilter::default()
            },
        )
        .await
        .expect("audit");
    let ids: Vec<i64> = page1.iter().chain(&page2).map(|e| e.id).collect();
    assert_eq!(ids, all.iter().map(|e| e.id).collect::<Vec<_>>());

    // The table refuses updates and deletes.
    let update = "UPDATE staff_audit SET summary = 'edited'";
    let delete = "DELETE FROM staff_audit";
    match &app.store {
        Store::Sqlite(pool) => {
            assert!(sqlx::query(update).execute(pool).await.is_err());
            assert!(sqlx::query(delete).execute(pool).await.is_err());
        }
        Store::Postgres(pool) => {
            assert!(sqlx::query(update).execute(pool).await.is_err());
            assert!(sqlx::query(delete).execute(pool).await.is_err());
        }
    }
    assert_eq!(all_audit(&app).await, all);
}

fn advocate(db_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_advocate"))
        .args(args)
        .env("ADVOCATE__DATABASE__URL", db_url)
        .env("ADVOCATE__LOG__LEVEL", "warn")
        .output()
        .expect("binary runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `advocate staff add` prints a link; the password set through it signs in; `staff token
/// create` prints a working token; `staff disable` ends both.
#[tokio::test]
async fn staff_commands_add_link_token_and_disable() {
    let app = spawn_app().await;
    let db = &app.db_url;
    let clock = TestClock::new();
    let staff = service(&app.store, &clock).with_clock(Arc::new(Utc::now));

    let out = advocate(db, &["staff", "add", "Jane@Example.org", "--role", "admin"]);
    assert!(out.status.success(), "{}", text(&out));
    let link = token_after(&text(&out), "http://127.0.0.1:8080/staff/password/");
    let out = advocate(db, &["staff", "add", "jane@example.org", "--role", "admin"]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("already has an account"),
        "{}",
        text(&out)
    );
    let out = advocate(db, &["staff", "add", "x@example.org", "--role", "root"]);
    assert!(!out.status.success());

    staff
        .set_password(None, &link, pw(PASSWORD))
        .await
        .expect("password set");
    let s = staff
        .login("jane@example.org", pw(PASSWORD), None, None)
        .await
        .expect("login");

    let out = advocate(
        db,
        &[
            "staff",
            "token",
            "create",
            "--email",
            "jane@example.org",
            "--name",
            "crm",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let printed = String::from_utf8_lossy(&out.stdout).to_string();
    let token = printed
        .lines()
        .find(|l| l.starts_with("adv_"))
        .expect("token printed")
        .to_string();
    assert!(staff
        .authenticate_bearer(&token)
        .await
        .expect("db")
        .is_some());

    let out = advocate(db, &["staff", "list"]);
    let list = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        list.starts_with("jane@example.org\tadmin\tactive"),
        "{list}"
    );
    let out = advocate(db, &["staff", "token", "list"]);
    assert!(
        !text(&out).contains(&token),
        "a listed token never shows itself"
    );

    let out = advocate(db, &["staff", "disable", "jane@example.org"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(staff
        .authenticate_session(s.token.expose())
        .await
        .expect("db")
        .is_none());
    assert!(staff
        .authenticate_bearer(&token)
        .await
        .expect("db")
        .is_none());
    let out = advocate(db, &["staff", "list"]);
    assert!(text(&out).contains("\tdisabled\t"), "{}", text(&out));

    let audit = all_audit(&app).await;
    let cli: Vec<&str> = audit
        .iter()
        .filter(|e| e.actor == "cli")
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(cli, ["person.disabled", "token.created", "person.invited"]);
    for e in &audit {
        assert!(!format!("{e:?}").contains(&link) && !format!("{e:?}").contains(&token));
    }

    // Revoking by id.
    let out = advocate(db, &["staff", "token", "revoke", "999"]);
    assert!(!out.status.success());
}

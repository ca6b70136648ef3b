//! Staff accounts and what the workspace's web layer and the CLI call: invitations and password
//! links, sign-in with an optional second factor, server-side sessions with CSRF tokens, API
//! tokens, login throttling kept in the database, and the audit log.
//!
//! [`Staff`] is the facade; each noun has its file: [`role`] (the permission matrix),
//! [`password`] (policy, Argon2id), [`totp`], [`session`], [`token`], [`throttle`], [`audit`],
//! [`person`], [`letters`] (the password links emailed). Every change is audited in the same transaction (see `store/staff.rs`), and no
//! error message here tells whether an account exists.

pub mod audit;
pub mod letters;
pub mod password;
pub mod person;
pub mod role;
pub mod session;
pub mod throttle;
pub mod token;
pub mod totp;

pub use audit::{Actor, AuditEntry, AuditFilter, NewAudit, Origin};
pub use letters::{Letters, LinkKind, Sent};
pub use person::{Person, StaffEmail, StoredPerson};
pub use role::{Permission, Role};
pub use session::{NewSession, Session, SessionPolicy};
pub use token::{ApiToken, Token};

use crate::config::Settings;
use crate::domain::InvalidField;
use crate::store::{NewSessionRow, Store, StoreError};
use audit::{action, person_object};
use chrono::{DateTime, Duration, Utc};
use password::PasswordError;
use secrecy::SecretString;
use std::net::IpAddr;
use std::sync::Arc;
use throttle::ThrottleKey;

/// How long a password link is valid.
pub const PASSWORD_LINK_HOURS: i64 = 24;
/// Longest API token name, in characters.
pub const MAX_TOKEN_NAME_CHARS: usize = 100;
/// The issuer shown in authenticator apps.
pub const TOTP_ISSUER: &str = "advocate";

/// The time source; tests pass one they can move.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Why a sign-in failed. The messages are safe to show and say nothing about which part was
/// wrong or whether the account exists.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("That email address, password or code is not right.")]
    Failed,
    #[error("Too many failed attempts. Please wait a few minutes and try again.")]
    Throttled { until: DateTime<Utc> },
    /// The password was right and the account has a second factor: ask for the code.
    #[error("Enter the 6-digit code from your authenticator app.")]
    TotpRequired,
    #[error("Signing in is not possible right now; please try again.")]
    Store(#[source] StoreError),
}

/// Why setting a password failed.
#[derive(Debug, thiserror::Error)]
pub enum SetPasswordError {
    #[error(
        "This link is not valid: it has expired or was already used. Ask an admin for a new one."
    )]
    InvalidLink,
    #[error("{0}")]
    Policy(#[from] PasswordError),
    #[error("The password could not be saved; please try again.")]
    Hash(#[source] password::HashError),
    #[error("The password could not be saved; please try again.")]
    Store(#[source] StoreError),
}

/// Why managing people, tokens or settings failed.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("{0}")]
    InvalidEmail(#[source] InvalidField),
    #[error("That email address already has an account.")]
    AlreadyExists,
    #[error("No enabled staff member has that email address.")]
    UnknownPerson,
    #[error("No such token (or it is already revoked).")]
    UnknownToken,
    #[error("A token needs a name of 1 to {MAX_TOKEN_NAME_CHARS} characters on one line.")]
    InvalidTokenName,
    #[error("You do not have permission to do that.")]
    Forbidden,
    #[error("That code is not right; check your authenticator app's clock and try again.")]
    WrongTotpCode,
    #[error("Start setting up the authenticator app again.")]
    NoTotpPending,
    #[error("Something went wrong; please try again.")]
    Store(#[source] StoreError),
}

impl From<StoreError> for StaffError {
    fn from(e: StoreError) -> Self {
        StaffError::Store(e)
    }
}

impl From<StoreError> for LoginError {
    fn from(e: StoreError) -> Self {
        LoginError::Store(e)
    }
}

impl From<StoreError> for SetPasswordError {
    fn from(e: StoreError) -> Self {
        SetPasswordError::Store(e)
    }
}

/// A password link just made: show or send `url` once.
#[derive(Debug, Clone)]
pub struct PasswordLink {
    pub person_id: i64,
    pub token: Token,
    /// `{server.public_url}/staff/password/{token}`.
    pub url: SecretString,
    pub expires_at: DateTime<Utc>,
}

/// A second factor being set up: show the secret (and a QR code of the URL) once.
#[derive(Clone)]
pub struct TotpEnrolment {
    pub secret_base32: SecretString,
    pub otpauth_url: SecretString,
}

/// The staff service.
#[derive(Clone)]
pub struct Staff {
    store: Store,
    policy: SessionPolicy,
    public_url: String,
    clock: Clock,
}

impl Staff {
    pub fn new(store: Store, settings: &Settings) -> Staff {
        Staff {
            store,
            policy: SessionPolicy {
                idle: Duration::minutes(i64::from(settings.staff.session_idle_minutes)),
                absolute: Duration::hours(i64::from(settings.staff.session_absolute_hours)),
            },
            public_url: settings
                .server
                .public_url
                .as_str()
                .trim_end_matches('/')
                .to_string(),
            clock: Arc::new(Utc::now),
        }
    }

    /// The same service reading time from `clock`.
    pub fn with_clock(mut self, clock: Clock) -> Staff {
        self.clock = clock;
        self
    }

    pub fn policy(&self) -> SessionPolicy {
        self.policy
    }

    fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    fn audit(
        &self,
        origin: Origin,
        what: &'static str,
        object: impl Into<String>,
        summary: impl Into<String>,
    ) -> NewAudit {
        NewAudit::new(self.now(), origin, what, object, summary)
    }

    /// Refuses `origin` unless it holds `permission` (the command line holds all).
    pub async fn authorize(
        &self,
        origin: Origin,
        permission: Permission,
    ) -> Result<(), StaffError> {
        match origin.actor {
            Actor::Cli => Ok(()),
            Actor::Anonymous => Err(StaffError::Forbidden),
            Actor::Staff(id) => match self.store.staff_person(id).await? {
                Some(p) if !p.person.disabled && p.person.role.can(permission) => Ok(()),
                _ => Err(StaffError::Forbidden),
            },
        }
    }

    fn link_url(&self, token: &Token) -> SecretString {
        SecretString::from(format!(
            "{}/staff/password/{}",
            self.public_url,
            token.expose()
        ))
    }

    async fn enabled_person(&self, email: &str) -> Result<StoredPerson, StaffError> {
        let email = StaffEmail::parse(email).map_err(StaffError::InvalidEmail)?;
        match self.store.staff_person_by_email(email.as_str()).await? {
            Some(p) if !p.person.disabled => Ok(p),
            _ => Err(StaffError::UnknownPerson),
        }
    }

    /// Adds a person with `role` and returns their password link (valid 24 hours, single use).
    pub async fn invite(
        &self,
        origin: Origin,
        email: &str,
        role: Role,
    ) -> Result<PasswordLink, StaffError> {
        self.authorize(origin, Permission::ManagePeople).await?;
        let email = StaffEmail::parse(email).map_err(StaffError::InvalidEmail)?;
        let now = self.now();
        let token = Token::generate();
        let expires_at = now + Duration::hours(PASSWORD_LINK_HOURS);
        let summary = format!("invited as {role}");
        let id = self
            .store
            .staff_add_person(email.as_str(), role, &token.hash(), expires_at, now, |id| {
                NewAudit::new(
                    now,
                    origin,
                    action::PERSON_INVITED,
                    person_object(id),
                    summary,
                )
            })
            .await?
            .ok_or(StaffError::AlreadyExists)?;
        Ok(PasswordLink {
            person_id: id,
            url: self.link_url(&token),
            token,
            expires_at,
        })
    }

    /// A new password link for an existing, enabled person (a forgotten password).
    pub async fn new_password_link(
        &self,
        origin: Origin,
        email: &str,
    ) -> Result<PasswordLink, StaffError> {
        self.authorize(origin, Permission::ManagePeople).await?;
        let person = self.enabled_person(email).await?;
        let token = Token::generate();
        let expires_at = self.now() + Duration::hours(PASSWORD_LINK_HOURS);
        let audit = self.audit(
            origin,
            action::PASSWORD_LINK,
            person_object(person.person.id),
            "new password link",
        );
        if !self
            .store
            .staff_add_password_link(person.person.id, &token.hash(), expires_at, &audit)
            .await?
        {
            return Err(StaffError::UnknownPerson);
        }
        Ok(PasswordLink {
            person_id: person.person.id,
            url: self.link_url(&token),
            token,
            expires_at,
        })
    }

    /// The person a password link is for, while it is usable (for the page that asks for the
    /// new password).
    pub async fn check_password_link(&self, link_token: &str) -> Result<Person, SetPasswordError> {
        let token = token::parse_token(link_token).ok_or(SetPasswordError::InvalidLink)?;
        self.store
            .staff_password_link_person(&token::hash(token), self.now())
            .await?
            .map(|p| p.person)
            .ok_or(SetPasswordError::InvalidLink)
    }

    /// Sets the password of the link's person (checked against the policy, hashed with
    /// Argon2id), uses up the link and ends the person's sessions.
    pub async fn set_password(
        &self,
        client_addr: Option<IpAddr>,
        link_token: &str,
        new_password: SecretString,
    ) -> Result<Person, SetPasswordError> {
        let token = token::parse_token(link_token).ok_or(SetPasswordError::InvalidLink)?;
        let link_hash = token::hash(token);
        let person = self
            .store
            .staff_password_link_person(&link_hash, self.now())
            .await?
            .ok_or(SetPasswordError::InvalidLink)?
            .person;
        let hash = password::check_and_hash_blocking(new_password, person.email.clone())
            .await
            .map_err(SetPasswordError::Hash)??;
        let origin = Origin {
            actor: Actor::Staff(person.id),
            client_addr,
        };
        let audit = self.audit(
            origin,
            action::PASSWORD_SET,
            person_object(person.id),
            "password set through a link",
        );
        if !self
            .store
            .staff_set_password(&link_hash, person.id, &hash, &audit)
            .await?
        {
            return Err(SetPasswordError::InvalidLink);
        }
        Ok(Person {
            password_set: true,
            ..person
        })
    }

    /// Signs in: checks throttling, the password (against a dummy hash when there is no account,
    /// so the answer takes as long) and, when the account has one, the TOTP code (a step already
    /// used is refused), then starts a new session. Every attempt is audited, without the
    /// password or code.
    pub async fn login(
        &self,
        email: &str,
        password: SecretString,
        totp_code: Option<&str>,
        client_addr: Option<IpAddr>,
    ) -> Result<NewSession, LoginError> {
        let now = self.now();
        let origin = Origin {
            actor: Actor::Anonymous,
            client_addr,
        };
        let parsed = StaffEmail::parse(email).ok();
        // An unparseable email shares one key: it can never sign in anyway, and the key stays
        // short whatever was typed.
        let account_key =
            ThrottleKey::account(parsed.as_ref().map_or("(invalid)", StaffEmail::as_str));
        let mut keys = vec![account_key.clone()];
        keys.extend(client_addr.map(ThrottleKey::client));

        let found = match &parsed {
            Some(e) => self.store.staff_person_by_email(e.as_str()).await?,
            None => None,
        };
        let object = found.as_ref().map_or_else(
            || "unknown account".to_string(),
            |p| person_object(p.person.id),
        );

        if let Some(until) = self.store.staff_login_locked_until(&keys, now).await? {
            let a = self.audit(
                origin,
                action::LOGIN_THROTTLED,
                object,
                "locked; not checked",
            );
            self.store.staff_append_audit(&a).await?;
            return Err(LoginError::Throttled { until });
        }

        let usable = found.filter(|p| !p.person.disabled);
        let stored_hash = usable.as_ref().and_then(|p| p.password_hash.clone());
        let password_ok = password::verify_blocking(password, stored_hash).await;
        let Some(person) = usable.filter(|_| password_ok) else {
            let a = self.audit(
                origin,
                action::LOGIN_FAILED,
                object,
                "password not accepted",
            );
            self.store.staff_login_failed(&keys, &a).await?;
            return Err(LoginError::Failed);
        };

        let step = match (&person.totp_secret, totp_code.map(str::trim)) {
            (None, _) => None,
            (Some(_), None | Some("")) => {
                let a = self.audit(origin, action::LOGIN_FAILED, object, "code needed");
                self.store.staff_append_audit(&a).await?;
                return Err(LoginError::TotpRequired);
            }
            (Some(secret), Some(code)) => {
                let unix = u64::try_from(now.timestamp()).unwrap_or_default();
                match totp::accept(secret, code, unix, person.totp_last_step) {
                    Some(step) => Some(step),
                    None => {
                        let a =
                            self.audit(origin, action::LOGIN_FAILED, object, "code not accepted");
                        self.store.staff_login_failed(&keys, &a).await?;
                        return Err(LoginError::Failed);
                    }
                }
            }
        };

        let token = Token::generate();
        let row = NewSessionRow {
            token_hash: token.hash(),
            person_id: person.person.id,
            csrf_token: Token::generate().expose().to_string(),
            now,
            created_cutoff: now - self.policy.absolute,
            seen_cutoff: now - self.policy.idle,
        };
        let summary = if step.is_some() {
            "signed in with password and code"
        } else {
            "signed in with password"
        };
        let a = self.audit(
            Origin {
                actor: Actor::Staff(person.person.id),
                client_addr,
            },
            action::LOGIN_SUCCEEDED,
            object.clone(),
            summary,
        );
        if !self
            .store
            .staff_login_succeeded(&row, &account_key, step, &a)
            .await?
        {
            // Another sign-in used this code's step first.
            let a = self.audit(origin, action::LOGIN_FAILED, object, "code already used");
            self.store.staff_login_failed(&keys, &a).await?;
            return Err(LoginError::Failed);
        }
        let require_totp = self.store.staff_require_totp().await?;
        Ok(NewSession {
            session: Session {
                token_hash: row.token_hash,
                person_id: person.person.id,
                csrf_token: row.csrf_token,
                created_at: now,
                last_seen_at: now,
                must_enrol_totp: require_totp && !person.person.totp_enabled,
            },
            person: person.person,
            token,
        })
    }

    /// The person and session of a session cookie's value, while the session is alive (idle
    /// and absolute limits); records the request. `None` for anything else (an expired session
    /// is deleted on the way).
    pub async fn authenticate_session(
        &self,
        cookie_token: &str,
    ) -> Result<Option<(Person, Session)>, StoreError> {
        let Some(token) = token::parse_token(cookie_token) else {
            return Ok(None);
        };
        let hash = token::hash(token);
        let Some(found) = self.store.staff_session(&hash).await? else {
            return Ok(None);
        };
        let now = self.now();
        if !self
            .policy
            .is_live(found.created_at, found.last_seen_at, now)
        {
            self.store.staff_end_session(&hash, None).await?;
            return Ok(None);
        }
        let mut last_seen_at = found.last_seen_at;
        if (now - last_seen_at).num_seconds() >= session::TOUCH_EVERY_SECS {
            self.store.staff_touch_session(&hash, now).await?;
            last_seen_at = now;
        }
        let person = found.person.person;
        let session = Session {
            token_hash: found.token_hash,
            person_id: person.id,
            csrf_token: found.csrf_token,
            created_at: found.created_at,
            last_seen_at,
            must_enrol_totp: found.require_totp && !person.totp_enabled,
        };
        Ok(Some((person, session)))
    }

    /// The person and token of an `Authorization` header value (`Bearer adv_...`) or a bare
    /// token, while the token is unrevoked and its person enabled; records the use.
    pub async fn authenticate_bearer(
        &self,
        header_or_token: &str,
    ) -> Result<Option<(Person, ApiToken)>, StoreError> {
        let Some(token) = token::parse_bearer(header_or_token)
            .or_else(|| token::parse_api_token(header_or_token.trim()))
        else {
            return Ok(None);
        };
        Ok(self
            .store
            .staff_use_token(&token::hash(token), self.now())
            .await?
            .map(|(p, t)| (p.person, t)))
    }

    /// Ends one session.
    pub async fn sign_out(
        &self,
        client_addr: Option<IpAddr>,
        session: &Session,
    ) -> Result<(), StoreError> {
        let a = self.audit(
            Origin {
                actor: Actor::Staff(session.person_id),
                client_addr,
            },
            action::SIGN_OUT,
            person_object(session.person_id),
            "signed out",
        );
        self.store
            .staff_end_session(&session.token_hash, Some(&a))
            .await?;
        Ok(())
    }

    /// Ends every session of `person_id` (theirs, or an admin's or the CLI's doing); returns how
    /// many.
    pub async fn sign_out_everywhere(
        &self,
        origin: Origin,
        person_id: i64,
    ) -> Result<u64, StaffError> {
        if origin.actor != Actor::Staff(person_id) {
            self.authorize(origin, Permission::ManagePeople).await?;
        }
        let a = self.audit(
            origin,
            action::SIGN_OUT_EVERYWHERE,
            person_object(person_id),
            "every session ended",
        );
        Ok(self.store.staff_end_sessions_of(person_id, &a).await?)
    }

    /// Disables a person: their sessions end, their tokens are revoked and their password links
    /// voided, in the same transaction.
    pub async fn disable(&self, origin: Origin, email: &str) -> Result<Person, StaffError> {
        self.authorize(origin, Permission::ManagePeople).await?;
        let person = self.enabled_person(email).await?.person;
        let a = self.audit(
            origin,
            action::PERSON_DISABLED,
            person_object(person.id),
            "disabled",
        );
        if !self.store.staff_disable(person.id, &a).await? {
            return Err(StaffError::UnknownPerson);
        }
        Ok(Person {
            disabled: true,
            ..person
        })
    }

    /// Enables a disabled person again (old tokens stay revoked; they need a new password link
    /// only if they never set a password).
    pub async fn enable(&self, origin: Origin, email: &str) -> Result<Person, StaffError> {
        self.authorize(origin, Permission::ManagePeople).await?;
        let email = StaffEmail::parse(email).map_err(StaffError::InvalidEmail)?;
        let person = self
            .store
            .staff_person_by_email(email.as_str())
            .await?
            .ok_or(StaffError::UnknownPerson)?
            .person;
        let a = self.audit(
            origin,
            action::PERSON_ENABLED,
            person_object(person.id),
            "enabled",
        );
        if !self.store.staff_enable(person.id, &a).await? {
            return Err(StaffError::UnknownPerson);
        }
        Ok(Person {
            disabled: false,
            ..person
        })
    }

    /// Changes a person's role.
    pub async fn set_role(
        &self,
        origin: Origin,
        email: &str,
        role: Role,
    ) -> Result<Person, StaffError> {
        self.authorize(origin, Permission::ManagePeople).await?;
        let person = self.enabled_person(email).await?.person;
        let a = self.audit(
            origin,
            action::ROLE_CHANGED,
            person_object(person.id),
            format!("role {} -> {role}", person.role),
        );
        if !self.store.staff_set_role(person.id, role, &a).await? {
            return Err(StaffError::UnknownPerson);
        }
        Ok(Person { role, ..person })
    }

    /// Everyone, by email.
    pub async fn people(&self) -> Result<Vec<Person>, StoreError> {
        self.store.staff_people().await
    }

    /// Makes an API token for `email` named `name`; the token is returned once and only its hash
    /// kept.
    pub async fn create_token(
        &self,
        origin: Origin,
        email: &str,
        name: &str,
    ) -> Result<(i64, Token), StaffError> {
        self.authorize(origin, Permission::ManagePeople).await?;
        let name = name.trim();
        if name.is_empty()
            || name.chars().count() > MAX_TOKEN_NAME_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(StaffError::InvalidTokenName);
        }
        let person = self.enabled_person(email).await?.person;
        let token = Token::generate_api();
        let now = self.now();
        let summary = format!("token `{name}` for {}", person_object(person.id));
        let id = self
            .store
            .staff_add_token(person.id, name, &token.hash(), now, |id| {
                NewAudit::new(
                    now,
                    origin,
                    action::TOKEN_CREATED,
                    format!("token:{id}"),
                    summary,
                )
            })
            .await?
            .ok_or(StaffError::UnknownPerson)?;
        Ok((id, token))
    }

    /// Revokes a token by id.
    pub async fn revoke_token(&self, origin: Origin, id: i64) -> Result<(), StaffError> {
        self.authorize(origin, Permission::ManagePeople).await?;
        let a = self.audit(
            origin,
            action::TOKEN_REVOKED,
            format!("token:{id}"),
            "revoked",
        );
        if !self.store.staff_revoke_token(id, &a).await? {
            return Err(StaffError::UnknownToken);
        }
        Ok(())
    }

    /// Every token, newest first.
    pub async fn tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        self.store.staff_tokens().await
    }

    /// Starts setting up a second factor for the signed-in person: a fresh secret to show once.
    pub async fn begin_totp(&self, person: &Person) -> Result<TotpEnrolment, StaffError> {
        let secret = totp::new_secret();
        if !self
            .store
            .staff_set_pending_totp(person.id, &secret)
            .await?
        {
            return Err(StaffError::UnknownPerson);
        }
        Ok(TotpEnrolment {
            otpauth_url: SecretString::from(totp::otpauth_url(&secret, TOTP_ISSUER, &person.email)),
            secret_base32: SecretString::from(secret),
        })
    }

    /// Confirms the second factor being set up with a code from the app; from then on sign-in
    /// asks for a code.
    pub async fn enable_totp(
        &self,
        client_addr: Option<IpAddr>,
        person_id: i64,
        code: &str,
    ) -> Result<(), StaffError> {
        let stored = self
            .store
            .staff_person(person_id)
            .await?
            .ok_or(StaffError::UnknownPerson)?;
        let secret = stored
            .totp_pending_secret
            .ok_or(StaffError::NoTotpPending)?;
        let unix = u64::try_from(self.now().timestamp()).unwrap_or_default();
        let step = totp::matching_step(&secret, code, unix).ok_or(StaffError::WrongTotpCode)?;
        let a = self.audit(
            Origin {
                actor: Actor::Staff(person_id),
                client_addr,
            },
            action::TOTP_ENABLED,
            person_object(person_id),
            "second factor enabled",
        );
        if !self
            .store
            .staff_confirm_totp(person_id, &secret, step, &a)
            .await?
        {
            return Err(StaffError::NoTotpPending);
        }
        Ok(())
    }

    /// Removes a person's second factor (a lost device); an admin's or the CLI's doing.
    pub async fn reset_totp(&self, origin: Origin, email: &str) -> Result<(), StaffError> {
        self.authorize(origin, Permission::ManagePeople).await?;
        let person = self.enabled_person(email).await?.person;
        let a = self.audit(
            origin,
            action::TOTP_RESET,
            person_object(person.id),
            "second factor removed",
        );
        if !self.store.staff_reset_totp(person.id, &a).await? {
            return Err(StaffError::UnknownPerson);
        }
        Ok(())
    }

    /// Whether everyone must use a second factor.
    pub async fn require_totp(&self) -> Result<bool, StoreError> {
        self.store.staff_require_totp().await
    }

    /// Sets whether everyone must use a second factor.
    pub async fn set_require_totp(&self, origin: Origin, on: bool) -> Result<(), StaffError> {
        self.authorize(origin, Permission::ManagePeople).await?;
        let a = self.audit(
            origin,
            action::REQUIRE_TOTP,
            "settings",
            if on {
                "require_totp on"
            } else {
                "require_totp off"
            },
        );
        Ok(self.store.staff_set_require_totp(on, &a).await?)
    }

    /// A page of the audit log, for those who may read it.
    pub async fn audit_log(
        &self,
        origin: Origin,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditEntry>, StaffError> {
        self.authorize(origin, Permission::ReadAudit).await?;
        Ok(self.store.staff_audit(filter).await?)
    }
}

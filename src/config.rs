//! Settings: the built-in `config/default.toml`, then an optional `--config FILE`, then
//! environment variables `ADVOCATE__SECTION__KEY`. Secrets are `SecretString`s and never logged.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::Path;

const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub campaign: CampaignSettings,
    pub civic: CivicSettings,
    pub directory: DirectorySettings,
    pub limits: LimitSettings,
    pub smtp: SmtpSettings,
    pub outbox: OutboxSettings,
    pub staff: StaffSettings,
    pub log: LogSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffSettings {
    /// A staff session ends after this many minutes without a request.
    pub session_idle_minutes: u32,
    /// A staff session ends this many hours after sign-in, however active.
    pub session_absolute_hours: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    /// lettre's URL form; may hold a password, hence secret. Empty: sending is off.
    pub url: SecretString,
    pub from_address: String,
    pub from_name: String,
    pub timeout_secs: u64,
    pub pool_size: u32,
}

impl SmtpSettings {
    /// True when a relay is configured.
    pub fn enabled(&self) -> bool {
        !self.url.expose_secret().trim().is_empty()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxSettings {
    pub worker: bool,
    pub batch_size: u32,
    pub concurrency: u32,
    pub lease_secs: u64,
    pub poll_interval_ms: u64,
    pub max_attempts: u32,
    pub retry_base_secs: u64,
    pub retry_max_secs: u64,
    pub retention_days: u32,
    pub purge_interval_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    pub lookups_per_minute: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CivicSettings {
    /// Comma-separated provider names, tried in order.
    pub providers: String,
    pub census_url: String,
    pub openstates_url: String,
    pub openstates_api_key: SecretString,
    pub geocodio_url: String,
    pub geocodio_api_key: SecretString,
    pub connect_timeout_ms: u64,
    pub timeout_ms: u64,
    pub cache_ttl_secs: u64,
    pub cache_secret: SecretString,
}

impl CivicSettings {
    /// Provider names in order, trimmed and lower-cased.
    pub fn provider_names(&self) -> Vec<String> {
        self.providers
            .split(',')
            .map(|p| p.trim().to_ascii_lowercase())
            .filter(|p| !p.is_empty())
            .collect()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectorySettings {
    pub congress_url: String,
    pub openstates_people_url: String,
    pub openstates_geo_url: String,
    pub zips_url: String,
    pub download_timeout_secs: u64,
    pub max_age_days: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: String,
    pub public_url: String,
    pub shutdown_timeout_secs: u64,
    pub max_body_bytes: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// May hold a password, hence secret.
    pub url: SecretString,
    pub max_connections: u32,
    pub acquire_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignSettings {
    pub default: String,
    pub seed_file: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// A setting that cannot be used; the message names the key.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl Settings {
    /// Loads settings from the defaults, an optional file and the process environment.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        Self::load_with_env(file, std::env::vars())
    }

    /// As [`Settings::load`], with the environment given (tests pass their own).
    pub fn load_with_env(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, ConfigError> {
        use config::{Config, Environment, File, FileFormat};
        let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError(format!(
                    "config file {} does not exist",
                    path.display()
                )));
            }
            builder = builder.add_source(File::from(path).format(FileFormat::Toml));
        }
        let vars: config::Map<String, String> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("ADVOCATE__"))
            .collect();
        builder = builder.add_source(
            Environment::with_prefix("ADVOCATE")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true)
                .source(Some(vars)),
        );
        let settings: Settings = builder
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| ConfigError(one_line(&e.to_string())))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, why: String| Err(ConfigError(format!("{key}: {why}")));
        if let Err(e) = self.server.bind.parse::<SocketAddr>() {
            return bad(
                "server.bind",
                format!("`{}` is not HOST:PORT ({e})", self.server.bind),
            );
        }
        match url::Url::parse(&self.server.public_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            _ => {
                return bad(
                    "server.public_url",
                    format!("`{}` is not an http(s) URL", self.server.public_url),
                )
            }
        }
        if self.server.max_body_bytes < 1024 {
            return bad("server.max_body_bytes", "must be at least 1024".into());
        }
        let url = self.database.url.expose_secret();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return bad(
                "database.url",
                format!(
                    "must start with sqlite:// or postgres:// (got `{}`)",
                    redact_url(url)
                ),
            );
        }
        if self.database.max_connections == 0 {
            return bad("database.max_connections", "must be at least 1".into());
        }
        if self.database.acquire_timeout_secs == 0 {
            return bad("database.acquire_timeout_secs", "must be at least 1".into());
        }
        let names = self.civic.provider_names();
        if names.is_empty() {
            return bad("civic.providers", "name at least one provider".into());
        }
        for name in &names {
            match name.as_str() {
                "census" => {}
                "openstates" if self.civic.openstates_api_key.expose_secret().is_empty() => {
                    return bad(
                        "civic.openstates_api_key",
                        "is required when civic.providers includes openstates".into(),
                    )
                }
                "geocodio" if self.civic.geocodio_api_key.expose_secret().is_empty() => {
                    return bad(
                        "civic.geocodio_api_key",
                        "is required when civic.providers includes geocodio".into(),
                    )
                }
                "openstates" | "geocodio" => {}
                other => {
                    return bad(
                        "civic.providers",
                        format!("unknown provider `{other}` (census, openstates, geocodio)"),
                    )
                }
            }
        }
        for (key, value) in [
            ("civic.census_url", &self.civic.census_url),
            ("civic.openstates_url", &self.civic.openstates_url),
            ("civic.geocodio_url", &self.civic.geocodio_url),
            ("directory.congress_url", &self.directory.congress_url),
            (
                "directory.openstates_people_url",
                &self.directory.openstates_people_url,
            ),
            (
                "directory.openstates_geo_url",
                &self.directory.openstates_geo_url,
            ),
            ("directory.zips_url", &self.directory.zips_url),
        ] {
            if !matches!(
                url::Url::parse(value)
                    .map(|u| u.scheme().to_string())
                    .as_deref(),
                Ok("http" | "https")
            ) {
                return bad(key, format!("`{value}` is not an http(s) URL"));
            }
        }
        if self.limits.lookups_per_minute == 0 {
            return bad("limits.lookups_per_minute", "must be at least 1".into());
        }
        if self.civic.timeout_ms == 0 || self.civic.connect_timeout_ms == 0 {
            return bad("civic.timeout_ms", "timeouts must be at least 1 ms".into());
        }
        if self.smtp.enabled() {
            if let Err(why) = crate::outbox::smtp::check_url(self.smtp.url.expose_secret()) {
                return bad("smtp.url", why);
            }
            if let Err(why) = crate::outbox::mail::check_from(&self.smtp.from_address) {
                return bad("smtp.from_address", why);
            }
        }
        if self.smtp.from_name.chars().any(char::is_control) || self.smtp.from_name.len() > 100 {
            return bad(
                "smtp.from_name",
                "must be one line of at most 100 characters".into(),
            );
        }
        if self.smtp.timeout_secs == 0 || self.smtp.pool_size == 0 {
            return bad(
                "smtp.timeout_secs",
                "the timeout and pool size must be at least 1".into(),
            );
        }
        let o = &self.outbox;
        if o.batch_size == 0 || o.concurrency == 0 || o.max_attempts == 0 {
            return bad(
                "outbox.batch_size",
                "batch_size, concurrency and max_attempts must be at least 1".into(),
            );
        }
        if o.lease_secs <= self.smtp.timeout_secs {
            return bad(
                "outbox.lease_secs",
                format!(
                    "must be longer than smtp.timeout_secs ({}), or a slow send could be claimed twice",
                    self.smtp.timeout_secs
                ),
            );
        }
        if o.poll_interval_ms == 0 || o.purge_interval_secs == 0 {
            return bad(
                "outbox.poll_interval_ms",
                "intervals must be at least 1".into(),
            );
        }
        if o.retry_max_secs < o.retry_base_secs {
            return bad(
                "outbox.retry_max_secs",
                "must be at least outbox.retry_base_secs".into(),
            );
        }
        if self.staff.session_idle_minutes == 0 || self.staff.session_absolute_hours == 0 {
            return bad(
                "staff.session_idle_minutes",
                "session timeouts must be at least 1".into(),
            );
        }
        if u64::from(self.staff.session_idle_minutes)
            > u64::from(self.staff.session_absolute_hours) * 60
        {
            return bad(
                "staff.session_idle_minutes",
                "must not exceed staff.session_absolute_hours".into(),
            );
        }
        Ok(())
    }

    pub fn bind_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.server
            .bind
            .parse()
            .map_err(|e| ConfigError(format!("server.bind: {e}")))
    }
}

/// A database URL fit for logs: the password, if any, replaced.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "(unparseable URL)".to_string(),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_load_without_any_file_or_environment() {
        let s = Settings::load_with_env(None, env(&[])).expect("defaults are valid");
        assert_eq!(s.server.bind, "127.0.0.1:8080");
        assert!(s.database.url.expose_secret().starts_with("sqlite://"));
    }

    #[test]
    fn environment_overrides_nested_keys() {
        let s = Settings::load_with_env(
            None,
            env(&[
                ("ADVOCATE__SERVER__BIND", "0.0.0.0:9000"),
                ("ADVOCATE__DATABASE__MAX_CONNECTIONS", "3"),
                ("ADVOCATE__DATABASE__URL", "postgres://u:pw@127.0.0.1/db"),
            ]),
        )
        .expect("valid");
        assert_eq!(s.server.bind, "0.0.0.0:9000");
        assert_eq!(s.database.max_connections, 3);
    }

    #[test]
    fn an_invalid_setting_names_its_key_in_one_line() {
        let err = Settings::load_with_env(
            None,
            env(&[("ADVOCATE__DATABASE__MAX_CONNECTIONS", "lots")]),
        )
        .expect_err("invalid");
        let msg = err.to_string();
        assert!(msg.contains("database.max_connections"), "{msg}");
        assert!(!msg.contains('\n'));

        let err = Settings::load_with_env(None, env(&[("ADVOCATE__SERVER__BIND", "nowhere")]))
            .expect_err("invalid");
        assert!(err.to_string().contains("server.bind"), "{err}");

        let err = Settings::load_with_env(
            None,
            env(&[("ADVOCATE__DATABASE__URL", "mysql://root:hunter2@x/db")]),
        )
        .expect_err("invalid");
        assert!(err.to_string().contains("database.url"), "{err}");
        assert!(!err.to_string().contains("hunter2"), "secret leaked: {err}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = Settings::load_with_env(None, env(&[("ADVOCATE__SERVER__BINDD", "x")]))
            .expect_err("typo");
        assert!(err.to_string().contains("bindd"), "{err}");
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Settings::load_with_env(
            None,
            env(&[(
                "ADVOCATE__DATABASE__URL",
                "postgres://u:hunter2@127.0.0.1/db",
            )]),
        )
        .expect("valid");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(
            redact_url("postgres://u:hunter2@127.0.0.1/db"),
            "postgres://u:***@127.0.0.1/db"
        );
    }
}

//! Settings: the built-in `config/default.toml`, then an optional `--config FILE`, then
//! environment variables `ADVOCATE__SECTION__KEY`. Secrets are `SecretString`s and never logged.
//!
//! Settings are typed where they are read (`SocketAddr`, `Url`, `lettre::Address`, a list of
//! providers) and parsed once, at load: an invalid value stops start-up with one line naming
//! its key, and nothing downstream parses a setting again.

use crate::outbox::dkim::Signer;
use lettre::Address;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use url::Url;

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
    pub jobs: JobSettings,
    pub staff: StaffSettings,
    pub metrics: MetricsSettings,
    pub log: LogSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Clients (CIDR list, as `server.trusted_proxies`) that may read `/metrics`.
    pub allow: Networks,
    /// A bearer token that opens `/metrics` from anywhere; empty: no token access.
    pub token: SecretString,
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
    /// The address every mail is sent from; required with a relay, `None` when empty.
    #[serde(deserialize_with = "parse::optional_address")]
    pub from_address: Option<Address>,
    pub from_name: String,
    pub timeout_secs: u64,
    pub pool_size: u32,
    /// DKIM: the signing domain (`d=`), a DNS name; all three `dkim_*` or none.
    #[serde(deserialize_with = "parse::optional_dns_name")]
    pub dkim_domain: Option<String>,
    /// DKIM: the selector (`s=`): the key is published at `<selector>._domainkey.<domain>`.
    #[serde(deserialize_with = "parse::optional_dns_name")]
    pub dkim_selector: Option<String>,
    /// DKIM: the PEM file of the private key (RSA 2048-4096 bits, or Ed25519).
    #[serde(deserialize_with = "parse::optional_path")]
    pub dkim_key_file: Option<PathBuf>,
    /// The signer made from the three at load (the key read and checked once); `None` when
    /// they are not set.
    #[serde(skip)]
    pub dkim: Option<Arc<Signer>>,
}

impl SmtpSettings {
    /// True when a relay is configured.
    pub fn enabled(&self) -> bool {
        !self.url.expose_secret().trim().is_empty()
    }

    /// The DKIM signer: all three `dkim_*` settings set, the key file read and its key checked;
    /// `None` when none is set. An error names the setting and never holds the key.
    fn dkim_signer(&self) -> Result<Option<Arc<Signer>>, ConfigError> {
        let bad = |key: &str, why: String| ConfigError(format!("{key}: {why}"));
        match (&self.dkim_domain, &self.dkim_selector, &self.dkim_key_file) {
            (None, None, None) => Ok(None),
            (Some(domain), Some(selector), Some(path)) => Signer::load(domain, selector, path)
                .map(|signer| Some(Arc::new(signer)))
                .map_err(|why| bad("smtp.dkim_key_file", why)),
            (domain, selector, path) => {
                let missing: Vec<&str> = [
                    ("smtp.dkim_domain", domain.is_none()),
                    ("smtp.dkim_selector", selector.is_none()),
                    ("smtp.dkim_key_file", path.is_none()),
                ]
                .into_iter()
                .filter_map(|(key, absent)| absent.then_some(key))
                .collect();
                Err(bad(
                    missing.first().copied().unwrap_or("smtp.dkim_domain"),
                    format!(
                        "DKIM signing needs smtp.dkim_domain, smtp.dkim_selector and \
                         smtp.dkim_key_file together (missing: {})",
                        missing.join(", ")
                    ),
                ))
            }
        }
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
    /// Address lookups per client address per minute, across every instance.
    pub lookups_per_minute: u32,
    /// Unconfirmed submissions per email address per day (confirming gives one back).
    pub unconfirmed_per_day: u32,
    /// Messages per supporter email address per office (of a campaign) per day.
    pub sender_office_per_day: u32,
    /// Messages of one campaign one office may receive in any hour (0: no cap); staff may
    /// override it per campaign and per office. What is over the cap waits, never dropped.
    pub office_per_hour: u32,
    /// Mails the delivery workers release in any minute, all together (0: no rate).
    pub deliveries_per_minute: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CivicSettings {
    /// Providers tried in order; written comma-separated (`census,openstates`).
    #[serde(deserialize_with = "parse::providers")]
    pub providers: Vec<CivicProvider>,
    #[serde(deserialize_with = "parse::http_url")]
    pub census_url: Url,
    #[serde(deserialize_with = "parse::http_url")]
    pub openstates_url: Url,
    pub openstates_api_key: SecretString,
    #[serde(deserialize_with = "parse::http_url")]
    pub geocodio_url: Url,
    pub geocodio_api_key: SecretString,
    pub connect_timeout_ms: u64,
    pub timeout_ms: u64,
    pub cache_ttl_secs: u64,
    pub cache_secret: SecretString,
}

/// A civic-data provider that `civic.providers` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CivicProvider {
    /// The keyless Census geocoder.
    Census,
    /// Open States v3 (needs `civic.openstates_api_key`).
    OpenStates,
    /// Geocodio (needs `civic.geocodio_api_key`).
    Geocodio,
}

impl CivicProvider {
    pub const ALL: [CivicProvider; 3] = [
        CivicProvider::Census,
        CivicProvider::OpenStates,
        CivicProvider::Geocodio,
    ];

    /// The name `civic.providers` uses.
    pub fn as_str(&self) -> &'static str {
        match self {
            CivicProvider::Census => "census",
            CivicProvider::OpenStates => "openstates",
            CivicProvider::Geocodio => "geocodio",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectorySettings {
    #[serde(deserialize_with = "parse::http_url")]
    pub congress_url: Url,
    #[serde(deserialize_with = "parse::http_url")]
    pub openstates_people_url: Url,
    #[serde(deserialize_with = "parse::http_url")]
    pub openstates_geo_url: Url,
    #[serde(deserialize_with = "parse::http_url")]
    pub zips_url: Url,
    pub download_timeout_secs: u64,
    pub max_age_days: u64,
    /// `serve` on an empty directory syncs it in the background (a singleton job).
    pub sync_on_start: bool,
    /// Days between scheduled re-syncs; 0: none.
    pub resync_days: u64,
    /// A failed sync is retried after this, doubling up to `retry_max_secs`.
    pub retry_min_secs: u64,
    pub retry_max_secs: u64,
}

/// Jobs that run in one instance at a time (see `crate::jobs`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSettings {
    /// How often an instance tries to take a job another instance holds.
    pub retry_secs: u64,
    /// How often the holder checks the connection that holds the lock (and the bound of that check).
    pub health_check_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    #[serde(deserialize_with = "parse::socket_addr")]
    pub bind: SocketAddr,
    /// Where supporters reach the service; links in emails and pages start with it.
    #[serde(deserialize_with = "parse::http_url")]
    pub public_url: Url,
    pub shutdown_timeout_secs: u64,
    pub max_body_bytes: usize,
    /// Peers whose `Forwarded` / `X-Forwarded-For` headers are believed (load balancers,
    /// reverse proxies); empty: the TCP peer is the client.
    #[serde(default)]
    pub trusted_proxies: TrustedProxies,
}

/// A list of networks (CIDR, or single addresses), from a TOML list or a comma-separated
/// string (`ADVOCATE__SERVER__TRUSTED_PROXIES=10.0.0.0/8,127.0.0.1`): `server.trusted_proxies`
/// and `metrics.allow`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Networks(Vec<ipnet::IpNet>);

/// The load balancers and reverse proxies whose forwarding headers are believed.
pub type TrustedProxies = Networks;

impl Networks {
    /// Parses a comma-separated list; a bare address is a /32 (or /128) network.
    pub fn parse(raw: &str) -> Result<Networks, String> {
        Self::parse_all(raw.split(','))
    }

    fn parse_all<'a>(items: impl IntoIterator<Item = &'a str>) -> Result<Networks, String> {
        let mut nets = Vec::new();
        for item in items.into_iter().map(str::trim).filter(|i| !i.is_empty()) {
            let net = match item.parse::<ipnet::IpNet>() {
                Ok(net) => net,
                Err(_) => item
                    .parse::<std::net::IpAddr>()
                    .map(ipnet::IpNet::from)
                    .map_err(|_| format!("`{item}` is not an address or a CIDR network"))?,
            };
            nets.push(net.trunc());
        }
        Ok(Networks(nets))
    }

    /// Whether `ip` lies in one of the networks.
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`, from dual-stack sockets) as IPv4.
pub fn canonical(ip: std::net::IpAddr) -> std::net::IpAddr {
    match ip {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map(std::net::IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

impl<'de> Deserialize<'de> for Networks {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        // The configuration loader adds the key to the message.
        let parsed = match Raw::deserialize(de)? {
            Raw::One(s) => Networks::parse(&s),
            Raw::Many(list) => Networks::parse_all(list.iter().map(String::as_str)),
        };
        parsed.map_err(serde::de::Error::custom)
    }
}

impl ServerSettings {
    /// The absolute URL of `path` (which starts with `/`) under `public_url`, keeping any path
    /// prefix the public URL has.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.public_url.as_str().trim_end_matches('/'))
    }
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
        let mut settings: Settings = builder
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| ConfigError(one_line(&e.to_string())))?;
        settings.validate()?;
        settings.smtp.dkim = settings.smtp.dkim_signer()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, why: String| Err(ConfigError(format!("{key}: {why}")));
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
        if self.civic.providers.is_empty() {
            return bad("civic.providers", "name at least one provider".into());
        }
        for (provider, key, value) in [
            (
                CivicProvider::OpenStates,
                "civic.openstates_api_key",
                &self.civic.openstates_api_key,
            ),
            (
                CivicProvider::Geocodio,
                "civic.geocodio_api_key",
                &self.civic.geocodio_api_key,
            ),
        ] {
            if self.civic.providers.contains(&provider) && value.expose_secret().is_empty() {
                return bad(
                    key,
                    format!(
                        "is required when civic.providers includes {}",
                        provider.as_str()
                    ),
                );
            }
        }
        for (key, value) in [
            ("limits.lookups_per_minute", self.limits.lookups_per_minute),
            (
                "limits.unconfirmed_per_day",
                self.limits.unconfirmed_per_day,
            ),
            (
                "limits.sender_office_per_day",
                self.limits.sender_office_per_day,
            ),
        ] {
            if value == 0 {
                return bad(key, "must be at least 1".into());
            }
        }
        for (key, value) in [
            ("limits.office_per_hour", self.limits.office_per_hour),
            (
                "limits.deliveries_per_minute",
                self.limits.deliveries_per_minute,
            ),
        ] {
            if value > crate::outbox::caps::MAX_CAP {
                return bad(
                    key,
                    format!(
                        "must be at most {} (0 for no cap)",
                        crate::outbox::caps::MAX_CAP
                    ),
                );
            }
        }
        if self.civic.timeout_ms == 0 || self.civic.connect_timeout_ms == 0 {
            return bad("civic.timeout_ms", "timeouts must be at least 1 ms".into());
        }
        if self.smtp.enabled() {
            if let Err(why) = crate::outbox::smtp::check_url(self.smtp.url.expose_secret()) {
                return bad("smtp.url", why);
            }
            if self.smtp.from_address.is_none() {
                return bad("smtp.from_address", "is required with smtp.url".into());
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
        if self.jobs.retry_secs == 0 || self.jobs.health_check_secs == 0 {
            return bad(
                "jobs.retry_secs",
                "retry_secs and health_check_secs must be at least 1".into(),
            );
        }
        let d = &self.directory;
        if d.retry_min_secs == 0 || d.retry_max_secs < d.retry_min_secs {
            return bad(
                "directory.retry_min_secs",
                "must be at least 1, and directory.retry_max_secs at least as long".into(),
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

/// Parsers of the typed settings. Their messages say what is wrong with the value; the
/// configuration loader adds the key.
mod parse {
    use super::CivicProvider;
    use lettre::Address;
    use serde::de::Error;
    use serde::{Deserialize, Deserializer};
    use std::net::SocketAddr;
    use url::Url;

    fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(String::deserialize(d)?.trim().to_string())
    }

    pub fn socket_addr<'de, D: Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
        let raw = text(d)?;
        raw.parse()
            .map_err(|e| D::Error::custom(format!("`{raw}` is not HOST:PORT ({e})")))
    }

    /// An absolute `http` or `https` URL.
    pub fn http_url<'de, D: Deserializer<'de>>(d: D) -> Result<Url, D::Error> {
        let raw = text(d)?;
        match Url::parse(&raw) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Ok(url),
            _ => Err(D::Error::custom(format!("`{raw}` is not an http(s) URL"))),
        }
    }

    /// An email address, or `None` for an empty value.
    pub fn optional_address<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Address>, D::Error> {
        let raw = text(d)?;
        if raw.is_empty() {
            return Ok(None);
        }
        raw.parse()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("`{raw}` is not an email address")))
    }

    /// A DNS name (a DKIM domain or selector), lower-cased, or `None` for an empty value.
    pub fn optional_dns_name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        let raw = text(d)?;
        if raw.is_empty() {
            return Ok(None);
        }
        crate::outbox::dkim::dns_name(&raw)
            .map(Some)
            .map_err(D::Error::custom)
    }

    /// A file path, or `None` for an empty value.
    pub fn optional_path<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<std::path::PathBuf>, D::Error> {
        let raw = text(d)?;
        Ok((!raw.is_empty()).then(|| raw.into()))
    }

    /// Comma-separated provider names, in order (case and spaces ignored).
    pub fn providers<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<CivicProvider>, D::Error> {
        text(d)?
            .split(',')
            .map(|name| name.trim().to_ascii_lowercase())
            .filter(|name| !name.is_empty())
            .map(|name| {
                CivicProvider::ALL
                    .into_iter()
                    .find(|p| p.as_str() == name)
                    .ok_or_else(|| {
                        D::Error::custom(format!(
                            "unknown provider `{name}` (census, openstates, geocodio)"
                        ))
                    })
            })
            .collect()
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
        assert_eq!(s.server.bind, "127.0.0.1:8080".parse().expect("addr"));
        assert_eq!(s.civic.providers, [CivicProvider::Census]);
        assert!(s.smtp.from_address.is_none());
        assert!(s.database.url.expose_secret().starts_with("sqlite://"));
    }

    #[test]
    fn delivery_caps_default_to_30_an_hour_and_no_rate_and_refuse_huge_values() {
        let s = Settings::load_with_env(None, env(&[])).expect("defaults are valid");
        assert_eq!(s.limits.office_per_hour, 30);
        assert_eq!(s.limits.deliveries_per_minute, 0);
        let s = Settings::load_with_env(
            None,
            env(&[
                ("ADVOCATE__LIMITS__OFFICE_PER_HOUR", "0"),
                ("ADVOCATE__LIMITS__DELIVERIES_PER_MINUTE", "600"),
            ]),
        )
        .expect("valid");
        assert_eq!(
            (s.limits.office_per_hour, s.limits.deliveries_per_minute),
            (0, 600)
        );
        for (key, value, named) in [
            (
                "ADVOCATE__LIMITS__OFFICE_PER_HOUR",
                "10001",
                "limits.office_per_hour",
            ),
            (
                "ADVOCATE__LIMITS__OFFICE_PER_HOUR",
                "-1",
                "limits.office_per_hour",
            ),
            (
                "ADVOCATE__LIMITS__OFFICE_PER_HOUR",
                "lots",
                "limits.office_per_hour",
            ),
            (
                "ADVOCATE__LIMITS__DELIVERIES_PER_MINUTE",
                "99999999",
                "limits.deliveries_per_minute",
            ),
        ] {
            let err = Settings::load_with_env(None, env(&[(key, value)])).expect_err(value);
            assert!(err.to_string().contains(named), "{key}={value}: {err}");
        }
    }

    #[test]
    fn sender_limits_default_to_three_unconfirmed_and_one_per_office_and_refuse_zero() {
        let s = Settings::load_with_env(None, env(&[])).expect("defaults are valid");
        assert_eq!(
            (
                s.limits.lookups_per_minute,
                s.limits.unconfirmed_per_day,
                s.limits.sender_office_per_day
            ),
            (30, 3, 1)
        );
        for (key, named) in [
            (
                "ADVOCATE__LIMITS__LOOKUPS_PER_MINUTE",
                "limits.lookups_per_minute",
            ),
            (
                "ADVOCATE__LIMITS__UNCONFIRMED_PER_DAY",
                "limits.unconfirmed_per_day",
            ),
            (
                "ADVOCATE__LIMITS__SENDER_OFFICE_PER_DAY",
                "limits.sender_office_per_day",
            ),
        ] {
            for value in ["0", "-1", "many"] {
                let err = Settings::load_with_env(None, env(&[(key, value)])).expect_err(value);
                assert!(err.to_string().contains(named), "{key}={value}: {err}");
            }
        }
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
        assert_eq!(s.server.bind, "0.0.0.0:9000".parse().expect("addr"));
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
    fn typed_settings_are_parsed_at_load_and_an_invalid_one_names_its_key() {
        let s = Settings::load_with_env(
            None,
            env(&[
                ("ADVOCATE__SERVER__BIND", "127.0.0.1:0"),
                (
                    "ADVOCATE__SERVER__PUBLIC_URL",
                    "https://act.example.org/advocate/",
                ),
                ("ADVOCATE__CIVIC__PROVIDERS", " Census, geocodio "),
                ("ADVOCATE__CIVIC__GEOCODIO_API_KEY", "k"),
                ("ADVOCATE__SMTP__URL", "smtp://127.0.0.1:2525"),
                ("ADVOCATE__SMTP__FROM_ADDRESS", "send@example.org"),
            ]),
        )
        .expect("valid");
        assert_eq!(s.server.bind.port(), 0);
        assert_eq!(
            s.server.link("/receipts/x"),
            "https://act.example.org/advocate/receipts/x"
        );
        assert_eq!(
            s.civic.providers,
            [CivicProvider::Census, CivicProvider::Geocodio]
        );
        assert_eq!(
            s.smtp.from_address.as_ref().map(|a| a.to_string()),
            Some("send@example.org".to_string())
        );

        for (key, value, named) in [
            (
                "ADVOCATE__SERVER__PUBLIC_URL",
                "ftp://x.example.org",
                "server.public_url",
            ),
            (
                "ADVOCATE__SERVER__PUBLIC_URL",
                "not a url",
                "server.public_url",
            ),
            (
                "ADVOCATE__SMTP__FROM_ADDRESS",
                "nobody",
                "smtp.from_address",
            ),
            (
                "ADVOCATE__CIVIC__PROVIDERS",
                "census,carrier",
                "civic.providers",
            ),
            ("ADVOCATE__CIVIC__PROVIDERS", " , ", "civic.providers"),
            (
                "ADVOCATE__CIVIC__PROVIDERS",
                "openstates",
                "civic.openstates_api_key",
            ),
            (
                "ADVOCATE__CIVIC__CENSUS_URL",
                "census.gov",
                "civic.census_url",
            ),
            (
                "ADVOCATE__DIRECTORY__ZIPS_URL",
                "file:///etc/passwd",
                "directory.zips_url",
            ),
        ] {
            let err = Settings::load_with_env(None, env(&[(key, value)]))
                .expect_err(&format!("{key}={value} is invalid"));
            let msg = err.to_string();
            assert!(msg.contains(named), "{key}={value}: {msg}");
            assert!(!msg.contains('\n'), "{msg}");
        }
        // A relay needs a sender address.
        let err =
            Settings::load_with_env(None, env(&[("ADVOCATE__SMTP__URL", "smtp://127.0.0.1")]))
                .expect_err("no sender");
        assert!(err.to_string().contains("smtp.from_address"), "{err}");
    }

    #[test]
    fn network_lists_parse_and_a_bad_one_names_its_key() {
        let s = Settings::load_with_env(None, env(&[])).expect("defaults");
        assert!(s.metrics.allow.contains("127.0.0.1".parse().expect("ip")));
        assert!(s.metrics.allow.contains("::1".parse().expect("ip")));
        assert!(s
            .metrics
            .allow
            .contains("::ffff:127.0.0.1".parse().expect("ip")));
        assert!(!s.metrics.allow.contains("10.0.0.1".parse().expect("ip")));
        assert!(s.metrics.token.expose_secret().is_empty());

        let s = Settings::load_with_env(
            None,
            env(&[
                ("ADVOCATE__METRICS__ALLOW", "10.0.0.0/8, 192.0.2.7"),
                ("ADVOCATE__METRICS__TOKEN", "s3cret"),
            ]),
        )
        .expect("valid");
        assert!(s.metrics.allow.contains("10.1.2.3".parse().expect("ip")));
        assert!(s.metrics.allow.contains("192.0.2.7".parse().expect("ip")));
        assert!(!s.metrics.allow.contains("127.0.0.1".parse().expect("ip")));
        assert!(!format!("{s:?}").contains("s3cret"));

        for (key, named) in [
            ("ADVOCATE__METRICS__ALLOW", "metrics.allow"),
            (
                "ADVOCATE__SERVER__TRUSTED_PROXIES",
                "server.trusted_proxies",
            ),
        ] {
            let err = Settings::load_with_env(None, env(&[(key, "10.0.0.0/8,nowhere")]))
                .expect_err("invalid");
            let msg = err.to_string();
            assert!(msg.contains(named), "{key}: {msg}");
            assert!(msg.contains("nowhere"), "{key}: {msg}");
        }
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

    #[test]
    fn dkim_takes_all_three_settings_or_none_and_reads_the_key_once() {
        // RFC 8032's first test key (a published test vector), as PKCS#8 PEM.
        let dir = tempfile::tempdir().expect("dir");
        let key = dir.path().join("dkim.pem");
        std::fs::write(
            &key,
            "-----BEGIN PRIVATE KEY-----\n\
             MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n\
             -----END PRIVATE KEY-----\n",
        )
        .expect("write");
        let key = key.to_str().expect("path");
        let none = Settings::load_with_env(None, env(&[])).expect("defaults");
        assert!(none.smtp.dkim.is_none());
        let s = Settings::load_with_env(
            None,
            env(&[
                ("ADVOCATE__SMTP__DKIM_DOMAIN", "Example.ORG"),
                ("ADVOCATE__SMTP__DKIM_SELECTOR", "s1"),
                ("ADVOCATE__SMTP__DKIM_KEY_FILE", key),
            ]),
        )
        .expect("valid");
        let signer = s.smtp.dkim.as_ref().expect("a signer");
        assert_eq!(
            (signer.domain(), signer.selector(), signer.algorithm()),
            ("example.org", "s1", "ed25519")
        );
        assert!(
            !format!("{s:?}").contains("MC4C"),
            "the key is never printed"
        );

        for (set, named) in [
            (vec![("DOMAIN", "example.org")], "smtp.dkim_selector"),
            (
                vec![("DOMAIN", "example.org"), ("SELECTOR", "s1")],
                "smtp.dkim_key_file",
            ),
            (
                vec![("SELECTOR", "s1"), ("KEY_FILE", key)],
                "smtp.dkim_domain",
            ),
            (
                vec![
                    ("DOMAIN", "example.org"),
                    ("SELECTOR", "s1"),
                    ("KEY_FILE", "/nowhere"),
                ],
                "smtp.dkim_key_file",
            ),
            (
                vec![
                    ("DOMAIN", "exa mple.org"),
                    ("SELECTOR", "s1"),
                    ("KEY_FILE", key),
                ],
                "smtp.dkim_domain",
            ),
        ] {
            let vars: Vec<(String, &str)> = set
                .iter()
                .map(|(k, v)| (format!("ADVOCATE__SMTP__DKIM_{k}"), *v))
                .collect();
            let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            let err = Settings::load_with_env(None, env(&pairs)).expect_err("refused");
            let msg = err.to_string();
            assert!(msg.contains(named), "{set:?}: {msg}");
            assert!(!msg.contains('\n'), "{msg}");
        }
    }
}

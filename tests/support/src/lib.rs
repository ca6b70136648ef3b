//! What advocate's test targets and benchmarks share: the real app on a random port with a
//! fresh database ([`TestApp`], one method per endpoint and flow step), the supporter's flow
//! ([`flows`]), a Census stand-in, a scripted SMTP server ([`smtp_stub`]), a real one
//! ([`mailbox`], aiosmtpd), staff people signed in or holding tokens ([`staff`]), and the
//! binary and datasets.
//!
//! A dev-dependency of the root package only; its own behaviour is tested there (`tests/api`).

pub mod app;
pub mod census;
pub mod data;
pub mod figures;
pub mod flows;
pub mod links;
pub mod mailbox;
pub mod reach;
pub mod server;
pub mod smtp_stub;
pub mod staff;

pub use app::{
    backend, drop_databases, encode, fresh_database_url, location, postgres_admin_url, spawn_app,
    spawn_app_from, spawn_app_with, status_and_json, status_and_text, test_settings, TestApp,
};
pub use census::{boston_census, calls, census_boston, census_stand_in};
pub use data::{
    advocate_bin, advocate_command, fixture, import_full_directory, output_text, run_advocate,
    shared_data,
};
pub use flows::{
    as_env, boston_app, boston_app_with, emailable, ids, message_request, send_request,
    sending_app, sending_settings, BOSTON, FROM,
};
pub use links::{param, query_of, token_after};
pub use mailbox::Aiosmtpd;
pub use smtp_stub::{Delivered, Fault, Script, StubSmtp};

/// The campaign every test uses (seeded at start-up).
pub const SLUG: &str = "end-qualified-immunity";
/// The campaign's API path.
pub const CAMPAIGN: &str = "/api/v1/campaigns/end-qualified-immunity";

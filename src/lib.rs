//! advocate: supporters find their legislators and email them about their state's scorecard.
//!
//! Layout: `domain` (validated types), `scorecard` (campaigns, rubric, scores, the campaign
//! file), `civic` (address -> legislators), `messages` (templates, compose, drafts, the
//! supporter flow), `outbox` (sending), `stats`, `limits`, `store` (the database seam), `web`
//! (the API, the supporters' site and the staff area), `startup` (server wiring), `config`,
//! `telemetry`, `meters` (Prometheus metrics), `cli`, `fresh` (in-memory copies of what staff
//! edit, kept fresh across instances), `jobs` (the purge and the directory sync, one instance at
//! a time).

pub mod civic;
pub mod cli;
pub mod config;
pub mod directory;
pub mod domain;
pub mod fresh;
pub mod jobs;
pub mod limits;
pub mod messages;
pub mod meters;
pub mod outbox;
pub mod scorecard;
pub mod staff;
pub mod startup;
pub mod stats;
pub mod store;
pub mod telemetry;
pub mod web;

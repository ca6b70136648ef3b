//! advocate: supporters find their legislators and email them about their state's scorecard.
//!
//! Layout: `domain` (validated types), `scorecard` (campaigns, rubric, scores, the campaign
//! file), `store` (the database seam), `routes` (thin HTTP handlers), `pages` (HTML views),
//! `startup` (server wiring), `config`, `telemetry`, `error`, `cli`.

pub mod civic;
pub mod cli;
pub mod config;
pub mod directory;
pub mod domain;
pub mod error;
pub mod limits;
pub mod messages;
pub mod outbox;
pub mod pages;
pub mod routes;
pub mod scorecard;
pub mod staff;
pub mod startup;
pub mod stats;
pub mod store;
pub mod telemetry;

//! Black-box tests of the running service. Every test gets its own database on the backend
//! named by ADVOCATE_TEST_DATABASE (sqlite or postgres); `.ci/run` runs the suite on both.

mod caps;
mod civic;
mod cli;
mod counter;
mod directory;
mod dkim;
mod fresh;
mod health;
mod jobs;
mod limits;
mod mailbox;
mod messages;
mod metrics;
mod openapi;
mod pages;
mod reach;
mod reach_flow;
mod reach_store;
mod retention;
mod scorecards;
mod sending;
mod smtp_faults;
mod smtp_stub;
mod staff;
mod staff_campaign_file;
mod staff_people;
mod staff_reach;
mod staff_scorecards;
mod staff_templates;
mod staff_web;
mod store_conformance;
mod targets;
mod templates;
mod web_rules;
mod worker;

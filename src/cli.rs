//! Command line: `advocate [--config FILE] [serve|migrate|scorecard ...]`.

use crate::config::Settings;
use crate::messages::{self, editor, template, Audience, MessageTemplate};
use crate::scorecard::file;
use crate::startup::{open_store, Application, Background};
use anyhow::Context;
use clap::{Parser, Subcommand};
use std::io::Read;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "advocate",
    version,
    about = "Constituent advocacy email service"
)]
pub struct Cli {
    /// Settings file layered over the defaults (environment variables still win).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web service (the default).
    Serve,
    /// Run the delivery worker alone (no web service): sends confirmed messages from the
    /// outbox until SIGINT/SIGTERM. Set `ADVOCATE__OUTBOX__WORKER=false` on `serve` to leave
    /// delivery to separate workers.
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Import or export a campaign's rubric and scorecards.
    Scorecard {
        #[command(subcommand)]
        action: ScorecardCommand,
    },
    /// Show, list or save a campaign's message templates (staff edits).
    Template {
        #[command(subcommand)]
        action: TemplateCommand,
    },
    /// Manage staff accounts and API tokens (the workspace's people).
    Staff {
        #[command(subcommand)]
        action: StaffCommand,
    },
    /// Import or sync the legislator directory (Congress, state legislatures, district rules,
    /// ZIP crosswalk).
    Directory {
        #[command(subcommand)]
        action: DirectoryCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ScorecardCommand {
    /// Import a campaign file (all or nothing; importing the same file twice changes nothing).
    Import {
        /// Campaign file (TOML), or - for standard input.
        file: PathBuf,
    },
    /// Write a campaign file that `import` reads back unchanged.
    Export {
        /// Campaign slug (default: the configured default campaign).
        #[arg(long)]
        campaign: Option<String>,
        /// Write here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// Print a template in the file layout `save` reads (`Subject:` line, blank line, body).
    Show {
        /// `state` (state legislators) or `federal` (members of Congress).
        #[arg(long)]
        audience: String,
        /// A version number (default: the current one).
        #[arg(long)]
        version: Option<i64>,
        /// Campaign slug (default: the configured default campaign).
        #[arg(long)]
        campaign: Option<String>,
    },
    /// List the versions of a template, newest first.
    History {
        #[arg(long)]
        audience: String,
        #[arg(long)]
        campaign: Option<String>,
    },
    /// Save FILE as the new current version, after rendering it for every state: a template that
    /// fails for some state is refused, naming the state, and nothing changes.
    Save {
        #[arg(long)]
        audience: String,
        /// Template file (`#` notes, then `Subject: ...`, a blank line, the body), or - for
        /// standard input.
        file: PathBuf,
        /// A note kept with the version in its history (why it changed).
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        campaign: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Add a person and print a one-time link (valid 24 hours) where they set their password.
    Add {
        email: String,
        /// `admin` (people, everything), `editor` (templates, scorecards) or `organiser`
        /// (reach, exports; reads the rest).
        #[arg(long)]
        role: String,
    },
    /// Print a new one-time password link for an existing person (a forgotten password).
    Link { email: String },
    /// List everyone: email, role, state, second factor.
    List,
    /// Disable a person: their sessions end and their tokens stop working at once.
    Disable { email: String },
    /// Enable a disabled person again.
    Enable { email: String },
    /// Remove a person's second factor (a lost device).
    ResetTotp { email: String },
    /// Require (`on`) or stop requiring (`off`) a second factor for everyone.
    RequireTotp { value: String },
    /// Create, list or revoke API tokens.
    Token {
        #[command(subcommand)]
        action: StaffTokenCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum StaffTokenCommand {
    /// Create a token acting with EMAIL's role; it is printed once and only its hash is kept.
    Create {
        #[arg(long)]
        email: String,
        /// What the token is for, e.g. `crm-export`.
        #[arg(long)]
        name: String,
    },
    /// List tokens (never the tokens themselves).
    List,
    /// Revoke a token by its id (from `list`).
    Revoke { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    /// Replace the directory from local copies of the four datasets (all or nothing).
    Import {
        /// unitedstates/congress-legislators `legislators-current.json`.
        #[arg(long, value_name = "FILE")]
        congress: PathBuf,
        /// openstates/people: a folder holding `data/<st>/legislature/*.yml`, or `data` itself.
        #[arg(long, value_name = "DIR")]
        openstates: PathBuf,
        /// openstates-geo: a folder holding `configs/jurisdictions/*.yml`, or `jurisdictions`.
        #[arg(long, value_name = "DIR")]
        districts: PathBuf,
        /// us-zipcodes-congress `zccd.csv`.
        #[arg(long, value_name = "FILE")]
        zips: PathBuf,
    },
    /// Download the four datasets from the `directory.*_url` settings and replace the
    /// directory (all or nothing: a failed download leaves the previous one in place).
    Sync,
    /// Show when the directory was last synced, and from where.
    Status,
}

async fn directory(action: DirectoryCommand, settings: &Settings) -> anyhow::Result<()> {
    use crate::directory::{build_directory, read_local, sync, LocalPaths};
    let started = std::time::Instant::now();
    let now = chrono::Utc::now();
    let unchanged = "the previous directory is unchanged";
    let built = match action {
        DirectoryCommand::Status => {
            let store = open_store(settings).await?;
            let status = store.directory_status().await?;
            store.close().await;
            match status {
                Some(s) => {
                    let stale = if s.is_stale(settings.directory.max_age_days, now) {
                        " (stale)"
                    } else {
                        ""
                    };
                    println!("synced at: {}{stale}", s.synced_at.to_rfc3339());
                    println!("source: {}", s.source);
                    println!("legislators: {}, zip rows: {}", s.legislators, s.zips);
                }
                None => println!("the directory has never been synced"),
            }
            return Ok(());
        }
        DirectoryCommand::Import {
            congress,
            openstates,
            districts,
            zips,
        } => {
            let paths = LocalPaths {
                congress,
                openstates,
                districts,
                zips,
            };
            tokio::task::spawn_blocking(move || {
                read_local(&paths).and_then(|files| build_directory(&files, now, now.date_naive()))
            })
            .await?
        }
        DirectoryCommand::Sync => sync(&settings.directory, now, now.date_naive()).await,
    };
    let directory = built.map_err(|e| anyhow::anyhow!("{e}; {unchanged}"))?;
    let parsed = started.elapsed();
    let store = open_store(settings).await?;
    let report = store
        .replace_directory(&directory)
        .await
        .with_context(|| format!("storing the directory failed; {unchanged}"))?;
    store.close().await;
    println!("{report}");
    println!(
        "done in {:.1}s ({:.1}s reading and parsing)",
        started.elapsed().as_secs_f64(),
        parsed.as_secs_f64()
    );
    Ok(())
}

/// Campaign files are small; refuse anything absurd before parsing it.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(settings.clone()).await?;
            tracing::info!(
                bind = %settings.server.bind,
                port = app.port(),
                url = %settings.server.public_url,
                "listening"
            );
            app.run_until_stopped().await?;
            tracing::info!("stopped");
            Ok(())
        }
        Command::Worker => worker(&settings).await,
        Command::Migrate => {
            let store = open_store(&settings).await?;
            store.close().await;
            println!("migrations applied ({})", store.backend());
            Ok(())
        }
        Command::Scorecard { action } => scorecard(action, &settings).await,
        Command::Directory { action } => directory(action, &settings).await,
        Command::Template { action } => template(action, &settings).await,
        Command::Staff { action } => staff(action, &settings).await,
    }
}

async fn staff(action: StaffCommand, settings: &Settings) -> anyhow::Result<()> {
    use crate::staff::{Origin, Role, Staff};
    use secrecy::ExposeSecret;
    let store = open_store(settings).await?;
    let staff = Staff::new(store.clone(), settings);
    let cli = Origin::cli();
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or_else(|| "-".to_string(), |t| t.to_rfc3339())
    };
    let outcome: anyhow::Result<()> = async {
        match action {
            StaffCommand::Add { email, role } => {
                let role = Role::parse(&role).with_context(|| {
                    format!("--role must be admin, editor or organiser, not `{role}`")
                })?;
                let link = staff.invite(cli, &email, role).await?;
                println!("added {} as {role}", email.trim().to_lowercase());
                println!(
                    "password link (valid until {}, works once):",
                    link.expires_at.to_rfc3339()
                );
                println!("{}", link.url.expose_secret());
            }
            StaffCommand::Link { email } => {
                let link = staff.new_password_link(cli, &email).await?;
                println!(
                    "password link (valid until {}, works once):",
                    link.expires_at.to_rfc3339()
                );
                println!("{}", link.url.expose_secret());
            }
            StaffCommand::List => {
                for p in staff.people().await? {
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        p.email,
                        p.role,
                        if p.disabled {
                            "disabled"
                        } else if p.password_set {
                            "active"
                        } else {
                            "invited"
                        },
                        if p.totp_enabled { "totp" } else { "no-totp" },
                        p.created_at.to_rfc3339()
                    );
                }
            }
            StaffCommand::Disable { email } => {
                let p = staff.disable(cli, &email).await?;
                println!(
                    "disabled {}; their sessions and tokens no longer work",
                    p.email
                );
            }
            StaffCommand::Enable { email } => {
                let p = staff.enable(cli, &email).await?;
                println!("enabled {}", p.email);
            }
            StaffCommand::ResetTotp { email } => {
                staff.reset_totp(cli, &email).await?;
                println!(
                    "removed the second factor of {}",
                    email.trim().to_lowercase()
                );
            }
            StaffCommand::RequireTotp { value } => {
                let on = match value.as_str() {
                    "on" => true,
                    "off" => false,
                    other => anyhow::bail!("require-totp takes on or off, not `{other}`"),
                };
                staff.set_require_totp(cli, on).await?;
                println!("second factor required: {value}");
            }
            StaffCommand::Token { action } => match action {
                StaffTokenCommand::Create { email, name } => {
                    let (id, token) = staff.create_token(cli, &email, &name).await?;
                    println!("token {id} (shown once; only its hash is kept):");
                    println!("{}", token.expose());
                }
                StaffTokenCommand::List => {
                    for t in staff.tokens().await? {
                        println!(
                            "{}\tstaff:{}\t{}\tcreated {}\tlast used {}\t{}",
                            t.id,
                            t.person_id,
                            t.name,
                            t.created_at.to_rfc3339(),
                            when(t.last_used_at),
                            if t.revoked_at.is_some() {
                                "revoked"
                            } else {
                                "live"
                            }
                        );
                    }
                }
                StaffTokenCommand::Revoke { id } => {
                    staff.revoke_token(cli, id).await?;
                    println!("revoked token {id}");
                }
            },
        }
        Ok(())
    }
    .await;
    store.close().await;
    outcome
}

fn audience(raw: &str) -> anyhow::Result<Audience> {
    Audience::parse(raw)
        .with_context(|| format!("--audience must be state or federal, not `{raw}`"))
}

fn template_file(t: &MessageTemplate) -> String {
    format!("Subject: {}\n\n{}\n", t.subject, t.body)
}

async fn template(action: TemplateCommand, settings: &Settings) -> anyhow::Result<()> {
    let slug =
        |campaign: Option<String>| campaign.unwrap_or_else(|| settings.campaign.default.clone());
    let store = open_store(settings).await?;
    let outcome = match action {
        TemplateCommand::Show {
            audience: a,
            version,
            campaign,
        } => {
            let (slug, a) = (slug(campaign), audience(&a)?);
            let chosen = match version {
                Some(v) => editor::version(&store, &slug, a, v).await,
                None => editor::current(&store, &slug, a).await,
            }
            .with_context(|| format!("template of `{slug}`"))?;
            print!("{}", template_file(&chosen.template));
            Ok(())
        }
        TemplateCommand::History {
            audience: a,
            campaign,
        } => {
            let (slug, a) = (slug(campaign), audience(&a)?);
            for v in editor::history(&store, &slug, a).await? {
                // One line per version; a note's own line breaks would break the layout.
                let note = v.note.as_deref().unwrap_or_default();
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    v.template.version,
                    v.template.created_at.to_rfc3339(),
                    v.author,
                    note.split_whitespace().collect::<Vec<_>>().join(" "),
                    v.template.subject
                );
            }
            Ok(())
        }
        TemplateCommand::Save {
            audience: a,
            file,
            note,
            campaign,
        } => {
            let (slug, a) = (slug(campaign), audience(&a)?);
            let text = read_limited(&file)?;
            let parsed = template::parse_template_file(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}; nothing was saved", file.display()))?;
            let saved = messages::save_template(
                &store,
                &slug,
                a,
                &parsed,
                crate::staff::Origin::cli(),
                note.as_deref(),
            )
            .await;
            match saved {
                Ok(saved) => {
                    println!(
                        "saved {} template version {} for {slug}; the messages of {} state{} \
                         changed",
                        a.as_str(),
                        saved.version(),
                        saved.changed(),
                        if saved.changed() == 1 { "" } else { "s" }
                    );
                    Ok(())
                }
                Err(e) => Err(anyhow::anyhow!("{e}; nothing was saved")),
            }
        }
    };
    store.close().await;
    outcome
}

/// `advocate worker`: delivers from the outbox until SIGINT/SIGTERM, then finishes the sends in
/// hand.
async fn worker(settings: &Settings) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    let wake = std::sync::Arc::new(tokio::sync::Notify::new());
    let worker = crate::startup::delivery_worker(settings, store.clone(), wake)?.context(
        "smtp.url is empty: there is nothing to deliver through (set ADVOCATE__SMTP__URL)",
    )?;
    let instance: std::sync::Arc<str> = crate::jobs::instance_id().into();
    let running = vec![
        Background::worker(worker, settings),
        Background::purge(store.clone(), settings, instance),
    ];
    shutdown_signal().await;
    tracing::info!("stopping: finishing the sends in hand");
    Background::shutdown_all(running).await;
    store.close().await;
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn scorecard(action: ScorecardCommand, settings: &Settings) -> anyhow::Result<()> {
    match action {
        ScorecardCommand::Import { file: path } => {
            let text = read_limited(&path)?;
            let doc = file::parse(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}; nothing was imported", path.display()))?;
            let store = open_store(settings).await?;
            let report = store.import_campaign(&doc).await?;
            store.close().await;
            if report.changed {
                println!(
                    "imported {}: {} criteria, {} states, {} bills, {} evaluations",
                    report.slug, report.criteria, report.states, report.bills, report.evaluations
                );
            } else {
                println!("{} is unchanged", report.slug);
            }
            Ok(())
        }
        ScorecardCommand::Export { campaign, output } => {
            let slug = campaign.unwrap_or_else(|| settings.campaign.default.clone());
            let store = open_store(settings).await?;
            let doc = store
                .campaign_doc(&slug)
                .await?
                .with_context(|| format!("no campaign `{slug}`"))?;
            store.close().await;
            let text = file::render(&doc)?;
            match output {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => print!("{text}"),
            }
            Ok(())
        }
    }
}

fn read_limited(path: &PathBuf) -> anyhow::Result<String> {
    let mut text = String::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .take(MAX_FILE_BYTES + 1)
            .read_to_string(&mut text)?;
    } else {
        std::fs::File::open(path)
            .with_context(|| format!("cannot open {}", path.display()))?
            .take(MAX_FILE_BYTES + 1)
            .read_to_string(&mut text)
            .with_context(|| format!("{} is not UTF-8 text", path.display()))?;
    }
    anyhow::ensure!(
        text.len() as u64 <= MAX_FILE_BYTES,
        "{} is larger than {MAX_FILE_BYTES} bytes",
        path.display()
    );
    Ok(text)
}

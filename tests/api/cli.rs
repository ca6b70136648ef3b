//! The `advocate` binary's subcommands, run as a newcomer would.

use advocate_test_support::{
    advocate_bin, fixture, fresh_database_url, output_text as text, run_advocate as advocate,
};

#[test]
fn the_support_crate_runs_the_binary_cargo_built_for_these_tests() {
    assert_eq!(
        advocate_bin(),
        std::path::Path::new(env!("CARGO_BIN_EXE_advocate"))
    );
}

#[tokio::test]
async fn migrate_then_import_then_export_round_trips() {
    let (db, _dir) = fresh_database_url().await;
    let out = advocate(&db, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));

    let small = fixture("campaign-small.toml");
    let small = small.to_str().expect("utf-8 path");
    let out = advocate(&db, &["scorecard", "import", small]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("imported small-campaign"),
        "{}",
        text(&out)
    );

    let out = advocate(&db, &["scorecard", "import", small]);
    assert!(text(&out).contains("unchanged"), "{}", text(&out));

    let out = advocate(
        &db,
        &["scorecard", "export", "--campaign", "small-campaign"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let exported = String::from_utf8(out.stdout).expect("utf-8");
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("export.toml");
    std::fs::write(&path, &exported).expect("write");
    let out = advocate(&db, &["scorecard", "import", path.to_str().expect("path")]);
    assert!(
        text(&out).contains("unchanged"),
        "export re-imports unchanged: {}",
        text(&out)
    );
}

#[tokio::test]
async fn a_malformed_file_names_line_and_field_and_changes_nothing() {
    let (db, _dir) = fresh_database_url().await;
    let small = fixture("campaign-small.toml");
    assert!(
        advocate(&db, &["scorecard", "import", small.to_str().expect("path")])
            .status
            .success()
    );
    let before = advocate(
        &db,
        &["scorecard", "export", "--campaign", "small-campaign"],
    )
    .stdout;

    let bad = fixture("campaign-bad-status.toml");
    let out = advocate(&db, &["scorecard", "import", bad.to_str().expect("path")]);
    assert!(!out.status.success());
    let msg = text(&out);
    assert!(msg.contains("line 40"), "{msg}");
    assert!(msg.contains("`status`"), "{msg}");
    assert!(msg.contains("sometimes"), "{msg}");

    let bad = fixture("campaign-bad-criterion.toml");
    let out = advocate(&db, &["scorecard", "import", bad.to_str().expect("path")]);
    assert!(!out.status.success());
    let msg = text(&out);
    assert!(msg.contains("line 39"), "{msg}");
    assert!(msg.contains("criterion"), "{msg}");

    let missing = advocate(&db, &["scorecard", "import", "/nonexistent/file.toml"]);
    assert!(!missing.status.success());

    let after = advocate(
        &db,
        &["scorecard", "export", "--campaign", "small-campaign"],
    )
    .stdout;
    assert_eq!(before, after, "a refused import changes nothing");
}

#[test]
fn an_invalid_setting_stops_start_up_with_one_line_naming_the_key() {
    let out = std::process::Command::new(advocate_bin())
        .arg("migrate")
        .env("ADVOCATE__DATABASE__MAX_CONNECTIONS", "many")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("database.max_connections"), "{err}");
}

/// Staff edit templates from the command line: show the current one, save an edit (checked
/// against every state first), and see the versions.
#[tokio::test]
async fn template_show_save_and_history() {
    let app = advocate_test_support::spawn_app().await;
    let db = &app.db_url;
    let out = advocate(db, &["template", "show", "--audience", "state"]);
    assert!(out.status.success(), "{}", text(&out));
    let current = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(current.starts_with("Subject: "), "{current}");
    assert!(current.contains("scorecard.gaps"), "{current}");

    let dir = tempfile::tempdir().expect("dir");
    let good = dir.path().join("good.txt");
    std::fs::write(
        &good,
        "# an edit\nSubject: Please act in {{ state.name }}\n\nDear {{ legislator.salutation }} \
         {{ legislator.last_name }},\n{% for g in scorecard.gaps %}- {{ g }}\n{% endfor %}\n\
         {{ supporter.name }}\n",
    )
    .expect("write");
    let out = advocate(
        db,
        &[
            "template",
            "save",
            "--audience",
            "state",
            "--note",
            "Shorter ask",
            good.to_str().expect("path"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("version 2"), "{}", text(&out));
    assert!(
        text(&out).contains("the messages of 51 states changed"),
        "{}",
        text(&out)
    );

    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "Subject: Hi\n\nDear {{ legislator.nickname }}\n").expect("write");
    let out = advocate(
        db,
        &[
            "template",
            "save",
            "--audience",
            "state",
            bad.to_str().expect("path"),
        ],
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("nothing was saved"), "{}", text(&out));

    let out = advocate(db, &["template", "history", "--audience", "state"]);
    let history = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(history.lines().count(), 2, "{history}");
    assert!(history.starts_with("2\t"), "{history}");
    let fields: Vec<Vec<&str>> = history.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(fields[0][2..4], ["cli", "Shorter ask"], "{history}");
    assert_eq!(fields[1][2..4], ["seed", ""], "{history}");
    let out = advocate(
        db,
        &["template", "show", "--audience", "state", "--version", "1"],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), current);
    let out = advocate(db, &["template", "show", "--audience", "state"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Subject: Please act in"));
    let out = advocate(db, &["template", "show", "--audience", "mayors"]);
    assert!(!out.status.success());

    // The save is audited as the command line's, once (the refused one left no row).
    let rows = app
        .store
        .staff_audit(&advocate::staff::AuditFilter {
            action: Some("template.saved".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("audit");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].actor, "cli");
    assert_eq!(rows[0].client_addr, None);
    assert_eq!(rows[0].object, "template:end-qualified-immunity/state/2");
    assert!(!rows[0].summary.contains("Please act"), "{rows:?}");
}

//! DKIM: with `smtp.dkim_*` set, every mail the service sends (the confirmation and each
//! message) reaches a real SMTP server (aiosmtpd) with a signature that an independent
//! verifier (dkimpy, Debian's python3-dkim) accepts against the TXT record made from the
//! public key, for an RSA 2048 key and an Ed25519 key made fresh for the run; and start-up
//! refuses a bad key or an incomplete setting with one line naming it.

use advocate_test_support::{
    as_env, boston_census, emailable, fresh_database_url, output_text, send_request,
    sending_settings, spawn_app_with, token_after, Aiosmtpd,
};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const DOMAIN: &str = "advocate.test";
const SELECTOR: &str = "s2026";

/// The interpreter with dkimpy, PyNaCl and cryptography (Debian's, as for aiosmtpd).
fn python() -> String {
    std::env::var("ADVOCATE_TEST_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into())
}

/// The test's key maker and verifier.
fn checker() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/dkim_check.py")
}

/// A fresh private key in `dir`: `spec` is `["rsa", BITS, "pkcs1"|"pkcs8"]` or `["ed25519"]`.
fn keygen(dir: &Path, name: &str, spec: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let out = Command::new(python())
        .arg(checker())
        .arg("keygen")
        .args(spec)
        .arg(&path)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "keygen {spec:?} (is python3-cryptography installed?): {}",
        output_text(&out)
    );
    path
}

/// Every mail in `maildir` (`new/` and `cur/`).
fn stored_mails(maildir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["new", "cur"]
        .iter()
        .filter_map(|sub| std::fs::read_dir(maildir.join(sub)).ok())
        .flat_map(|entries| entries.flatten().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Sends the Boston supporter's messages through an app signing with `key`, confirms them,
/// and checks every delivered mail with dkimpy.
async fn every_mail_verifies_with(key: &Path, algorithm: &str) {
    let smtp = Aiosmtpd::start().await;
    let census = boston_census().await;
    let uri = census.uri();
    let key_file = key.to_str().expect("path").to_string();
    let mut owned = sending_settings(&smtp.url());
    owned.extend([
        ("ADVOCATE__CIVIC__CENSUS_URL", uri),
        ("ADVOCATE__SMTP__DKIM_DOMAIN", DOMAIN.to_string()),
        ("ADVOCATE__SMTP__DKIM_SELECTOR", SELECTOR.to_string()),
        ("ADVOCATE__SMTP__DKIM_KEY_FILE", key_file),
    ]);
    let app = spawn_app_with(&as_env(&owned)).await;
    app.import_full_directory().await;
    let (targets, _) = app.boston_targets().await;
    let (send_ids, _) = emailable(&targets);
    assert!(!send_ids.is_empty(), "{targets:?}");

    let (status, body) = app.post_message(&send_request(&send_ids)).await;
    assert_eq!(status, 202, "{body}");
    let mails = smtp.wait_for(1, Duration::from_secs(15)).await;
    let text = mails[0].body_text().replace("\r\n", "\n");
    let confirm_token = token_after(&text, "/confirm/");
    let confirmed = app.confirm(&confirm_token).await;
    assert_eq!(confirmed.status().as_u16(), 303);
    let all = smtp
        .wait_for(1 + send_ids.len(), Duration::from_secs(30))
        .await;

    for mail in &all {
        let signature = mail.header("DKIM-Signature").expect("every mail is signed");
        let tags: Vec<(String, String)> = signature
            .split(';')
            .filter_map(|t| t.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.split_whitespace().collect()))
            .collect();
        let tag = |name: &str| {
            tags.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        assert_eq!(tag("a"), format!("{algorithm}-sha256"), "{signature}");
        assert_eq!(tag("d"), DOMAIN, "{signature}");
        assert_eq!(tag("s"), SELECTOR, "{signature}");
        assert_eq!(tag("c"), "relaxed/relaxed", "{signature}");
        let signed: Vec<String> = tag("h").split(':').map(str::to_lowercase).collect();
        for header in [
            "from",
            "to",
            "subject",
            "date",
            "message-id",
            "reply-to",
            "mime-version",
            "content-type",
        ] {
            assert!(signed.iter().any(|h| h == header), "{header}: {signature}");
        }
    }
    let files = stored_mails(smtp.maildir());
    assert_eq!(files.len(), all.len());
    let out = Command::new(python())
        .arg(checker())
        .args(["verify", key.to_str().expect("path"), DOMAIN, SELECTOR])
        .args(&files)
        .output()
        .expect("python runs");
    let report = output_text(&out);
    assert!(
        out.status.success(),
        "dkimpy refused a signature:\n{report}"
    );
    assert_eq!(
        report.lines().filter(|l| l.starts_with("ok ")).count(),
        all.len(),
        "{report}"
    );
}

#[tokio::test]
async fn every_mail_is_signed_with_an_rsa_2048_key_and_dkimpy_verifies_it() {
    let dir = tempfile::tempdir().expect("dir");
    let key = keygen(dir.path(), "rsa.pem", &["rsa", "2048", "pkcs8"]);
    every_mail_verifies_with(&key, "rsa").await;
}

#[tokio::test]
async fn every_mail_is_signed_with_an_ed25519_key_and_dkimpy_verifies_it() {
    let dir = tempfile::tempdir().expect("dir");
    let key = keygen(dir.path(), "ed25519.pem", &["ed25519"]);
    every_mail_verifies_with(&key, "ed25519").await;
}

#[tokio::test]
async fn start_up_refuses_a_bad_key_or_an_incomplete_setting_in_one_line_naming_it() {
    let (db, _db_dir) = fresh_database_url().await;
    let dir = tempfile::tempdir().expect("dir");
    let garbage = dir.path().join("garbage.pem");
    let secret_looking = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDgarbage";
    std::fs::write(
        &garbage,
        format!("-----BEGIN PRIVATE KEY-----\n{secret_looking}\n-----END PRIVATE KEY-----\n"),
    )
    .expect("write");
    let short = keygen(dir.path(), "rsa1024.pem", &["rsa", "1024", "pkcs1"]);
    let good = keygen(dir.path(), "rsa2048.pem", &["rsa", "2048", "pkcs1"]);
    let missing = dir.path().join("nowhere.pem");
    let path = |p: &Path| p.to_str().expect("path").to_string();

    // What is wrong, the `ADVOCATE__SMTP__DKIM_*` settings, the setting the line names, and
    // what it says.
    type Case<'a> = (&'a str, Vec<(&'a str, String)>, &'a str, &'a str);
    let cases: [Case; 5] = [
        (
            "no such file",
            vec![
                ("DOMAIN", DOMAIN.into()),
                ("SELECTOR", SELECTOR.into()),
                ("KEY_FILE", path(&missing)),
            ],
            "smtp.dkim_key_file",
            "cannot read",
        ),
        (
            "garbage PEM",
            vec![
                ("DOMAIN", DOMAIN.into()),
                ("SELECTOR", SELECTOR.into()),
                ("KEY_FILE", path(&garbage)),
            ],
            "smtp.dkim_key_file",
            "neither an RSA nor an Ed25519",
        ),
        (
            "RSA 1024",
            vec![
                ("DOMAIN", DOMAIN.into()),
                ("SELECTOR", SELECTOR.into()),
                ("KEY_FILE", path(&short)),
            ],
            "smtp.dkim_key_file",
            "1024 bits",
        ),
        (
            "no selector",
            vec![("DOMAIN", DOMAIN.into()), ("KEY_FILE", path(&good))],
            "smtp.dkim_selector",
            "together",
        ),
        (
            "a bad domain",
            vec![
                ("DOMAIN", "not a domain".into()),
                ("SELECTOR", SELECTOR.into()),
                ("KEY_FILE", path(&good)),
            ],
            "dkim_domain",
            "DNS name",
        ),
    ];
    for (what, dkim, names, says) in &cases {
        for command in ["serve", "worker"] {
            let mut cmd = advocate_test_support::advocate_command(&db);
            cmd.arg(command)
                .env("ADVOCATE__SERVER__BIND", "127.0.0.1:0")
                .env("ADVOCATE__SMTP__URL", "smtp://127.0.0.1:9")
                .env("ADVOCATE__SMTP__FROM_ADDRESS", "send@advocate.test");
            for (key, value) in dkim {
                cmd.env(format!("ADVOCATE__SMTP__DKIM_{key}"), value);
            }
            let out = tokio::time::timeout(
                Duration::from_secs(20),
                tokio::task::spawn_blocking(move || cmd.output().expect("runs")),
            )
            .await
            .expect("refused at once, not served")
            .expect("joined");
            let err = String::from_utf8_lossy(&out.stderr).to_string();
            assert!(!out.status.success(), "{what} ({command}): started");
            assert_eq!(err.trim().lines().count(), 1, "{what} ({command}): {err}");
            assert!(err.contains(names), "{what} ({command}): {err}");
            assert!(err.contains(says), "{what} ({command}): {err}");
            assert!(!err.contains(secret_looking), "{what}: {err}");
            assert!(!err.contains("MII"), "{what}: {err}");
        }
    }

    // The same settings with a good key load (`migrate` stands for every command: the settings
    // are checked as they load).
    let ok = advocate_test_support::advocate_command(&db)
        .arg("migrate")
        .env("ADVOCATE__SMTP__DKIM_DOMAIN", DOMAIN)
        .env("ADVOCATE__SMTP__DKIM_SELECTOR", SELECTOR)
        .env("ADVOCATE__SMTP__DKIM_KEY_FILE", &good)
        .output()
        .expect("runs");
    assert!(ok.status.success(), "{}", output_text(&ok));
}

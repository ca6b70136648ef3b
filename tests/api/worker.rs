//! `advocate worker` as a process: killed mid-batch (SIGKILL) and restarted, every confirmed
//! message is delivered; stopped politely (SIGTERM), it finishes the message in hand and gives
//! back the rest.

use crate::smtp_faults::rig;
use advocate::outbox::ReceiptStatus;
use advocate_test_support::{advocate_command, Script, StubSmtp, FROM};
use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn spawn_worker(db_url: &str, smtp_url: &str, extra: &[(&str, &str)]) -> Child {
    let mut cmd = advocate_command(db_url);
    cmd.arg("worker")
        .env("ADVOCATE__SMTP__URL", smtp_url)
        .env("ADVOCATE__SMTP__FROM_ADDRESS", FROM)
        .env("ADVOCATE__SMTP__TIMEOUT_SECS", "2")
        .env("ADVOCATE__OUTBOX__LEASE_SECS", "3")
        .env("ADVOCATE__OUTBOX__POLL_INTERVAL_MS", "100")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.spawn().expect("the worker binary starts")
}

fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// Waits (bounded) for a child to exit.
async fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if started.elapsed() > within {
            let _ = child.kill();
            panic!("the worker did not exit within {within:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_worker_killed_mid_batch_and_restarted_delivers_every_confirmed_message() {
    let rig = rig(&[]).await;
    let n = 8;
    let token = rig.confirmed(n).await;
    let sink = StubSmtp::start(Script::normal().with_data_delay(Duration::from_millis(300))).await;
    let settings = [
        ("ADVOCATE__OUTBOX__BATCH_SIZE", "4"),
        ("ADVOCATE__OUTBOX__CONCURRENCY", "2"),
    ];

    let mut first = spawn_worker(&rig.app.db_url, &sink.url(), &settings);
    sink.wait_for_delivered(2, Duration::from_secs(30)).await;
    first.kill().expect("SIGKILL");
    let _ = first.wait();
    let receipt = rig.receipt(&token).await;
    let unfinished = receipt
        .messages
        .iter()
        .filter(|m| m.status != ReceiptStatus::Sent)
        .count();
    assert!(unfinished > 0, "killed mid-batch: {receipt:?}");

    let mut second = spawn_worker(&rig.app.db_url, &sink.url(), &settings);
    let started = Instant::now();
    loop {
        let receipt = rig.receipt(&token).await;
        if receipt
            .messages
            .iter()
            .all(|m| m.status == ReceiptStatus::Sent)
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not all delivered after the restart: {receipt:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    terminate(&second);
    assert!(wait_exit(&mut second, Duration::from_secs(10))
        .await
        .success());

    // Every message reached the server (a message in flight at the kill may arrive twice, with
    // the same Message-ID).
    let ids: BTreeSet<String> = sink
        .delivered()
        .iter()
        .filter(|m| m.rcpt_to.iter().any(|r| r.ends_with("faulty.test")))
        .map(|m| m.message_id().expect("Message-ID"))
        .collect();
    assert_eq!(ids.len(), n, "{ids:?}");
    assert_eq!(rig.app.store.pending_mails().await.expect("count"), 0);
}

#[tokio::test]
async fn sigterm_finishes_the_message_in_hand_and_gives_back_the_rest() {
    let rig = rig(&[]).await;
    let n = 5;
    let token = rig.confirmed(n).await;
    let sink = StubSmtp::start(Script::normal().with_data_delay(Duration::from_millis(700))).await;
    let mut worker = spawn_worker(
        &rig.app.db_url,
        &sink.url(),
        &[
            ("ADVOCATE__OUTBOX__BATCH_SIZE", "10"),
            ("ADVOCATE__OUTBOX__CONCURRENCY", "1"),
        ],
    );
    // Wait until a message is in hand (its RCPT reached the server), then ask the worker to stop.
    let started = Instant::now();
    while !(1..=n).any(|i| sink.attempts_to(&format!("office{i}@faulty.test")) > 0) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "nothing was sent"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    terminate(&worker);
    assert!(wait_exit(&mut worker, Duration::from_secs(15))
        .await
        .success());

    let receipt = rig.receipt(&token).await;
    let sent = receipt
        .messages
        .iter()
        .filter(|m| m.status == ReceiptStatus::Sent)
        .count();
    assert!(sent >= 1, "the message in hand was finished: {receipt:?}");
    assert!(sent < n, "stopped before the end: {receipt:?}");
    let delivered = sink
        .delivered()
        .iter()
        .filter(|m| m.rcpt_to.iter().any(|r| r.ends_with("faulty.test")))
        .count();
    assert_eq!(sent, delivered, "what was sent is recorded as sent");
    for m in &receipt.messages {
        match m.status {
            ReceiptStatus::Sent => {}
            // Given back untried: waiting, and the attempt not counted.
            ReceiptStatus::Waiting => assert_eq!(m.attempts, 0, "{m:?}"),
            other => panic!("left {other:?}: {m:?}"),
        }
    }
}

/// Two worker processes on one database deliver messages to one state's offices at once: each
/// records its sends and counts in transactions that touch the same count, roll-up and hourly
/// rows. Every message goes out exactly once (a recording that failed — a deadlock, say — would
/// leave its mails to be sent again after the lease) and every send is counted once.
#[tokio::test]
async fn two_workers_counting_the_same_offices_deliver_and_count_each_message_once() {
    let rig = rig(&[]).await;
    // Thirty offices of one state and chamber: their sends share the day roll-up and the hourly
    // rows, which both workers update in their recording transactions.
    let n = 30;
    let tokens = [rig.confirmed(n).await];
    let sink = StubSmtp::start(Script::normal().with_data_delay(Duration::from_millis(20))).await;
    let settings = [
        ("ADVOCATE__OUTBOX__BATCH_SIZE", "3"),
        ("ADVOCATE__OUTBOX__CONCURRENCY", "3"),
    ];
    let mut workers = [
        spawn_worker(&rig.app.db_url, &sink.url(), &settings),
        spawn_worker(&rig.app.db_url, &sink.url(), &settings),
    ];
    let started = Instant::now();
    while rig.app.store.pending_mails().await.expect("count") > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not all delivered within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for worker in &mut workers {
        terminate(worker);
        assert!(wait_exit(worker, Duration::from_secs(10)).await.success());
    }
    let to_offices: Vec<String> = sink
        .delivered()
        .iter()
        .filter(|m| m.rcpt_to.iter().any(|r| r.ends_with("faulty.test")))
        .map(|m| m.message_id().expect("Message-ID"))
        .collect();
    let distinct: BTreeSet<&String> = to_offices.iter().collect();
    assert_eq!(distinct.len(), n, "every message delivered");
    assert_eq!(to_offices.len(), n, "and none twice");
    for token in &tokens {
        let receipt = rig.receipt(token).await;
        assert!(receipt
            .messages
            .iter()
            .all(|m| m.status == ReceiptStatus::Sent));
    }
    let filter = advocate::stats::reach::ReachFilter::parse(
        &advocate::stats::reach::ReachParams::default(),
        chrono::Utc::now().date_naive(),
    )
    .expect("filter");
    let summary = rig
        .app
        .store
        .reach_summary(advocate_test_support::SLUG, &filter)
        .await
        .expect("summary")
        .expect("campaign");
    // Confirmations are not counted; every message was sent by the two workers.
    assert_eq!(summary.counts.sent, n as i64, "each send counted once");
}

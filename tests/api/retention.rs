//! Privacy: unconfirmed submissions are deleted once their link expires; delivered messages
//! lose their text and the supporter's name and email after the retention period; counts and
//! receipts' states stay.

use crate::smtp_faults::{rig, Rig};
use advocate::domain::{EmailAddress, SupporterName};
use advocate::messages::Supporter;
use advocate::outbox::{ReceiptStatus, CONFIRM_TTL};
use advocate_test_support::{Fault, Script, StubSmtp, SLUG};

const DAY: i64 = 86_400;

async fn unconfirmed(rig: &Rig) -> String {
    let doc = rig
        .app
        .store
        .campaign_doc(SLUG)
        .await
        .expect("read")
        .expect("campaign");
    let supporter = Supporter {
        name: SupporterName::parse("Sam Roe").expect("name"),
        email: EmailAddress::parse("sam@example.org").expect("email"),
        city: None,
    };
    let draft = crate::smtp_faults::draft(9);
    rig.outbox
        .submit(&doc, &[draft], &supporter, None)
        .await
        .expect("submitted")
        .receipt_token
}

#[tokio::test]
async fn expired_submissions_go_and_delivered_text_is_purged_after_retention() {
    // Retries an hour apart: the mail that meets a failing server stays retrying.
    let rig = rig(&[
        ("ADVOCATE__OUTBOX__RETRY_BASE_SECS", "3600"),
        ("ADVOCATE__OUTBOX__RETRY_MAX_SECS", "3600"),
    ])
    .await;
    let delivered = rig.confirmed(2).await;
    rig.deliver_through(&rig.relay.url(), 5).await;
    let retrying = rig.confirmed(1).await;
    let failing = StubSmtp::start(Script::always(Fault::GreetingReject)).await;
    let worker = rig.worker(&failing.url());
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    let pass = worker.pass(&stopped).await.expect("pass");
    assert_eq!(pass.retrying, 1, "{pass:?}");
    let waiting = unconfirmed(&rig).await;
    let (_, counts_before) = rig.app.counts().await;

    let now = chrono::Utc::now().timestamp();
    // Before anything is old enough, nothing changes.
    let purged = rig
        .app
        .store
        .purge_submissions(now, now - 30 * DAY)
        .await
        .expect("purge");
    assert_eq!(purged, Default::default());

    // Eight days on, with a 30-day retention reached: the unconfirmed one is gone; delivered
    // text and names are removed; the one still retrying keeps its text.
    let later = now + CONFIRM_TTL.num_seconds() + DAY;
    let purged = rig
        .app
        .store
        .purge_submissions(later, later)
        .await
        .expect("purge");
    assert_eq!(purged.expired_submissions, 1, "{purged:?}");
    assert!(rig.outbox.receipt(&waiting).await.expect("read").is_none());

    let view = rig
        .outbox
        .receipt(&delivered)
        .await
        .expect("read")
        .expect("still there");
    assert_eq!(view.supporter_name, None);
    for mail in &view.mails {
        assert!(mail.subject.is_none() && mail.body.is_none(), "{mail:?}");
    }
    let receipt = rig.receipt(&delivered).await;
    assert!(receipt
        .messages
        .iter()
        .all(|m| m.status == ReceiptStatus::Sent));

    let still = rig
        .outbox
        .receipt(&retrying)
        .await
        .expect("read")
        .expect("there");
    assert_eq!(still.supporter_name.as_deref(), Some("Jane Doe"));
    assert!(advocate::outbox::messages(&still).all(|m| m.body.is_some()));

    let (_, counts_after) = rig.app.counts().await;
    assert_eq!(counts_before, counts_after, "counts are kept");
    assert_eq!(counts_after["by_state"]["MA"]["sent"], 2);
}

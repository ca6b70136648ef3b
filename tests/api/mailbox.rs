//! aiosmtpd, the real SMTP server the sending tests deliver to, driven through the support
//! crate's `Aiosmtpd` (moved here from the driver's own file when it became part of the support
//! crate).

use advocate_test_support::Aiosmtpd;
use lettre::message::{header::ContentType, Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;

#[tokio::test]
async fn aiosmtpd_receives_a_lettre_message_with_decoded_headers() {
    let server = Aiosmtpd::start().await;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&server.url())
        .expect("url")
        .timeout(Some(Duration::from_secs(2)))
        .build();
    let message = Message::builder()
        .from(
            "Advocate <noreply@advocate.test>"
                .parse::<Mailbox>()
                .expect("from"),
        )
        .to("Sénatrice Dupré <senator@senate.test>"
            .parse::<Mailbox>()
            .expect("to"))
        .cc("aide@senate.test".parse::<Mailbox>().expect("cc"))
        .subject("Support for HB 12 – «ünïcode» ✓")
        .message_id(None)
        .header(ContentType::TEXT_PLAIN)
        .body("Dear Senator,\n.starts with a dot\nPlease vote yes — merci.\n".to_string())
        .expect("message");
    tokio::time::timeout(Duration::from_secs(3), transport.send(message))
        .await
        .expect("send within 3 s")
        .expect("aiosmtpd accepts the message");

    let got = server.wait_for(1, Duration::from_secs(2)).await;
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(m.mail_from, "noreply@advocate.test");
    assert_eq!(
        m.rcpt_to,
        vec![
            "senator@senate.test".to_string(),
            "aide@senate.test".to_string()
        ]
    );
    assert_eq!(
        m.header("Subject").as_deref(),
        Some("Support for HB 12 – «ünïcode» ✓")
    );
    let to = m.header("To").expect("To header");
    assert!(to.contains("Sénatrice Dupré"), "{to:?}");
    assert!(to.contains("<senator@senate.test>"), "{to:?}");
    assert!(m.header("X-Peer").is_some_and(|p| p.contains("127.0.0.1")));
    assert!(m.message_id().is_some());
    let body = m.body_text();
    assert!(body.contains("\n.starts with a dot"), "{body:?}");
    assert!(body.contains("vote yes — merci"), "{body:?}");
}

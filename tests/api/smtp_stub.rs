//! The scripted SMTP server of the support crate (`advocate_test_support::smtp_stub`): each
//! fault does what the tests that use it rely on, seen through lettre and a raw socket.
//! (Moved here from the stub's own file when it became part of the support crate; renamed.)

use advocate_test_support::{Fault, Script, StubSmtp};
use lettre::message::{header::ContentType, Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

fn transport(stub: &StubSmtp) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(stub.port())
        .timeout(Some(Duration::from_secs(1)))
        .build()
}

fn message(to: &str, subject: &str, body: &str) -> Message {
    Message::builder()
        .from(
            "Advocate <noreply@advocate.test>"
                .parse::<Mailbox>()
                .expect("from"),
        )
        .to(to.parse::<Mailbox>().expect("to"))
        .subject(subject)
        .message_id(None)
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_string())
        .expect("message")
}

async fn send(
    t: &AsyncSmtpTransport<Tokio1Executor>,
    m: Message,
) -> Result<lettre::transport::smtp::response::Response, lettre::transport::smtp::Error> {
    tokio::time::timeout(Duration::from_secs(3), t.send(m))
        .await
        .expect("lettre send did not finish within 3 s")
}

#[tokio::test]
async fn the_stub_delivers_and_decodes_a_utf8_subject_and_body_on_one_pooled_connection() {
    let stub = StubSmtp::start(Script::normal()).await;
    let t = transport(&stub);
    let body = "Dear Senator,\r\n.leading dot line\r\nPlease vote yes — merci.\r\n";
    send(
        &t,
        message("Rep <rep@house.test>", "Vote ✓ on HB 12 – ünïcode", body),
    )
    .await
    .expect("send");
    // lettre hands a used connection back to its pool from a spawned task; let it run so
    // the second message reuses the connection (after a NOOP probe).
    tokio::time::sleep(Duration::from_millis(50)).await;
    send(&t, message("other@house.test", "second", "two"))
        .await
        .expect("second send on the pooled connection");

    let got = stub.wait_for_delivered(2, Duration::from_secs(2)).await;
    assert_eq!(got[0].mail_from, "noreply@advocate.test");
    assert_eq!(got[0].rcpt_to, vec!["rep@house.test".to_string()]);
    assert_eq!(
        got[0].header("subject").as_deref(),
        Some("Vote ✓ on HB 12 – ünïcode")
    );
    assert!(got[0].message_id().is_some_and(|id| id.starts_with('<')));
    let text = got[0].body_text();
    assert!(text.contains(".leading dot line"), "{text:?}");
    assert!(text.contains("vote yes — merci"), "{text:?}");
    assert_eq!(got[1].header("Subject").as_deref(), Some("second"));
    assert_eq!(stub.attempts_to("REP@house.test"), 1);
    // lettre's pool reused the connection for the second message.
    assert_eq!(stub.sessions(), 1);
}

#[tokio::test]
async fn a_rcpt_reject_from_the_stub_is_permanent() {
    let stub = StubSmtp::start(Script::always(Fault::RcptReject)).await;
    let err = send(&transport(&stub), message("gone@house.test", "s", "b"))
        .await
        .expect_err("550 must fail");
    assert!(err.is_permanent(), "{err:?}");
    assert_eq!(stub.attempts_to("gone@house.test"), 1);
    assert!(stub.delivered().is_empty());
}

#[tokio::test]
async fn a_rcpt_tempfail_for_one_domain_leaves_the_others_alone() {
    let stub =
        StubSmtp::start(Script::always(Fault::RcptTempFail).for_domain("@Senate.test")).await;
    let t = transport(&stub);
    send(&t, message("a@house.test", "s", "b"))
        .await
        .expect("other domains are unaffected");
    let err = send(&t, message("b@senate.test", "s", "b"))
        .await
        .expect_err("451 must fail");
    assert!(err.is_transient(), "{err:?}");
    assert_eq!(stub.attempts_to("b@senate.test"), 1);
    assert_eq!(stub.delivered().len(), 1);
}

#[tokio::test]
async fn a_fault_for_the_first_session_only_lets_the_second_one_deliver() {
    let stub = StubSmtp::start(Script::first(1, Fault::RcptTempFail)).await;
    let t = transport(&stub);
    let err = send(&t, message("b@senate.test", "s", "b"))
        .await
        .expect_err("451 must fail");
    assert!(err.is_transient(), "{err:?}");
    // lettre QUITs a connection after an error, so the retry opens session 2: normal.
    send(&t, message("b@senate.test", "s", "b"))
        .await
        .expect("second session behaves");
    assert_eq!(stub.attempts_to("b@senate.test"), 2);
    assert_eq!(stub.delivered().len(), 1);
    assert_eq!(stub.sessions(), 2);
}

#[tokio::test]
async fn a_greeting_reject_from_the_stub_is_transient() {
    let stub = StubSmtp::start(Script::always(Fault::GreetingReject)).await;
    let err = send(&transport(&stub), message("a@house.test", "s", "b"))
        .await
        .expect_err("421 must fail");
    assert!(err.is_transient(), "{err:?}");
    assert_eq!(stub.sessions(), 1);
}

#[tokio::test]
async fn a_data_reject_is_permanent_and_delivers_nothing() {
    let stub = StubSmtp::start(Script::always(Fault::DataReject)).await;
    let err = send(&transport(&stub), message("a@house.test", "s", "b"))
        .await
        .expect_err("554 must fail");
    assert!(err.is_permanent(), "{err:?}");
    assert!(stub.delivered().is_empty());
}

#[tokio::test]
async fn a_connection_dropped_after_mail_from_is_an_error() {
    let stub = StubSmtp::start(Script::always(Fault::DropAfterMailFrom)).await;
    let err = send(&transport(&stub), message("a@house.test", "s", "b"))
        .await
        .expect_err("a dropped connection must fail");
    assert!(!err.is_permanent(), "{err:?}");
    assert_eq!(stub.attempts_to("a@house.test"), 0);
}

#[tokio::test]
async fn a_silent_stub_needs_a_caller_side_timeout() {
    let stub = StubSmtp::start(Script::always(Fault::Silent)).await;
    let t = transport(&stub); // lettre timeout 1 s: covers the TCP connect only
    let started = Instant::now();
    let outcome = tokio::time::timeout(
        Duration::from_millis(1500),
        t.send(message("a@house.test", "s", "b")),
    )
    .await;
    let elapsed = started.elapsed();
    match outcome {
        // lettre 0.11 (tokio1) does not time out the greeting read: the caller's bound fires.
        Err(_elapsed) => {}
        // Should lettre ever bound reads itself, it must fail, not succeed.
        Ok(result) => assert!(result.is_err(), "a silent server cannot accept mail"),
    }
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    assert_eq!(stub.sessions(), 1);
    assert!(stub.delivered().is_empty());
}

#[tokio::test]
async fn a_data_delay_slows_the_final_reply() {
    let stub = StubSmtp::start(Script::normal().with_data_delay(Duration::from_millis(300))).await;
    let started = Instant::now();
    send(&transport(&stub), message("a@house.test", "s", "b"))
        .await
        .expect("send");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(stub.delivered().len(), 1);
}

#[tokio::test]
async fn the_stub_speaks_plain_smtp() {
    let stub = StubSmtp::start(Script::normal()).await;
    let stream = TcpStream::connect(("127.0.0.1", stub.port()))
        .await
        .expect("connect");
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let mut greeting = String::new();
    r.read_line(&mut greeting).await.expect("read greeting");
    assert!(greeting.starts_with("220 "), "{greeting:?}");
    w.write_all(b"EHLO me\r\n").await.expect("write");
    let mut ehlo = Vec::new();
    loop {
        let mut l = String::new();
        r.read_line(&mut l).await.expect("read EHLO reply");
        let last = l.starts_with("250 ");
        ehlo.push(l);
        if last {
            break;
        }
    }
    assert_eq!(ehlo.len(), 4, "{ehlo:?}");
    for (cmd, want) in [
        ("HELO me\r\n", "250"),
        ("FOO\r\n", "502"),
        ("RCPT TO:<c@d.test>\r\n", "503"),
        ("MAIL FROM:<> BODY=8BITMIME SMTPUTF8\r\n", "250"),
        ("RCPT TO:<c@d.test>\r\n", "250"),
        ("DATA\r\n", "354"),
        ("Subject: hi\r\n\r\n..dot\r\n.\r\n", "250"),
        ("NOOP\r\n", "250"),
        ("RSET\r\n", "250"),
        ("QUIT\r\n", "221"),
    ] {
        w.write_all(cmd.as_bytes()).await.expect("write");
        let mut l = String::new();
        r.read_line(&mut l).await.expect("read");
        assert!(l.starts_with(want), "{cmd:?} -> {l:?}");
    }
    let got = stub.delivered();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].mail_from, "");
    assert_eq!(got[0].data, "Subject: hi\r\n\r\n.dot\r\n");
}

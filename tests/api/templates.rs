//! The template editor's services (`messages::editor`), which the staff pages and the JSON API
//! call: save with author and note (counting the states whose messages change), history,
//! preview for a chosen legislator without saving, diff, restore; hostile edits refused.

use crate::messages::text;
use advocate::directory::Chamber;
use advocate::domain::StateCode;
use advocate::messages::editor::{self, HistoryError, LineKind, PreviewError};
use advocate::messages::{self, Audience, SaveTemplateError, TemplateError};
use advocate::scorecard::CampaignDoc;
use advocate::staff::{Actor, Origin};
use advocate::store::Store;
use advocate_test_support::{boston_app, ids, message_request as request, spawn_app, SLUG};

/// Staff member `id` saving from nowhere in particular (the services' own tests).
pub fn staff_origin(id: i64) -> Origin {
    Origin {
        actor: Actor::Staff(id),
        client_addr: None,
    }
}

fn ma() -> StateCode {
    StateCode::parse("MA").expect("MA")
}

async fn doc(store: &Store) -> CampaignDoc {
    store
        .campaign_doc(SLUG)
        .await
        .expect("read")
        .expect("seeded campaign")
}

const V2_SUBJECT: &str = "Version two for {{ state.name }}";
const V2_BODY: &str = "Dear {{ legislator.title }} {{ legislator.name }},\n\nVERSION TWO.\n\
    {% for ask in scorecard.gaps %}\n- {{ ask }}\n{% endfor %}\n\n{{ supporter.name }}";

#[tokio::test]
async fn staff_save_list_preview_for_a_chosen_senator_diff_and_restore_a_template() {
    let (app, _census) = boston_app().await;
    let store = &app.store;
    let history = editor::history(store, SLUG, Audience::State)
        .await
        .expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].author, messages::SEED_AUTHOR);
    assert_eq!(history[0].note, None);
    let v1 = history[0].template.clone();

    // Save: version 2, by a staff member with a note; every state's message changes.
    let saved = messages::save_template(
        store,
        SLUG,
        Audience::State,
        &text(V2_SUBJECT, V2_BODY),
        staff_origin(7),
        Some("  Shorter, with the title  "),
    )
    .await
    .expect("saved");
    assert_eq!(saved.version(), 2);
    assert_eq!(saved.previous_version, 1);
    assert_eq!(saved.changed(), StateCode::all().count());
    assert_eq!(saved.template.author, "staff:7");
    assert_eq!(
        saved.template.note.as_deref(),
        Some("Shorter, with the title")
    );

    // List and read back.
    let history = editor::history(store, SLUG, Audience::State)
        .await
        .expect("history");
    assert_eq!(
        history
            .iter()
            .map(|v| (v.template.version, v.author.as_str()))
            .collect::<Vec<_>>(),
        [(2, "staff:7"), (1, "seed")]
    );
    assert_eq!(
        history[0], saved.template,
        "a read returns what the save said"
    );
    let two = editor::version(store, SLUG, Audience::State, 2)
        .await
        .expect("version 2");
    assert_eq!(two.template.body, V2_BODY);
    assert_eq!(
        editor::current(store, SLUG, Audience::State)
            .await
            .expect("current"),
        two
    );
    assert!(matches!(
        editor::version(store, SLUG, Audience::State, 9).await,
        Err(HistoryError::NoVersion(9))
    ));
    assert!(matches!(
        editor::history(store, "nope", Audience::State).await,
        Err(HistoryError::NoCampaign(_))
    ));

    // Preview an unsaved edit for Massachusetts and a senator chosen from the directory.
    let doc = doc(store).await;
    let senators: Vec<_> = editor::preview_legislators(store, ma(), Audience::State)
        .await
        .expect("legislators")
        .into_iter()
        .filter(|l| l.chamber == Chamber::StateUpper)
        .collect();
    assert!(senators.len() > 10, "{}", senators.len());
    let senator = senators.last().expect("a senator");
    let edit = text(
        "Preview for {{ state.name }}",
        "Dear {{ legislator.salutation }} {{ legislator.last_name }},\n\
         {% for ask in scorecard.gaps %}- {{ ask }}\n{% endfor %}",
    );
    let preview = editor::preview(store, &doc, Audience::State, &edit, ma(), Some(&senator.id))
        .await
        .expect("preview");
    assert_eq!(preview.subject, "Preview for Massachusetts");
    assert_eq!(preview.legislator.id, senator.id);
    assert!(preview.legislator.from_directory);
    assert!(
        preview.body.starts_with("Dear Senator "),
        "{}",
        preview.body
    );
    assert!(
        preview.body.contains(senator.family_name.trim()),
        "{} in {}",
        senator.family_name,
        preview.body
    );
    let gaps = doc.scorecard(ma()).gaps;
    assert_eq!(preview.body.matches("\n- ").count(), gaps.len());
    // The default legislator is the first of the audience's chambers.
    let default = editor::preview(store, &doc, Audience::State, &edit, ma(), None)
        .await
        .expect("preview");
    assert_eq!(default.legislator.id, senators[0].id);
    // A member of Congress is not a recipient of the state template.
    let federal = editor::preview_legislators(store, ma(), Audience::Federal)
        .await
        .expect("legislators");
    let err = editor::preview(
        store,
        &doc,
        Audience::State,
        &edit,
        ma(),
        Some(&federal[0].id),
    )
    .await
    .expect_err("not a state legislator");
    assert!(matches!(err, PreviewError::UnknownLegislator { .. }));
    assert_eq!(err.field(), Some("legislator_id"));
    // Errors name the part and the line.
    let err = editor::preview(
        store,
        &doc,
        Audience::State,
        &text(
            "Hi",
            "Dear {{ legislator.name }},\n\n{{ legislator.nickname }}",
        ),
        ma(),
        None,
    )
    .await
    .expect_err("unknown field");
    assert_eq!(err.field(), Some("body"));
    assert!(err.to_string().contains("line 3"), "{err}");
    assert!(err.to_string().contains("Massachusetts"), "{err}");
    assert_eq!(
        editor::history(store, SLUG, Audience::State)
            .await
            .expect("history")
            .len(),
        2,
        "a preview saves nothing"
    );

    // Diff between any two versions, in either order.
    let diff = editor::diff_versions(store, SLUG, Audience::State, 2, 1)
        .await
        .expect("diff");
    assert_eq!(
        (diff.from.template.version, diff.to.template.version),
        (1, 2)
    );
    assert!(diff
        .diff
        .body
        .lines
        .iter()
        .any(|l| l.kind == LineKind::Added && l.text == "VERSION TWO."));
    assert!(diff
        .diff
        .subject
        .lines
        .iter()
        .any(|l| l.kind == LineKind::Removed && l.text == v1.subject));

    // Restore version 1 as version 3: the next drafts use it and name version 3.
    let restored = editor::restore(store, SLUG, Audience::State, 1, staff_origin(7), None)
        .await
        .expect("restored");
    assert_eq!(restored.version(), 3);
    assert_eq!(restored.previous_version, 2);
    assert_eq!(restored.changed(), StateCode::all().count());
    assert_eq!(
        restored.template.note.as_deref(),
        Some("Restored version 1")
    );
    assert_eq!(restored.template.template.text(), v1.text());
    let (targets, _) = app.boston_targets().await;
    let (status, body) = app.post_message(&request(&ids(&targets))).await;
    assert_eq!(status, 200, "{body}");
    let state_drafts: Vec<_> = body["drafts"]
        .as_array()
        .expect("drafts")
        .iter()
        .zip(&targets)
        .filter(|(_, t)| {
            t["chamber"]
                .as_str()
                .is_some_and(|c| c.starts_with("state_"))
        })
        .map(|(d, _)| d)
        .collect();
    assert!(!state_drafts.is_empty());
    for draft in state_drafts {
        assert_eq!(draft["template_version"], 3);
        assert!(!draft["body"]
            .as_str()
            .expect("body")
            .contains("VERSION TWO"));
    }
    assert!(matches!(
        editor::restore(store, SLUG, Audience::State, 42, staff_origin(7), None).await,
        Err(SaveTemplateError::NoVersion(42))
    ));
}

#[tokio::test]
async fn a_save_counts_only_the_states_whose_messages_change() {
    let app = spawn_app().await;
    let store = &app.store;
    let current = editor::current(store, SLUG, Audience::Federal)
        .await
        .expect("current")
        .template;
    let mut edit = current.text();
    edit.subject = format!(
        "{}{{% if state.code == 'MA' %}} (Massachusetts){{% endif %}}",
        edit.subject
    );
    let saved = messages::save_template(store, SLUG, Audience::Federal, &edit, Origin::cli(), None)
        .await
        .expect("saved");
    assert_eq!(saved.changed_states, [ma()]);
    // The same text again is a new version that changes nothing.
    let again = messages::save_template(store, SLUG, Audience::Federal, &edit, Origin::cli(), None)
        .await
        .expect("saved");
    assert_eq!((again.version(), again.changed()), (3, 0));
    // Without a directory, a preview is written to a stand-in.
    let doc = doc(store).await;
    let preview = editor::preview(store, &doc, Audience::Federal, &edit, ma(), None)
        .await
        .expect("preview");
    assert!(!preview.legislator.from_directory);
    assert!(
        preview.subject.ends_with(" (Massachusetts)"),
        "{}",
        preview.subject
    );
}

#[tokio::test]
async fn hostile_edits_are_refused_by_save_and_preview_and_change_nothing() {
    let app = spawn_app().await;
    let store = &app.store;
    let doc = doc(store).await;
    let before = editor::history(store, SLUG, Audience::State)
        .await
        .expect("history");
    for (body, part) in [
        ("Dear {{ legislator.nickname }}", "body"),
        ("{% include 'secrets.txt' %}", "body"),
        ("{% for i in range(100000000) %}x{% endfor %}", "body"),
        (
            "{% for a in scorecard.unknown %}{% for b in scorecard.unknown %}\
             {% for c in scorecard.unknown %}{% for d in scorecard.unknown %}\
             {% for e in scorecard.unknown %}{% for f in scorecard.unknown %}x\
             {% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}",
            "body",
        ),
        ("{{ 'x' * 100000000 }}", "body"),
    ] {
        let edit = text("Subject", body);
        let err =
            messages::save_template(store, SLUG, Audience::State, &edit, staff_origin(1), None)
                .await
                .expect_err(body);
        assert!(
            matches!(err, SaveTemplateError::Invalid(_)),
            "{body}: {err:?}"
        );
        assert_eq!(err.field(), Some(part), "{body}");
        let err = editor::preview(store, &doc, Audience::State, &edit, ma(), None)
            .await
            .expect_err(body);
        assert!(matches!(err, PreviewError::Invalid(_)), "{body}: {err:?}");
    }
    let err = messages::save_template(
        store,
        SLUG,
        Audience::State,
        &text("Hi {{ nope }}", "Body"),
        staff_origin(1),
        None,
    )
    .await
    .expect_err("unknown variable in the subject");
    assert_eq!(err.field(), Some("subject"));
    assert_eq!(err.state(), StateCode::parse("AL").ok());
    assert!(matches!(
        err,
        SaveTemplateError::Invalid(TemplateError::Render { .. })
    ));
    let err = messages::save_template(
        store,
        SLUG,
        Audience::State,
        &before[0].template.text(),
        staff_origin(1),
        Some(&"n".repeat(editor::MAX_NOTE_CHARS + 1)),
    )
    .await
    .expect_err("note too long");
    assert_eq!(err.field(), Some("note"));
    assert!(matches!(
        messages::save_template(
            store,
            "nope",
            Audience::State,
            &before[0].template.text(),
            Origin::cli(),
            None
        )
        .await,
        Err(SaveTemplateError::NoCampaign(_))
    ));
    let after = editor::history(store, SLUG, Audience::State)
        .await
        .expect("history");
    assert_eq!(before, after, "nothing saved");
}

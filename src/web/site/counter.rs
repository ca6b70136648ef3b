//! `GET /campaigns/{slug}/counter.svg`: the public counter as a badge for a campaign's own
//! site (`<img src=".../counter.svg" alt="...">`): the campaign's name, the total and, when
//! staff set a goal, a progress bar. Rendered by an askama template (`templates/site/
//! counter.svg`, escaped like HTML, which is also valid XML escaping), cacheable for a minute,
//! loadable from any origin.

use crate::stats::{thousands, Counter};
use crate::web::error::{no_campaign, PageError};
use crate::web::AppState;
use actix_web::http::header::CACHE_CONTROL;
use actix_web::{get, web, HttpResponse};
use askama::Template;

/// Space around the text, in px.
const PAD: u32 = 12;
/// The narrowest badge, in px.
const MIN_WIDTH: u32 = 180;
/// The longest campaign name shown whole; longer names end with an ellipsis.
const MAX_NAME_CHARS: usize = 60;
/// Font sizes (px) of the campaign's name, the total and the goal's caption.
const NAME_SIZE: f64 = 12.0;
const TOTAL_SIZE: f64 = 18.0;
const CAPTION_SIZE: f64 = 12.0;

/// The progress bar and its caption.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalBar {
    pub track_width: u32,
    /// The filled part: `track_width` times the share of the goal reached, never more.
    pub bar_width: String,
    /// "61% of 20,000 goal".
    pub caption: String,
}

#[derive(Template, Debug, Clone)]
#[template(path = "site/counter.svg")]
pub struct Badge {
    pub width: u32,
    pub height: u32,
    pub pad: u32,
    /// The campaign's name as shown (control characters dropped, long names shortened).
    pub campaign: String,
    /// "12,345 messages sent".
    pub headline: String,
    /// The whole figure in words, for `<title>` and `aria-label`.
    pub label: String,
    pub goal: Option<GoalBar>,
}

impl Badge {
    pub fn build(campaign: &str, counter: &Counter) -> Badge {
        let campaign = shown_name(campaign);
        let noun = if counter.total == 1 {
            "message"
        } else {
            "messages"
        };
        let headline = format!("{} {noun} sent", thousands(counter.total));
        let caption = counter
            .percent()
            .zip(counter.goal)
            .map(|(percent, goal)| format!("{}% of {} goal", thousands(percent), thousands(goal)));
        let text_width = [
            text_width(&campaign, NAME_SIZE, false),
            text_width(&headline, TOTAL_SIZE, true),
            caption
                .as_deref()
                .map_or(0.0, |c| text_width(c, CAPTION_SIZE, false)),
        ]
        .into_iter()
        .fold(0.0, f64::max);
        let width = (text_width.ceil() as u32 + 2 * PAD).max(MIN_WIDTH);
        let track_width = width - 2 * PAD;
        let goal = caption.map(|caption| GoalBar {
            track_width,
            bar_width: format!(
                "{:.1}",
                f64::from(track_width) * counter.progress().unwrap_or(0.0)
            ),
            caption,
        });
        let label = if campaign.is_empty() {
            counter.in_words()
        } else {
            format!("{campaign}: {}", counter.in_words())
        };
        Badge {
            width,
            height: if goal.is_some() { 92 } else { 58 },
            pad: PAD,
            campaign,
            headline,
            label,
            goal,
        }
    }
}

/// The campaign's name without characters XML cannot hold (control characters), shortened.
fn shown_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let clean = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    if clean.chars().count() > MAX_NAME_CHARS {
        let mut short: String = clean.chars().take(MAX_NAME_CHARS - 1).collect();
        short.push('…');
        short
    } else {
        clean
    }
}

/// About how wide `text` is drawn at `size` px in Verdana (or a wider fallback), erring wide:
/// the badge has no script to measure it, and text must not run off the edge.
fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    let em: f64 = text
        .chars()
        .map(|c| match c {
            '0'..='9' => 0.64,
            ',' | '.' | ':' | ';' | '\'' | '|' | '!' => 0.36,
            ' ' => 0.36,
            'i' | 'l' | 'j' | 'I' => 0.32,
            'f' | 't' | 'r' => 0.44,
            'm' | 'w' | 'M' | 'W' => 0.98,
            '%' => 1.1,
            'A'..='Z' => 0.75,
            'a'..='z' => 0.63,
            c if c.is_ascii() => 0.7,
            _ => 1.0,
        })
        .sum();
    em * size * if bold { 1.1 } else { 1.0 }
}

#[get("/campaigns/{slug}/counter.svg")]
pub async fn badge(
    app: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let doc = app
        .campaign(&slug)
        .await?
        .ok_or_else(|| PageError::from(no_campaign(&slug)))?;
    let counter = crate::stats::counter::counter(&app.store, &slug, chrono::Utc::now())
        .await?
        .ok_or_else(|| PageError::from(no_campaign(&slug)))?;
    let svg = Badge::build(&doc.campaign.title, &counter).render()?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml; charset=utf-8")
        .insert_header((CACHE_CONTROL, "public, max-age=60"))
        // Embedded by the campaign's own site, on another origin.
        .insert_header(("Cross-Origin-Resource-Policy", "cross-origin"))
        .body(svg))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter(total: i64, goal: Option<i64>) -> Counter {
        Counter {
            total,
            last_24h: 0,
            goal,
        }
    }

    #[test]
    fn the_bar_fills_the_share_of_the_goal_and_never_overflows() {
        let half = Badge::build("End QI", &counter(500, Some(1_000)));
        let bar = half.goal.as_ref().expect("a bar");
        assert_eq!(
            bar.bar_width,
            format!("{:.1}", f64::from(bar.track_width) / 2.0)
        );
        assert_eq!(bar.caption, "50% of 1,000 goal");
        let over = Badge::build("End QI", &counter(3_000, Some(1_000)));
        let bar = over.goal.as_ref().expect("a bar");
        assert_eq!(bar.bar_width, format!("{:.1}", f64::from(bar.track_width)));
        assert_eq!(bar.caption, "300% of 1,000 goal");
        assert!(Badge::build("End QI", &counter(3, None)).goal.is_none());
    }

    #[test]
    fn the_badge_grows_with_its_text() {
        let short = Badge::build("QI", &counter(1, None));
        let long = Badge::build(&"A very long campaign name ".repeat(4), &counter(1, None));
        assert!(short.width >= MIN_WIDTH);
        assert!(long.width > short.width);
        assert!(long.campaign.ends_with('…'));
        assert_eq!(long.campaign.chars().count(), MAX_NAME_CHARS);
        let big = Badge::build("QI", &counter(1_234_567_890_123, None));
        assert!(
            f64::from(big.width) >= text_width("1,234,567,890,123 messages sent", TOTAL_SIZE, true)
        );
    }

    #[test]
    fn names_lose_control_characters_and_the_svg_escapes_markup() {
        let b = Badge::build(
            "<script>a\u{1}b</script> & Co",
            &counter(12_345, Some(20_000)),
        );
        assert_eq!(b.campaign, "<script>a b</script> & Co");
        let svg = b.render().expect("renders");
        assert!(!svg.contains("<script"), "{svg}");
        // askama writes numeric references, which XML reads as well as HTML does.
        assert!(
            svg.contains("&#60;script&#62;a b&#60;/script&#62; &#38; Co"),
            "{svg}"
        );
        assert!(svg.contains("12,345 messages sent to legislators, of 20,000 goal"));
        assert!(svg.contains(r#"role="img""#));
    }
}

//! The home page's map: a tile-grid cartogram of the United States drawn as inline SVG.
//!
//! There is no geographic shape data on the server (and the CSP forbids fetching any), so every
//! state and DC is one equal square in an approximate geographic grid, the layout newsrooms
//! popularised. Equal tiles also keep small states such as Rhode Island and DC readable and
//! clickable.

use super::text::{bill_status_phrase, points};
use crate::domain::{BillStatus, StateCode};
use crate::scorecard::Scorecard;

/// Column and row (both from zero, top-left) of each state's tile, in reading order.
pub const LAYOUT: [(&str, u8, u8); 51] = [
    ("AK", 0, 0),
    ("ME", 10, 0),
    ("WI", 5, 1),
    ("VT", 9, 1),
    ("NH", 10, 1),
    ("WA", 0, 2),
    ("ID", 1, 2),
    ("MT", 2, 2),
    ("ND", 3, 2),
    ("MN", 4, 2),
    ("IL", 5, 2),
    ("MI", 6, 2),
    ("NY", 8, 2),
    ("MA", 9, 2),
    ("OR", 0, 3),
    ("NV", 1, 3),
    ("WY", 2, 3),
    ("SD", 3, 3),
    ("IA", 4, 3),
    ("IN", 5, 3),
    ("OH", 6, 3),
    ("PA", 7, 3),
    ("NJ", 8, 3),
    ("CT", 9, 3),
    ("RI", 10, 3),
    ("CA", 0, 4),
    ("UT", 1, 4),
    ("CO", 2, 4),
    ("NE", 3, 4),
    ("MO", 4, 4),
    ("KY", 5, 4),
    ("WV", 6, 4),
    ("VA", 7, 4),
    ("MD", 8, 4),
    ("DE", 9, 4),
    ("AZ", 1, 5),
    ("NM", 2, 5),
    ("KS", 3, 5),
    ("AR", 4, 5),
    ("TN", 5, 5),
    ("NC", 6, 5),
    ("SC", 7, 5),
    ("DC", 8, 5),
    ("OK", 3, 6),
    ("LA", 4, 6),
    ("MS", 5, 6),
    ("AL", 6, 6),
    ("GA", 7, 6),
    ("HI", 0, 7),
    ("TX", 3, 7),
    ("FL", 8, 7),
];

/// Where a state's tile sits, as (column, row).
pub fn position(code: StateCode) -> Option<(u8, u8)> {
    LAYOUT
        .iter()
        .find(|(c, _, _)| *c == code.as_str())
        .map(|(_, col, row)| (*col, *row))
}

/// A tile colour and the colour of the text and marks drawn on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shade {
    pub fill: &'static str,
    pub ink: &'static str,
}

const DARK: &str = "#1a1a1a";
const WHITE: &str = "#ffffff";

/// Ten steps from pale lavender to deep purple (the campaign's colour, #5b2a86, is step 7), by
/// criteria met. Text and marks on each tile take whichever of near-black or white reads better;
/// WCAG contrast ratios (checked by a test below):
///
/// | step | fill    | ink   | ratio |
/// |------|---------|-------|-------|
/// | 0    | #f4eefb | dark  | 15.3  |
/// | 1    | #e4d6f4 | dark  | 12.6  |
/// | 2    | #d2bdeb | dark  | 10.1  |
/// | 3    | #bfa2e1 | dark  | 7.9   |
/// | 4    | #a884d3 | dark  | 5.7   |
/// | 5    | #8a5cc0 | white | 4.8   |
/// | 6    | #7446aa | white | 6.6   |
/// | 7    | #5b2a86 | white | 9.9   |
/// | 8    | #451f69 | white | 12.7  |
/// | 9    | #2c1046 | white | 16.5  |
pub const PALETTE: [Shade; 10] = [
    Shade {
        fill: "#f4eefb",
        ink: DARK,
    },
    Shade {
        fill: "#e4d6f4",
        ink: DARK,
    },
    Shade {
        fill: "#d2bdeb",
        ink: DARK,
    },
    Shade {
        fill: "#bfa2e1",
        ink: DARK,
    },
    Shade {
        fill: "#a884d3",
        ink: DARK,
    },
    Shade {
        fill: "#8a5cc0",
        ink: WHITE,
    },
    Shade {
        fill: "#7446aa",
        ink: WHITE,
    },
    Shade {
        fill: "#5b2a86",
        ink: WHITE,
    },
    Shade {
        fill: "#451f69",
        ink: WHITE,
    },
    Shade {
        fill: "#2c1046",
        ink: WHITE,
    },
];

/// States with no evaluated legislation: neutral grey (13.3:1 with dark text) under diagonal
/// hatching (#b8b8b8, 9.1:1 with dark text), so they differ from "0 of 9" by texture, not only hue.
pub const NO_LEGISLATION: Shade = Shade {
    fill: "#e6e6e6",
    ink: DARK,
};
pub const HATCH_LINE: &str = "#b8b8b8";
/// The id of the SVG hatch pattern; the legend's swatches refer to it too.
pub const HATCH_ID: &str = "map-hatch";

const TILE: u32 = 52;
const PITCH: u32 = 60;
const MARGIN: u32 = 4;

/// How a state's bill is marked on top of its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// A dashed inner outline and a dot.
    Pending,
    /// A solid inner outline and a star.
    Passed,
}

/// One state's square, with every coordinate worked out so the template only places numbers.
#[derive(Debug, Clone)]
pub struct Tile {
    pub code: &'static str,
    /// Lower-case code, `ma`.
    pub slug: String,
    /// Where the tile links to (`/states/ma` on the home page).
    pub href: String,
    /// The link's accessible name, such as "Massachusetts: 3.5 of 9 standards met, failed bill".
    pub label: String,
    pub x: u32,
    pub y: u32,
    pub size: u32,
    pub fill: String,
    pub ink: &'static str,
    /// Centre of the code text.
    pub text_x: u32,
    pub text_y: u32,
    /// The focus ring, drawn just outside the tile.
    pub ring_x: u32,
    pub ring_y: u32,
    pub ring_size: u32,
    /// The marker outline, drawn just inside the tile.
    pub inner_x: u32,
    pub inner_y: u32,
    pub inner_size: u32,
    pub pending: bool,
    pub passed: bool,
    /// Where the dot or star sits.
    pub mark_x: u32,
    pub mark_y: u32,
    /// The star's points, for passed bills.
    pub star: String,
}

/// One line of the legend.
#[derive(Debug, Clone)]
pub struct LegendEntry {
    pub text: String,
    pub fill: String,
    pub ink: &'static str,
    pub mark: Option<Mark>,
    /// Star points inside the 24-unit swatch.
    pub star: String,
}

impl LegendEntry {
    pub fn is_pending(&self) -> bool {
        self.mark == Some(Mark::Pending)
    }

    pub fn is_passed(&self) -> bool {
        self.mark == Some(Mark::Passed)
    }
}

/// The whole map: the SVG's size and tiles, and the legend.
#[derive(Debug, Clone)]
pub struct MapView {
    pub width: u32,
    pub height: u32,
    pub tiles: Vec<Tile>,
    pub legend: Vec<LegendEntry>,
    pub hatch_id: &'static str,
    pub hatch_fill: &'static str,
    pub hatch_line: &'static str,
}

/// The shade for a scorecard: by criteria met, or neutral when nothing has been evaluated.
pub fn shade(card: &Scorecard) -> Shade {
    match card.met_bucket() {
        Some(bucket) => PALETTE[usize::from(bucket).min(PALETTE.len() - 1)],
        None => NO_LEGISLATION,
    }
}

fn mark(card: &Scorecard) -> Option<Mark> {
    match card.bill.as_ref().map(|b| b.status) {
        Some(BillStatus::Pending) => Some(Mark::Pending),
        Some(BillStatus::Passed) => Some(Mark::Passed),
        Some(BillStatus::Failed) | None => None,
    }
}

/// "Massachusetts, MA: 3.5 of 9 standards met, failed bill"; "Wyoming, WY: no evaluated
/// legislation". The code is the tile's visible text, so it must be part of the name (WCAG 2.5.3).
pub fn tile_label(card: &Scorecard) -> String {
    let Some(bill) = card.bill.as_ref() else {
        return format!(
            "{}, {}: no evaluated legislation",
            card.state_name,
            card.state.as_str()
        );
    };
    let unknown = if card.score.unknown > 0 {
        format!(" ({} not yet evaluated)", card.score.unknown)
    } else {
        String::new()
    };
    format!(
        "{}, {}: {} of {} standards met{unknown}, {}",
        card.state_name,
        card.state.as_str(),
        points(card.score.total()),
        card.score.total_of(),
        bill_status_phrase(bill.status),
    )
}

/// A five-pointed star centred on (cx, cy) with outer radius r, as SVG polygon points.
fn star_points(cx: f64, cy: f64, r: f64) -> String {
    let inner = r * 0.45;
    (0..10)
        .map(|i| {
            let radius = if i % 2 == 0 { r } else { inner };
            let angle = std::f64::consts::PI * (f64::from(i) / 5.0 - 0.5);
            format!(
                "{:.1},{:.1}",
                cx + radius * angle.cos(),
                cy + radius * angle.sin()
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What one state's tile shows on any map: its colour, its link and the link's name.
#[derive(Debug, Clone)]
pub struct Coloured {
    pub state: StateCode,
    /// A colour, or a pattern (`url(#id)`), with the ink that reads on it.
    pub fill: String,
    pub ink: &'static str,
    pub href: String,
    pub label: String,
    pub mark: Option<Mark>,
}

impl Coloured {
    /// A state shaded `shade`, unmarked.
    pub fn shaded(state: StateCode, shade: Shade, href: String, label: String) -> Coloured {
        Coloured {
            state,
            fill: shade.fill.to_string(),
            ink: shade.ink,
            href,
            label,
            mark: None,
        }
    }
}

impl MapView {
    /// Builds the map from every state's scorecard; `rubric_size` is the number of standards.
    pub fn build(cards: &[Scorecard], rubric_size: usize) -> MapView {
        let states: Vec<Coloured> = cards
            .iter()
            .map(|card| {
                let shade = shade(card);
                Coloured {
                    state: card.state,
                    fill: if card.bill.is_some() {
                        shade.fill.to_string()
                    } else {
                        format!("url(#{HATCH_ID})")
                    },
                    ink: shade.ink,
                    href: format!("/states/{}", card.state.as_str().to_ascii_lowercase()),
                    label: tile_label(card),
                    mark: mark(card),
                }
            })
            .collect();
        MapView::coloured(&states, legend(rubric_size))
    }

    /// The same grid with each state's colour, link and name given (a state left out has no
    /// tile), and `legend` below it.
    pub fn coloured(states: &[Coloured], legend: Vec<LegendEntry>) -> MapView {
        let mut placed: Vec<(u8, u8, &Coloured)> = states
            .iter()
            .filter_map(|c| position(c.state).map(|(col, row)| (col, row, c)))
            .collect();
        // Reading order, so keyboard users move across the map row by row.
        placed.sort_by_key(|(col, row, _)| (*row, *col));

        let cols = LAYOUT
            .iter()
            .map(|(_, c, _)| u32::from(*c))
            .max()
            .unwrap_or(0)
            + 1;
        let rows = LAYOUT
            .iter()
            .map(|(_, _, r)| u32::from(*r))
            .max()
            .unwrap_or(0)
            + 1;

        let tiles = placed
            .into_iter()
            .map(|(col, row, c)| {
                let x = MARGIN + u32::from(col) * PITCH;
                let y = MARGIN + u32::from(row) * PITCH;
                // Top right, clear of the inner outline and of the code below it.
                let mark_x = x + TILE - 14;
                let mark_y = y + 14;
                Tile {
                    code: c.state.as_str(),
                    slug: c.state.as_str().to_ascii_lowercase(),
                    href: c.href.clone(),
                    label: c.label.clone(),
                    x,
                    y,
                    size: TILE,
                    fill: c.fill.clone(),
                    ink: c.ink,
                    text_x: x + TILE / 2,
                    text_y: y + TILE / 2 + 7,
                    ring_x: x - 3,
                    ring_y: y - 3,
                    ring_size: TILE + 6,
                    inner_x: x + 4,
                    inner_y: y + 4,
                    inner_size: TILE - 8,
                    pending: c.mark == Some(Mark::Pending),
                    passed: c.mark == Some(Mark::Passed),
                    mark_x,
                    mark_y,
                    star: star_points(f64::from(mark_x), f64::from(mark_y), 5.5),
                }
            })
            .collect();

        MapView {
            width: cols * PITCH + 2 * MARGIN - (PITCH - TILE),
            height: rows * PITCH + 2 * MARGIN - (PITCH - TILE),
            tiles,
            legend,
            hatch_id: HATCH_ID,
            hatch_fill: NO_LEGISLATION.fill,
            hatch_line: HATCH_LINE,
        }
    }
}

/// A legend line for a plain colour.
pub fn swatch(text: String, shade: Shade) -> LegendEntry {
    LegendEntry {
        text,
        fill: shade.fill.to_string(),
        ink: shade.ink,
        mark: None,
        star: String::new(),
    }
}

fn legend(rubric_size: usize) -> Vec<LegendEntry> {
    let steps = rubric_size.min(PALETTE.len() - 1);
    let star = star_points(12.0, 12.0, 6.5);
    let mut entries: Vec<LegendEntry> = (0..=steps)
        .map(|i| LegendEntry {
            text: format!("{i}/{rubric_size} standards met"),
            fill: PALETTE[i].fill.to_string(),
            ink: PALETTE[i].ink,
            mark: None,
            star: star.clone(),
        })
        .collect();
    entries.push(LegendEntry {
        text: "No evaluated legislation".to_string(),
        fill: format!("url(#{HATCH_ID})"),
        ink: NO_LEGISLATION.ink,
        mark: None,
        star: star.clone(),
    });
    // Marks are shown on white so they read the same whatever a tile's colour.
    entries.push(LegendEntry {
        text: "Legislation pending (dashed outline and dot)".to_string(),
        fill: WHITE.to_string(),
        ink: DARK,
        mark: Some(Mark::Pending),
        star: star.clone(),
    });
    entries.push(LegendEntry {
        text: "Legislation recently passed (solid outline and star)".to_string(),
        fill: WHITE.to_string(),
        ink: DARK,
        mark: Some(Mark::Passed),
        star,
    });
    entries
}

/// WCAG 2 contrast ratio between two `#rrggbb` colours.
pub fn contrast(a: &str, b: &str) -> Option<f64> {
    let (la, lb) = (luminance(a)?, luminance(b)?);
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    Some((hi + 0.05) / (lo + 0.05))
}

fn luminance(hex: &str) -> Option<f64> {
    let hex = hex.strip_prefix('#')?;
    if hex.len() != 6 {
        return None;
    }
    let channel = |i: usize| -> Option<f64> {
        let v = f64::from(u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()?) / 255.0;
        Some(if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        })
    };
    Some(0.2126 * channel(0)? + 0.7152 * channel(2)? + 0.0722 * channel(4)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_state_and_dc_has_one_unique_tile() {
        let positions: HashSet<(u8, u8)> = LAYOUT.iter().map(|(_, c, r)| (*c, *r)).collect();
        assert_eq!(positions.len(), 51, "two states share a tile");
        let codes: HashSet<&str> = LAYOUT.iter().map(|(c, _, _)| *c).collect();
        assert_eq!(codes.len(), 51, "a state is listed twice");
        for code in StateCode::all() {
            assert!(position(code).is_some(), "{code} has no tile");
        }
        assert_eq!(StateCode::all().count(), 51);
    }

    #[test]
    fn the_layout_keeps_rough_geography() {
        let at = |c: &str| {
            LAYOUT
                .iter()
                .find(|(code, _, _)| *code == c)
                .map(|(_, col, row)| (*col, *row))
                .expect("listed")
        };
        assert_eq!(at("AK"), (0, 0));
        assert!(at("ME").0 >= at("NH").0 && at("ME").1 == 0);
        assert!(at("HI").0 == 0 && at("HI").1 == 7);
        assert!(at("FL").1 == 7);
        // DC sits right next to Maryland.
        let (dc, md) = (at("DC"), at("MD"));
        assert!(dc.0.abs_diff(md.0) <= 1 && dc.1.abs_diff(md.1) <= 1);
    }

    #[test]
    fn tile_text_meets_wcag_aa_on_every_shade() {
        for (i, shade) in PALETTE.iter().chain([&NO_LEGISLATION]).enumerate() {
            let ratio = contrast(shade.fill, shade.ink).expect("valid colours");
            assert!(ratio >= 4.5, "step {i}: {ratio:.2}:1 is below 4.5:1");
        }
        let hatch = contrast(HATCH_LINE, NO_LEGISLATION.ink).expect("valid colours");
        assert!(hatch >= 4.5, "hatching under text: {hatch:.2}:1");
    }

    #[test]
    fn the_palette_darkens_step_by_step() {
        let lum: Vec<f64> = PALETTE
            .iter()
            .map(|s| luminance(s.fill).expect("valid colour"))
            .collect();
        assert!(lum.windows(2).all(|w| w[0] > w[1]));
    }

    #[test]
    fn contrast_matches_known_values() {
        let black_white = contrast("#000000", "#ffffff").expect("valid");
        assert!((black_white - 21.0).abs() < 0.01);
        assert_eq!(contrast("#fff", "#000000"), None);
    }
}

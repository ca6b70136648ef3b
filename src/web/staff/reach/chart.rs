//! The daily chart drawn on the server as SVG: a bar per day (left scale) and the cumulative
//! total as a line (its own scale, on the right). Every coordinate is worked out here, so the
//! template only places numbers. The viewBox is small, so the text stays legible when the
//! chart is scaled down to a phone's width.

use crate::stats::reach::DayPoint;

const WIDTH: f64 = 400.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 352.0;
const TOP: f64 = 24.0;
const BOTTOM: f64 = 190.0;

/// One day's bar.
#[derive(Debug, Clone)]
pub struct BarView {
    pub x: String,
    pub y: String,
    pub w: String,
    pub h: String,
}

/// A label on an axis.
#[derive(Debug, Clone)]
pub struct Tick {
    pub x: String,
    pub y: String,
    pub label: String,
    /// `start`, `middle` or `end`.
    pub anchor: &'static str,
}

/// The whole chart.
#[derive(Debug, Clone)]
pub struct ChartView {
    pub width: u32,
    pub height: u32,
    pub left: String,
    pub right: String,
    pub top: String,
    pub bottom: String,
    pub bars: Vec<BarView>,
    /// The cumulative line's points.
    pub line: String,
    pub left_ticks: Vec<Tick>,
    pub right_ticks: Vec<Tick>,
    pub days: Vec<Tick>,
    pub title: String,
    pub desc: String,
}

fn num(v: f64) -> String {
    format!("{v:.1}")
}

/// The smallest 1, 2 or 5 times a power of ten at or above `v` (at least 1).
pub fn nice_ceiling(v: i64) -> i64 {
    let mut step = 1i64;
    loop {
        for m in [1, 2, 5] {
            if step.saturating_mul(m) >= v {
                return step.saturating_mul(m);
            }
        }
        if step > i64::MAX / 10 {
            return i64::MAX;
        }
        step *= 10;
    }
}

fn day_label(day: chrono::NaiveDate) -> String {
    day.format("%-d %b %Y").to_string()
}

/// The chart of `series` (every day of the range, in order); `subject` names what is counted
/// in the title ("Messages per day").
pub fn chart(series: &[DayPoint], subject: &str) -> ChartView {
    let n = series.len().max(1) as f64;
    let day_max = nice_ceiling(series.iter().map(|p| p.total).max().unwrap_or(0));
    let cum_max = nice_ceiling(series.iter().map(|p| p.cumulative).max().unwrap_or(0));
    let height = BOTTOM - TOP;
    let slot = (RIGHT - LEFT) / n;
    let y_of = |v: i64, max: i64| BOTTOM - (v as f64 / max as f64) * height;
    let bars = series
        .iter()
        .enumerate()
        .filter(|(_, p)| p.total > 0)
        .map(|(i, p)| {
            let y = y_of(p.total, day_max);
            BarView {
                x: num(LEFT + slot * i as f64 + slot * 0.15),
                y: num(y),
                w: num((slot * 0.7).max(0.3)),
                h: num(BOTTOM - y),
            }
        })
        .collect();
    let line = series
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "{},{}",
                num(LEFT + slot * (i as f64 + 0.5)),
                num(y_of(p.cumulative, cum_max))
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    let ticks = |max: i64, x: f64, anchor| {
        [0, max / 2, max]
            .into_iter()
            .map(|v| Tick {
                x: num(x),
                y: num(y_of(v, max) + 4.0),
                label: v.to_string(),
                anchor,
            })
            .collect::<Vec<_>>()
    };
    let mut days = Vec::new();
    if let (Some(first), Some(last)) = (series.first(), series.last()) {
        days.push(Tick {
            x: num(LEFT),
            y: num(BOTTOM + 18.0),
            label: day_label(first.day),
            anchor: "start",
        });
        if series.len() > 1 {
            days.push(Tick {
                x: num(RIGHT),
                y: num(BOTTOM + 18.0),
                label: day_label(last.day),
                anchor: "end",
            });
        }
    }
    let total: i64 = series.iter().map(|p| p.total).sum();
    let busiest = series.iter().filter(|p| p.total > 0).max_by(|a, b| {
        a.total.cmp(&b.total).then(b.day.cmp(&a.day)) // the earliest of equal days
    });
    let desc = match (series.first(), series.last()) {
        (Some(first), Some(last)) => {
            let busiest = busiest.map_or(String::new(), |p| {
                format!(
                    " The busiest day was {} with {}.",
                    day_label(p.day),
                    p.total
                )
            });
            format!(
                "{total} messages from {} to {}, shown as a bar per day (scale on the left).{busiest} \
                 The line is the total since launch (scale on the right): {} at the start, {} at the end. \
                 The table beside the chart lists every day.",
                day_label(first.day),
                day_label(last.day),
                first.cumulative - first.total,
                last.cumulative,
            )
        }
        _ => "Nothing was counted in this range.".to_string(),
    };
    ChartView {
        width: WIDTH as u32,
        height: HEIGHT as u32,
        left: num(LEFT),
        right: num(RIGHT),
        top: num(TOP),
        bottom: num(BOTTOM),
        bars,
        line,
        left_ticks: ticks(day_max, LEFT - 6.0, "end"),
        right_ticks: ticks(cum_max, RIGHT + 6.0, "start"),
        days,
        title: subject.to_string(),
        desc,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::ChannelCounts;
    use chrono::NaiveDate;

    #[test]
    fn nice_ceilings() {
        assert_eq!(nice_ceiling(0), 1);
        assert_eq!(nice_ceiling(3), 5);
        assert_eq!(nice_ceiling(11), 20);
        assert_eq!(nice_ceiling(500), 500);
        assert_eq!(nice_ceiling(i64::MAX), i64::MAX);
    }

    #[test]
    fn bars_and_line_stay_inside_the_plot() {
        let d = |n: u32| NaiveDate::from_ymd_opt(2026, 11, n).expect("day");
        let point = |day, total, cumulative| DayPoint {
            day,
            counts: ChannelCounts {
                sent: total,
                ..Default::default()
            },
            total,
            cumulative,
        };
        let c = chart(
            &[point(d(1), 0, 5), point(d(2), 3, 8), point(d(3), 1, 9)],
            "Messages per day",
        );
        assert_eq!(c.bars.len(), 2);
        assert_eq!(c.line.split(' ').count(), 3);
        for b in &c.bars {
            let y: f64 = b.y.parse().expect("y");
            assert!((TOP..=BOTTOM).contains(&y));
        }
        assert!(c.desc.contains("The busiest day was 2 Nov 2026 with 3."));
        assert!(c.desc.contains("5 at the start, 9 at the end"));
        assert_eq!(c.days.len(), 2);
        assert!(chart(&[], "x").desc.contains("Nothing"));
    }
}

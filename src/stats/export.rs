//! Reach reports as CSV (RFC 4180: comma-separated, double-quoted where needed, CRLF line ends,
//! a header row; days as UTC `YYYY-MM-DD`), the same for the reach API's `text/csv` and the
//! staff downloads. One [`header`] and one [`record`] per [`GroupBy`]; [`encode_records`] writes
//! any table's header or rows of cells through the `csv` crate (the delivery health tables use it
//! too), [`encode`] a reach report's rows.
//!
//! Spreadsheets run a cell that begins with `=`, `+`, `-` or `@` (and, in some, a tab or carriage
//! return) as a formula, and office names come from public data anybody can edit: every cell
//! that begins with one of those, or with the `'` this escape adds, gets a leading `'`
//! ([`escape_cell`]), which spreadsheets show as text and hide. [`unescape_cell`] undoes it.

use super::reach::{GroupBy, ReachKey, ReachRow};

/// What a cell may not begin with unescaped.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];
/// The escape: spreadsheets take a cell beginning with it as text (and do not show it).
const ESCAPE: char = '\'';

/// The column names of report `group`, in order.
pub fn header(group: GroupBy) -> &'static [&'static str] {
    match group {
        GroupBy::Day => &["day", "sent", "draft_email", "contact_form", "total"],
        GroupBy::State => &[
            "state",
            "sent",
            "draft_email",
            "contact_form",
            "total",
            "offices",
        ],
        GroupBy::Legislator => &[
            "legislator_id",
            "name",
            "title",
            "chamber",
            "state",
            "district",
            "sent",
            "draft_email",
            "contact_form",
            "total",
        ],
        GroupBy::Channel => &["channel", "total"],
        GroupBy::TemplateVersion => &[
            "audience",
            "template_version",
            "sent",
            "draft_email",
            "contact_form",
            "total",
        ],
    }
}

/// The cells of `row` (not yet escaped), in [`header`]'s order for its grouping. A chamber or
/// audience that was never recorded is an empty cell. The summary row (`ReachKey::All`) has no
/// CSV form of its own: it gets the channel columns' shape with an empty key.
pub fn record(row: &ReachRow) -> Vec<String> {
    let c = &row.counts;
    let counts = || {
        vec![
            c.sent.to_string(),
            c.draft_email.to_string(),
            c.contact_form.to_string(),
            row.total.to_string(),
        ]
    };
    let mut cells = Vec::with_capacity(10);
    match &row.key {
        ReachKey::Day { day } => {
            cells.push(day.format("%Y-%m-%d").to_string());
            cells.extend(counts());
        }
        ReachKey::State { state } => {
            cells.push(state.as_str().to_string());
            cells.extend(counts());
            cells.push(row.offices.unwrap_or(0).to_string());
        }
        ReachKey::Legislator {
            legislator_id,
            name,
            title,
            chamber,
            state,
            district,
        } => {
            cells.push(legislator_id.clone());
            cells.push(name.clone());
            cells.push(title.clone());
            cells.push(chamber.map(|c| c.as_str()).unwrap_or_default().to_string());
            cells.push(state.as_str().to_string());
            cells.push(district.clone());
            cells.extend(counts());
        }
        ReachKey::Channel { channel } => {
            cells.push(channel.as_str().to_string());
            cells.push(row.total.to_string());
        }
        ReachKey::TemplateVersion {
            audience,
            template_version,
        } => {
            cells.push(audience.map(|a| a.as_str()).unwrap_or_default().to_string());
            cells.push(template_version.to_string());
            cells.extend(counts());
        }
        ReachKey::All => {
            cells.push(String::new());
            cells.push(row.total.to_string());
        }
    }
    cells
}

/// `cell` safe to open in a spreadsheet: a leading `'` when it begins with a formula character
/// (or with `'` itself, so that [`unescape_cell`] is exact).
pub fn escape_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some(first) if first == ESCAPE || FORMULA_STARTS.contains(&first) => {
            format!("{ESCAPE}{cell}").into()
        }
        _ => cell.into(),
    }
}

/// The text [`escape_cell`] was given.
pub fn unescape_cell(cell: &str) -> &str {
    cell.strip_prefix(ESCAPE).unwrap_or(cell)
}

/// A CSV writer into memory with the RFC 4180 settings (CRLF, quoting only where needed).
fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new())
}

fn write_cells<I, S>(out: &mut csv::Writer<Vec<u8>>, cells: I) -> Result<(), csv::Error>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    out.write_record(
        cells
            .into_iter()
            .map(|c| escape_cell(c.as_ref()).into_owned()),
    )
}

fn finish(out: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, csv::Error> {
    out.into_inner()
        .map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))
}

/// `records` (a header, rows: each the cells of one line, not yet escaped) as CSV lines, every
/// cell escaped: the one encoder of every CSV download.
pub fn encode_records<R, C, S>(records: R) -> Result<Vec<u8>, csv::Error>
where
    R: IntoIterator<Item = C>,
    C: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out = writer();
    for cells in records {
        write_cells(&mut out, cells)?;
    }
    finish(out)
}

/// The header line of report `group` (CRLF-terminated).
pub fn encode_header(group: GroupBy) -> Result<Vec<u8>, csv::Error> {
    encode_records([header(group)])
}

/// `rows` as CSV lines (no header), every cell escaped.
pub fn encode<'a>(rows: impl IntoIterator<Item = &'a ReachRow>) -> Result<Vec<u8>, csv::Error> {
    encode_records(rows.into_iter().map(record))
}

/// The whole report: header and rows.
pub fn encode_report(group: GroupBy, rows: &[ReachRow]) -> Result<Vec<u8>, csv::Error> {
    let mut bytes = encode_header(group)?;
    bytes.extend(encode(rows)?);
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::Chamber;
    use crate::domain::StateCode;
    use crate::messages::Audience;
    use crate::stats::{Channel, ChannelCounts};
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn row(key: ReachKey) -> ReachRow {
        let counts = ChannelCounts {
            sent: 1,
            draft_email: 2,
            contact_form: 3,
        };
        ReachRow {
            key,
            counts,
            total: 6,
            offices: Some(2),
        }
    }

    fn read(bytes: &[u8]) -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes)
            .records()
            .map(|r| r.expect("record").iter().map(str::to_string).collect())
            .collect()
    }

    fn legislator(name: &str) -> ReachKey {
        ReachKey::Legislator {
            legislator_id: "ocd-person/1".into(),
            name: name.into(),
            title: "Senator".into(),
            chamber: Some(Chamber::StateUpper),
            state: StateCode::parse("MA").expect("state"),
            district: "First Suffolk".into(),
        }
    }

    #[test]
    fn every_grouping_has_a_header_as_long_as_its_records() {
        let keys = [
            (
                GroupBy::Day,
                ReachKey::Day {
                    day: NaiveDate::from_ymd_opt(2026, 11, 30).expect("day"),
                },
            ),
            (
                GroupBy::State,
                ReachKey::State {
                    state: StateCode::parse("MO").expect("state"),
                },
            ),
            (GroupBy::Legislator, legislator("Jane Roe")),
            (
                GroupBy::Channel,
                ReachKey::Channel {
                    channel: Channel::ContactForm,
                },
            ),
            (
                GroupBy::TemplateVersion,
                ReachKey::TemplateVersion {
                    audience: Some(Audience::Federal),
                    template_version: 3,
                },
            ),
        ];
        for (group, key) in keys {
            let r = row(key);
            assert_eq!(header(group).len(), record(&r).len(), "{group:?}");
            let bytes = encode_report(group, &[r]).expect("encodes");
            let text = String::from_utf8(bytes).expect("utf-8");
            assert!(text.ends_with("\r\n"), "{text:?}");
            assert_eq!(text.matches("\r\n").count(), 2, "{text:?}");
            assert!(text.starts_with(&header(group).join(",")), "{text:?}");
        }
        let day = record(&row(ReachKey::Day {
            day: NaiveDate::from_ymd_opt(2026, 1, 5).expect("day"),
        }));
        assert_eq!(day, ["2026-01-05", "1", "2", "3", "6"]);
        let version = record(&row(ReachKey::TemplateVersion {
            audience: None,
            template_version: 0,
        }));
        assert_eq!(version, ["", "0", "1", "2", "3", "6"]);
    }

    #[test]
    fn formula_cells_are_escaped_and_quoted_cells_survive() {
        let r = row(legislator("=HYPERLINK(\"http://x\",\"a, b\")"));
        let bytes = encode_report(GroupBy::Legislator, &[r]).expect("encodes");
        let records = read(&bytes);
        assert_eq!(records[1][1], "'=HYPERLINK(\"http://x\",\"a, b\")");
        assert_eq!(
            unescape_cell(&records[1][1]),
            "=HYPERLINK(\"http://x\",\"a, b\")"
        );
        for (raw, escaped) in [
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'x", "''x"),
            ("x=1", "x=1"),
            ("", ""),
            ("12", "12"),
        ] {
            assert_eq!(escape_cell(raw), escaped, "{raw:?}");
            assert_eq!(unescape_cell(&escape_cell(raw)), raw);
        }
    }

    proptest! {
        #[test]
        fn any_cell_round_trips_through_a_csv_reader_and_never_starts_a_formula(
            name in "\\PC{0,12}|[=+@'\t\r\n\",-]{1,3}\\PC{0,8}",
            district in any::<String>(),
        ) {
            let r = ReachRow {
                key: ReachKey::Legislator {
                    legislator_id: "x".into(),
                    name: name.clone(),
                    title: String::new(),
                    chamber: None,
                    state: StateCode::parse("WY").expect("state"),
                    district: district.clone(),
                },
                counts: ChannelCounts::default(),
                total: 0,
                offices: None,
            };
            let bytes = encode_report(GroupBy::Legislator, &[r]).expect("encodes");
            let records = read(&bytes);
            prop_assert_eq!(records.len(), 2);
            for cell in &records[1] {
                let first = cell.chars().next();
                prop_assert!(first.is_none_or(|c| !FORMULA_STARTS.contains(&c)), "{:?}", cell);
            }
            prop_assert_eq!(unescape_cell(&records[1][1]), name.as_str());
            prop_assert_eq!(unescape_cell(&records[1][5]), district.as_str());
        }
    }
}

//! Small wording and formatting helpers shared by the pages.

use crate::domain::{BillStatus, CriterionStatus};
use crate::scorecard::Bill;

/// 3 -> "3", 1.5 -> "1.5".
pub fn points(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("{p:.0}")
    } else {
        format!("{p:.1}")
    }
}

/// "failed bill", "pending bill", "passed law".
pub fn bill_status_phrase(status: BillStatus) -> &'static str {
    match status {
        BillStatus::Passed => "passed law",
        BillStatus::Failed => "failed bill",
        BillStatus::Pending => "pending bill",
    }
}

/// CSS class suffix of a bill status badge.
pub fn bill_status_class(status: BillStatus) -> &'static str {
    status.as_str()
}

/// A symbol that, with the words, says a criterion's status without relying on colour.
pub fn criterion_icon(status: CriterionStatus) -> &'static str {
    match status {
        CriterionStatus::Yes => "✓",
        CriterionStatus::Partial => "½",
        CriterionStatus::No => "✗",
        CriterionStatus::Unknown => "?",
    }
}

/// Short status words for compact lists: "Meets", "Partially meets", ...
pub fn criterion_short(status: CriterionStatus) -> &'static str {
    match status {
        CriterionStatus::Yes => "Meets",
        CriterionStatus::Partial => "Partially meets",
        CriterionStatus::No => "Does not meet",
        CriterionStatus::Unknown => "Not yet evaluated",
    }
}

/// Only plain web addresses become links: a campaign file could hold `javascript:` and escaping
/// would not stop it.
pub fn safe_url(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    let parsed = url::Url::parse(trimmed).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| parsed.to_string())
}

/// "SB 945: An Act ..." or just the title when the page names no number.
pub fn bill_name(bill: &Bill) -> String {
    match bill
        .number
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        Some(number) => format!("{number}: {}", bill.title),
        None => bill.title.clone(),
    }
}

/// "1 standard", "3 standards".
pub fn standards(n: usize) -> String {
    if n == 1 {
        "1 standard".to_string()
    } else {
        format!("{n} standards")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_links_are_kept() {
        assert_eq!(
            safe_url("https://endqi.org/state/ma").as_deref(),
            Some("https://endqi.org/state/ma")
        );
        assert_eq!(safe_url("javascript:alert(1)"), None);
        assert_eq!(safe_url("data:text/html,hi"), None);
        assert_eq!(safe_url("not a url"), None);
    }

    #[test]
    fn points_drop_needless_decimals() {
        assert_eq!(points(3.0), "3");
        assert_eq!(points(1.5), "1.5");
    }
}

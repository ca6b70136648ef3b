//! What the public may see of per-legislator figures. A count of messages to one office is
//! shown to the public only from [`MIN_PUBLIC_OFFICE_COUNT`] up; below that it reads "fewer
//! than 5", so a small figure cannot point at the few people (or the one person) who wrote.
//!
//! Every public page or API field that shows a per-legislator (per-office) count goes through
//! [`office_figure`]. Per-state and campaign totals are public as they are. Staff pages show
//! exact figures.

use super::counter::thousands;

/// The smallest per-office count shown as a number in public.
pub const MIN_PUBLIC_OFFICE_COUNT: i64 = 5;

/// A per-legislator count as the public sees it: "fewer than 5" below
/// [`MIN_PUBLIC_OFFICE_COUNT`] (zero included), else the number with thousands separators.
pub fn office_figure(count: i64) -> String {
    if count < MIN_PUBLIC_OFFICE_COUNT {
        format!("fewer than {MIN_PUBLIC_OFFICE_COUNT}")
    } else {
        thousands(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_office_counts_are_fewer_than_five() {
        for n in [-1, 0, 1, 2, 3, 4] {
            assert_eq!(office_figure(n), "fewer than 5", "{n}");
        }
        assert_eq!(office_figure(5), "5");
        assert_eq!(office_figure(12_345), "12,345");
    }
}

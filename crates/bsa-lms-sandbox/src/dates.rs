//! Calendar dates on the wire (`YYYY-MM-DD`, no time zone) and month arithmetic.

use chrono::{Months, NaiveDate};

/// Parses a strict `YYYY-MM-DD` date; chrono alone would also accept unpadded fields.
pub fn parse(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// Formats a date the way the API sends it.
pub fn format(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// `start + count` months, keeping the day of month clamped to the month's last day.
pub fn add_months(start: NaiveDate, count: u32) -> NaiveDate {
    // Only dates near the end of chrono's range overflow; stay put rather than panic.
    start
        .checked_add_months(Months::new(count))
        .unwrap_or(start)
}

/// Whole days from `from` to `to`.
pub fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_strict_dates() {
        assert_eq!(parse("2026-05-25"), NaiveDate::from_ymd_opt(2026, 5, 25));
        assert_eq!(parse("2026-5-25"), None);
        assert_eq!(parse("2026-02-30"), None);
        assert_eq!(parse("2026-05-25T00:00:00"), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn month_arithmetic_clamps() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        assert_eq!(
            add_months(d, 1),
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()
        );
        assert_eq!(
            add_months(d, 2),
            NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()
        );
    }
}

//! Money as integer cents.
//!
//! Every amount the simulator stores or derives is an `i64` number of cents, so sums and
//! comparisons are exact; rounding to 2 decimals (half-even, Appendix A.2) happens once, where an
//! amount enters from JSON or comes out of a rate computation.

/// An amount in cents (1/100 of the currency unit).
pub type Cents = i64;

/// Rounds a floating amount of *cents* to whole cents, half to even.
///
/// A tolerance absorbs binary noise: `0.125 * 100` may come out as `12.499999…`, and it must still
/// count as an exact half.
pub fn round_cents(raw_cents: f64) -> Cents {
    let floor = raw_cents.floor();
    let frac = raw_cents - floor;
    let lower = floor as Cents;
    const EPS: f64 = 1e-6;
    if (frac - 0.5).abs() < EPS {
        if lower % 2 == 0 { lower } else { lower + 1 }
    } else if frac < 0.5 {
        lower
    } else {
        lower + 1
    }
}

/// Converts a JSON amount in currency units to cents, half to even.
pub fn from_units(units: f64) -> Cents {
    round_cents(units * 100.0)
}

/// Converts cents back to the JSON number (currency units).
pub fn to_units(cents: Cents) -> f64 {
    cents as f64 / 100.0
}

/// Multiplies an amount by a rate and rounds the result half-even to cents.
pub fn mul_rate(cents: Cents, rate: f64) -> Cents {
    round_cents(cents as f64 * rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_to_even() {
        assert_eq!(round_cents(12.5), 12);
        assert_eq!(round_cents(13.5), 14);
        assert_eq!(round_cents(12.4999999999), 12);
        assert_eq!(round_cents(12.51), 13);
        assert_eq!(from_units(0.125), 12);
        assert_eq!(from_units(0.135), 14);
        assert_eq!(from_units(916.7999), 91680);
        assert_eq!(round_cents(-2.5), -2);
    }

    #[test]
    fn converts_both_ways() {
        assert_eq!(from_units(12000.50), 1_200_050);
        assert_eq!(to_units(91680), 916.8);
        assert_eq!(mul_rate(923_320, 0.015), 13_850);
    }
}

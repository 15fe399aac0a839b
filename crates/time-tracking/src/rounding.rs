//! Rounding entries to an organization's grid, and the limits of an entry.
//!
//! Rounding moves an entry's *instants* (start and end) to a grid of N
//! minutes counted from the Unix epoch, rather than rounding its duration.
//! The move is monotone (an earlier instant never lands after a later one)
//! and idempotent, so entries that did not overlap never overlap once
//! rounded and back-to-back entries stay back to back: a timer stopped at
//! 10:07 and the next started at 10:07 both land on the same line. Rounding
//! durations up would have stretched the first over the second and made
//! contiguous work impossible to log when overlaps are refused. The price:
//! durations are multiples of N, and an entry inside one grid cell rounds to
//! nothing, which is refused (422) rather than stored.
//!
//! The grid is a divisor of 60 minutes anchored at the epoch, so it falls on
//! the local clock's lines in every zone whose offset is a multiple of it
//! (all whole-hour zones; 5 and 15 minutes fit every zone in use).

use chrono::{DateTime, Duration, SubsecRound, Utc};

use crate::model::{RoundingMode, RoundingRule};

/// The grids allowed, in minutes: the divisors of an hour.
pub const GRID_MINUTES: [u32; 12] = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60];

/// The longest entry accepted: a week (a timer forgotten over a weekend is
/// still stopped; a month-long one is a mistake to fix by hand).
pub const MAX_ENTRY_SECONDS: i64 = 7 * 86_400;

/// The earliest start accepted. Reports do integer arithmetic on epoch
/// seconds that assumes positive values; nobody logs work from before 2000.
pub const EARLIEST_START_SECS: i64 = 946_684_800;

/// True if `minutes` is an allowed grid.
pub fn valid_grid(minutes: u32) -> bool {
    GRID_MINUTES.contains(&minutes)
}

/// `t` on the rule's grid (whole seconds without a rule: entries never
/// carry sub-second noise, so durations are exact seconds).
pub fn snap(t: DateTime<Utc>, rule: Option<RoundingRule>) -> DateTime<Utc> {
    let t = t.trunc_subsecs(0);
    let Some(rule) = rule.filter(|r| valid_grid(r.minutes)) else {
        return t;
    };
    let step = i64::from(rule.minutes) * 60;
    let secs = t.timestamp();
    let (down, rest) = (secs.div_euclid(step) * step, secs.rem_euclid(step));
    let snapped = match rule.mode {
        RoundingMode::Down => down,
        _ if rest == 0 => secs,
        RoundingMode::Up => down + step,
        RoundingMode::Nearest if rest * 2 >= step => down + step,
        RoundingMode::Nearest => down,
    };
    t + Duration::seconds(snapped - secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hms: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2026-11-23T{hms}Z"))
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn rule(mode: RoundingMode, minutes: u32) -> Option<RoundingRule> {
        Some(RoundingRule { mode, minutes })
    }

    #[test]
    fn instants_move_to_the_grid() {
        let fifteen = |mode| rule(mode, 15);
        assert_eq!(
            snap(at("10:07:00"), fifteen(RoundingMode::Up)),
            at("10:15:00")
        );
        assert_eq!(
            snap(at("10:07:00"), fifteen(RoundingMode::Down)),
            at("10:00:00")
        );
        assert_eq!(
            snap(at("10:07:00"), fifteen(RoundingMode::Nearest)),
            at("10:00:00")
        );
        assert_eq!(
            snap(at("10:07:30"), fifteen(RoundingMode::Nearest)),
            at("10:15:00")
        );
        assert_eq!(
            snap(at("10:15:00"), fifteen(RoundingMode::Up)),
            at("10:15:00")
        );
        assert_eq!(snap(at("10:07:59.900"), None), at("10:07:59"));
    }

    #[test]
    fn rounding_is_monotone_and_idempotent() {
        for mode in [RoundingMode::Up, RoundingMode::Down, RoundingMode::Nearest] {
            for minutes in GRID_MINUTES {
                let r = rule(mode, minutes);
                let mut last = snap(at("09:00:00"), r);
                for step in 0..400 {
                    let t = at("09:00:00") + Duration::seconds(step * 37);
                    let s = snap(t, r);
                    assert!(s >= last, "{mode:?} {minutes}: monotone");
                    assert_eq!(snap(s, r), s, "idempotent");
                    last = s;
                }
            }
        }
    }

    #[test]
    fn only_divisors_of_an_hour_are_grids() {
        assert!(valid_grid(15) && valid_grid(60) && valid_grid(1));
        assert!(!valid_grid(0) && !valid_grid(7) && !valid_grid(90));
    }
}

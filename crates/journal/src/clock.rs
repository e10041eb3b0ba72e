//! Where the journal reads time. A station runs on the system's clocks; a test runs on a clock it
//! moves by hand, so no test sleeps to make time pass.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};

/// The two times a journal needs: monotonic time for the live clock (what a candidate is charged),
/// and wall-clock time for the records' informative timestamps.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> Instant;
    fn wall(&self) -> DateTime<Utc>;
}

/// RFC 3339 UTC with milliseconds: the form every record and header stores.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The system's clocks.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn wall(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to (tests, simulations): both times advance together.
#[derive(Debug, Clone)]
pub struct ManualClock {
    start: Instant,
    wall_start: DateTime<Utc>,
    elapsed: Arc<Mutex<Duration>>,
}

impl ManualClock {
    /// A clock standing at `wall` (and at an arbitrary monotonic instant).
    pub fn at(wall: DateTime<Utc>) -> Self {
        ManualClock {
            start: Instant::now(),
            wall_start: wall,
            elapsed: Arc::new(Mutex::new(Duration::ZERO)),
        }
    }

    /// Moves both times forward by `by`; every copy of this clock sees it.
    pub fn advance(&self, by: Duration) {
        let mut e = self.elapsed.lock().unwrap_or_else(|p| p.into_inner());
        *e += by;
    }

    fn elapsed(&self) -> Duration {
        *self.elapsed.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + self.elapsed()
    }
    fn wall(&self) -> DateTime<Utc> {
        self.wall_start + self.elapsed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_both_times_by_exactly_what_it_is_told() {
        let wall = DateTime::parse_from_rfc3339("2027-03-12T08:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = ManualClock::at(wall);
        let (t0, copy) = (clock.now(), clock.clone());
        copy.advance(Duration::from_millis(1_500));
        assert_eq!(clock.now() - t0, Duration::from_millis(1_500));
        assert_eq!(rfc3339(clock.wall()), "2027-03-12T08:30:01.500Z");
    }
}

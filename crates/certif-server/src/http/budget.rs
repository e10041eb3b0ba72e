//! How many verifications one client may make: a bucket of points per client address that
//! refills at a steady rate. Only misses cost (a code that names nothing, or a birthdate that is
//! not the holder's): checking real certificates, however many and however concurrently, is
//! never slowed, while sweeping the code space is (see `enumeration_hits_per_hour`). A client
//! must hold a miss's worth of points to ask at all, so one that has been sweeping waits even
//! for a real code. Counters live in the server's memory; several
//! servers behind one proxy each keep their own, which multiplies the budget by the number of
//! servers (docs/certif-server.md, "Verification budget").

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The bucket's size, in points: a burst a person never reaches by hand.
pub const CAPACITY: f64 = 60.0;
/// Points given back per second.
pub const REFILL_PER_S: f64 = 1.0;
/// What a verification that found a certificate costs.
pub const HIT_COST: f64 = 0.0;
/// What a miss costs: an unknown code, or a birthdate that is not the holder's.
pub const MISS_COST: f64 = 10.0;
/// Beyond this many clients tracked, full buckets (clients that stopped) are forgotten.
const MAX_TRACKED: usize = 100_000;

/// Codes: "P-" and 8 distinct characters of 24 (docs/certificate-format.md).
pub const CODE_SPACE: f64 = 24.0 * 23.0 * 22.0 * 21.0 * 20.0 * 19.0 * 18.0 * 17.0;

/// The certificates one client finds per hour by sweeping codes at the allowed rate, if a
/// million certificates were issued.
pub fn enumeration_hits_per_hour() -> f64 {
    let guesses_per_hour = (CAPACITY + REFILL_PER_S * 3600.0) / MISS_COST;
    guesses_per_hour * 1e6 / CODE_SPACE
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    points: f64,
    at: Instant,
}

#[derive(Default)]
pub struct Budget {
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl Budget {
    /// Whether `client` may ask now: it must hold a miss's worth of points (so one that has
    /// been sweeping waits even for a real code); if not, how long to wait. Asking costs
    /// nothing by itself: a client checking many real certificates at once is never refused.
    pub fn may_ask(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut all = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if all.len() >= MAX_TRACKED {
            all.retain(|_, b| refilled(*b, now) < CAPACITY);
        }
        let points = all.get(&client).map_or(CAPACITY, |b| refilled(*b, now));
        if points < MISS_COST {
            let wait = (MISS_COST - points) / REFILL_PER_S;
            return Err(Duration::from_secs_f64(wait.ceil().max(1.0)));
        }
        Ok(())
    }

    /// A miss: its cost is taken after the fact, so concurrent misses may run the bucket into
    /// debt, which the client then waits off.
    pub fn charge_miss(&self, client: IpAddr, now: Instant) {
        let mut all = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let points = all.get(&client).map_or(CAPACITY, |b| refilled(*b, now));
        all.insert(
            client,
            Bucket {
                points: points - MISS_COST + HIT_COST,
                at: now,
            },
        );
    }
}

fn refilled(b: Bucket, now: Instant) -> f64 {
    let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
    (b.points + elapsed * REFILL_PER_S).min(CAPACITY)
}

/// Who is asking: the peer, or behind a trusted reverse proxy, the address it forwards (the
/// right-most `X-Forwarded-For` entry that is not itself a trusted proxy).
pub fn client(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    forwarded_for
        .into_iter()
        .flat_map(|h| h.rsplit(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .find(|a| !trusted.contains(a))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn misses_run_out_hits_do_not_and_the_bucket_refills() {
        let b = Budget::default();
        let t0 = Instant::now();
        let a = ip("192.0.2.1");
        // Six misses empty a full bucket; the seventh waits.
        for _ in 0..6 {
            b.may_ask(a, t0).unwrap();
            b.charge_miss(a, t0);
        }
        let wait = b.may_ask(a, t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(10));
        // Another client is not affected.
        b.may_ask(ip("192.0.2.2"), t0).unwrap();
        // Ten seconds later one more miss is allowed.
        b.may_ask(a, t0 + Duration::from_secs(10)).unwrap();
        b.charge_miss(a, t0 + Duration::from_secs(10));
        assert!(b.may_ask(a, t0 + Duration::from_secs(10)).is_err());
        // Misses sent at once run into debt, waited off afterwards.
        let d = ip("192.0.2.4");
        for _ in 0..20 {
            b.charge_miss(d, t0);
        }
        assert_eq!(b.may_ask(d, t0).unwrap_err(), Duration::from_secs(150));
        // Hits cost nothing: a school checking its pupils' certificates never waits.
        let c = ip("192.0.2.3");
        for _ in 0..5000 {
            b.may_ask(c, t0).unwrap();
        }
    }

    #[test]
    fn the_forwarded_address_counts_only_behind_a_trusted_proxy() {
        let proxy = ip("10.0.0.5");
        let trusted = [proxy];
        assert_eq!(
            client(ip("203.0.113.9"), Some("198.51.100.1"), &trusted),
            ip("203.0.113.9"),
            "an untrusted peer cannot choose its address"
        );
        assert_eq!(
            client(proxy, Some("198.51.100.1, 10.0.0.5"), &trusted),
            ip("198.51.100.1")
        );
        // A client writing its own X-Forwarded-For: the proxy appends the real one last.
        assert_eq!(
            client(proxy, Some("1.2.3.4, 198.51.100.7"), &trusted),
            ip("198.51.100.7")
        );
        assert_eq!(client(proxy, None, &trusted), proxy);
    }

    #[test]
    fn a_sweeper_finds_fewer_than_ten_certificates_an_hour() {
        let rate = enumeration_hits_per_hour();
        assert!(rate < 10.0, "{rate}");
        assert!(rate > 0.0);
    }
}

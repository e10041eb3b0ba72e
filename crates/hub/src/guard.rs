//! Who may try the invigilator's password over the lab network, and how often: each remote
//! address waits longer after each wrong password and is locked out after
//! [`LOCKOUT_AFTER`] of them. The console itself (127.0.0.1, ::1) is never slowed: an attacker on
//! the lab network cannot lock the invigilator out of their own room. Pure: the caller gives the
//! time.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Wrong passwords from one address before it is locked out.
pub const LOCKOUT_AFTER: u32 = 10;
/// How long a locked-out address waits.
pub const LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// Wrong passwords allowed without waiting (a mistyped password, typed again).
const FREE_TRIES: u32 = 3;
/// Addresses remembered at most; beyond, those whose wait is over are forgotten.
const MAX_TRACKED: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Tries {
    failures: u32,
    next_at: Instant,
}

#[derive(Default)]
pub struct SignInGuard {
    by_address: Mutex<HashMap<IpAddr, Tries>>,
}

/// The console's own machine.
pub fn is_console(ip: IpAddr) -> bool {
    ip == IpAddr::from([127, 0, 0, 1]) || ip == IpAddr::from(std::net::Ipv6Addr::LOCALHOST)
}

/// How long an address waits after `failures` wrong passwords.
pub fn wait_after(failures: u32) -> Duration {
    if failures >= LOCKOUT_AFTER {
        LOCKOUT
    } else if failures < FREE_TRIES {
        Duration::ZERO
    } else {
        Duration::from_secs(1 << (failures - FREE_TRIES).min(5))
    }
}

impl SignInGuard {
    /// Whether `ip` may try now; if not, how long it waits. The password is not even compared
    /// while it waits.
    pub fn may_try(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        if is_console(ip) {
            return Ok(());
        }
        let all = self.by_address.lock().unwrap_or_else(|p| p.into_inner());
        match all.get(&ip) {
            Some(t) if t.next_at > now => Err(t.next_at - now),
            _ => Ok(()),
        }
    }

    /// Records a wrong password from `ip`; returns how many in a row.
    pub fn failed(&self, ip: IpAddr, now: Instant) -> u32 {
        let mut all = self.by_address.lock().unwrap_or_else(|p| p.into_inner());
        if all.len() >= MAX_TRACKED {
            all.retain(|_, t| t.next_at > now);
        }
        let t = all.entry(ip).or_insert(Tries {
            failures: 0,
            next_at: now,
        });
        t.failures += 1;
        t.next_at = now + wait_after(t.failures);
        t.failures
    }

    pub fn succeeded(&self, ip: IpAddr) {
        self.by_address
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_then_lock_out_and_the_console_is_never_slowed() {
        let g = SignInGuard::default();
        let t0 = Instant::now();
        let laptop = IpAddr::from([192, 168, 1, 66]);
        let mut now = t0;
        let mut tries = 0;
        // The laptop guesses as fast as it is allowed to.
        while tries < LOCKOUT_AFTER {
            match g.may_try(laptop, now) {
                Ok(()) => {
                    tries += 1;
                    g.failed(laptop, now);
                }
                Err(wait) => now += wait,
            }
        }
        let wait = g.may_try(laptop, now).unwrap_err();
        assert_eq!(wait, LOCKOUT);
        // Ten tries took a minute and a half (0+0+1+2+4+8+16+32+32 s), then 15 minutes each.
        assert_eq!(now - t0, Duration::from_secs(95));
        // The console, locally, is never locked, whatever it mistyped.
        let console = IpAddr::from([127, 0, 0, 1]);
        for _ in 0..50 {
            g.failed(console, now);
        }
        assert!(g.may_try(console, now).is_ok());
        // A right password from an address clears its record.
        let other = IpAddr::from([192, 168, 1, 20]);
        for _ in 0..4 {
            g.failed(other, now);
        }
        assert!(g.may_try(other, now).is_err());
        g.succeeded(other);
        assert!(g.may_try(other, now).is_ok());
    }
}

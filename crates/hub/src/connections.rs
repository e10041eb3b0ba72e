//! Who holds the hub's connections. A lab PC holds one (two for a moment while it reconnects);
//! a laptop opening hundreds is not a lab PC. Each connection takes a [`Slot`] when it is
//! accepted and gives it back when it closes, WebSocket included: an upgraded connection runs on
//! its own task, long after the HTTP exchange that opened it.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

/// Connections at once, all addresses together: a room of 40 PCs and a few consoles is far below.
pub const MAX_CONNECTIONS: usize = 512;
/// Connections at once from one address other than this machine's own.
pub const MAX_PER_ADDRESS: usize = 16;

#[derive(Default)]
pub struct Connections {
    held: Mutex<Held>,
}

#[derive(Default)]
struct Held {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
    /// Addresses already reported since they last held nothing: one alert, not one per try.
    reported: HashSet<IpAddr>,
}

/// Why a connection was dropped at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Full,
    /// Too many from this address; `first` is true the first time since it held none.
    TooMany {
        first: bool,
    },
}

/// One accepted connection's place; dropping it frees the place.
pub struct Slot {
    table: Arc<Connections>,
    address: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut held = self.table.lock();
        held.total = held.total.saturating_sub(1);
        if let Some(n) = held.by_address.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                held.by_address.remove(&self.address);
                held.reported.remove(&self.address);
            }
        }
    }
}

impl Connections {
    fn lock(&self) -> MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A place for a connection from `address`, or why not. The console's own machine
    /// (loopback 127.0.0.1, ::1) counts only towards the total.
    pub fn take(self: &Arc<Self>, address: IpAddr) -> Result<Slot, Refused> {
        let mut held = self.lock();
        if held.total >= MAX_CONNECTIONS {
            return Err(Refused::Full);
        }
        let own = crate::guard::is_console(address);
        let from_there = held.by_address.get(&address).copied().unwrap_or(0);
        if !own && from_there >= MAX_PER_ADDRESS {
            let first = held.reported.insert(address);
            return Err(Refused::TooMany { first });
        }
        held.total += 1;
        *held.by_address.entry(address).or_default() += 1;
        Ok(Slot {
            table: self.clone(),
            address,
        })
    }

    pub fn held(&self) -> usize {
        self.lock().total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_is_capped_the_console_is_not_and_places_come_back() {
        let table = Arc::new(Connections::default());
        let laptop: IpAddr = "192.168.1.66".parse().unwrap();
        let mut slots: Vec<Slot> = (0..MAX_PER_ADDRESS)
            .map(|_| table.take(laptop).unwrap())
            .collect();
        assert_eq!(
            table.take(laptop).err(),
            Some(Refused::TooMany { first: true })
        );
        assert_eq!(
            table.take(laptop).err(),
            Some(Refused::TooMany { first: false })
        );
        let pc: IpAddr = "192.168.1.10".parse().unwrap();
        let _pc = table.take(pc).unwrap();
        let own: Vec<Slot> = (0..MAX_PER_ADDRESS + 5)
            .map(|_| table.take("127.0.0.1".parse().unwrap()).unwrap())
            .collect();
        assert!(table.take("::1".parse().unwrap()).is_ok());
        slots.pop();
        let again = table.take(laptop);
        assert!(again.is_ok(), "a closed connection gives its place back");
        drop(own);
        // The laptop's 16 and the PC's one.
        assert_eq!(table.held(), MAX_PER_ADDRESS + 1);
    }
}

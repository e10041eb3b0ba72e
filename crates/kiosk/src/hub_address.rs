//! Where a paired PC finds its room hub: the console's host name (or an address) and a port,
//! looked up at every connection. The console taking another address from the school's DHCP
//! changes nothing: the pin on its certificate, not its address, says it is the hub.

use std::net::SocketAddr;
use std::sync::Arc;

/// The hub's port when the technician gives only the console's name.
pub const DEFAULT_PORT: u16 = 7443;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubAddress {
    host: String,
    port: u16,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("adresse du poste surveillant invalide : « {0} » (ex. salle12-console ou 192.168.1.10:7443) / invalid hub address")]
pub struct AddressError(pub String);

/// How a name becomes addresses: the system's resolver, or a table in tests.
pub type Lookup = Arc<dyn Fn(&str, u16) -> std::io::Result<Vec<SocketAddr>> + Send + Sync>;

/// The system's resolver (`/etc/hosts`, DNS, mDNS as the PC is set up).
pub fn system_lookup() -> Lookup {
    Arc::new(|host, port| {
        use std::net::ToSocketAddrs;
        Ok((host, port).to_socket_addrs()?.collect())
    })
}

impl HubAddress {
    /// `name`, `name:port`, `a.b.c.d[:port]` or `[v6][:port]`.
    pub fn parse(text: &str) -> Result<Self, AddressError> {
        let bad = || AddressError(text.to_owned());
        let text = text.trim();
        if let Ok(addr) = text.parse::<SocketAddr>() {
            return Ok(HubAddress {
                host: addr.ip().to_string(),
                port: addr.port(),
            });
        }
        if let Ok(ip) = text.parse::<std::net::IpAddr>() {
            return Ok(HubAddress {
                host: ip.to_string(),
                port: DEFAULT_PORT,
            });
        }
        let (host, port) = match text.rsplit_once(':') {
            Some((host, port)) => (host, port.parse::<u16>().map_err(|_| bad())?),
            None => (text, DEFAULT_PORT),
        };
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if port == 0 || host.len() > 253 || !host.split('.').all(label_ok) {
            return Err(bad());
        }
        Ok(HubAddress {
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// `connect` tried on each address the name stands for now, in order: the first that
    /// answers, else the last refusal. `unresolved` turns why the name gave no address into `E`.
    pub async fn first_answering<T, E, Fut>(
        &self,
        lookup: &Lookup,
        unresolved: impl Fn(String) -> E,
        mut connect: impl FnMut(SocketAddr) -> Fut,
    ) -> Result<T, E>
    where
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        let found = self
            .resolve(lookup)
            .await
            .map_err(|e| unresolved(format!("{self} : {e}")))?;
        let mut last = None;
        for addr in found {
            match connect(addr).await {
                Ok(reached) => return Ok(reached),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| unresolved(format!("{self} : aucune adresse"))))
    }

    /// The addresses the name stands for now, IPv4 first (a lab network rarely routes IPv6).
    pub async fn resolve(&self, lookup: &Lookup) -> std::io::Result<Vec<SocketAddr>> {
        let (lookup, host, port) = (lookup.clone(), self.host.clone(), self.port);
        let mut found = tokio::task::spawn_blocking(move || lookup(&host, port))
            .await
            .map_err(std::io::Error::other)??;
        found.sort_by_key(|a| a.is_ipv6());
        if found.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{}: no address", self.host),
            ));
        }
        Ok(found)
    }
}

impl std::fmt::Display for HubAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_addresses_are_read_as_a_technician_types_them() {
        let ok = |t: &str| HubAddress::parse(t).unwrap().to_string();
        assert_eq!(ok("salle12-console"), "salle12-console:7443");
        assert_eq!(
            ok("Salle12-Console.local:8443"),
            "salle12-console.local:8443"
        );
        assert_eq!(ok("192.168.1.10"), "192.168.1.10:7443");
        assert_eq!(ok(" 192.168.1.10:9000 "), "192.168.1.10:9000");
        assert_eq!(ok("[::1]:7000"), "[::1]:7000");
        assert_eq!(ok("::1"), "[::1]:7443");
        for bad in [
            "", "salle 12", "a:0", "a:99999", "-a", "a..b", "http://a", "a:b:c",
        ] {
            assert!(HubAddress::parse(bad).is_err(), "{bad:?} accepted");
        }
        let e = HubAddress::parse("salle 12").unwrap_err();
        assert!(e.to_string().contains("« salle 12 »"), "{e}");
    }

    #[tokio::test]
    async fn a_name_is_looked_up_each_time_ipv4_first() {
        let table: Lookup = Arc::new(|host, port| {
            assert_eq!(host, "salle12");
            Ok(vec![
                SocketAddr::from(([0, 0, 0, 0, 0, 0, 0, 1], port)),
                SocketAddr::from(([127, 0, 0, 2], port)),
            ])
        });
        let a = HubAddress::parse("salle12:7000").unwrap();
        let found = a.resolve(&table).await.unwrap();
        assert_eq!(found[0], SocketAddr::from(([127, 0, 0, 2], 7000)));
        let none: Lookup = Arc::new(|_, _| Ok(vec![]));
        assert!(a.resolve(&none).await.is_err());
    }
}

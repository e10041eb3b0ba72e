//! Pairing a lab PC with a hub: both screens show a code the technician compares.

/// The pairing code both the kiosk and the console show: derived from the hub's fingerprint
/// and the station key, so a man in the middle (who must present other keys to each side)
/// makes the two screens disagree.
pub fn pairing_code(hub: &str, station: &str) -> String {
    let d = ring::digest::digest(
        &ring::digest::SHA256,
        &[
            b"certroom-pairing-v1\0",
            hub.as_bytes(),
            b"\0",
            station.as_bytes(),
        ]
        .concat(),
    );
    let b = d.as_ref();
    let n = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) % 1_000_000;
    format!("{:03} {:03}", n / 1000, n % 1000)
}

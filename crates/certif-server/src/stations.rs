//! Which PC signed a test, against the PCs its centre declared before exam day
//! (`POST /v1/stations`). The console vouches for the station keys in its manifest, but whoever
//! holds the console's key (and the bank's) could rebuild journals under PCs made up after the
//! fact; those PCs were declared late or never, by the service's own clock, so their tests go to
//! the jury with the reason. What this does not stop: a centre that declares made-up PCs ahead
//! of time (docs/certif-server.md, "Threat model").

use std::collections::HashMap;

use certroom_bundle::VerifiedCandidate;
use chrono::DateTime;

use crate::model::{RegisteredStation, ResultStatus};

/// Why this candidate's test cannot be trusted to a PC the centre declared in time, if so.
/// `status` is the replayed result: an unsigned journal (a PC that died) matters only if it
/// would certify.
pub fn problem(
    c: &VerifiedCandidate,
    declared: &HashMap<String, RegisteredStation>,
    status: ResultStatus,
) -> Option<String> {
    let journal = c.journal.as_ref()?;
    let Some(head) = &journal.head else {
        return (status == ResultStatus::Validated).then(|| {
            "le journal n'est signé par aucun poste (pas de tête signée) : rien ne montre sur quel PC le test a été passé".to_owned()
        });
    };
    let key = head.station_public_key.as_str();
    let Some(station) = declared.get(key) else {
        return Some(format!(
            "le poste qui a signé ce test ({}…) n'a jamais été déclaré au service par le centre",
            &key[..key.len().min(16)]
        ));
    };
    let started = &journal.mirror.header().created;
    let late = match (
        DateTime::parse_from_rfc3339(&station.registered_at),
        DateTime::parse_from_rfc3339(started),
    ) {
        (Ok(reg), Ok(start)) => reg > start,
        // A start the station wrote unreadably proves nothing in its favour.
        _ => true,
    };
    late.then(|| {
        format!(
            "le poste « {} » a été déclaré au service le {}, après le début du test ({})",
            station.label, station.registered_at, started
        )
    })
}

//! The lab's PCs as this console knows them: paired once (the hub's identity and its pairings
//! live in `lab/`, not in a session), forgotten when a PC leaves, and declared to the
//! certification service before exam day, signed with the console's key. The service holds for
//! the jury any test signed by a PC it had not been told of before the test began.

use std::path::PathBuf;

use certroom_hub::{Lab, PairedStation};
use certroom_protocol::{DeclaredStation, SignedStations, StationList};
use serde::Serialize;

use crate::outbox::ServiceLink;
use crate::{Console, ConsoleError};

/// Where the lab lives: the hub's identity and the paired PCs, kept from one session to the next.
pub const LAB_DIR: &str = "lab";

/// A PC paired with this console, as the lab panel shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct LabStation {
    /// Lower-case hex of the PC's station key.
    pub public_key: String,
    pub label: String,
    /// RFC 3339, the console's clock.
    pub paired_at: String,
}

impl From<PairedStation> for LabStation {
    fn from(s: PairedStation) -> Self {
        LabStation {
            public_key: s.public_key,
            label: s.label,
            paired_at: s.paired_at,
        }
    }
}

impl Console {
    /// The PCs paired with this console: every room it opens admits them without pairing again.
    pub fn paired_stations(&self) -> Result<Vec<LabStation>, ConsoleError> {
        self.signed_in()?;
        Ok(self
            .lab()?
            .stations()
            .map_err(|e| ConsoleError::internal("lab", e))?
            .into_iter()
            .map(LabStation::from)
            .collect())
    }

    /// Forgets a paired PC (sold, replaced, stolen): the next room refuses it until it is
    /// paired again. The room open now keeps what it recorded.
    pub fn forget_station(&self, public_key: &str) -> Result<(), ConsoleError> {
        self.signed_in()?;
        if self
            .lab()?
            .remove(public_key.trim())
            .map_err(|e| ConsoleError::internal("lab", e))?
        {
            Ok(())
        } else {
            Err(ConsoleError::new(
                "lab.unknown_station",
                "Aucun poste appairé n'a cette clé.",
                "No paired PC has this key.",
            ))
        }
    }

    /// The paired PCs, signed with the console's key: the body of `POST /v1/stations`, or the
    /// file an offline centre brings to the service.
    pub fn stations_declaration(&self) -> Result<Vec<u8>, ConsoleError> {
        Ok(self.declaration()?.0)
    }

    /// The declaration's bytes and how many PCs it declares.
    fn declaration(&self) -> Result<(Vec<u8>, usize), ConsoleError> {
        let stations = self.paired_stations()?;
        let uai = self
            .centre()?
            .ok_or_else(|| {
                ConsoleError::new(
                    "lab.no_centre",
                    "Le centre n'est pas encore configuré sur ce poste.",
                    "The centre is not set up on this PC yet.",
                )
            })?
            .uai;
        let list = StationList {
            uai,
            stations: stations
                .into_iter()
                .map(|s| DeclaredStation {
                    public_key: s.public_key,
                    label: s.label,
                })
                .collect(),
            signed_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        };
        let count = list.stations.len();
        let signed = SignedStations::sign(self.console_key()?.key_pair(), list);
        let bytes = serde_json::to_vec_pretty(&signed)
            .map_err(|e| ConsoleError::internal("stations", e))?;
        Ok((bytes, count))
    }

    /// The declaration as a file in the exports folder, for a centre without a connection.
    pub fn export_stations(&self) -> Result<PathBuf, ConsoleError> {
        let bytes = self.stations_declaration()?;
        self.write_export("postes-declares.json", &bytes)
    }

    /// Declares the paired PCs to the service at `service_url` now.
    pub async fn declare_stations(&self, service_url: &str) -> Result<usize, ConsoleError> {
        let (body, count) = self.declaration()?;
        let url = crate::outbox::parse_service_url(service_url)?;
        self.spawn(async move { certroom_sync::declare_stations(&url, body).await })
            .await?
            .map_err(|e| {
                ConsoleError::new(
                    "lab.declare",
                    format!("Les postes n'ont pas pu être déclarés au service : {e}"),
                    format!("The PCs could not be declared to the service: {e}"),
                )
            })?;
        Ok(count)
    }

    /// After a pairing: the PCs go to the service the console already sends to, in the
    /// background; a failure is logged and the next pairing or a declaration by hand retries.
    pub(crate) fn declare_in_background(&self) {
        let Ok(Some(link)) = ServiceLink::load(&self.data) else {
            return;
        };
        let Ok(body) = self.stations_declaration() else {
            return;
        };
        self.runtime().spawn(async move {
            if let Err(e) = certroom_sync::declare_stations(&link.url, body).await {
                tracing::warn!(error = %e, "lab: declaring the PCs to the service failed");
            }
        });
    }

    pub(crate) fn lab(&self) -> Result<Lab, ConsoleError> {
        Lab::open(&self.data.join(LAB_DIR)).map_err(|e| ConsoleError::internal("lab", e))
    }
}

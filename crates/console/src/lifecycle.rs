//! Where a session stands in its life: created, in progress (someone joined), finalized, sent
//! (the service's receipt), then what the service says of it: published, waiting for the jury,
//! rejected or cancelled. Derived, never stored twice: from the centre's record of the session
//! and the outbox's record of its bundle, both of which survive a restart.

use certroom_centre::session::SessionStatus;
use certroom_sync::{Item, State};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SessionStage {
    Created,
    InProgress,
    Finalized,
    Sent,
    WaitingJury,
    Published,
    Rejected,
    Cancelled,
}

/// The stage of a session whose record says `status` and `joined`, and whose latest bundle in
/// the outbox is `upload`. The service's signed read-back wins over the receipt's status, which
/// is only what it said on arrival.
pub fn stage(status: SessionStatus, joined: bool, upload: Option<&Item>) -> SessionStage {
    let Some(item) = upload else {
        return match (status, joined) {
            (SessionStatus::Finalized, _) => SessionStage::Finalized,
            (SessionStatus::Created, true) => SessionStage::InProgress,
            (SessionStatus::Created, false) => SessionStage::Created,
        };
    };
    if item.state != State::Sent {
        // Waiting to go, or refused: the upload state on the session page says which.
        return SessionStage::Finalized;
    }
    let said = item.service_status.clone().or_else(|| {
        item.receipt
            .as_deref()
            .and_then(|r| serde_json::from_str::<certroom_protocol::Receipt>(r).ok())
            .map(|r| r.status)
    });
    match said.as_deref() {
        Some("published" | "validated") => SessionStage::Published,
        Some("pending_jury") => SessionStage::WaitingJury,
        Some("rejected") => SessionStage::Rejected,
        Some("cancelled") => SessionStage::Cancelled,
        _ => SessionStage::Sent,
    }
}

/// The session's latest bundle among the outbox's items (a bundle sent again after a fix
/// replaces the one before).
pub fn latest_upload(items: &[Item], session: i64) -> Option<&Item> {
    items
        .iter()
        .filter(|i| i.session == session)
        .max_by_key(|i| i.id)
}

/// How long the console keeps a room's copies of the journals once the service's answer on its
/// bundle is final: long enough for a question from the service, no longer.
pub const ROOM_RETENTION_DAYS: i64 = 30;

/// Sessions whose room the console may forget at `now`: their latest bundle was received more
/// than `keep` ago and the service's word on it is final (published, decided or replaced).
pub fn rooms_to_forget(
    items: &[Item],
    now: chrono::DateTime<chrono::Utc>,
    keep: chrono::Duration,
) -> Vec<i64> {
    let mut sessions: Vec<i64> = items.iter().map(|i| i.session).collect();
    sessions.sort_unstable();
    sessions.dedup();
    sessions
        .into_iter()
        .filter(|&s| {
            let Some(item) = latest_upload(items, s) else {
                return false;
            };
            let received = item
                .receipt
                .as_deref()
                .and_then(|r| serde_json::from_str::<certroom_protocol::Receipt>(r).ok())
                .and_then(|r| chrono::DateTime::parse_from_rfc3339(&r.received_at).ok());
            let final_word = matches!(
                stage(SessionStatus::Finalized, true, Some(item)),
                SessionStage::Published | SessionStage::Rejected | SessionStage::Cancelled
            ) && !item.awaits_service();
            final_word && received.is_some_and(|at| now - at.with_timezone(&chrono::Utc) > keep)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use SessionStage::*;

    fn item(state: State, receipt_status: Option<&str>, read_back: Option<&str>) -> Item {
        Item {
            id: 1,
            bundle_id: "B-1".into(),
            session: 4,
            content_hash: "00".into(),
            state,
            attempts: 1,
            next_attempt_ms: 0,
            last_error: None,
            receipt: receipt_status.map(|s| {
                serde_json::json!({"bundle_id": "B-1", "content_hash": "00",
                    "received_at": "2026-12-05T02:00:00Z", "status": s, "signature": ""})
                .to_string()
            }),
            service_status: read_back.map(str::to_owned),
            service_status_as_of: None,
        }
    }

    #[test]
    fn a_room_is_forgotten_thirty_days_after_a_final_word_only() {
        let keep = chrono::Duration::days(ROOM_RETENTION_DAYS);
        let at = |d: &str| {
            chrono::DateTime::parse_from_rfc3339(d)
                .unwrap()
                .with_timezone(&chrono::Utc)
        };
        let published = item(State::Sent, Some("published"), Some("published"));
        let jury = Item {
            session: 5,
            id: 2,
            ..item(State::Sent, Some("pending_jury"), Some("pending_jury"))
        };
        let waiting = Item {
            session: 6,
            id: 3,
            ..item(State::Pending, None, None)
        };
        let all = [published, jury, waiting];
        // Received 2026-12-05: kept for 30 days.
        assert!(rooms_to_forget(&all, at("2026-12-20T00:00:00Z"), keep).is_empty());
        assert_eq!(
            rooms_to_forget(&all, at("2027-01-05T00:00:00Z"), keep),
            vec![4]
        );
    }

    #[test]
    fn each_step_of_a_sessions_life() {
        let f = SessionStatus::Finalized;
        assert_eq!(stage(SessionStatus::Created, false, None), Created);
        assert_eq!(stage(SessionStatus::Created, true, None), InProgress);
        assert_eq!(stage(f, true, None), Finalized);
        let pending = item(State::Pending, None, None);
        assert_eq!(stage(f, true, Some(&pending)), Finalized);
        let refused = item(State::Rejected, None, None);
        assert_eq!(stage(f, true, Some(&refused)), Finalized);
        let odd = item(State::Sent, None, None);
        assert_eq!(stage(f, true, Some(&odd)), Sent);
        let jury = item(State::Sent, Some("pending_jury"), None);
        assert_eq!(stage(f, true, Some(&jury)), WaitingJury);
        let published = item(State::Sent, Some("published"), None);
        assert_eq!(stage(f, true, Some(&published)), Published);
        // What the service says later wins over what it said on arrival.
        for (later, expected) in [
            ("validated", Published),
            ("rejected", Rejected),
            ("cancelled", Cancelled),
            ("pending_jury", WaitingJury),
            ("superseded", Sent),
        ] {
            let i = item(State::Sent, Some("pending_jury"), Some(later));
            assert_eq!(stage(f, true, Some(&i)), expected, "{later}");
        }
        // A bundle in the outbox means the room was finalized, whatever the record says.
        assert_eq!(
            stage(SessionStatus::Created, false, Some(&jury)),
            WaitingJury
        );
    }

    #[test]
    fn the_latest_bundle_of_the_session_counts() {
        let mut a = item(State::Rejected, None, None);
        a.id = 3;
        let mut b = item(State::Sent, Some("published"), None);
        b.id = 7;
        let mut other = item(State::Sent, Some("published"), None);
        other.id = 9;
        other.session = 5;
        let items = [b.clone(), a, other];
        assert_eq!(latest_upload(&items, 4).map(|i| i.id), Some(7));
        assert_eq!(latest_upload(&items, 6), None);
    }
}

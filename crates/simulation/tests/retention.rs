//! Pupils' data is kept no longer than needed: once the console holds the service's final word
//! on a session and its retention time is over, each PC of the room deletes its own journal of
//! those tests at its next connection to any later room.

mod common;

use certroom_protocol::ConsoleCommand;
use common::{bank, hub_in_lab, pc};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pc_deletes_its_journal_of_a_test_the_service_holds_at_its_next_connection() {
    let bank = bank();
    let (lab, rooms, kiosk) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let journal = kiosk.path().join(certroom_kiosk::sitting::JOURNAL_FILE);

    // Session 1: the PC is paired, a candidate sits a test, the invigilator ends it.
    let first = rooms.path().join("room-1");
    let (h, auth) = hub_in_lab(lab.path(), &first).await;
    let mut k = pc(kiosk.path(), &bank, &h, &auth).await;
    k.start(&h, &auth, 0).await;
    k.answer().await;
    h.hub
        .command(
            &auth,
            ConsoleCommand::EndTest {
                candidate: 1,
                reason: "fin".into(),
            },
        )
        .unwrap();
    k.obey().await;
    k.live.leave().await.unwrap();
    let station = k.station.clone();
    drop(k);
    h.stop().await;
    let on_pc = certroom_journal::verify_file(&journal).unwrap();
    assert_eq!(on_pc.tests, 1, "the PC keeps its journal of the test");
    let test_id = on_pc.details[0].test_id.clone();

    // Until the console lists the test, a later room tells the PC nothing.
    let (h2, auth2) = hub_in_lab(lab.path(), &rooms.path().join("room-2")).await;
    drop(pc(kiosk.path(), &bank, &h2, &auth2).await);
    assert_eq!(certroom_journal::verify_file(&journal).unwrap().tests, 1);
    h2.stop().await;

    // The console, past retention, reads the room's record and lists its PCs' tests in the lab
    // (what `forget_old_rooms` does before deleting the room's folder).
    let record =
        certroom_hub::store::Store::open(&first.join(certroom_hub::server::DB_FILE)).unwrap();
    let listed = record.tests_by_station().unwrap();
    assert_eq!(listed, vec![(station, test_id)]);
    let lab_db = certroom_hub::lab::Lab::open(lab.path()).unwrap();
    for (s, t) in &listed {
        lab_db
            .forget_test(s, t, "2027-01-05T00:00:00.000Z")
            .unwrap();
    }
    drop(lab_db);

    // The next day's room: at its hello, the PC deletes that test.
    let (h3, auth3) = hub_in_lab(lab.path(), &rooms.path().join("room-3")).await;
    drop(pc(kiosk.path(), &bank, &h3, &auth3).await);
    let after = certroom_journal::verify_file(&journal).unwrap();
    assert_eq!(after.tests, 0, "the PC's journal of the test is gone");
    h3.stop().await;
}

import { describe, expect, it } from "vitest";
import { clockRunning, isoDate, newlyNeedsAction, sortTiles, stationLabel, tileActions, withPairing, withTile, type RoomView, type Tile } from "./room";
import { roomView, tile } from "./test-support";

const ids = (tiles: Tile[]) => tiles.map((t) => t.candidate);

describe("tile order", () => {
  it("puts the most urgent status first, then sorts by birth name, first name and id, without touching its input", () => {
    const tiles = [
      tile({ candidate: 1, status: "ended", birth_name: "ABEL" }),
      tile({ candidate: 2, status: "in_test", birth_name: "MARTIN", first_name: "Zoé" }),
      tile({ candidate: 3, status: "in_test", birth_name: "MARTIN", first_name: "Léa" }),
      tile({ candidate: 4, status: "alert", birth_name: "ZOLA" }),
      tile({ candidate: 5, status: "waiting_authorization", birth_name: "BRUN" }),
      tile({ candidate: 6, status: "focus_lost", birth_name: "ABEL" }),
      tile({ candidate: 7, status: "not_arrived", birth_name: "ABEL" }),
      tile({ candidate: 8, status: "in_test", birth_name: "MARTIN", first_name: "Léa" }),
      tile({ candidate: 9, status: "joined", birth_name: "ZOLA" }),
      tile({ candidate: 10, status: "paused", birth_name: "ABEL" }),
      tile({ candidate: 11, status: "finished", birth_name: "ABEL" }),
    ];
    const before = ids(tiles);
    expect(ids(sortTiles(tiles))).toEqual([4, 5, 6, 9, 3, 8, 2, 10, 7, 11, 1]);
    expect(ids(tiles)).toEqual(before);
  });

  it("compares names byte-wise as the hub does (upper case before lower case, accents after)", () => {
    const tiles = [tile({ candidate: 1, birth_name: "émile" }), tile({ candidate: 2, birth_name: "Zed" }), tile({ candidate: 3, birth_name: "abel" })];
    expect(ids(sortTiles(tiles))).toEqual([2, 3, 1]);
  });

  it("replaces one candidate's pushed tile and re-sorts; an unknown candidate is added", () => {
    const view = roomView({ tiles: [tile({ candidate: 1, birth_name: "ABEL" }), tile({ candidate: 2, birth_name: "BRUN" })] });
    const next = withTile(view, tile({ candidate: 2, birth_name: "BRUN", status: "alert", needs_action: true }));
    expect(ids(next.tiles)).toEqual([2, 1]);
    expect(next.tiles[0].status).toBe("alert");
    expect(view.tiles[1].status).toBe("in_test");
    expect(ids(withTile(next, tile({ candidate: 3, birth_name: "AARON" })).tiles)).toEqual([2, 3, 1]);
  });
});

describe("room helpers", () => {
  it("keeps one pairing request per station, the newest", () => {
    const view = roomView({ pairings: [{ station: "s1", label: "PC-01", code: "111111" }] });
    const next = withPairing(withPairing(view, { station: "s2", label: "PC-02", code: "222222" }), { station: "s1", label: "PC-01", code: "333333" });
    expect(next.pairings).toEqual([
      { station: "s2", label: "PC-02", code: "222222" },
      { station: "s1", label: "PC-01", code: "333333" },
    ]);
  });

  it("names a station by its paired label, else by its id", () => {
    const view: RoomView = roomView({ stations: [["s1", "PC-01"]] });
    expect(stationLabel(view, "s1")).toBe("PC-01");
    expect(stationLabel(view, "s9")).toBe("s9");
    expect(stationLabel(view, null)).toBeNull();
  });

  it("converts a typed jj/mm/aaaa date to the hub's YYYY-MM-DD, and refuses anything else", () => {
    expect(isoDate("03/02/2010")).toBe("2010-02-03");
    expect(isoDate(" 3/2/2010 ")).toBe("2010-02-03");
    expect(isoDate("29/02/2024")).toBe("2024-02-29");
    expect(isoDate("29/02/2023")).toBeNull();
    expect(isoDate("31/04/2010")).toBeNull();
    expect(isoDate("2010-02-03")).toBeNull();
    expect(isoDate("")).toBeNull();
  });

  it("counts down only while the test's clock runs", () => {
    expect(clockRunning("in_test")).toBe(true);
    expect(clockRunning("alert")).toBe(true);
    expect(clockRunning("focus_lost")).toBe(true);
    expect(clockRunning("paused")).toBe(false);
    expect(clockRunning("waiting_authorization")).toBe(false);
  });

  it("offers each action only where the hub would take it", () => {
    expect(tileActions(tile({ status: "waiting_authorization", test_id: null }), false)).toMatchObject({ authorize: true, resolveAlert: false, endTest: true, extraTime: false, move: true });
    expect(tileActions(tile({ status: "alert" }), false)).toMatchObject({ authorize: false, resolveAlert: true, endTest: true, extraTime: true, recordIncident: true });
    expect(tileActions(tile({ status: "not_arrived", station: null }), false)).toMatchObject({ endTest: false, recordIncident: false, move: false, fixIdentity: true });
    const finished = tileActions(tile({ status: "finished", answered: 32, total: 32 }), false);
    expect(finished).toMatchObject({ endTest: false, extraTime: false, move: false, abortReason: false, recordIncident: true });
    // An unfinished test needs an abort reason; one given can still be changed.
    expect(tileActions(tile({ status: "ended", answered: 5, total: 32 }), false).abortReason).toBe(true);
    expect(tileActions(tile({ status: "ended", answered: 32, total: 32 }), false).abortReason).toBe(false);
    expect(tileActions(tile({ status: "ended", answered: 32, total: 32, abort_reason: "technical" }), false).abortReason).toBe(true);
    // Nothing once the session is finalized.
    expect(Object.values(tileActions(tile({ status: "alert" }), true)).some(Boolean)).toBe(false);
  });

  it("announces a tile only when it newly needs the invigilator", () => {
    const inTest = tile({ status: "in_test" });
    const alert = tile({ status: "alert", needs_action: true });
    expect(newlyNeedsAction(inTest, alert)).toBe(true);
    expect(newlyNeedsAction(undefined, alert)).toBe(true);
    expect(newlyNeedsAction(alert, { ...alert, answered: 3 })).toBe(false);
    expect(newlyNeedsAction(alert, inTest)).toBe(false);
  });
});

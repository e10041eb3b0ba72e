// The live room as the console's hub pushes it (types generated from `certroom_protocol` and
// `certroom_console`, ui/src/generated) and the pure helpers the room panel uses.
// Nothing here reaches Rust: the commands go through shared/backend.ts.
import type { PairingRequest, RoomView, Tile, TileStatus } from "../generated";

export type { AbortReason, ConsoleCommand, ConsoleEvent, RoomInfo, RoomView, Tile } from "../generated";

/** Each status's urgency (the hub's `TileStatus` order): who needs the invigilator comes first.
 * A record, so a status added in Rust fails the build until it has its place here. */
const URGENCY: Readonly<Record<TileStatus, number>> = {
  alert: 0,
  waiting_authorization: 1,
  focus_lost: 2,
  joined: 3,
  in_test: 4,
  paused: 5,
  not_arrived: 6,
  finished: 7,
  ended: 8,
};

/** Incident codes of the national rules, in the hub's order (`INCIDENT_CODES`). */
export const INCIDENT_CODES = ["C1", "C2", "C4", "C6", "C7", "C8", "E1", "E2", "E3", "E4", "E5", "E8", "E9", "E10", "E11", "E12"] as const;
/** The codes a validated alert may carry (the hub accepts only E codes there). */
export const ALERT_CODES = INCIDENT_CODES.filter((c) => c.startsWith("E"));

/** Byte-wise order, as Rust's `String` comparison (the hub sorts the same way). */
function cmp(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The hub's tile order: status (alert first … ended last), then birth name, first name, id. */
export function compareTiles(a: Tile, b: Tile): number {
  return (
    cmp(URGENCY[a.status], URGENCY[b.status]) ||
    cmp(a.birth_name, b.birth_name) ||
    cmp(a.first_name, b.first_name) ||
    cmp(a.candidate, b.candidate)
  );
}

/** A sorted copy; the input is left as it is. */
export function sortTiles(tiles: readonly Tile[]): Tile[] {
  return [...tiles].sort(compareTiles);
}

/** The view with one candidate's tile replaced (or added), re-sorted. */
export function withTile(view: RoomView, tile: Tile): RoomView {
  return { ...view, tiles: sortTiles([...view.tiles.filter((t) => t.candidate !== tile.candidate), tile]) };
}

/** The view with a station's pairing request added, or replaced by the newer one. */
export function withPairing(view: RoomView, pairing: PairingRequest): RoomView {
  return { ...view, pairings: [...view.pairings.filter((p) => p.station !== pairing.station), pairing] };
}

/** The station's label as paired, else its id. */
export function stationLabel(view: RoomView, station: string | null): string | null {
  if (station === null) return null;
  return view.stations.find(([id]) => id === station)?.[1] ?? station;
}

/** The countdown runs while the test's live clock runs (an open alert does not stop it). */
export function clockRunning(status: TileStatus): boolean {
  return status === "in_test" || status === "focus_lost" || status === "alert";
}

/** What the invigilator may do for a candidate, by the tile's state (the hub checks again). */
export interface TileActions {
  authorize: boolean;
  resolveAlert: boolean;
  endTest: boolean;
  extraTime: boolean;
  recordIncident: boolean;
  fixIdentity: boolean;
  move: boolean;
  abortReason: boolean;
}

const OVER: readonly TileStatus[] = ["finished", "ended"];
const LIVE: readonly TileStatus[] = ["alert", "focus_lost", "in_test", "paused"];

export function tileActions(tile: Tile, finalized: boolean): TileActions {
  const s = tile.status;
  const over = OVER.includes(s);
  const arrived = s !== "not_arrived";
  const none: TileActions = { authorize: false, resolveAlert: false, endTest: false, extraTime: false, recordIncident: false, fixIdentity: false, move: false, abortReason: false };
  if (finalized) return none;
  return {
    authorize: s === "waiting_authorization",
    resolveAlert: s === "alert",
    endTest: arrived && !over,
    extraTime: LIVE.includes(s),
    recordIncident: arrived,
    fixIdentity: true,
    move: tile.station !== null && !over,
    // An unfinished test (ended before its last question) needs one before finalizing; a reason
    // already given can still be changed.
    abortReason: tile.abort_reason !== null || (s === "ended" && tile.answered < tile.total),
  };
}

/** jj/mm/aaaa (a real date) as YYYY-MM-DD, the hub's format; null otherwise. */
export function isoDate(text: string): string | null {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text.trim());
  if (!m) return null;
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return `${String(y).padStart(4, "0")}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

/** Whether a pushed tile newly needs the invigilator (so it is worth announcing). */
export function newlyNeedsAction(before: Tile | undefined, after: Tile): boolean {
  return after.needs_action && before?.status !== after.status;
}

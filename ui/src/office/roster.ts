// The office's list, pure: rows grouped by session or by class, and what a selection prints.
import type { CandidateRef, RosterRow } from "../shared/backend";

export type Grouping = "session" | "class";

export interface Group {
  /** Stable across renders: `session:0750654D-4217` or `class:3A`. */
  key: string;
  /** What the group is called on screen and in the PDF's file name. */
  kind: Grouping;
  value: string;
  rows: RosterRow[];
}

export const rowKey = (r: RosterRow) => `${r.session_id}#${r.candidate_id}`;
export const refOf = (r: RosterRow): CandidateRef => ({ session_id: r.session_id, candidate_id: r.candidate_id });


/** Groups in first-seen order (Rust sorts by session, class, name); rows keep their order. */
export function groupRows(rows: RosterRow[], by: Grouping): Group[] {
  const groups = new Map<string, Group>();
  for (const r of rows) {
    const value = by === "session" ? String(r.session_number) : r.class;
    const key = `${by}:${by === "session" ? r.session_id : r.class}`;
    let g = groups.get(key);
    if (!g) {
      g = { key, kind: by, value, rows: [] };
      groups.set(key, g);
    }
    g.rows.push(r);
  }
  const list = [...groups.values()];
  // Classes read best in order (3A, 3B, …); the unnamed class goes last.
  if (by === "class") list.sort((a, b) => (a.value === "") !== (b.value === "") ? (a.value === "" ? 1 : -1) : a.value.localeCompare(b.value, "fr", { numeric: true }));
  return list;
}

/** The printable rows among `rows` whose key is selected, in display order. */
export function selectedRefs(rows: RosterRow[], selected: ReadonlySet<string>): CandidateRef[] {
  return rows.filter((r) => r.printable && selected.has(rowKey(r))).map(refOf);
}

/** Toggles a whole group: selects its printable rows unless all of them already are. */
export function toggleGroup(selected: ReadonlySet<string>, group: Group): Set<string> {
  const keys = group.rows.filter((r) => r.printable).map(rowKey);
  const next = new Set(selected);
  const all = keys.length > 0 && keys.every((k) => next.has(k));
  for (const k of keys) {
    if (all) next.delete(k);
    else next.add(k);
  }
  return next;
}

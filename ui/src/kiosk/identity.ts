// Client-side checks of the join form; the hub re-checks everything (the kiosk is not trusted).

export interface JoinForm {
  session: string;
  firstName: string;
  birthName: string;
  birthdate: string;
}

export type JoinProblem = { field: keyof JoinForm; key: "kiosk.fieldRequired" | "kiosk.birthdateInvalid" };

/** A real calendar date written jj/mm/aaaa. */
export function isFrenchDate(text: string): boolean {
  const m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text.trim());
  if (!m) return false;
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

export function checkJoinForm(form: JoinForm): JoinProblem[] {
  const problems: JoinProblem[] = [];
  for (const field of ["session", "firstName", "birthName", "birthdate"] as const) {
    if (!form[field].trim()) problems.push({ field, key: "kiosk.fieldRequired" });
  }
  if (form.birthdate.trim() && !isFrenchDate(form.birthdate)) problems.push({ field: "birthdate", key: "kiosk.birthdateInvalid" });
  return problems;
}

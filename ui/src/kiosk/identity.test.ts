import { expect, it } from "vitest";
import { checkJoinForm, isFrenchDate } from "./identity";

it("accepts only real jj/mm/aaaa dates", () => {
  expect(isFrenchDate("29/02/2012")).toBe(true);
  expect(isFrenchDate("29/02/2013")).toBe(false);
  expect(isFrenchDate("31/04/2010")).toBe(false);
  expect(isFrenchDate("2010-04-01")).toBe(false);
  expect(isFrenchDate("1/4/2010")).toBe(false);
});

it("names every missing field", () => {
  const problems = checkJoinForm({ session: "", firstName: "Zoé", birthName: " ", birthdate: "32/01/2010" });
  expect(problems.map((p) => p.field)).toEqual(["session", "birthName", "birthdate"]);
  expect(problems[2].key).toBe("kiosk.birthdateInvalid");
});

import { describe, expect, it } from "vitest";
import { activeFilters, changed, pageCount, parseSearch, toQuery } from "./search";

describe("search in the URL", () => {
  it("reads known filters and leaves out unknown values", () => {
    const s = parseSearch(new URLSearchParams("q=%20heart%20&specialty=Cardiology&state=ZZ&meeting_mode=video&scope=local&has_open_slot=true&page=2&bogus=1"));
    expect(s).toEqual({ q: "heart", specialty: "Cardiology", meeting_mode: "video", scope: "local", has_open_slot: true, page: 2 });
    expect(activeFilters(s)).toBe(4);
  });
  it("starts on page 1 when the page is not a positive whole number", () => {
    expect(parseSearch(new URLSearchParams("page=0")).page).toBe(1);
    expect(parseSearch(new URLSearchParams("page=abc")).page).toBe(1);
    expect(parseSearch(new URLSearchParams("page=1.5")).page).toBe(1);
  });
  it("asks the directory for a page of 10", () => {
    expect(toQuery({ page: 3, q: "x" })).toEqual({ page: 3, q: "x", per_page: 10 });
  });
  it("goes back to page 1 when anything but the page changes, and drops emptied keys", () => {
    const params = new URLSearchParams("q=heart&page=3&language=Spanish");
    expect(changed(params, { language: null }).toString()).toBe("q=heart");
    expect(changed(params, { page: "4" }).toString()).toBe("q=heart&page=4&language=Spanish");
    expect(changed(params, { page: "1" }).toString()).toBe("q=heart&language=Spanish");
    expect(changed(params, { q: "" }).toString()).toBe("language=Spanish");
  });
  it("counts pages", () => {
    expect(pageCount(0)).toBe(1);
    expect(pageCount(10)).toBe(1);
    expect(pageCount(11)).toBe(2);
  });
});

// Find a mentor (R9, R10): free text, the directory's facets with their counts, pages. Each result says
// its open slots, availability and measured responsiveness, and whether the mentor mentors locally only
// (R8). The search lives in the URL, so back and forward go through earlier searches. Operators use the
// same screen as the directory.
import { useQuery, type UseQueryResult } from "@tanstack/react-query";
import { startTransition, useEffect, useId, useOptimistic, useState } from "react";
import { Link, useSearchParams } from "react-router";
import type { components } from "../../api/schema/directory";
import { useAuth } from "../../auth/AuthProvider";
import { searchQuery } from "./queries";
import { Checkbox, Select } from "../../ui/form";
import { Badge, Page } from "../../ui/page";
import { Empty, ErrorNote, Loading } from "../../ui/status";
import { FILTER_KEYS, activeFilters, changed, pageCount, parseSearch, type FilterKey, type Search } from "./search";
import {
  availabilityWords, backgroundName, meetingModeName, rankName, responsivenessWords, slotsWords,
} from "./words";

type Facets = components["schemas"]["Facets"];
type Hit = components["schemas"]["SearchHit"];
type FacetValue = components["schemas"]["FacetValue"];

export default function FindMentor() {
  const { role } = useAuth();
  const [params, setParams] = useSearchParams();
  const search = parseSearch(params);
  // The router moves to the new URL in a transition, which an answer arriving meanwhile may hold back:
  // the controls show what the person chose at once, not the URL's previous state until it commits.
  const [shown, setShown] = useOptimistic(search);
  const title = role === "operator" ? "Directory" : "Find a mentor";
  const results = useQuery(searchQuery(search));
  const go = (updates: Record<string, string | null>) => startTransition(() => {
    const next = changed(params, updates);
    setShown(parseSearch(next));
    setParams(next);
  });

  return (
    <Page title={title} intro={<p>{role === "operator"
      ? "Every published mentor, as mentees find them (local-only mentors of every institution included)."
      : "Search by name, specialty, interest or any word of a mentor's profile. Mentors with open slots, more time and quick answers come first."}</p>}>
      <SearchBox value={shown.q ?? ""} onSearch={(q) => go({ q: q.trim() || null })} />
      <div className="search-layout">
        <Filters search={shown} facets={results.data?.facets} onChange={go} />
        <section aria-labelledby="results-title" aria-busy={results.isFetching || undefined}>
          <Results search={search} query={results} onPage={(page) => go({ page: String(page) })}
            onClear={() => setParams(new URLSearchParams())} />
        </section>
      </div>
    </Page>
  );
}

function SearchBox({ value, onSearch }: { value: string; onSearch: (q: string) => void }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]); // back/forward changes the URL: the box follows it
  const id = useId();
  return (
    <form role="search" className="search-box" onSubmit={(e) => {
      e.preventDefault();
      onSearch(text);
    }}>
      <label htmlFor={id}>Search mentors</label>
      <div className="search-row">
        <input id={id} type="search" value={text} maxLength={200} onChange={(e) => setText(e.target.value)}
          placeholder="e.g. cardiology, Spanish, research" />
        <button type="submit" className="button">Search</button>
      </div>
    </form>
  );
}

function options(values: FacetValue[] | undefined, selected: string | undefined, label: (v: string) => string = (v) => v) {
  const list = (values ?? []).map((f) => ({ value: f.value ?? "", label: `${label(f.value ?? "")} (${f.count ?? 0})` }));
  if (selected && !list.some((o) => o.value === selected)) list.unshift({ value: selected, label: label(selected) });
  return list;
}

function Filters({ search, facets, onChange }: {
  search: Search;
  facets: Facets | undefined;
  onChange: (updates: Record<string, string | null>) => void;
}) {
  const set = (key: FilterKey) => (value: string) => onChange({ [key]: value || null });
  const openCount = facets?.has_open_slot?.find((f) => f.value === "true")?.count;
  const count = activeFilters(search);
  const [open, setOpen] = useState(false); // on a phone the filters fold away; on a desktop they are always shown
  const fields = useId();
  return (
    <section className={`filters card${open ? " open" : ""}`} aria-labelledby="filters-title">
      <div className="card-header">
        <h2 id="filters-title">Filters{count ? ` (${count} on)` : ""}</h2>
        <div className="row">
          {count ? (
            <button type="button" className="button secondary small"
              onClick={() => onChange(Object.fromEntries(FILTER_KEYS.map((k) => [k, null])))}>Clear filters</button>
          ) : null}
          <button type="button" className="button secondary small filters-toggle" aria-expanded={open} aria-controls={fields}
            onClick={() => setOpen(!open)}>{open ? "Fewer filters" : "More filters"}</button>
        </div>
      </div>
      <Checkbox label={`Only mentors with an open slot${openCount !== undefined ? ` (${openCount})` : ""}`}
        checked={search.has_open_slot === true} onChange={(on) => onChange({ has_open_slot: on ? "true" : null })} />
      <div className="filter-fields" id={fields}>
        <Select label="Specialty" value={search.specialty ?? ""} onChange={set("specialty")}
          options={[{ value: "", label: "Any specialty" }, ...options(facets?.specialty, search.specialty)]} />
        <Select label="Interest" value={search.interest ?? ""} onChange={set("interest")}
          options={[{ value: "", label: "Any interest" }, ...options(facets?.interest, search.interest)]} />
        <Select label="Language" value={search.language ?? ""} onChange={set("language")}
          options={[{ value: "", label: "Any language" }, ...options(facets?.language, search.language)]} />
        <Select label="Meets by" value={search.meeting_mode ?? ""} onChange={set("meeting_mode")}
          options={[{ value: "", label: "Any way" }, ...options(facets?.meeting_mode, search.meeting_mode, meetingModeName)]} />
        <Select label="State" value={search.state ?? ""} onChange={set("state")}
          options={[{ value: "", label: "Any state" }, ...options(facets?.state, search.state)]} />
        <Select label="Shared background" value={search.shared_background ?? ""} onChange={set("shared_background")}
          hint="Only mentors who chose to show it."
          options={[{ value: "", label: "Any background" }, ...options(facets?.shared_background, search.shared_background, backgroundName)]} />
        <Select label="Mentoring scope" value={search.scope ?? ""} onChange={set("scope")}
          options={[{ value: "", label: "Local and national mentors" },
            ...options(facets?.scope, search.scope, (v) => (v === "local" ? "Local only (your institution)" : "National (any institution)"))]} />
      </div>
    </section>
  );
}

function Results({ search, query, onPage, onClear }: {
  search: Search;
  query: UseQueryResult<components["schemas"]["SearchOut"]>;
  onPage: (page: number) => void;
  onClear: () => void;
}) {
  if (query.isPending) return <><h2 id="results-title">Mentors</h2><Loading label="Searching…" /></>;
  if (query.isError) return <><h2 id="results-title">Mentors</h2><ErrorNote error={query.error} retry={() => void query.refetch()} /></>;
  const { results = [], total = 0, page = search.page, per_page: perPage } = query.data;
  const pages = pageCount(total, perPage);
  if (total === 0 || results.length === 0) {
    return (
      <>
        <h2 id="results-title">No mentors found</h2>
        <Empty>
          {search.q ? <>No published mentor matches “{search.q}”{activeFilters(search) ? " with these filters" : ""}. </> : "No published mentor matches these filters. "}
          Try other words, fewer words, or fewer filters.{" "}
          {search.q || activeFilters(search) ? <button type="button" className="button secondary" onClick={onClear}>Clear the search</button> : null}
        </Empty>
      </>
    );
  }
  const first = (page - 1) * (perPage ?? results.length) + 1;
  return (
    <>
      <h2 id="results-title">{total === 1 ? "1 mentor found" : `${total} mentors found`}</h2>
      <p className="muted" aria-live="polite">Showing {first}–{first + results.length - 1} of {total}{pages > 1 ? ` · page ${page} of ${pages}` : ""}</p>
      <ol className="cards" aria-labelledby="results-title">
        {results.map((hit) => <Result key={hit.id} hit={hit} />)}
      </ol>
      {pages > 1 ? (
        <nav className="pager" aria-label="Result pages">
          <button type="button" className="button secondary" disabled={page <= 1} onClick={() => onPage(page - 1)}>Previous page</button>
          <span>Page {page} of {pages}</span>
          <button type="button" className="button secondary" disabled={page >= pages} onClick={() => onPage(page + 1)}>Next page</button>
        </nav>
      ) : null}
    </>
  );
}

function Result({ hit }: { hit: Hit }) {
  const slots = slotsWords(hit.availability);
  const place = [hit.city, hit.state].filter(Boolean).join(", ");
  const role = [rankName(hit.academic_rank), (hit.specialties ?? []).join(", ")].filter(Boolean).join(" · ");
  return (
    <li className="result">
      <h3><Link to={`/mentors/${hit.id}`}>{hit.display_name ?? "A mentor"}</Link></h3>
      {role ? <p>{role}{hit.subspecialty ? ` (${hit.subspecialty})` : ""}</p> : null}
      <p className="row">
        <Badge tone={slots.tone}>{slots.label}</Badge>
        {hit.scope === "local" ? <Badge tone="info">Local only: mentors learners of their own institution</Badge> : null}
      </p>
      <dl className="facts">
        <div><dt>Availability</dt><dd>{availabilityWords(hit.availability)}</dd></div>
        <div><dt>Responsiveness</dt><dd>{responsivenessWords(hit.responsiveness)}</dd></div>
        {place ? <div><dt>Location</dt><dd>{place}</dd></div> : null}
        {hit.languages?.length ? <div><dt>Languages</dt><dd>{hit.languages.join(", ")}</dd></div> : null}
      </dl>
      {hit.bio ? <p className="muted clamp">{hit.bio}</p> : null}
    </li>
  );
}

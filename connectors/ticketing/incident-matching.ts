/** A known incident as the matcher needs it. */
export interface IncidentCandidate {
  id: string;
  title: string;
  components: string[];
  started_at: string;
}

/** Lower-cased word stems of a text, for matching words across plurals and tenses. */
export function stems(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0)
    .map(stem);
}

function stem(word: string): string {
  if (word.length > 5 && word.endsWith('ing')) return word.slice(0, -3);
  if (word.length > 4 && word.endsWith('ed')) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

// Words that say something is wrong but not what: they appear in every incident title and bug report.
const stopWords = new Set(
  stems(
    'the and for with from that this are was were has have been our your some all not but its into when what ' +
      'error errors issue issues problem problems elevated degraded intermittent failing failed failure broken ' +
      'customers users working work cannot today since please help',
  ),
);

/**
 * How strongly a text points at an incident: 3 per affected component it names (every word of the
 * component present) plus 1 per significant title word. 0 means unrelated.
 */
export function incidentScore(text: string, incident: IncidentCandidate): number {
  const words = new Set(stems(text));
  const components = incident.components.filter((component) => {
    const parts = stems(component);
    return parts.length > 0 && parts.every((part) => words.has(part));
  }).length;
  const titleWords = new Set(
    stems(incident.title).filter((word) => word.length >= 3 && !stopWords.has(word)),
  );
  const titleHits = [...titleWords].filter((word) => words.has(word)).length;
  return components * 3 + titleHits;
}

/**
 * The incident a bug report is about: the best-scoring one that names an affected component or
 * shares at least two significant title words with the report; newest first on a tie.
 */
export function matchIncident<T extends IncidentCandidate>(text: string, incidents: T[]): T | null {
  const ranked = rankIncidents(text, incidents).filter(({ score }) => score >= 2);
  return ranked[0]?.incident ?? null;
}

/** Incidents with a positive score for `text`, best first, newest first on a tie. */
export function rankIncidents<T extends IncidentCandidate>(
  text: string,
  incidents: T[],
): Array<{ incident: T; score: number }> {
  return incidents
    .map((incident) => ({ incident, score: incidentScore(text, incident) }))
    .filter(({ score }) => score > 0)
    .sort(
      (a, b) => b.score - a.score || Date.parse(b.incident.started_at) - Date.parse(a.incident.started_at),
    );
}

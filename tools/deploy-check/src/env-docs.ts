/** Variable names a config schema file declares (`NAME: Type.…`, `NAME: Port(…)`, `NAME: UrlString(…)`). */
export function schemaVariables(configSource: string): string[] {
  const names = [
    ...configSource.matchAll(/^\s+([A-Z][A-Z0-9_]+)\s*:\s*(?:Type\.|Port\(|UrlString\(|[A-Za-z]+\()/gm),
  ].map((m) => m[1]!);
  return [...new Set(names)].sort();
}

/** Names assigned in a .env file (commented lines ignored). */
export function dotenvVariables(text: string): string[] {
  return [...new Set([...text.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!))].sort();
}

/** Names documented in docs/configuration.md (each as `NAME` in a table row). */
export function documentedVariables(markdown: string): string[] {
  return [...new Set([...markdown.matchAll(/^\|\s*`([A-Z][A-Z0-9_]*)`/gm)].map((m) => m[1]!))].sort();
}

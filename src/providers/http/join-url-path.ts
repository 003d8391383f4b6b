/**
 * Appends a request path (which may carry its own query) to a base URL's path, keeping the base URL's
 * query. `https://h/v1?key=k` + `/chat/completions?x=1` gives `/v1/chat/completions?key=k&x=1`.
 * Returns the origin and the path-with-query that undici's `Pool` expects.
 */
export function joinUrlPath(baseUrl: string, path: string): { origin: string; pathWithQuery: string } {
  const base = new URL(baseUrl);
  const [pathPart, queryPart] = splitQuery(path);
  const basePath = base.pathname.replace(/\/+$/, "");
  const joinedPath = `${basePath}/${pathPart.replace(/^\/+/, "")}`;
  const query = new URLSearchParams(base.search);
  for (const [name, value] of new URLSearchParams(queryPart)) query.append(name, value);
  const search = query.toString();
  return { origin: base.origin, pathWithQuery: search === "" ? joinedPath : `${joinedPath}?${search}` };
}

function splitQuery(path: string): [string, string] {
  const at = path.indexOf("?");
  return at === -1 ? [path, ""] : [path.slice(0, at), path.slice(at + 1)];
}

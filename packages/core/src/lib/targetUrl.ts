/**
 * Resolves an op's target against the host's origin and checks it against
 * the allow-list. Returns the URL, or why it is refused. The one check of a
 * target: `enqueue` runs it on what it stores and the HTTP transport again at
 * send time, so the URL parser's own reading (tabs and newlines dropped,
 * backslashes as slashes) decides both times.
 */
export function targetUrl(target: string, origin: string, allowedOrigins: readonly string[]): URL | string {
  let url: URL;
  try {
    // "//evil.example/x" resolves to another origin; the origin check below catches it.
    url = new URL(target, origin);
  } catch {
    return `target-not-allowed: ${JSON.stringify(target)} is not a URL`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return `target-not-allowed: scheme ${url.protocol} is not http(s)`;
  if (url.origin !== origin && !allowedOrigins.includes(url.origin)) {
    return `target-not-allowed: origin ${url.origin} is neither ${origin} nor in allowedOrigins`;
  }
  return url;
}

/**
 * Response headers for every page and API answer. The CSP allows no third-party origins, no
 * framing (clickjacking) and no plugins; images only from the app itself or data: URIs, so model
 * markdown cannot load tracking pixels. Scripts run only when they carry the per-request nonce
 * (`'strict-dynamic'` lets those load Next's chunks): an inline script that found its way into a page,
 * from model text or anywhere else, does not run. server/main.ts makes the nonce for each page
 * request and hands it to Next in the request's CSP header, which is where Next reads it to stamp its
 * own scripts. Dev mode adds 'unsafe-eval' for React's debugging tools.
 *
 * `securityHeaders` leaves the CSP out: next.config.ts applies those headers to every page and would
 * overwrite the per-request policy; server/main.ts adds `contentSecurityPolicy` itself.
 */
export function securityHeaders(_dev: boolean): { key: string; value: string }[] {
  return [
    { key: "X-Frame-Options", value: "DENY" },
    { key: "X-Content-Type-Options", value: "nosniff" },
    { key: "Referrer-Policy", value: "same-origin" },
    { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
    { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
  ];
}

/** The CSP for a page (`nonce`: the one its scripts carry) or, without a nonce, for an API answer (no scripts at all). */
export function contentSecurityPolicy(dev: boolean, nonce?: string): string {
  const scripts = nonce ? `'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}` : "'none'";
  return [
    "default-src 'self'",
    `script-src ${scripts}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${dev ? " ws:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

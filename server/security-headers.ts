/**
 * Response headers for every page and API answer. The CSP allows no third-party origins, no
 * framing (clickjacking) and no plugins; images only from the app itself or data: URIs, so model
 * markdown cannot load tracking pixels. Next's hydration needs inline scripts, so script-src keeps
 * 'unsafe-inline' (model text never reaches the page as HTML: it is rendered as sanitized markdown).
 * Dev mode adds 'unsafe-eval' for React's debugging tools.
 */
export function securityHeaders(dev: boolean): { key: string; value: string }[] {
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${dev ? " ws:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
  return [
    { key: "Content-Security-Policy", value: csp },
    { key: "X-Frame-Options", value: "DENY" },
    { key: "X-Content-Type-Options", value: "nosniff" },
    { key: "Referrer-Policy", value: "same-origin" },
    { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
    { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
  ];
}

import { describe, expect, it } from "vitest";
import { contentSecurityPolicy, securityHeaders } from "./security-headers";

const directive = (csp: string, name: string) => csp.split("; ").find((d) => d.startsWith(`${name} `)) ?? "";

describe("contentSecurityPolicy", () => {
  it("lets a page run only scripts that carry its nonce (no inline script from anywhere else)", () => {
    const csp = contentSecurityPolicy(false, "abc123==");
    expect(directive(csp, "script-src")).toBe("script-src 'nonce-abc123==' 'strict-dynamic'");
    expect(directive(csp, "frame-ancestors")).toBe("frame-ancestors 'none'");
    expect(directive(csp, "object-src")).toBe("object-src 'none'");
    expect(directive(csp, "img-src")).toBe("img-src 'self' data:");
  });

  it("runs no script at all in API answers, and adds eval only in dev", () => {
    expect(directive(contentSecurityPolicy(false), "script-src")).toBe("script-src 'none'");
    expect(directive(contentSecurityPolicy(true, "n"), "script-src")).toBe("script-src 'nonce-n' 'strict-dynamic' 'unsafe-eval'");
    expect(directive(contentSecurityPolicy(true, "n"), "connect-src")).toBe("connect-src 'self' ws:");
  });

  it("securityHeaders leaves the CSP to server/main.ts (next.config.ts would overwrite the per-request one)", () => {
    const keys = securityHeaders(false).map((h) => h.key.toLowerCase());
    expect(keys).not.toContain("content-security-policy");
    expect(keys).toEqual(expect.arrayContaining(["x-frame-options", "x-content-type-options", "referrer-policy"]));
  });
});

import { describe, expect, it } from "vitest";
import { joinUrlPath } from "./join-url-path.js";

describe("joinUrlPath", () => {
  it.each([
    ["https://api.openai.com/v1", "/chat/completions", "/v1/chat/completions"],
    ["https://api.openai.com/v1/", "chat/completions", "/v1/chat/completions"],
    ["http://127.0.0.1:1234", "/api/chat", "/api/chat"],
    ["https://x.example/base?key=k", "/m:stream?alt=sse", "/base/m:stream?key=k&alt=sse"],
  ])("joins %s and %s into %s", (baseUrl, path, expected) => {
    expect(joinUrlPath(baseUrl, path).pathWithQuery).toBe(expected);
  });

  it("returns the base URL's origin", () => {
    expect(joinUrlPath("https://example.com:8443/v1", "/x").origin).toBe("https://example.com:8443");
  });
});

/** Webhook URL rules: http(s) only, and no private or loopback targets unless allowed. */
import { describe, expect, it } from "vitest";
import { urlProblem } from "./url-policy";

const PUBLIC = [
  "https://hooks.example.com/umbra",
  "http://example.com:8080/x?y=1",
  "https://93.184.216.34/",
  "https://[2606:4700::1111]/",
  "https://172.32.0.1/",
  "https://100.128.0.1/",
  "https://[::ffff:5db8:d822]/", // ::ffff:93.184.216.34
  "https://localhost.example.com/",
  "https://[2002:5db8:d822::1]/", // 6to4 of 93.184.216.34
  "https://198.20.0.1/",
  "https://192.0.3.1/",
];

const PRIVATE = [
  "http://localhost/",
  "http://LOCALHOST:8080/",
  "http://localhost./",
  "http://api.localhost/",
  "http://127.0.0.1:9000/hook",
  "http://127.1/",
  "http://2130706433/", // 127.0.0.1 in decimal
  "http://0x7f000001/",
  "http://0.0.0.0/",
  "http://10.1.2.3/",
  "http://172.16.0.1/",
  "http://172.31.255.255/",
  "http://192.168.1.1/",
  "http://169.254.169.254/latest/meta-data",
  "http://100.64.0.1/",
  "http://224.0.0.1/",
  "http://[::1]/",
  "http://[::]/",
  "http://[fd00::1]/",
  "http://[fc00::1]/",
  "http://[fe80::1]/",
  "http://[::ffff:127.0.0.1]/",
  "http://[::ffff:10.0.0.1]/",
  "http://[64:ff9b::a00:1]/",
  "http://[ff02::1]/",
  // Found by an outside run: IPv6 forms that carry 127.0.0.1, and special-use IPv4 blocks (RFC 6890, RFC 8215).
  "http://[::127.0.0.1]/",
  "http://[::ffff:0:7f00:1]/",
  "http://[2002:7f00:1::]/",
  "http://[2002:a00:1::1]/",
  "http://[64:ff9b:1::7f00:1]/",
  "http://[2001::1]/",
  "http://[2001:db8::1]/",
  "http://[100::1]/",
  "http://198.18.0.1/",
  "http://192.0.0.1/",
  "http://192.0.2.1/",
  "http://198.51.100.7/",
  "http://203.0.113.7/",
];

describe("webhook URLs", () => {
  it.each(PUBLIC)("accepts %s", (u) => {
    expect(urlProblem(u, false)).toBeNull();
  });

  it.each(PRIVATE)("refuses %s when deployed, allows it in local development", (u) => {
    expect(urlProblem(u, false)).toMatch(/refused/);
    expect(urlProblem(u, true)).toBeNull();
  });

  it.each([
    ["ftp://example.com/", /http and https/],
    ["file:///etc/passwd", /http and https/],
    ["javascript:alert(1)", /http and https/],
    ["not a url", /not a URL/],
    ["https://user:pw@example.com/", /credentials/],
  ])("refuses %s everywhere", (u, why) => {
    expect(urlProblem(u, false)).toMatch(why);
    expect(urlProblem(u, true)).toMatch(why);
  });
});

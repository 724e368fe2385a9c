/** Reading the client id of a relayed MQTT connection for the log. */
import { generate } from "mqtt-packet";
import { describe, expect, it } from "vitest";
import { ConnectSniffer } from "./client-id";

const connect = (clientId: string, protocolVersion: 4 | 5) =>
  new Uint8Array(generate({ cmd: "connect", protocolId: "MQTT", protocolVersion, clientId, clean: true, keepalive: 30, username: "u", password: Buffer.from("secret") }));

describe("ConnectSniffer", () => {
  it.each([4, 5] as const)("reads the client id of an MQTT %s CONNECT fed one byte at a time (as MQTT.js splits it)", (v) => {
    const s = new ConnectSniffer();
    for (const b of connect("lamp-1", v)) s.feed(Uint8Array.of(b));
    expect(s.clientId).toBe("lamp-1");
  });

  it("reads it when the CONNECT shares a read with the next packet", () => {
    const s = new ConnectSniffer();
    s.feed(Uint8Array.from([...connect("x", 4), 0xc0, 0x00]));
    expect(s.clientId).toBe("x");
  });

  it("gives up quietly on what is not MQTT, and on a first packet that is not CONNECT", () => {
    const junk = new ConnectSniffer();
    junk.feed(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"));
    expect(junk.clientId).toBeUndefined();
    const ping = new ConnectSniffer();
    ping.feed(Uint8Array.of(0xc0, 0x00));
    ping.feed(connect("late", 4));
    expect(ping.clientId).toBeUndefined();
  });

  it("stops looking after its byte limit", () => {
    const s = new ConnectSniffer(16);
    const bytes = connect("a-client-id-longer-than-the-limit", 4);
    s.feed(bytes.subarray(0, 10));
    s.feed(bytes.subarray(10, 20));
    s.feed(bytes.subarray(20));
    expect(s.clientId).toBeUndefined();
  });
});

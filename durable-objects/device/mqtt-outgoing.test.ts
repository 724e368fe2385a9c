import { describe, expect, it } from "vitest";
import { MqttStream, type MqttPacket } from "../../protocols/mqtt";
import { OutgoingQueues, type Outgoing } from "./mqtt-outgoing";

/** A socket that records each message as the packets it holds, and its close. */
function fakeSocket() {
  const messages: string[][] = [];
  const reader = new MqttStream({ role: "client", protocolVersion: 4 });
  let closed: number | null = null;
  const ws = {
    send(bytes: Uint8Array) {
      if (closed !== null) throw new Error("closed");
      messages.push(reader.push(bytes).map((p) => (p.type === "puback" || p.type === "publish" ? `${p.type}:${p.packetId ?? ""}` : p.type)));
    },
    close(code: number) {
      closed = code;
    },
  } as unknown as WebSocket;
  return { ws, messages, closed: () => closed };
}

const puback = (packetId: number): MqttPacket => ({ type: "puback", packetId });
const publish = (topic: string, packetId: number): MqttPacket => ({ type: "publish", topic, payload: new Uint8Array(), qos: 1, retain: false, dup: false, packetId });
const item = (packets: MqttPacket[], ready: Promise<void> | null, close: number | null = null): Outgoing => ({ packets, version: 4, ready, close, acks: ready ? packets.length : 0 });

function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("OutgoingQueues", () => {
  it("sends acknowledgements one group commit made durable in one message, in order, and later ones in the next", async () => {
    const s = fakeSocket();
    const q = new OutgoingQueues();
    const commit = deferred();
    const next = deferred();
    for (const id of [1, 2, 3]) q.send(s.ws, item([puback(id)], commit.promise.then(() => undefined)));
    q.send(s.ws, item([puback(4)], next.promise));
    expect(q.pendingAcks(s.ws)).toBe(4);
    commit.resolve();
    await settle();
    expect(s.messages).toEqual([["puback:1", "puback:2", "puback:3"]]);
    next.resolve();
    await settle();
    expect(s.messages).toEqual([["puback:1", "puback:2", "puback:3"], ["puback:4"]]);
    expect(q.pendingAcks(s.ws)).toBe(0);
  });

  it("never acknowledges a write that failed: what was durable goes, then the socket closes", async () => {
    const s = fakeSocket();
    const q = new OutgoingQueues();
    const failed = deferred();
    q.send(s.ws, item([puback(1)], Promise.resolve()));
    q.send(s.ws, item([puback(2)], failed.promise));
    q.send(s.ws, item([puback(3)], Promise.resolve()));
    failed.reject(new Error("disk"));
    await settle();
    expect(s.messages).toEqual([["puback:1"]]);
    expect(s.closed()).not.toBeNull();
  });

  it("sends a batch's packets up to one that closes the socket, and nothing after it", async () => {
    const s = fakeSocket();
    const q = new OutgoingQueues();
    const commit = deferred();
    q.send(s.ws, item([publish("a", 1)], commit.promise));
    q.send(s.ws, item([{ type: "disconnect", reasonCode: 0x8e }], commit.promise, 0x8e));
    q.send(s.ws, item([publish("b", 2)], commit.promise));
    commit.resolve();
    await settle();
    expect(s.messages).toEqual([["publish:1", "disconnect"]]);
    expect(s.closed()).toBe(1000);
  });

  it("sends a result with nothing to wait for at once, as one message", () => {
    const s = fakeSocket();
    new OutgoingQueues().send(s.ws, item([publish("a", 1), publish("b", 2)], null));
    expect(s.messages).toEqual([["publish:1", "publish:2"]]);
  });
});

/** The codec fuzz targets by name, for `npm run fuzz -- --codec <name>`. */
import type { FuzzTarget } from "../engine";

/** Names `npm run fuzz` knows, in the order it runs them. */
export const CODECS = ["mqtt", "coap", "cbor", "json"] as const;
export type CodecName = (typeof CODECS)[number];

/** Loads one target (the CBOR one with the WASM module from wasm/build). */
export async function loadTarget(name: CodecName): Promise<FuzzTarget> {
  switch (name) {
    case "mqtt":
      return (await import("./mqtt")).mqttTarget;
    case "coap":
      return (await import("./coap")).coapTarget;
    case "json":
      return (await import("./json")).jsonTarget;
    case "cbor": {
      const { cborTarget } = await import("./cbor");
      const node = await import("../../../wasm/src/node");
      return cborTarget({ decode: node.decode, decodeSenML: node.decodeSenML });
    }
  }
}

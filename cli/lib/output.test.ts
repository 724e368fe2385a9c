/** Output helpers: aligned tables and the JSON/key=value option parsers. */
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "commander";
import { collect, collectKeyValue, parseJson, parseJsonObject, table } from "./output";

describe("table", () => {
  it("aligns columns under their header and trims the last one", () => {
    expect(table(["ID", "STATUS", "TAGS"], [["lamp-1", "online (mqtt)", ""], ["fan", "offline", "kitchen,hall"]])).toBe(
      "ID      STATUS         TAGS\nlamp-1  online (mqtt)\nfan     offline        kitchen,hall",
    );
  });
});

describe("option parsers", () => {
  it("read JSON and JSON objects, and refuse the rest as usage errors", () => {
    expect(parseJson('{"a":[1]}')).toEqual({ a: [1] });
    expect(parseJson("null")).toBeNull();
    expect(() => parseJson("{a}")).toThrow(InvalidArgumentError);
    expect(parseJsonObject('{"speed":2}')).toEqual({ speed: 2 });
    expect(() => parseJsonObject("[1]")).toThrow("must be a JSON object");
  });

  it("collect repeated options", () => {
    expect(collect("b", collect("a"))).toEqual(["a", "b"]);
    expect(collectKeyValue("floor=2", collectKeyValue("room=a=b"))).toEqual({ room: "a=b", floor: "2" });
    expect(() => collectKeyValue("=x")).toThrow(InvalidArgumentError);
  });
});

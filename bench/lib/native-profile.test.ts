import { describe, expect, it } from "vitest";
import { categoryOf, reportRows, summarizeNative } from "./native-profile";

// Lines as `perf report --stdio -g none -t '\t'` prints them (header lines start with #).
const SELF = [
  "# Samples: 5K of event 'cpu-clock'",
  " 9.61%  \t[kernel.kallsyms]\t[k] finish_task_switch.isra.0",
  " 6.00%  \t[kernel.kallsyms]\t[k] iowrite16",
  " 4.00%  \tworkerd          \t[.] sqlite3VdbeExec",
  " 3.00%  \t[JIT] tid 12881  \t[.] 0x00007f0a1b2c3d4e",
  " 2.00%  \tworkerd          \t[.] Builtins_RunMicrotasks",
  " 1.50%  \tworkerd          \t[.] v8::internal::Scavenger::Process",
  " 1.20%  \tworkerd          \t[.] v8::internal::GlobalHandles::Create",
  " 1.00%  \tworkerd          \t[.] tcmalloc::tcmalloc_internal::FreeWithHooksOrPerThread",
  " 0.50%  \tworkerd          \t[.] kj::EventLoop::turn",
  " 0.40%  \tlibc.so.6        \t[.] __libc_pread",
  "",
].join("\n");
const CHILDREN = [
  "# Samples: 5K of event 'cpu-clock'",
  " 27.93% \t 0.16%  \t[.] vdbeCommit",
  " 21.71% \t 0.00%  \t[k] do_fsync",
  " 19.52% \t 0.47%  \t[.] workerd::api::WebSocket::readLoop",
  " 12.25% \t 0.35%  \t[.] workerd::IoContext::run<workerd::api::WebSocket::readLoop(kj::Maybe<…>)::$_0>",
].join("\n");

describe("native profile summary", () => {
  it("reads perf's tab-separated rows: the percentage columns, then the sort keys", () => {
    expect(reportRows(SELF)[0]).toEqual({ shares: [0.0961], keys: ["[kernel.kallsyms]", "[k] finish_task_switch.isra.0"] });
    expect(reportRows(CHILDREN)[1]).toEqual({ shares: [0.2171, 0], keys: ["[k] do_fsync"] });
    expect(reportRows("# only a header\n\n")).toEqual([]);
  });

  it("sorts symbols into kinds of code, the first that matches", () => {
    expect(categoryOf("[kernel.kallsyms]", "[k] iowrite16")).toBe("kernel: disk (fsync, block I/O)");
    expect(categoryOf("[kernel.kallsyms]", "[k] tcp_sendmsg")).toBe("kernel: other (sockets, scheduling, syscalls)");
    expect(categoryOf("workerd", "[.] pagerWalFrames")).toBe("SQLite");
    expect(categoryOf("[JIT] tid 1", "[.] 0x1234")).toBe("V8: JavaScript (JIT code, builtins, runtime calls)");
    expect(categoryOf("workerd", "[.] v8::internal::Runtime_DateCurrentTime")).toBe("V8: JavaScript (JIT code, builtins, runtime calls)");
    expect(categoryOf("workerd", "[.] v8::internal::Heap::CollectGarbage")).toBe("V8: garbage collection");
    expect(categoryOf("workerd", "[.] v8::Object::Wrap")).toBe("V8: other (API, handles, objects)");
    expect(categoryOf("workerd", "[.] __memmove_avx512_unaligned_erms")).toBe("memory allocation and copies");
    expect(categoryOf("workerd", "[.] workerd::api::EventTarget::dispatchEventImpl")).toBe("workerd and KJ (events, I/O, RPC)");
    expect(categoryOf("libc.so.6", "[.] __libc_pread")).toBe("other");
  });

  it("sums self time per kind (largest first) and takes each landmark's widest inclusive row", () => {
    const { categories, landmarks } = summarizeNative(SELF, CHILDREN);
    expect(categories.slice(0, 2)).toEqual([{ name: "kernel: other (sockets, scheduling, syscalls)", share: 0.0961 }, { name: "kernel: disk (fsync, block I/O)", share: 0.06 }]);
    const total = categories.reduce((s, c) => s + c.share, 0);
    expect(total).toBeCloseTo(0.2921, 6);
    const byName = new Map(landmarks.map((l) => [l.name, l.share]));
    expect(byName.get("SQLite commits (vdbeCommit)")).toBe(0.2793);
    expect(byName.get("  of which fsync in the kernel")).toBe(0.2171);
    // Only the function itself, not the lambdas that mention it in their names.
    expect(byName.get("WebSocket reads of accepted sockets (readLoop)")).toBe(0.1952);
    expect(byName.get("RPC calls received (objects)")).toBe(0);
  });
});

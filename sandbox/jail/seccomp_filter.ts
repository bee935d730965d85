/**
 * A seccomp filter, as the classic BPF program bubblewrap's `--seccomp FD`
 * loads, that makes `bind(2)` and `listen(2)` fail with EPERM. A script may
 * hold a grant to connect to an address, never to serve on one: Deno's
 * `--allow-net=host:port` would allow both, and the in-child host removing
 * `Deno.listen` is JavaScript-level only. This is the kernel-level layer.
 *
 * Known architectures: x86_64 and aarch64. On any other the filter allows
 * every call (the JavaScript layer still holds).
 *
 * @module
 */

// Classic BPF opcodes (linux/filter.h) and seccomp return values (linux/seccomp.h).
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const RET_K = 0x06;
const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
const EPERM = 1;
// Offsets in struct seccomp_data.
const NR = 0;
const ARCH = 4;
const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_AARCH64 = 0xc00000b7;
const X86_64 = { bind: 49, listen: 50 };
const AARCH64 = { bind: 200, listen: 201 };

type Instruction = [code: number, jt: number, jf: number, k: number];

/** The filter's instructions; jumps are relative to the next instruction. */
export const DENY_LISTEN_PROGRAM: readonly Instruction[] = [
  /* 0 */ [LD_W_ABS, 0, 0, ARCH],
  /* 1 */ [JEQ_K, 4, 0, AUDIT_ARCH_AARCH64], // → 6
  /* 2 */ [JEQ_K, 0, 6, AUDIT_ARCH_X86_64], // → 3, else → 9 (allow)
  /* 3 */ [LD_W_ABS, 0, 0, NR],
  /* 4 */ [JEQ_K, 5, 0, X86_64.bind], // → 10 (deny)
  /* 5 */ [JEQ_K, 4, 3, X86_64.listen], // → 10, else → 9
  /* 6 */ [LD_W_ABS, 0, 0, NR],
  /* 7 */ [JEQ_K, 2, 0, AARCH64.bind], // → 10
  /* 8 */ [JEQ_K, 1, 0, AARCH64.listen], // → 10, else → 9
  /* 9 */ [RET_K, 0, 0, RET_ALLOW],
  /* 10 */ [RET_K, 0, 0, RET_ERRNO | EPERM],
];

/** The program as bytes: each instruction is u16 code, u8 jt, u8 jf, u32 k, in host (little) endianness. */
export function denyListenFilter(): Uint8Array {
  const bytes = new Uint8Array(DENY_LISTEN_PROGRAM.length * 8);
  const view = new DataView(bytes.buffer);
  DENY_LISTEN_PROGRAM.forEach(([code, jt, jf, k], i) => {
    view.setUint16(i * 8, code, true);
    view.setUint8(i * 8 + 2, jt);
    view.setUint8(i * 8 + 3, jf);
    view.setUint32(i * 8 + 4, k, true);
  });
  return bytes;
}

// What a .NET assembly was compiled for, read from its PE headers: `node scripts/pe-target.mjs DLL [TARGET]`
// prints `portable` (IL only: the JIT compiles it anywhere) or `readytorun <os>-<arch>` (precompiled code
// that only that OS and architecture's .NET uses). With a VS Code TARGET (win32-x64, darwin-arm64, …) it
// exits 1 unless the assembly is precompiled for exactly that platform: the check that each .vsix carries
// the host its platform runs, on a machine that cannot run the other platforms' hosts. A native Windows image (the
// self-contained host's traceide.exe, coreclr.dll) prints `native win32-<arch>`, checked against TARGET the same way.
import { readFileSync } from "node:fs";

// ReadyToRun images XOR the COFF machine with an OS constant (Windows: 0), per the runtime's readytorun.h.
const OS = { win32: 0, linux: 0x7b79, darwin: 0x4644, freebsd: 0xadc4 };
const ARCH = { x64: 0x8664, arm64: 0xaa64, ia32: 0x14c, arm: 0x1c4 };

export function peTarget(bytes) {
  const u16 = (o) => bytes.readUInt16LE(o);
  const u32 = (o) => bytes.readUInt32LE(o);
  if (bytes.length < 0x40 || u16(0) !== 0x5a4d) throw new Error("not a PE file (no MZ header)");
  const pe = u32(0x3c);
  if (u32(pe) !== 0x4550) throw new Error("not a PE file (no PE signature)");
  const machine = u16(pe + 4);
  const sections = u16(pe + 6);
  const optional = pe + 24;
  const directories = optional + (u16(optional) === 0x20b ? 112 : 96);
  const cliRva = u32(directories + 14 * 8);
  if (cliRva === 0) {
    // Native code: a PE image is for Windows, and its COFF machine is the architecture as it is.
    const arch = Object.entries(ARCH).find(([, code]) => code === machine)?.[0];
    if (!arch) throw new Error(`a native image for an unknown machine 0x${machine.toString(16)}`);
    return { native: true, os: "win32", arch };
  }
  const table = optional + u16(pe + 20);
  const fileOffset = (rva) => {
    for (let i = 0; i < sections; i++) {
      const s = table + i * 40;
      const va = u32(s + 12);
      if (rva >= va && rva < va + Math.max(u32(s + 8), u32(s + 16))) return rva - va + u32(s + 20);
    }
    throw new Error(`RVA 0x${rva.toString(16)} is in no section`);
  };
  const cli = fileOffset(cliRva);
  const nativeHeaderRva = u32(cli + 64); // IMAGE_COR20_HEADER.ManagedNativeHeader
  if (nativeHeaderRva === 0) return { readyToRun: false };
  if (u32(fileOffset(nativeHeaderRva)) !== 0x00525452) throw new Error("a native header that is not ReadyToRun's ('RTR')");
  for (const [os, xor] of Object.entries(OS)) {
    for (const [arch, code] of Object.entries(ARCH)) {
      if ((machine ^ xor) === code) return { readyToRun: true, os, arch };
    }
  }
  throw new Error(`ReadyToRun for an unknown machine 0x${machine.toString(16)}`);
}

/** The OS and architecture a VS Code target's host is precompiled for (alpine: musl Linux, the same code). */
export function targetPlatform(target) {
  const [os, arch] = target.split("-");
  return { os: os === "alpine" ? "linux" : os, arch };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split(/[\\/]/).pop())) {
  const [dll, target] = process.argv.slice(2);
  const t = peTarget(readFileSync(dll));
  const what = t.native ? `native ${t.os}-${t.arch}` : t.readyToRun ? `readytorun ${t.os}-${t.arch}` : "portable";
  if (target) {
    const want = targetPlatform(target);
    if (!(t.readyToRun || t.native) || t.os !== want.os || t.arch !== want.arch) {
      console.error(`error: ${dll} is ${what}, not precompiled for ${target}`);
      process.exit(1);
    }
  }
  console.log(`${dll}: ${what}`);
}

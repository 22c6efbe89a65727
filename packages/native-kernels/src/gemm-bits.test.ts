import { createHash } from 'node:crypto';
import { loadAddon, type NativeAddon } from './native';

// Pins the exact output bits of the AVX2 SGEMM (native/gemm.cc). Long reproduction runs cache results and resume
// on them, so a kernel change must keep every C element's floating-point operations and their order: the same
// depth blocks, one FMA per depth step in ascending order from zero, then `x + c_old` for later blocks. The hashes
// below were recorded with the kernel as it was before the performance work of this test's commit (and were
// unchanged by it); bench/gemm-bits.mjs checks the full set of 184 cases (all transformer shapes, 1 and 2 threads).
// If this fails, the change altered results: do not "update the hashes" unless the bits are meant to change.

const load = loadAddon({});
const avx2 = load.ok && load.addon.info().detectedIsa !== 'generic';

// Same inputs as bench/gemm-bits.mjs: xorshift32 values in [-1, 1) times a per-element scale, exact in float32.
function fill(view: Float32Array, seed: number): void {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < view.length; ++i) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    view[i] = (((s >>> 16) - 32768) / 32768) * (1 + (i % 7) / 8);
  }
}

interface Case {
  readonly batch: number;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly ta: boolean;
  readonly tb: boolean;
  readonly bcastB?: boolean;
  readonly threads: number;
  readonly hash: string;
}

function run(addon: NativeAddon, c: Case): string {
  const { batch, m, k, n, ta, tb, bcastB = false } = c;
  const aCount = batch * m * k, bCount = (bcastB ? 1 : batch) * k * n, cCount = batch * m * n;
  const heap = new ArrayBuffer((aCount + bCount + cCount) * 4);
  fill(new Float32Array(heap, 0, aCount), 12345 + m * 31 + k);
  fill(new Float32Array(heap, aCount * 4, bCount), 777 + n * 17 + k);
  new Float32Array(heap, (aCount + bCount) * 4, cCount).fill(NaN);
  addon.matmul(heap, 0, aCount * 4, (aCount + bCount) * 4, batch, m, n, k, ta, tb, m * k, bcastB ? 0 : k * n);
  return createHash('sha256').update(new Uint8Array(heap, (aCount + bCount) * 4, cCount * 4)).digest('hex').slice(0, 16);
}

const CASES: readonly Case[] = [
  { batch: 1, m: 2048, k: 384, n: 384, ta: false, tb: false, threads: 1, hash: '28efda3b5d0db516' },
  { batch: 1, m: 384, k: 2048, n: 384, ta: true, tb: false, threads: 1, hash: '4bad05d1772fac21' }, // dW = Xᵀ·dY
  // The same on 2 threads: 3 row blocks, so the column panels are split too (balanced tasks); same bits.
  { batch: 1, m: 384, k: 2048, n: 384, ta: true, tb: false, threads: 2, hash: '4bad05d1772fac21' },
  { batch: 1, m: 2048, k: 384, n: 384, ta: false, tb: true, threads: 2, hash: '921669a19e4610df' }, // dX = dY·Wᵀ
  { batch: 384, m: 64, k: 32, n: 64, ta: false, tb: true, threads: 1, hash: 'ec8bdcc349cbe78f' }, // Q·Kᵀ
  { batch: 384, m: 64, k: 64, n: 32, ta: true, tb: false, threads: 2, hash: 'a4d23434a352ebdf' },
  { batch: 384, m: 64, k: 64, n: 64, ta: false, tb: false, threads: 1, hash: 'dd6b1d679015e9c0' },
  { batch: 1, m: 1, k: 1, n: 1, ta: false, tb: false, threads: 1, hash: '0c9f20a015570fb7' },
  { batch: 1, m: 7, k: 300, n: 17, ta: false, tb: false, threads: 2, hash: '653809644d3e8425' },
  { batch: 1, m: 130, k: 513, n: 33, ta: true, tb: false, threads: 1, hash: '4880be179453736b' },
  { batch: 1, m: 130, k: 513, n: 33, ta: false, tb: true, threads: 2, hash: 'f27fcf3d22600fe6' },
  { batch: 1, m: 13, k: 257, n: 31, ta: true, tb: true, threads: 1, hash: 'fcb905f8ba9e3ab7' },
  { batch: 1, m: 19, k: 513, n: 515, ta: false, tb: false, threads: 2, hash: 'a2e4883e3e93b392' },
  { batch: 5, m: 33, k: 65, n: 20, ta: false, tb: false, bcastB: true, threads: 1, hash: '3fbe3cfe64cfd104' },
];

(avx2 ? describe : describe.skip)(`AVX2 SGEMM output bits${avx2 ? '' : ' — skipped: needs the addon on an AVX2 CPU'}`, () => {
  let addon: NativeAddon;
  let threadsBefore = 1;
  beforeAll(() => {
    if (!load.ok) throw new Error(load.reason);
    addon = load.addon;
    threadsBefore = addon.info().threads;
  });
  afterAll(() => {
    addon.configure(threadsBefore, 2);
  });

  it('gives the same bits on 2 threads as on 1 for a tall product (65 row blocks of even size)', () => {
    const tall: Case = { batch: 1, m: 8200, k: 40, n: 20, ta: false, tb: false, threads: 1, hash: '' };
    addon.configure(1, 1);
    const one = run(addon, tall);
    addon.configure(2, 1);
    expect(run(addon, { ...tall, threads: 2 })).toBe(one);
  });

  it.each(CASES.map((c) => [`${c.batch > 1 ? `${c.batch}×` : ''}${c.m}×${c.k}×${c.n}${c.ta ? ' Aᵀ' : ''}${c.tb ? ' Bᵀ' : ''}${c.bcastB ? ' (B broadcast)' : ''}, ${c.threads} thread(s)`, c] as const))(
    '%s gives the recorded bits',
    (_name, c) => {
      addon.configure(c.threads, 1); // the AVX2 kernel, also on an AVX-512 CPU
      expect(run(addon, c)).toBe(c.hash);
    },
  );
});

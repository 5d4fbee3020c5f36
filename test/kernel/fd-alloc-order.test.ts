// socket() always gets the lowest free fd, whatever order fds were closed in (the free-fd heap
// drops the entries a trimmed table left behind lazily).
import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../src/base/rng.ts';
import { link, makeKernel } from './helpers.ts';

describe('fd allocation', () => {
  it('matches a plain lowest-free-fd model over random opens and closes', () => {
    const { kernel } = makeKernel();
    const h = kernel.createClientHost('c', '127.0.0.1', link());
    const rng = new RandomStreams(5).get('fds');
    const open = new Set<number>([0, 1, 2]);
    for (let step = 0; step < 20000; step++) {
      const closeSome = open.size > 3 && rng.int(0, 9) < (open.size > 300 ? 6 : 4);
      if (closeSome) {
        const fds = [...open].filter((f) => f > 2);
        // Close runs from the top now and then, so the table is trimmed.
        const fd = rng.int(0, 3) === 0 ? Math.max(...fds) : fds[rng.int(0, fds.length - 1)]!;
        expect(h.close(fd)).toBe(0);
        open.delete(fd);
      } else {
        let want = 0;
        while (open.has(want)) want++;
        expect(h.socket()).toBe(want);
        open.add(want);
      }
      expect(h.openFds).toBe(open.size);
    }
  });
});

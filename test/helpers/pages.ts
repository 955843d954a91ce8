// What every page a person sees must pass in Chromium: axe-core finds no serious or critical violation, and nothing
// scrolls sideways at the page's width. A screenshot of it goes to test-artifacts/.
import { createRequire } from 'node:module';
import type { ExecutionContext } from 'ava';
import type { Page } from 'playwright-core';
import { screenshot } from './chromium.ts';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }

/** axe's serious and critical violations on the page as it is now. */
export async function seriousViolations(page: Page): Promise<string[]> {
  if (!await page.evaluate(() => 'axe' in window)) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, options: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target))}`);
}

/** How many pixels the page is wider than its window (0 when nothing scrolls sideways). */
export function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/**
 * Whether two characters draw differently in the page's own font. Without a font for their script Chromium draws
 * every one as the same empty box, which no screenshot reader should have to spot.
 */
export function drawsDistinctGlyphs(page: Page, a: string, b: string): Promise<boolean> {
  return page.evaluate(([first, second]) => {
    const style = getComputedStyle(document.body);
    const pixels = (text: string) => {
      const canvas = document.createElement('canvas');
      canvas.width = 64;
      canvas.height = 64;
      const g = canvas.getContext('2d')!;
      g.font = `32px ${style.fontFamily}`;
      g.fillText(text, 8, 48);
      return g.getImageData(0, 0, 64, 64).data.join();
    };
    return pixels(first) !== pixels(second);
  }, [a, b]);
}

export async function checkPage(t: ExecutionContext, page: Page, name: string): Promise<void> {
  await page.waitForLoadState('load');
  t.deepEqual(await seriousViolations(page), [], `${name}: axe`);
  t.is(await overflow(page), 0, `${name}: no horizontal scroll`);
  await screenshot(page, name);
}

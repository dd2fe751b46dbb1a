import type { Page } from 'playwright-core';

/** What the keyboard focus is on (looking into shadow roots, e.g. the widget's). */
export interface FocusedElement {
  tag: string;
  /** The accessible role and name, as Playwright's ARIA snapshot writes them: `button "Send"`. */
  aria: string;
  /** Whether a focus indicator is drawn: an outline of at least 2 px that is not `none`. */
  outlineVisible: boolean;
  text: string;
  /** Inside a shadow root (the widget), not the host page. */
  inShadowRoot: boolean;
}

const focusMarker = 'data-test-focused';

/**
 * The little of the DOM the in-page functions below use. The project's tsconfig has no DOM library
 * (Node code must not use it), so they read these from `globalThis` with these types.
 */
interface DomNode {
  parentNode: DomNode | null;
  /** Set on a shadow root: the element it is attached to. */
  host?: DomElement;
}
interface DomElement extends DomNode {
  tagName: string;
  textContent: string | null;
  shadowRoot: (DomRoot & { activeElement: DomElement | null }) | null;
  setAttribute(name: string, value: string): void;
  removeAttribute(name: string): void;
  getRootNode(): DomNode;
}
interface DomRoot {
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): Iterable<DomElement>;
}
interface BrowserGlobals {
  document: DomRoot & { activeElement: DomElement | null; body: DomElement };
  getComputedStyle(element: DomElement): {
    outlineStyle: string;
    outlineWidth: string;
    color: string;
    backgroundColor: string;
  };
}

/**
 * Describes the element that has the keyboard focus. It is marked for a moment so a Playwright
 * locator (which pierces open shadow roots) can read its ARIA role and name.
 */
export async function focusedElement(page: Page): Promise<FocusedElement | null> {
  const found = await page.evaluate((marker) => {
    const { document, getComputedStyle } = globalThis as unknown as BrowserGlobals;
    const roots: DomRoot[] = [document];
    for (const node of document.querySelectorAll('*')) if (node.shadowRoot) roots.push(node.shadowRoot);
    for (const root of roots)
      for (const stale of root.querySelectorAll(`[${marker}]`)) stale.removeAttribute(marker);
    let element = document.activeElement;
    while (element?.shadowRoot?.activeElement) element = element.shadowRoot.activeElement;
    if (!element || element === document.body) return null;
    element.setAttribute(marker, '');
    const style = getComputedStyle(element);
    return {
      tag: element.tagName.toLowerCase(),
      outlineVisible: style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) >= 2,
      text: (element.textContent ?? '').trim().slice(0, 80),
      inShadowRoot: element.getRootNode().host !== undefined,
    };
  }, focusMarker);
  if (!found) return null;
  const snapshot = await page.locator(`[${focusMarker}]`).ariaSnapshot();
  // The first line is the element itself (`- button "Send"`); the rest are its children.
  const first = snapshot.split('\n')[0]!.replace(/^- /, '');
  const aria = first.match(/^[a-z]+(?: "(?:[^"\\]|\\.)*")?/)?.[0] ?? first;
  return { ...found, aria };
}

/** Whether an ARIA snapshot line names the element: `button "Send"` does, `button` does not. */
export const hasAccessibleName = (aria: string): boolean => /^[a-z]+ "[^"]+"/.test(aria);

/** One text's colours and contrast ratio (WCAG 2 relative luminance). */
export interface ContrastResult {
  selector: string;
  text: string;
  color: string;
  background: string;
  ratio: number;
}

/**
 * The contrast of the first element each selector matches (inside `host`'s shadow root when given)
 * against the first opaque background behind it, walking up through the shadow root's host.
 */
export function measureContrast(page: Page, selectors: string[], host?: string): Promise<ContrastResult[]> {
  return page.evaluate(
    ({ selectors, host }) => {
      const { document, getComputedStyle } = globalThis as unknown as BrowserGlobals;
      const parse = (value: string) => {
        const parts = value.match(/[\d.]+/g)?.map(Number) ?? [0, 0, 0, 0];
        return { rgb: parts.slice(0, 3), alpha: parts.length > 3 ? parts[3]! : 1 };
      };
      const luminance = (rgb: number[]) => {
        const [r, g, b] = rgb.map((channel) => {
          const value = channel / 255;
          return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
      };
      const backgroundOf = (start: DomElement): string => {
        let node: DomNode | null = start;
        while (node) {
          if ('tagName' in node) {
            const background = getComputedStyle(node as DomElement).backgroundColor;
            if (parse(background).alpha === 1) return background;
          }
          // From a shadow root up to its host element (only roots are read for `host`: an <a> has one too).
          const parent: DomNode | null = node.parentNode;
          node = parent && !('tagName' in parent) && parent.host ? parent.host : parent;
        }
        return 'rgb(255, 255, 255)';
      };
      const root: DomRoot = host ? (document.querySelector(host)?.shadowRoot ?? document) : document;
      return selectors.flatMap((selector) => {
        const element = root.querySelector(selector);
        if (!element) return [];
        const color = getComputedStyle(element).color;
        const background = backgroundOf(element);
        const [light, dark] = [luminance(parse(color).rgb), luminance(parse(background).rgb)].sort(
          (a, b) => b - a,
        );
        return [
          {
            selector,
            text: (element.textContent ?? '').trim().slice(0, 60),
            color,
            background,
            ratio: Math.round(((light! + 0.05) / (dark! + 0.05)) * 100) / 100,
          },
        ];
      });
    },
    { selectors, host },
  );
}

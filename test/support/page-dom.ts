/**
 * The DOM shapes that in-page callbacks (page.evaluate, waitForFunction) use. The project's Node
 * tsconfig has no DOM library, on purpose; a test file declares the page globals with these types,
 * module-scoped: `declare const document: PageDocument;`. Nothing here runs.
 */
export interface PageElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  classList: { contains(name: string): boolean };
}

export interface PageCanvas extends PageElement {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

export interface PageDocument {
  querySelector<T extends PageElement = PageElement>(selector: string): T | null;
  querySelectorAll<T extends PageElement = PageElement>(selector: string): ArrayLike<T>;
}

export interface PageWindow {
  chexdeskApp?: { describe(): { current: { path: string; frame: number } | null; mode: string; heatmap: boolean; label: string | null } };
}

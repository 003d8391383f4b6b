/**
 * Small DOM helpers for the playground page. Everything a model or the gateway says is set as text, never
 * as HTML, so model output cannot inject markup.
 */

/** The element with this id, checked against the expected type (a missing element is a page bug). */
export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`playground: #${id} is missing or not a ${type.name}`);
  return element;
}

/** A new element with text content and an optional class. */
export function element<K extends keyof HTMLElementTagNameMap>(tag: K, text = "", className?: string): HTMLElementTagNameMap[K] {
  const created = document.createElement(tag);
  created.textContent = text;
  if (className !== undefined) created.className = className;
  return created;
}

/** Replaces a <dl>'s content with these term/description pairs. */
export function fillDefinitions(list: HTMLElement, rows: readonly (readonly [string, string])[]): void {
  list.replaceChildren(...rows.flatMap(([term, description]) => [element("dt", term), element("dd", description)]));
}

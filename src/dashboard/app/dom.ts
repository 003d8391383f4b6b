/**
 * Small DOM helpers for the dashboard page. Everything the gateway reports (deployment and alias
 * names, reasons) is set as text, never as HTML.
 */

/** The element with this id, checked against the expected type (a missing element is a page bug). */
export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`dashboard: #${id} is missing or not a ${type.name}`);
  return found;
}

/** A new element with text content and an optional class. */
export function element<K extends keyof HTMLElementTagNameMap>(tag: K, text = "", className?: string): HTMLElementTagNameMap[K] {
  const created = document.createElement(tag);
  created.textContent = text;
  if (className !== undefined) created.className = className;
  return created;
}

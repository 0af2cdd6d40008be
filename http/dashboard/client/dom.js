/**
 * The one way the dashboard makes DOM: `h(tag, props, ...children)`.
 *
 * Why no framework: the pages are a handful of tables and forms refreshed from JSON, which
 * needs no virtual DOM, and a library would have to be found at run time in Deno's npm cache or
 * Bun's node_modules for nothing a 60-line function does not do. What matters more is that
 * escaping holds by construction: every string or number child becomes a Text node
 * (`document.createTextNode`), attributes are set with `setAttribute` (never parsed as
 * markup), and nothing in the dashboard assigns `innerHTML`. So a job whose data is
 * `<img src=x onerror=alert(1)>` shows those characters and runs nothing. The server's
 * Content-Security-Policy enforces Trusted Types on top: an `innerHTML` assignment anywhere
 * (ours or a library's) would throw instead of parsing.
 *
 * @module
 */

/** @typedef {Node | string | number | boolean | null | undefined | any[]} Child nested arrays are flattened */
/**
 * @typedef {Record<string, unknown> & {
 *   class?: string, hidden?: boolean, disabled?: boolean, href?: string,
 * }} Props
 */

/** Attributes that take a URL: only in-page links (`#/jobs/42`) or same-origin paths. */
const URL_ATTRIBUTES = new Set(["href", "src", "action", "formaction", "xlink:href"]);

/** Properties set as DOM properties rather than attributes (they are live state). */
const PROPERTIES = new Set(["value", "checked", "selected", "indeterminate"]);

/**
 * Whether `url` is a link the dashboard makes: a fragment route or a path on this origin.
 * @param {string} url
 */
function isSafeUrl(url) {
  return /^#/.test(url) || /^\/(?!\/)/.test(url);
}

/**
 * Appends children to `parent`, flattening arrays; strings and numbers become Text nodes,
 * and `null`, `undefined` and booleans add nothing (so `cond && h(...)` reads well).
 * @param {Node} parent
 * @param {Child[]} children
 */
export function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || typeof child === "boolean") continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

/**
 * Makes an element. `props`: `class`, attributes (a `data-*` or `aria-*` name, `type`, …),
 * `on<event>` listeners (functions only), and `value`/`checked` as live properties. `true`
 * sets a boolean attribute, `false`/`null`/`undefined` leaves it out.
 *
 * @param {string} tag
 * @param {Props | null} [props]
 * @param {...Child} children
 * @returns {HTMLElement}
 * @throws {TypeError} for an `on…` prop that is not a function, a `style` prop (the CSP
 *   forbids inline styles), or a URL prop that leaves the page
 */
export function h(tag, props = null, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) {
      if (typeof value !== "function") {
        throw new TypeError(
          `Cannot set ${name} as it must be a function: current value is ${value}`,
        );
      }
      element.addEventListener(name.slice(2).toLowerCase(), /** @type {EventListener} */ (value));
    } else if (name === "style") {
      throw new TypeError("Cannot set style as the CSP forbids inline styles: use a class");
    } else if (PROPERTIES.has(name)) {
      /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (element))[name] = value;
    } else if (URL_ATTRIBUTES.has(name) && !isSafeUrl(String(value))) {
      throw new TypeError(
        `Cannot set ${name} as it must be an in-page link: current value is ${String(value)}`,
      );
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

/**
 * Replaces every child of `element` with `children` (same rules as {@linkcode h}).
 * @param {Element} element
 * @param {...Child} children
 */
export function replace(element, ...children) {
  const fragment = document.createDocumentFragment();
  append(fragment, children);
  element.replaceChildren(fragment);
}

/**
 * The element of `selector` inside `root`, which must be there (the shell or a page made it).
 * @template {Element} T
 * @param {ParentNode} root
 * @param {string} selector
 * @returns {T}
 */
export function find(root, selector) {
  const element = root.querySelector(selector);
  if (element === null) throw new Error(`The dashboard page has no ${selector}`);
  return /** @type {T} */ (element);
}

/** Small DOM helpers: elements are built with text nodes only, never from HTML strings. */

type Attrs = Record<string, string | number | boolean | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (name === 'className') el.className = String(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === undefined || child === false) continue;
    el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return el;
}

/** A codicon (the font is loaded by the page's stylesheet). */
export function icon(name: string): HTMLElement {
  return h('span', { className: `codicon codicon-${name}`, 'aria-hidden': 'true' });
}

export function iconButton(
  name: string,
  label: string,
  onClick: () => void,
  attrs: Attrs = {},
): HTMLButtonElement {
  const button = h(
    'button',
    { type: 'button', className: 'icon-button', title: label, 'aria-label': label, ...attrs },
    icon(name),
  );
  button.addEventListener('click', (event) => {
    event.stopPropagation();
    onClick();
  });
  return button;
}

export function textButton(
  iconName: string,
  label: string,
  onClick: () => void,
  attrs: Attrs = {},
): HTMLButtonElement {
  const button = h(
    'button',
    { type: 'button', className: 'text-button', ...attrs },
    icon(iconName),
    h('span', {}, label),
  );
  button.addEventListener('click', () => onClick());
  return button;
}

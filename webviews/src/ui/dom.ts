// Plain DOM building. No innerHTML (text stays text) and no style attributes (the CSP allows
// styles only from the stylesheet; sizes set from code go through the CSSOM, which it allows).

type Child = Node | string | undefined | null | false;

export interface Props {
  class?: string;
  text?: string;
  title?: string;
  attrs?: Record<string, string>;
  onClick?: (e: MouseEvent) => void;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.text !== undefined) el.textContent = props.text;
  if (props.title) el.title = props.title;
  for (const [k, v] of Object.entries(props.attrs ?? {})) el.setAttribute(k, v);
  if (props.onClick) el.addEventListener('click', props.onClick as EventListener);
  for (const c of children) if (c !== undefined && c !== null && c !== false) el.append(c);
  return el;
}

export function button(label: string, onClick: () => void, o: { secondary?: boolean; title?: string } = {}): HTMLButtonElement {
  return h('button', { class: o.secondary ? 'secondary' : undefined, text: label, title: o.title, attrs: { type: 'button' }, onClick: () => onClick() });
}

export interface Option { value: string; label: string }

/** A labelled <select>. */
export function picker(label: string, options: readonly Option[], value: string, onChange: (value: string) => void): HTMLLabelElement {
  const sel = h('select');
  for (const o of options) sel.append(h('option', { text: o.label, attrs: { value: o.value } }));
  sel.value = value;
  sel.addEventListener('change', () => onChange(sel.value));
  return h('label', { class: 'field' }, h('span', { text: label }), sel);
}

/** A titled section with actions on the right of its heading; children go into `body`. */
export function section(title: string, ...actions: Child[]): { el: HTMLElement; body: HTMLElement; heading: HTMLElement } {
  const heading = h('h2', { text: title });
  const body = h('div', { class: 'section-body' });
  const el = h('section', {}, h('div', { class: 'section-head' }, heading, h('div', { class: 'actions' }, ...actions)), body);
  return { el, body, heading };
}

/** A line of `label value` pairs (run details and the like). */
export function facts(items: ReadonlyArray<[string, string | undefined]>): HTMLElement {
  const dl = h('dl', { class: 'facts' });
  for (const [k, v] of items) if (v !== undefined && v !== '') dl.append(h('div', {}, h('dt', { text: k }), h('dd', { text: v })));
  return dl;
}

export function badge(text: string, kind: string): HTMLElement {
  return h('span', { class: `badge status-${kind}`, text });
}

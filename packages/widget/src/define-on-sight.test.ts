import { expect } from '@esm-bundle/chai';
import { defineOnSight } from './define-on-sight.js';
import { until } from '../test/helpers.js';

let n = 0;
/** A fresh tag name and a loader that counts its calls. */
function fakeElement(fail = 0) {
  const tag = `x-sight-${++n}-${Math.random().toString(36).slice(2, 6)}`;
  const calls = { count: 0 };
  const loader = async () => {
    calls.count++;
    if (calls.count <= fail) throw new Error('offline');
    return class extends HTMLElement {};
  };
  return { tag, calls, loader };
}

const added: Element[] = [];
afterEach(() => {
  for (const el of added.splice(0)) el.remove();
});

function add(html: string): HTMLElement {
  const div = document.createElement('div');
  div.innerHTML = html;
  document.body.append(div);
  added.push(div);
  return div;
}

describe('defineOnSight', () => {
  it('loads nothing for a tag the page does not use, and defines it once one appears, however deep', async () => {
    const a = fakeElement();
    defineOnSight({ [a.tag]: a.loader });
    await new Promise((r) => setTimeout(r, 50));
    expect(a.calls.count).to.equal(0);
    expect(customElements.get(a.tag)).to.equal(undefined);

    add(`<section><p><${a.tag}></${a.tag}></p></section>`);
    await until(() => !!customElements.get(a.tag), `${a.tag} defined`);
    add(`<${a.tag}></${a.tag}>`);
    await new Promise((r) => setTimeout(r, 50));
    expect(a.calls.count).to.equal(1);
  });

  it('defines a tag already in the page at once', async () => {
    const a = fakeElement();
    add(`<${a.tag}></${a.tag}>`);
    defineOnSight({ [a.tag]: a.loader });
    await until(() => !!customElements.get(a.tag), `${a.tag} defined`);
  });

  it("finds elements in a component's shadow root once it is watched", async () => {
    const a = fakeElement();
    const host = add('<div></div>').firstElementChild!;
    const shadow = host.attachShadow({ mode: 'open' });
    const sight = defineOnSight({ [a.tag]: a.loader });
    shadow.innerHTML = `<${a.tag}></${a.tag}>`;
    await new Promise((r) => setTimeout(r, 50));
    expect(a.calls.count).to.equal(0);
    sight.watch(shadow);
    await until(() => !!customElements.get(a.tag), `${a.tag} defined from the shadow root`);
  });

  it('leaves the tag undefined when its code fails to load, and tries again on the next sighting', async () => {
    const a = fakeElement(1);
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      add(`<${a.tag}></${a.tag}>`);
      defineOnSight({ [a.tag]: a.loader });
      await until(() => a.calls.count === 1 && errors.length === 1, 'the failed load');
      expect(customElements.get(a.tag)).to.equal(undefined);
      add(`<${a.tag}></${a.tag}>`);
      await until(() => !!customElements.get(a.tag), `${a.tag} defined on retry`);
      expect(a.calls.count).to.equal(2);
    } finally {
      console.error = original;
    }
  });
});

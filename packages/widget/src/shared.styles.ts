import { css, unsafeCSS, type CSSResult } from 'lit';

/**
 * An element's dark palette (`palette`: its `--_*` custom properties for a dark background),
 * used with `theme="dark"`, or with the reader's `prefers-color-scheme: dark` where no `theme`
 * asks for light.
 */
export function darkTheme(palette: string): CSSResult {
  const dark = unsafeCSS(`color-scheme: dark;${palette}`);
  return css`
    :host([theme='dark']) {
      ${dark}
    }
    @media (prefers-color-scheme: dark) {
      :host(:not([theme='light'])) {
        ${dark}
      }
    }
  `;
}

/**
 * Hiding, the same in every element: the `hidden` attribute hides, on the element and inside it,
 * even where one of our rules gives a `display` (`:host` does, so without this a page's `hidden`
 * would not hide the element); `.visually-hidden` is text only screen readers see (live regions,
 * labels that say more).
 */
export const hiddenStyles = css`
  :host([hidden]),
  [hidden] {
    display: none !important;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
`;

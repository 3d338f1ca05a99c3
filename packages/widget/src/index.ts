/**
 * `@ix-playground/widget`: importing it registers `<ix-playground>`, `<ix-tasks>` and `<ix-run>`.
 * xterm.js and the terminal code stay out of the initial bundle: they are dynamic imports, loaded
 * when a playground boots. For the classes without registering the tags, import
 * `@ix-playground/widget/elements`.
 * @packageDocumentation
 */
export { defineElements } from './define.js';
export * from './elements.js';

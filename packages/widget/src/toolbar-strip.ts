import { html, nothing } from 'lit';
import type { ToolbarModel } from './toolbar-model.js';

/**
 * The strip under the toolbar, loaded when a reader first opens it: which port to preview (and on
 * which machine), or whether to save and stop.
 */
export function strip(model: ToolbarModel) {
  const cancel = html`<button type="button" @click=${() => model.ask(undefined)}>Cancel</button>`;
  if (model.asking === 'save')
    return html`<div class="strip" part="strip" role="group" aria-label="Save and stop">
      <span>Save your files and stop the playground? Programs that are running stop; your files come back when you resume.</span>
      <button part="save-confirm" @click=${() => void model.saveAndStop()}>Save and stop</button>${cancel}
    </div>`;
  if (model.asking !== 'preview') return nothing;
  const machines = model.session?.machines ?? [];
  const submit = (event: SubmitEvent) => {
    event.preventDefault(); // the browser checked the port (required, 1 to 65535)
    const data = new FormData(event.currentTarget as HTMLFormElement);
    model.openPreview(Number(data.get('port')), (data.get('machine') as string | null) ?? undefined);
  };
  return html`<form class="strip" part="strip" aria-label="Preview a web server" @submit=${submit}>
    <label>Port <input name="port" type="number" min="1" max="65535" required /></label>
    ${machines.length > 1 ? html`<label>on <select name="machine">${machines.map((m) => html`<option>${m}</option>`)}</select></label>` : nothing}
    <button part="preview-open-button">Preview</button>${cancel}
  </form>`;
}

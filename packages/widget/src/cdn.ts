/** Entry of the self-contained bundle for a `<script type="module">` tag: registers the elements. */
import './define.js';

export * from './index.js';

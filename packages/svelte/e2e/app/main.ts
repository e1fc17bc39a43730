/** A small Svelte app on Ferry, built by Vite (`svelte-app.js`) and loaded into the end-to-end test page. */
import { mount } from 'svelte';
import App from './App.svelte';

mount(App, { target: document.body.appendChild(document.createElement('div')) });

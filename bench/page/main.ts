// The benchmark page: exposes each scenario to the Node runner, which calls
// them through page.evaluate and does the statistics.
import { storageScenarios } from './storage.ts';

declare global {
  interface Window {
    ferryBench: typeof storageScenarios;
  }
}

window.ferryBench = storageScenarios;
document.title = 'ready';

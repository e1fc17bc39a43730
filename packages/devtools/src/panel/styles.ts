/** The panel's stylesheet, scoped by its shadow root. */
export const STYLES = `
:host { position: fixed; right: 0; bottom: 0; z-index: 2147483647; width: min(720px, 100vw); max-height: 60vh;
  overflow: auto; font: 12px/1.4 ui-monospace, monospace; color: #1b1f24; background: #fff; border: 1px solid #8c959f;
  box-shadow: 0 0 12px rgb(0 0 0 / 0.2); }
:host([hidden]) { display: none; }
:host([closed]) { width: auto; border: 0; box-shadow: none; background: none; overflow: visible; }
.launcher { padding: 4px 10px; background: #f6f8fa; border: 1px solid #8c959f; cursor: pointer; }
.pause-seconds { width: 5em; }
:host([embedded]) { position: static; width: auto; max-height: none; border: 0; box-shadow: none; }
header { display: flex; gap: 8px; align-items: center; padding: 4px 8px; background: #f6f8fa; position: sticky; top: 0; }
header strong { flex: 1; }
section { padding: 4px 8px; border-top: 1px solid #d0d7de; }
h3 { margin: 4px 0; font-size: 12px; }
table { border-collapse: collapse; width: 100%; }
td, th { text-align: left; padding: 1px 6px 1px 0; vertical-align: top; }
tr.op { cursor: pointer; }
tr.op:hover, tr.op[aria-selected] { background: #ddf4ff; }
.failed { color: #cf222e; }
.held, .paused { color: #9a6700; }
.error { color: #cf222e; white-space: pre-wrap; }
textarea { width: 100%; min-height: 4em; font: inherit; box-sizing: border-box; }
button { font: inherit; }
`;

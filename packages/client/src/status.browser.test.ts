// The status snapshot's suite (the property test against list(), and the cost of 1,000 changes with
// 3 subscribers) in real Chromium as well: a page's event loop, MessageChannel and timers.
import './status.test.ts';
import './status.property.test.ts';

import type { RequestHandler } from 'msw';
import { HttpResponse, getResponse, http } from 'msw';
import type { HttpHandler } from 'msw';
import type { FaultPlan, PlannedRequest } from '../proxy/faults.ts';
import type { Incoming, TextAnswer } from '../proxy/exchange.ts';
import { exchange } from '../proxy/exchange.ts';
import type { LoggedRequest } from '../proxy/recorder.ts';
import { WireRecorder } from '../proxy/recorder.ts';

/** What a {@link FaultHandler} stands in front of, and its faults. */
export interface FaultHandlerOptions {
  /**
   * The fake API behind the faults: MSW handlers that answer (and apply) the
   * requests a fault lets through, as the app's real API would.
   */
  api: readonly RequestHandler[];
  /** Chooses each request's fault. @default every request passes */
  plan?: FaultPlan;
  /**
   * Which requests the plan sees; the others go straight to `api` and are not logged.
   * @default those with an `Idempotency-Key` header, and batch requests
   */
  match?: (req: PlannedRequest) => boolean;
}

/**
 * `FaultProxy`'s faults as one MSW request handler, for tests that run no
 * server: each request meets its planned fault in front of `api` (MSW's
 * handlers of a fake API), and is logged as `FaultProxy` logs it, for
 * `checkDelivery`. Register {@link handler} with `setupServer` (`msw/node`)
 * or `setupWorker`; a request `api` does not answer falls through to the
 * handlers after it. A `reset` or a dropped answer reaches the client as a
 * network error; a `hang` never answers (the client's own timeout ends it).
 */
export class FaultHandler {
  /** The MSW handler: matches every request, and answers those `api` answers. */
  readonly handler: HttpHandler;
  readonly #recorder: WireRecorder;
  readonly #api: readonly RequestHandler[];
  /** Ends the requests left hanging, on reset. */
  #release = new AbortController();

  constructor(options: FaultHandlerOptions) {
    this.#api = options.api;
    this.#recorder = new WireRecorder(options.plan, options.match);
    this.handler = http.all('*', async ({ request }) => this.#handle(request));
  }

  /** Every matched request in arrival order (an item per op of a batch request). */
  get log(): LoggedRequest[] {
    return this.#recorder.log;
  }

  /** Chooses each matched request's fault; replace it between phases of a test. */
  get plan(): FaultPlan {
    return this.#recorder.plan;
  }

  set plan(plan: FaultPlan) {
    this.#recorder.plan = plan;
  }

  /** Forgets the log and the per-key counts, and ends the requests left hanging with a network error. */
  reset(): void {
    this.#recorder.reset();
    this.#release.abort();
    this.#release = new AbortController();
  }

  async #handle(request: Request): Promise<Response | undefined> {
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => (headers[name] = value));
    const body = request.body === null ? '' : await request.clone().text();
    const incoming: Incoming = { method: request.method, path: url.pathname, headers, body };
    const forward = async (text: string): Promise<TextAnswer | undefined> => {
      const inner = new Request(request.url, {
        method: request.method,
        headers: request.headers,
        ...(text !== '' && { body: text }),
      });
      const res = await this.#apply(inner);
      if (res === undefined) return undefined;
      const answerHeaders: Record<string, string> = {};
      res.headers.forEach((value, name) => (answerHeaders[name] = value));
      return { status: res.status, headers: answerHeaders, body: await res.text() };
    };
    const ending = await exchange(this.#recorder, incoming, forward, () => request.signal.aborted);
    if (ending === 'unmatched') return this.#apply(request);
    if (ending === 'unanswered') return undefined;
    if (ending === 'drop') return HttpResponse.error();
    if (ending === 'hang') return this.#hang(request);
    const empty = [101, 204, 205, 304].includes(ending.answer.status);
    return new HttpResponse(empty ? null : ending.answer.body, ending.answer);
  }

  /** The fake API's answer, or undefined when none of its handlers answers. */
  #apply(request: Request): Promise<Response | undefined> {
    return getResponse([...this.#api], request);
  }

  /** Never answers: resolves a network error when the client gives up or the handler is reset. */
  #hang(request: Request): Promise<Response> {
    const release = this.#release.signal;
    return new Promise((resolve) => {
      const end = (): void => resolve(HttpResponse.error());
      if (request.signal.aborted || release.aborted) return end();
      request.signal.addEventListener('abort', end, { once: true });
      release.addEventListener('abort', end, { once: true });
    });
  }
}

import type { NodeHttpHandler, NodeHttpHandlerOptions } from "@smithy/node-http-handler";
import type { HttpHandler, HttpRequest, HttpResponse } from "@smithy/protocol-http";
import type { DeserializeMiddleware, HttpHandlerOptions, MiddlewareStack } from "@smithy/types";
import type { SendOptions } from "./bounded-call.js";

/**
 * Each call's own timeout and abort signal, carried from the command's input to the HTTP handler,
 * for SDK clients that keep their middleware stack resolved (`cacheMiddleware: true`).
 *
 * Why not the SDK's send options (`client.send(command, { abortSignal, requestTimeout })`, used here
 * before): a send with options makes the SDK resolve its whole middleware stack again for that call,
 * `cacheMiddleware` or not, and with the AbortSignal's listeners that cost an uncached exchange
 * ~170 µs of CPU in situ, GC included (bench (a): 742 → 557-578 µs per request with no options).
 * Why not async context (AsyncLocalStorage): on Node 20 its first `run()` turns on promise hooks for
 * the whole process, for good (see bounded-call.ts).
 *
 * How: `withCallOptions` registers the options under the input object the command is built with
 * (a copy made for this call); the middleware, in the stack's last step (after signing, so on the
 * request that is sent), reads them by the input and registers them under that attempt's request;
 * the handler reads them by the request and passes them to the SDK's Node handler, which cuts the
 * attempt at `requestTimeout` and destroys it on abort. An attempt the retry middleware starts after
 * the signal aborted (a back-off that outlived the deadline) fails at once with an AbortError and no
 * request; the retry strategy never retries an AbortError (replay-guard.ts). Weak maps: nothing is
 * kept past the call.
 */
const optionsByInput = new WeakMap<object, SendOptions>();
const optionsByRequest = new WeakMap<object, SendOptions>();

/** `input`, a fresh object, with `options` registered for the call it is sent in. */
export function withCallOptions<I extends object>(input: I, options: SendOptions): I {
  optionsByInput.set(input, options);
  return input;
}

/** The name the middleware is added under (one per client). */
const CALL_OPTIONS_MIDDLEWARE_NAME = "gatewayCallOptions";

/** The AbortError the SDK's Node handler rejects an aborted request with: never retried. */
function abortError(): Error {
  const error = new Error("Request aborted");
  error.name = "AbortError";
  return error;
}

const callOptionsMiddleware: DeserializeMiddleware<object, object> = (next) => async (args) => {
  const options = optionsByInput.get(args.input);
  if (options !== undefined) {
    if (options.abortSignal.aborted) throw abortError();
    optionsByRequest.set(args.request as object, options);
  }
  return next(args);
};

/**
 * Adds the middleware to a client's stack (before its first send: the stack is resolved then, once).
 * `any`: every client's stack, whatever its commands' input and output types.
 */
export function addCallOptionsMiddleware(stack: Pick<MiddlewareStack<any, any>, "add">): void {
  stack.add(callOptionsMiddleware, { step: "deserialize", name: CALL_OPTIONS_MIDDLEWARE_NAME, priority: "low", override: true });
}

/** `handler`, passing each attempt the options registered for its request. */
export function withCallOptionsHandler(handler: NodeHttpHandler): HttpHandler<NodeHttpHandlerOptions> {
  return {
    handle(request: HttpRequest, handlerOptions?: HttpHandlerOptions): Promise<{ response: HttpResponse }> {
      const options = optionsByRequest.get(request);
      return handler.handle(request, options === undefined ? handlerOptions : { ...handlerOptions, abortSignal: options.abortSignal, requestTimeout: options.requestTimeout });
    },
    updateHttpClientConfig: (key, value) => handler.updateHttpClientConfig(key, value),
    httpHandlerConfigs: () => handler.httpHandlerConfigs(),
    destroy: () => handler.destroy(),
  };
}

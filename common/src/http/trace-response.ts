import type { RequestHandler } from 'express';
import { activeTraceresponse } from '../telemetry/context';

/**
 * Sets `traceresponse` (W3C Trace Context Level 2: `00-<trace-id>-<span-id>-<flags>`, the id of
 * this request's server span) on every response, so a user's report leads to the trace and its
 * logs. Outside a trace (tracing not started) there is nothing to name and no header.
 */
export const traceResponse: RequestHandler = (_req, res, next) => {
  const value = activeTraceresponse();
  if (value) res.setHeader('traceresponse', value);
  next();
};

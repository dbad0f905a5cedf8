import express, { type RequestHandler } from 'express';
import { UnsupportedMediaTypeError } from '../errors';

/** Options of `jsonBody`. */
export interface JsonBodyOptions {
  /** Largest accepted body, in body-parser notation; the contract says 100 kB. */
  limit?: string;
}

const JSON_TYPES = ['application/json', 'application/*+json'];
const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

function hasBody(headers: { 'transfer-encoding'?: string; 'content-length'?: string }): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] ?? '0') !== '0';
}

/** Parses JSON bodies (objects and arrays only, size-limited) and answers 415 to a non-JSON body. */
export function jsonBody({ limit = '100kb' }: JsonBodyOptions = {}): RequestHandler {
  const parse = express.json({ limit, strict: true, type: JSON_TYPES });
  return (req, res, next) => {
    if (METHODS_WITH_BODY.has(req.method) && hasBody(req.headers) && !req.is(JSON_TYPES)) {
      return next(new UnsupportedMediaTypeError());
    }
    parse(req, res, next);
  };
}

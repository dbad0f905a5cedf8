import type { Request } from 'express';
import { body } from 'express-validator';

/** The `email` field of sign-up and sign-in: a valid email, trimmed and lower-cased. */
export function emailField() {
  return body('email')
    .isString()
    .withMessage('Email must be valid')
    .bail()
    .trim()
    .toLowerCase()
    .isEmail()
    .withMessage('Email must be valid');
}

/**
 * The client's address: `req.ip`, which honours X-Forwarded-For because common's createApp sets
 * `trust proxy` for the gateway in front.
 */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

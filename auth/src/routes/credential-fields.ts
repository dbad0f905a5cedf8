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

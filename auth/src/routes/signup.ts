import { Router } from 'express';
import { body } from 'express-validator';
import { rejectUnknownFields, setSessionCookie, signSession, validateRequest } from '@ticketing/common';
import { signUp } from '../domain/users';
import { sessionSettings, type AuthContext } from './context';
import { emailField } from './credential-fields';

/** `POST /api/users/signup` `{ email, password }` → 201 `{ id, email }` and the session cookie. */
export function signupRoute({ db, config, deps }: AuthContext): Router {
  const session = sessionSettings(config);
  return Router().post(
    '/api/users/signup',
    rejectUnknownFields(['email', 'password']),
    emailField(),
    body('password')
      .isString()
      .withMessage('Password must be between 8 and 128 characters')
      .bail()
      .isLength({ min: 8, max: 128 })
      .withMessage('Password must be between 8 and 128 characters'),
    validateRequest,
    async (req, res) => {
      const user = await signUp(db, deps.hasher, { email: req.body.email, password: req.body.password });
      setSessionCookie(req, res, signSession(user, session));
      res.status(201).json(user);
    },
  );
}

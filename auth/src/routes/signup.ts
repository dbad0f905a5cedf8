import { Router } from 'express';
import { body } from 'express-validator';
import { rejectUnknownFields, setSessionCookie, signSession, validateRequest } from '@ticketing/common';
import { signUp } from '../domain/users';
import { sessionSettings, signupCeiling, type AuthContext } from './context';
import { clientAddress, emailField } from './credential-fields';

/** `POST /api/users/signup` `{ email, password }` → 201 `{ id, email }` and the session cookie; 429 past the per-address ceiling. */
export function signupRoute({ db, config, deps }: AuthContext): Router {
  const session = sessionSettings(config);
  const ceiling = signupCeiling(config);
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
      const user = await signUp(
        db,
        deps.hasher,
        { email: req.body.email, password: req.body.password },
        { address: clientAddress(req), ceiling },
      );
      setSessionCookie(req, res, signSession(user, session));
      res.status(201).json(user);
    },
  );
}

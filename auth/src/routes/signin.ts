import { Router } from 'express';
import { body } from 'express-validator';
import { rejectUnknownFields, setSessionCookie, signSession, validateRequest } from '@ticketing/common';
import { signIn } from '../domain/users';
import { signinFailureCeiling, sessionSettings, throttleSettings, type AuthContext } from './context';
import { clientAddress, emailField } from './credential-fields';

/** `POST /api/users/signin` `{ email, password }` → 200 `{ id, email }` and the session cookie. */
export function signinRoute({ db, config, deps }: AuthContext): Router {
  const session = sessionSettings(config);
  const throttle = throttleSettings(config);
  const ceiling = signinFailureCeiling(config);
  return Router().post(
    '/api/users/signin',
    rejectUnknownFields(['email', 'password']),
    emailField(),
    body('password')
      .isString()
      .withMessage('You must supply a password')
      .bail()
      .notEmpty()
      .withMessage('You must supply a password'),
    validateRequest,
    async (req, res) => {
      const user = await signIn(
        db,
        deps.hasher,
        throttle,
        { email: req.body.email, password: req.body.password },
        { address: clientAddress(req), ceiling },
      );
      setSessionCookie(req, res, signSession(user, session));
      res.status(200).json(user);
    },
  );
}
